//! The Debian package made by `scripts/package` (which the test runs first), installed for
//! real with `dpkg -i` and removed again with `dpkg -r`, whatever happens in between: the
//! command is on PATH, `man` finds its page, bash-completion loads its completion, zsh and
//! fish find theirs, and the systemd units are where systemd looks (user and system), and
//! off. lintian, Debian's own check, finds no error in it.
//!
//! dpkg needs root (the test command runs as root in CI): elsewhere the test fails.
use crate::support;

use crate::artefacts::{artefact, is_root, run, text};
use std::path::Path;
use std::process::{Command, Output};
use std::time::{Duration, Instant};
use support::repo_path;

const PACKAGE: &str = "idm-auth";

/// `dpkg ARGS`, waiting (up to ten minutes) while apt or another dpkg holds its lock.
fn dpkg(args: &[&str]) -> Output {
    let deadline = Instant::now() + Duration::from_secs(600);
    loop {
        let out = Command::new("dpkg").args(args).output().expect("run dpkg");
        let locked = !out.status.success() && text(&out).contains("lock");
        if !locked || Instant::now() > deadline {
            return out;
        }
        std::thread::sleep(Duration::from_secs(2));
    }
}

/// Removes the package when the test ends, passed or failed.
struct Installed;

impl Drop for Installed {
    fn drop(&mut self) {
        let out = dpkg(&["-r", PACKAGE]);
        if !out.status.success() {
            eprintln!("dpkg -r {PACKAGE} failed: {}", text(&out));
        }
    }
}

#[test]
fn the_deb_installs_the_command_man_page_completions_and_units() {
    let deb = artefact("_amd64.deb");
    assert!(
        is_root(),
        "installing {deb:?} needs root (dpkg -i): run the tests as root, as CI does"
    );
    let already = run("dpkg-query", &["-W", "-f=${Status}", PACKAGE]);
    assert!(
        !text(&already).contains("install ok installed"),
        "{PACKAGE} is already installed on this machine: the test would remove it"
    );

    let install = dpkg(&["-i", deb.to_str().unwrap()]);
    let _installed = Installed;
    assert!(install.status.success(), "dpkg -i: {}", text(&install));

    let version = run("/usr/bin/idm-auth", &["--version"]);
    assert!(version.status.success(), "{}", text(&version));
    assert_eq!(
        String::from_utf8_lossy(&version.stdout).trim(),
        format!("idm-auth {}", env!("CARGO_PKG_VERSION"))
    );

    let man = run("man", &["-w", "idm-auth"]);
    assert!(man.status.success(), "man -w idm-auth: {}", text(&man));
    assert!(
        String::from_utf8_lossy(&man.stdout)
            .trim()
            .starts_with("/usr/share/man/man1/idm-auth.1"),
        "{}",
        text(&man)
    );

    // bash-completion's own loader, as an interactive shell would call it on <TAB>.
    let bash = run(
        "bash",
        &[
            "-c",
            ". /usr/share/bash-completion/bash_completion && __load_completion idm-auth && complete -p idm-auth",
        ],
    );
    assert!(
        bash.status.success() && text(&bash).contains("idm-auth"),
        "bash-completion does not find the completion: {}",
        text(&bash)
    );
    // zsh's and fish's vendor directories (Debian's zsh and fish have them on their paths).
    for file in [
        "/usr/share/zsh/vendor-completions/_idm-auth",
        "/usr/share/fish/vendor_completions.d/idm-auth.fish",
    ] {
        assert!(Path::new(file).is_file(), "{file} was not installed");
    }

    // Every unit of contrib/systemd, user and system, and none enabled by the package.
    for kind in ["user", "system"] {
        for unit in std::fs::read_dir(repo_path(&format!("contrib/systemd/{kind}"))).unwrap() {
            let name = unit.unwrap().file_name();
            let installed = Path::new("/usr/lib/systemd").join(kind).join(&name);
            assert!(installed.is_file(), "{installed:?} was not installed");
        }
    }
    let wants = Path::new("/etc/systemd/user/timers.target.wants/idm-auth-check.timer");
    assert!(!wants.exists(), "the package enabled the check timer");
    let service = std::fs::read_to_string("/usr/lib/systemd/user/idm-auth-check.service").unwrap();
    assert!(
        service.contains("ExecStart=/usr/bin/idm-auth --quiet check"),
        "{service}"
    );

    // Licences in the package, as in the tarball.
    for file in ["LICENSE-MIT", "LICENSE-APACHE", "copyright"] {
        let doc = Path::new("/usr/share/doc/idm-auth").join(file);
        assert!(doc.is_file(), "{doc:?} was not installed");
    }
}

/// lintian's verdict: no error and no warning. What is intended (a static PIE reads to
/// lintian as a library without its prerequisites) is overridden in the package, with the
/// reason (contrib/debian/idm-auth.lintian-overrides).
#[test]
fn lintian_finds_nothing_wrong_with_the_deb() {
    let deb = artefact("_amd64.deb");
    let out = run(
        "lintian",
        &["--fail-on", "error,warning", deb.to_str().unwrap()],
    );
    assert!(out.status.success(), "lintian {deb:?}:\n{}", text(&out));
    let said = text(&out);
    assert!(
        !said
            .lines()
            .any(|l| l.starts_with("E: ") || l.starts_with("W: ")),
        "{said}"
    );
    let overridden = run("lintian", &["--show-overrides", deb.to_str().unwrap()]);
    assert!(
        text(&overridden).contains("shared-library-lacks-prerequisites"),
        "the override for the static binary is in the package: {}",
        text(&overridden)
    );
}
