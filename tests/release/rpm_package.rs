//! The RPM made by `scripts/package` (which the test runs first), for RHEL, Fedora and SUSE
//! admins: installed with Debian's `rpm` into a scratch root (`rpm --root DIR -i`), where the
//! binary runs, holding the files the .deb holds, in the places those distributions use.
//! rpmlint, their own check, finds no error in it.

use crate::artefacts::{self, artefact, installed_files, run, text};
use std::process::Command;

/// The .deb's files, with RPM distributions' places for zsh completions and licences.
const FILES: &[&str] = &[
    "usr/bin/idm-auth",
    "usr/lib/systemd/system/idm-auth-refresh@.service",
    "usr/lib/systemd/system/idm-auth-refresh@.timer",
    "usr/lib/systemd/user/idm-auth-check.service",
    "usr/lib/systemd/user/idm-auth-check.timer",
    "usr/share/bash-completion/completions/idm-auth",
    "usr/share/doc/idm-auth/README.md",
    "usr/share/fish/vendor_completions.d/idm-auth.fish",
    "usr/share/licenses/idm-auth/LICENSE-APACHE",
    "usr/share/licenses/idm-auth/LICENSE-MIT",
    "usr/share/man/man1/idm-auth.1",
    "usr/share/zsh/site-functions/_idm-auth",
];

#[test]
fn the_rpm_installs_into_a_scratch_root_and_runs_there() {
    let rpm = artefact(".x86_64.rpm");
    let root = tempfile::tempdir().unwrap();
    let dbpath = root.path().join("var/lib/rpm");
    std::fs::create_dir_all(&dbpath).unwrap();
    let root_arg = root.path().to_str().unwrap();
    // No dependencies to check against an empty root's database: the binary has none.
    let install = run(
        "rpm",
        &[
            "--root",
            root_arg,
            "--dbpath",
            "/var/lib/rpm",
            "-i",
            rpm.to_str().unwrap(),
        ],
    );
    assert!(install.status.success(), "rpm -i: {}", text(&install));

    let bin = root.path().join("usr/bin/idm-auth");
    let version = Command::new(&bin).arg("--version").output().unwrap();
    assert!(version.status.success(), "{}", text(&version));
    assert_eq!(
        String::from_utf8_lossy(&version.stdout).trim(),
        format!("idm-auth {}", env!("CARGO_PKG_VERSION"))
    );

    let files: Vec<String> = installed_files(root.path())
        .into_iter()
        .filter(|f| !f.starts_with("var/lib/rpm"))
        .collect();
    assert_eq!(files, FILES, "the files the .rpm installed");
    let query = run(
        "rpm",
        &[
            "--root",
            root_arg,
            "--dbpath",
            "/var/lib/rpm",
            "-q",
            "idm-auth",
        ],
    );
    assert!(query.status.success(), "rpm -q: {}", text(&query));
}

/// The same binary as the tarball's and the .deb's: one build, three packagings.
#[test]
fn the_rpm_holds_the_tarballs_binary() {
    let rpm = artefact(".x86_64.rpm");
    let out = Command::new("sh")
        .arg("-c")
        .arg("rpm2cpio \"$1\" | cpio -i --to-stdout ./usr/bin/idm-auth 2>/dev/null | sha256sum")
        .arg("sh")
        .arg(&rpm)
        .output()
        .unwrap();
    let from_rpm = String::from_utf8_lossy(&out.stdout).to_string();
    let built = run(
        "sha256sum",
        &[artefacts::repo()
            .join("target/x86_64-unknown-linux-gnu/release/idm-auth")
            .to_str()
            .unwrap()],
    );
    let built = String::from_utf8_lossy(&built.stdout).to_string();
    assert_eq!(
        from_rpm.split_whitespace().next(),
        built.split_whitespace().next(),
        "the .rpm's binary is not the one built"
    );
}

/// rpmlint's verdict: no error. What it warns about and why it stays is in
/// contrib/rpm/rpmlint.toml.
#[test]
fn rpmlint_finds_no_error_in_the_rpm() {
    let rpm = artefact(".x86_64.rpm");
    let config = artefacts::repo().join("contrib/rpm/rpmlint.toml");
    let out = run(
        "rpmlint",
        &["--config", config.to_str().unwrap(), rpm.to_str().unwrap()],
    );
    let said = text(&out);
    assert!(out.status.success(), "rpmlint {rpm:?}:\n{said}");
    assert!(said.contains(" 0 errors"), "{said}");
}
