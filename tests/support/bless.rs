//! Refreshing what a test compares against (snapshots, the man page). A run that rewrites
//! the expected output compares it with itself, so it must not pass: it writes, then fails,
//! and the next plain run checks the written files for real.

/// Run `cases`; under `TRYCMD=overwrite` (which rewrites the snapshots) fail afterwards.
pub fn run_snapshots(cases: &trycmd::TestCases, glob: &str) {
    cases.run();
    if std::env::var_os("TRYCMD").is_some_and(|mode| mode == "overwrite") {
        panic!("TRYCMD=overwrite rewrote {glob}: read the diff, then run again without it");
    }
}

/// After a blessing run wrote `what`: fail, so the run that wrote it never counts as passed.
pub fn blessed(what: &std::path::Path) -> ! {
    panic!(
        "wrote {}: read the diff, then run again without IDM_AUTH_BLESS",
        what.display()
    );
}
