//! The command-line surface as users and scripts meet it: `--help` of every subcommand and
//! the common usage errors, as snapshots (tests/cmd/*.trycmd, refreshed with
//! `TRYCMD=overwrite cargo test --test cli_surface`), and the committed man page
//! (refreshed with `IDM_AUTH_BLESS=1 cargo test --test cli_surface`); a refreshing run
//! writes, then fails, so only the plain run after it can pass.
#![cfg(target_os = "linux")]

#[path = "support/bless.rs"]
mod bless;

use clap::CommandFactory;

#[test]
fn help_and_usage_errors_match_the_snapshots() {
    let cases = trycmd::TestCases::new();
    cases
        .register_bin(
            "idm-auth",
            std::path::Path::new(env!("CARGO_BIN_EXE_idm-auth")),
        )
        .env("COLUMNS", "100")
        .env("NO_COLOR", "1")
        .case("tests/cmd/*.trycmd");
    bless::run_snapshots(&cases, "tests/cmd/*.trycmd");
}

#[test]
fn the_committed_man_page_is_current() {
    let mut page = Vec::new();
    clap_mangen::Man::new(idm_auth::cli::Cli::command())
        .render(&mut page)
        .unwrap();
    let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("man/idm-auth.1");
    if std::env::var_os("IDM_AUTH_BLESS").is_some() {
        std::fs::write(&path, &page).unwrap();
        bless::blessed(&path);
    }
    let committed = std::fs::read(&path).expect("the committed man/idm-auth.1");
    assert!(
        committed == page,
        "man/idm-auth.1 is stale: regenerate with `IDM_AUTH_BLESS=1 cargo test --test cli_surface`"
    );
}
