//! The release artefacts in target/dist, as the release tests get them: `scripts/package`
//! runs once, before the first look (it rebuilds only what changed), so a
//! plain `cargo test` in a fresh clone checks what this commit packages, never an older
//! build and never nothing.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};
use std::sync::OnceLock;

/// The repository's root.
pub fn repo() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

/// target/dist, after `scripts/package` has run (once in this process).
pub fn dist() -> &'static Path {
    static DIST: OnceLock<PathBuf> = OnceLock::new();
    DIST.get_or_init(|| {
        let mut package = Command::new(repo().join("scripts/package"));
        // What cargo test sets for a test binary would reach the builds and make them
        // differ from a plain `scripts/package` run, so each would rebuild idm-auth.
        for (name, _) in std::env::vars_os() {
            let name = name.to_string_lossy();
            if (name == "CARGO" || name.starts_with("CARGO_")) && name != "CARGO_HOME" {
                package.env_remove(&*name);
            }
        }
        let out = package
            .env_remove("IDM_AUTH_DIST")
            .output()
            .expect("run scripts/package");
        assert!(
            out.status.success(),
            "scripts/package failed ({:?}):\n{}",
            out.status,
            text(&out)
        );
        repo().join("target/dist")
    })
}

/// The one artefact in target/dist whose name ends with `suffix`.
pub fn artefact(suffix: &str) -> PathBuf {
    let found: Vec<PathBuf> = std::fs::read_dir(dist())
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.to_string_lossy().ends_with(suffix))
        .collect();
    assert_eq!(found.len(), 1, "one *{suffix} in target/dist: {found:?}");
    found.into_iter().next().unwrap()
}

/// stdout and stderr of a finished command, for messages.
pub fn text(out: &Output) -> String {
    format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    )
}

/// `program args`, which must exist (a missing tool fails the test, never skips it).
pub fn run(program: &str, args: &[&str]) -> Output {
    Command::new(program)
        .args(args)
        .output()
        .unwrap_or_else(|e| panic!("run {program}: {e} (scripts/test installs it)"))
}

pub fn is_root() -> bool {
    String::from_utf8_lossy(&run("id", &["-u"]).stdout).trim() == "0"
}

/// The files a package installs, as (path, mode) relative to /, sorted: what the .deb and
/// the .rpm must agree on, bar the places each distribution keeps them.
pub fn installed_files(root: &Path) -> Vec<String> {
    let mut files = Vec::new();
    let mut dirs = vec![root.to_path_buf()];
    while let Some(dir) = dirs.pop() {
        for entry in std::fs::read_dir(&dir).unwrap() {
            let path = entry.unwrap().path();
            if path.is_dir() {
                dirs.push(path);
            } else {
                files.push(path.strip_prefix(root).unwrap().display().to_string());
            }
        }
    }
    files.sort();
    files
}
