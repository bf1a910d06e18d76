//! The release tarball's binary (made by `scripts/package`, which the tests run first):
//! a static PIE as hardened as the toolchain makes it, within its size limit, and working in
//! an empty root that holds nothing but the binary, /etc/hosts, /etc/resolv.conf and the
//! trust store: no libc, no NSS modules, no libdbus, no D-Bus. There it runs the demo (the
//! kernel keyring stands in for the Secret Service), finds a host named in /etc/hosts,
//! directly and through a proxy, and completes a TLS handshake with a server whose CA is in
//! the root's bundle. Beside it: SHA256SUMS over every artefact, and the SBOM.
//!
//! The empty root is entered with chroot: as root directly, otherwise inside a user
//! namespace (`unshare --user --map-root-user`); where neither works, the tests fail.
use crate::support;

use crate::artefacts::{self, artefact, dist, is_root, run, text};
use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpListener;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::Duration;
use support::tls::TlsServer;
use support::Waiting;

/// Issue 21: the release binary stays within 6 MB (it was 5 MB before it became a PIE).
const MAX_BYTES: u64 = 6_000_000;

/// The hosts the tests name; only the root's /etc/hosts knows them.
const UPS_HOST: &str = "ups-in-hosts.test";
const PROXY_HOST: &str = "proxy-in-hosts.test";

/// The tarball made by `scripts/package`, unpacked into a temporary directory.
struct Unpacked {
    _dir: tempfile::TempDir,
    top: PathBuf,
}

fn unpack_tarball() -> Unpacked {
    let tarball = artefact("-x86_64-linux.tar.gz");
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
        .current_dir(dist())
        .output()
        .expect("run sha256sum");
    let checked = String::from_utf8_lossy(&sums.stdout);
    assert!(
        sums.status.success(),
        "SHA256SUMS does not match the artefacts: {checked}"
    );
    for suffix in [
        "-x86_64-linux.tar.gz",
        "_amd64.deb",
        ".x86_64.rpm",
        "-x86_64-windows.zip",
        ".cdx.json",
    ] {
        assert!(
            checked
                .lines()
                .any(|l| l.ends_with(&format!("{suffix}: OK"))),
            "SHA256SUMS does not cover the *{suffix}: {checked}"
        );
    }
}

/// The SBOM names what is linked into the binary (the resolver's crates at the version
/// without the advisories), and nothing that is only built or tested with.
#[test]
fn the_sbom_lists_what_is_linked_in() {
    let sbom: serde_json::Value =
        serde_json::from_slice(&std::fs::read(artefact(".cdx.json")).unwrap()).unwrap();
    assert_eq!(sbom["bomFormat"], "CycloneDX");
    let components: Vec<String> = sbom["components"]
        .as_array()
        .expect("components")
        .iter()
        .map(|c| {
            format!(
                "{}@{}",
                c["name"].as_str().unwrap(),
                c["version"].as_str().unwrap()
            )
        })
        .collect();
    for linked in [
        "hickory-proto@0.26",
        "reqwest@0.12",
        "rustls@0.23",
        "libdbus-sys@",
    ] {
        assert!(
            components.iter().any(|c| c.starts_with(linked)),
            "{linked} missing from the SBOM: {components:?}"
        );
    }
    for not_linked in [
        "tempfile@",
        "rcgen@",
        "trycmd@",
        "cc@",
        "hickory-proto@0.25",
    ] {
        assert!(
            !components.iter().any(|c| c.starts_with(not_linked)),
            "{not_linked} is not linked in, but the SBOM lists it"
        );
    }
    let text = serde_json::to_string(&sbom).unwrap();
    let checkout = artefacts::repo().display().to_string();
    assert!(!text.contains(&checkout), "the SBOM names this checkout");
}

#[test]
fn the_binary_is_a_hardened_static_pie_within_its_size() {
    let unpacked = unpack_tarball();
    let bin = unpacked.top.join("idm-auth");
    let bin_arg = bin.to_str().unwrap();
    let ldd = text(&run("ldd", &[bin_arg]));
    assert!(
        ldd.contains("statically linked") || ldd.contains("not a dynamic executable"),
        "ldd finds shared libraries in the release binary:\n{ldd}"
    );
    let size = std::fs::metadata(&bin).unwrap().len();
    assert!(
        size <= MAX_BYTES,
        "the release binary is {size} bytes, over its {MAX_BYTES}-byte limit"
    );

    let header = text(&run("readelf", &["-h", "-l", "-d", "-W", bin_arg]));
    assert!(
        header.contains("Type:                              DYN"),
        "not position-independent (ELF type DYN):\n{header}"
    );
    assert!(
        !header.contains("INTERP"),
        "it asks for a program interpreter"
    );
    assert!(header.contains("GNU_RELRO"), "no RELRO segment");
    assert!(
        header.contains("BIND_NOW") && header.contains("PIE"),
        "not fully RELRO (BIND_NOW) or not flagged PIE:\n{header}"
    );
    let stack = header
        .lines()
        .find(|l| l.trim_start().starts_with("GNU_STACK"))
        .expect("a GNU_STACK header");
    assert!(
        stack.split_whitespace().nth(6) == Some("RW"),
        "the stack is executable: {stack}"
    );

    // Debian's own check, with the two it cannot see in a stripped static Rust binary left
    // out (scripts/package says why).
    let check = run(
        "hardening-check",
        &["--nostackprotector", "--nocfprotection", bin_arg],
    );
    assert!(check.status.success(), "hardening-check:\n{}", text(&check));
    for line in [
        "Position Independent Executable: yes",
        "Read-only relocations: yes",
        "Immediate binding: yes",
        "Stack clash protection: yes",
    ] {
        assert!(text(&check).contains(line), "{line}:\n{}", text(&check));
    }
}

/// An empty directory with only what a static idm-auth reads: itself, /etc/hosts,
/// /etc/resolv.conf (a name server on 127.0.0.1, where none answers here), the trust store
/// (this machine's bundle, plus `extra_ca` when given) and a /tmp.
fn empty_root(bin: &Path, extra_ca: Option<&str>) -> tempfile::TempDir {
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
    let system = "/etc/ssl/certs/ca-certificates.crt";
    let mut bundle = std::fs::read_to_string(system).unwrap_or_else(|e| {
        panic!("{system}: {e} (package ca-certificates; scripts/test installs it)")
    });
    bundle.push_str(extra_ca.unwrap_or_default());
    std::fs::write(at("etc/ssl/certs/ca-certificates.crt"), bundle).unwrap();
    let tmp_mode = Command::new("chmod")
        .arg("1777")
        .arg(at("tmp"))
        .status()
        .unwrap();
    assert!(tmp_mode.success());
    root
}

/// `idm-auth ARGS` inside `root`, with an environment that holds nothing of this machine's:
/// no D-Bus address, no proxy, no display. chroot needs root: anyone else enters it in a
/// user namespace of their own, where they are root.
fn in_root(root: &Path, args: &[&str]) -> Command {
    // Absolute paths: the PATH given below is the root's, not where chroot is.
    let mut cmd = if is_root() {
        Command::new("/usr/sbin/chroot")
    } else {
        let mut unshare = Command::new("/usr/bin/unshare");
        unshare.args(["--user", "--map-root-user", "/usr/sbin/chroot"]);
        unshare
    };
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

/// `idm-auth authorize --no-browser` inside `root`, for UPS at `base_url`, its callback on
/// `callback_port`.
fn authorize_in_root(root: &Path, base_url: &str, callback_port: u16) -> Command {
    let callback = callback_port.to_string();
    in_root(
        root,
        &[
            "authorize",
            "--no-browser",
            "--base-url",
            base_url,
            "--client-id",
            "static-test",
            "--port",
            &callback,
            "--timeout",
            "30",
        ],
    )
}

#[test]
fn the_demo_runs_in_an_empty_root() {
    let unpacked = unpack_tarball();
    let root = empty_root(&unpacked.top.join("idm-auth"), None);
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
    let mut cmd = authorize_in_root(root, &base_url, callback_port);
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
    let unpacked = unpack_tarball();
    let root = empty_root(&unpacked.top.join("idm-auth"), None);

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

/// A TLS server for UPS_HOST on 127.0.0.1, its certificate from a CA of the test's own;
/// it completes the handshake and hands the request's head to the test.
struct TlsUps {
    server: TlsServer,
    heads: std::sync::mpsc::Receiver<String>,
}

impl TlsUps {
    fn start() -> TlsUps {
        let (send, heads) = std::sync::mpsc::channel();
        let server = TlsServer::start(UPS_HOST, "static_binary test CA", move |tls| {
            let _ = tls.sock.set_read_timeout(Some(Duration::from_secs(30)));
            let mut head = String::new();
            let mut reader = BufReader::new(&mut *tls);
            while reader.read_line(&mut head).is_ok_and(|n| n > 2) {}
            let _ = tls.write_all(
                b"HTTP/1.1 503 Service Unavailable\r\nContent-Length: 0\r\nConnection: close\r\n\r\n",
            );
            let _ = send.send(head);
        });
        TlsUps { server, heads }
    }
}

/// The first request of an authorize in the empty root (its check of the client, before
/// any browser): to `https://UPS_HOST:PORT`, found through /etc/hosts, trusted through the
/// root's CA bundle, which holds the server's CA. The server reads it decrypted.
#[test]
fn a_tls_handshake_completes_with_the_ca_from_the_roots_bundle() {
    let ups = TlsUps::start();
    let unpacked = unpack_tarball();
    let root = empty_root(&unpacked.top.join("idm-auth"), Some(&ups.server.ca_pem));
    let base_url = format!("https://{UPS_HOST}:{}", ups.server.port);
    let mut child = authorize_in_root(root.path(), &base_url, support::free_port())
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .expect("run idm-auth in the empty root");
    let head = ups.heads.recv_timeout(Duration::from_secs(30));
    let _ = child.kill();
    let out = child.wait_with_output().unwrap();
    let head = head.unwrap_or_else(|e| {
        panic!(
            "no request came through the TLS handshake ({e}); the binary said: {}",
            String::from_utf8_lossy(&out.stderr)
        )
    });
    assert!(
        head.starts_with("GET /security/v1/oauth/validate-client?client_id=static-test&"),
        "the client check, decrypted by the server: {head:?}"
    );
    assert!(
        head.to_ascii_lowercase()
            .contains(&format!("host: {UPS_HOST}:{}", ups.server.port)),
        "{head:?}"
    );
}
