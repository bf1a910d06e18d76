//! The release tarball's binary (made by `scripts/package`, which `scripts/test` runs first):
//! statically linked, within its size limit, and working in an empty root that holds nothing
//! but the binary, /etc/hosts, /etc/resolv.conf and the trust store: no libc, no NSS
//! modules, no libdbus, no D-Bus. There it runs the demo (the kernel keyring stands in for
//! the Secret Service) and finds a host named in /etc/hosts, directly and through a proxy.
//!
//! chroot needs root; the test command runs as root in CI. Elsewhere these tests say loudly
//! that they could not run.
#![cfg(target_os = "linux")]

mod support;

use std::io::{Read, Write};
use std::net::TcpListener;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::Duration;
use support::{repo_path, Waiting};

/// Issue 11: the release binary stays within 5 MB.
const MAX_BYTES: u64 = 5_000_000;

/// The hosts the tests name; only the root's /etc/hosts knows them.
const UPS_HOST: &str = "ups-in-hosts.test";
const PROXY_HOST: &str = "proxy-in-hosts.test";

/// The tarball made by `scripts/package`, unpacked into a temporary directory.
struct Unpacked {
    _dir: tempfile::TempDir,
    top: PathBuf,
}

fn unpack_tarball() -> Unpacked {
    let dist = repo_path("target/dist");
    let tarball = std::fs::read_dir(&dist)
        .ok()
        .into_iter()
        .flatten()
        .filter_map(|e| e.ok().map(|e| e.path()))
        .find(|p| p.to_string_lossy().ends_with("-x86_64-linux.tar.gz"))
        .unwrap_or_else(|| {
            panic!(
                "no idm-auth-*-x86_64-linux.tar.gz in {}: run scripts/package first \
                 (scripts/test does so before the whole suite)",
                dist.display()
            )
        });
    let dir = tempfile::tempdir().unwrap();
    let out = Command::new("tar")
        .arg("-xzf")
        .arg(&tarball)
        .arg("-C")
        .arg(dir.path())
        .output()
        .expect("run tar");
    assert!(out.status.success(), "tar -xzf {tarball:?}: {out:?}");
    let name = tarball
        .file_name()
        .unwrap()
        .to_string_lossy()
        .replace(".tar.gz", "");
    let top = dir.path().join(name);
    Unpacked { _dir: dir, top }
}

fn is_root() -> bool {
    let out = Command::new("id").arg("-u").output().expect("run id -u");
    String::from_utf8_lossy(&out.stdout).trim() == "0"
}

/// Say loudly, in the test output, that a check could not run here.
fn cannot_run(what: &str, why: &str) {
    eprintln!("\n!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!");
    eprintln!("!!! NOT CHECKED on this machine: {what}");
    eprintln!("!!! because {why}");
    eprintln!("!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!\n");
}

#[test]
fn the_tarball_holds_the_binary_licences_completions_and_man_page() {
    let unpacked = unpack_tarball();
    for file in [
        "idm-auth",
        "README.md",
        "LICENSE-MIT",
        "LICENSE-APACHE",
        "man/idm-auth.1",
        "completions/idm-auth.bash",
        "completions/_idm-auth",
        "completions/idm-auth.fish",
        "systemd/user/idm-auth-check.service",
        "systemd/user/idm-auth-check.timer",
    ] {
        let path = unpacked.top.join(file);
        assert!(path.is_file(), "{file} is missing from the tarball");
    }
    let sums = Command::new("sha256sum")
        .args(["-c", "SHA256SUMS"])
        .current_dir(repo_path("target/dist"))
        .output()
        .expect("run sha256sum");
    assert!(
        sums.status.success(),
        "SHA256SUMS does not match the artefacts: {}",
        String::from_utf8_lossy(&sums.stdout)
    );
    let checked = String::from_utf8_lossy(&sums.stdout);
    assert!(
        checked.contains(".tar.gz: OK") && checked.contains(".deb: OK"),
        "{checked}"
    );
}

#[test]
fn the_binary_is_static_and_within_its_size() {
    let unpacked = unpack_tarball();
    let bin = unpacked.top.join("idm-auth");
    let ldd = Command::new("ldd").arg(&bin).output().expect("run ldd");
    let said = format!(
        "{}{}",
        String::from_utf8_lossy(&ldd.stdout),
        String::from_utf8_lossy(&ldd.stderr)
    );
    assert!(
        said.contains("statically linked") || said.contains("not a dynamic executable"),
        "ldd finds shared libraries in the release binary:\n{said}"
    );
    let size = std::fs::metadata(&bin).unwrap().len();
    assert!(
        size <= MAX_BYTES,
        "the release binary is {size} bytes, over its {MAX_BYTES}-byte limit"
    );
}

/// An empty directory with only what a static idm-auth reads: itself, /etc/hosts,
/// /etc/resolv.conf (a name server on 127.0.0.1, where none answers here), the trust store
/// and a /tmp.
fn empty_root(bin: &Path) -> tempfile::TempDir {
    let root = tempfile::tempdir().unwrap();
    let at = |rel: &str| root.path().join(rel);
    for dir in ["etc/ssl/certs", "tmp/home"] {
        std::fs::create_dir_all(at(dir)).unwrap();
    }
    std::fs::copy(bin, at("idm-auth")).unwrap();
    std::fs::write(
        at("etc/hosts"),
        format!("127.0.0.1 localhost\n127.0.0.1 {UPS_HOST}\n127.0.0.1 {PROXY_HOST}\n"),
    )
    .unwrap();
    std::fs::write(
        at("etc/resolv.conf"),
        "nameserver 127.0.0.1\noptions timeout:1 attempts:1\n",
    )
    .unwrap();
    let bundle = Path::new("/etc/ssl/certs/ca-certificates.crt");
    if bundle.is_file() {
        std::fs::copy(bundle, at("etc/ssl/certs/ca-certificates.crt")).unwrap();
    } else {
        cannot_run(
            "the OS trust store inside the empty root",
            "this machine has no /etc/ssl/certs/ca-certificates.crt to copy (package ca-certificates)",
        );
    }
    let tmp_mode = Command::new("chmod")
        .arg("1777")
        .arg(at("tmp"))
        .status()
        .unwrap();
    assert!(tmp_mode.success());
    root
}

/// `idm-auth ARGS` inside `root`, with an environment that holds nothing of this machine's:
/// no D-Bus address, no proxy, no display.
fn in_root(root: &Path, args: &[&str]) -> Command {
    // An absolute path: the PATH given below is the root's, not where chroot is.
    let mut cmd = Command::new("/usr/sbin/chroot");
    cmd.arg(root)
        .arg("/idm-auth")
        .args(args)
        .env_clear()
        .env("HOME", "/tmp/home")
        .env("PATH", "/")
        .env("TMPDIR", "/tmp")
        .stdin(Stdio::null());
    cmd
}

#[test]
fn the_demo_runs_in_an_empty_root() {
    if !is_root() {
        return cannot_run("the static binary in an empty root", "chroot needs root");
    }
    let unpacked = unpack_tarball();
    let root = empty_root(&unpacked.top.join("idm-auth"));
    let out = in_root(root.path(), &["demo", "--no-browser"])
        .output()
        .expect("run chroot");
    let stdout = String::from_utf8_lossy(&out.stdout);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        out.status.success(),
        "the demo failed in the empty root ({:?}):\n{stdout}\n{stderr}",
        out.status
    );
    assert!(
        stderr.contains("kernel keyring"),
        "the demo should have said it keeps the tokens in the kernel keyring:\n{stderr}"
    );
    assert!(
        stdout.contains("active"),
        "the grid shows the demo's opt-in:\n{stdout}"
    );
    drop(unpacked);
}

/// What reached a listener on 127.0.0.1 that the root's /etc/hosts names: the first bytes
/// sent by an authorize whose code exchange goes to `https://UPS_HOST:PORT`, through
/// `proxy` (a proxy URL template, PORT filled in) when given.
fn first_bytes_from_authorize(root: &Path, proxy: Option<&str>) -> Vec<u8> {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    let (ups_port, proxy_url) = match proxy {
        Some(template) => (443, Some(template.replace("PORT", &port.to_string()))),
        None => (port, None),
    };
    let callback_port = support::free_port();
    let base_url = format!("https://{UPS_HOST}:{ups_port}");
    let callback = callback_port.to_string();
    let mut cmd = in_root(
        root,
        &[
            "authorize",
            "--no-browser",
            "--base-url",
            &base_url,
            "--client-id",
            "static-test",
            "--port",
            &callback,
            "--timeout",
            "30",
        ],
    );
    if let Some(url) = &proxy_url {
        cmd.env("HTTPS_PROXY", url);
    }
    cmd.stdin(Stdio::piped());
    let mut waiting = Waiting::start(&mut cmd);
    let pasted = format!(
        "http://127.0.0.1:{callback_port}/callback?code=from-the-test&state={}\n",
        waiting.state()
    );
    waiting
        .child
        .stdin
        .take()
        .unwrap()
        .write_all(pasted.as_bytes())
        .unwrap();

    listener.set_nonblocking(true).unwrap();
    let deadline = std::time::Instant::now() + Duration::from_secs(30);
    let mut conn = loop {
        match listener.accept() {
            Ok((conn, _)) => break conn,
            Err(_) if std::time::Instant::now() < deadline => {
                std::thread::sleep(Duration::from_millis(20))
            }
            Err(_) => {
                let _ = waiting.child.kill();
                let run = waiting.finish();
                panic!("nothing reached {base_url} or the proxy through /etc/hosts: {run:?}");
            }
        }
    };
    conn.set_nonblocking(false).unwrap();
    conn.set_read_timeout(Some(Duration::from_secs(10)))
        .unwrap();
    let mut first = vec![0u8; 512];
    let n = conn.read(&mut first).unwrap_or(0);
    first.truncate(n);
    drop(conn);
    let _ = waiting.child.kill();
    waiting.finish();
    first
}

#[test]
fn names_resolve_from_etc_hosts_without_glibc_nss() {
    if !is_root() {
        return cannot_run("name resolution in an empty root", "chroot needs root");
    }
    let unpacked = unpack_tarball();
    let root = empty_root(&unpacked.top.join("idm-auth"));

    // Directly: a TLS ClientHello for the name in /etc/hosts.
    let hello = first_bytes_from_authorize(root.path(), None);
    assert_eq!(hello.first(), Some(&0x16), "a TLS handshake: {hello:?}");
    assert!(
        hello
            .windows(UPS_HOST.len())
            .any(|w| w == UPS_HOST.as_bytes()),
        "the ClientHello names {UPS_HOST}: {hello:?}"
    );

    // Through HTTPS_PROXY, itself a name in /etc/hosts.
    let connect =
        first_bytes_from_authorize(root.path(), Some(&format!("http://{PROXY_HOST}:PORT")));
    let connect = String::from_utf8_lossy(&connect);
    assert!(
        connect.starts_with(&format!("CONNECT {UPS_HOST}:443 ")),
        "the proxy is asked to CONNECT to {UPS_HOST}:443: {connect:?}"
    );
}
