//! Opt-in from a machine without a browser (an SSH session): the address the browser ended
//! on is pasted on stdin while the listener waits; the same state check applies.
use crate::support;
use std::io::{BufRead, BufReader, Write};
use std::process::{Child, Stdio};
use std::sync::mpsc;
use std::time::Duration;
use support::*;

/// Start authorize with piped stdin/stderr; returns the child, the authorize URL it printed
/// and the rest of its stderr as it comes.
fn start(cmd: &mut std::process::Command) -> (Child, String, mpsc::Receiver<String>) {
    let mut child = cmd
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let (tx, rx) = mpsc::channel();
    let stderr = child.stderr.take().unwrap();
    std::thread::spawn(move || {
        for line in BufReader::new(stderr).lines().map_while(Result::ok) {
            if tx.send(line).is_err() {
                return;
            }
        }
    });
    let url = loop {
        let line = rx
            .recv_timeout(Duration::from_secs(20))
            .expect("authorize prints its URL");
        if let Some(at) = line.find("http://") {
            if line.contains("/security/v1/oauth/authorize?") {
                break line[at..].trim().to_string();
            }
        }
    };
    (child, url, rx)
}

fn wait_for(rx: &mpsc::Receiver<String>, needle: &str) -> String {
    loop {
        let line = rx
            .recv_timeout(Duration::from_secs(20))
            .unwrap_or_else(|_| panic!("stderr never said {needle:?}"));
        if line.contains(needle) {
            return line;
        }
    }
}

#[test]
fn no_browser_takes_the_pasted_address_and_refuses_wrong_ones() {
    let sandbox = Sandbox::new();
    let sim = Sim::start(&[]);
    let port = free_port();
    let (mut child, url, stderr) = start(sandbox.authorize(&sim, port, 30).arg("--no-browser"));
    wait_for(&stderr, "paste that address here");
    let callback = consent_at_simulator(&url, "approve");
    assert!(
        callback.contains("code=")
            && callback.starts_with(&format!("http://127.0.0.1:{port}/callback?"))
    );

    let mut stdin = child.stdin.take().unwrap();
    writeln!(stdin, "not an address").unwrap();
    wait_for(&stderr, "not an address");
    let forged = callback.replace("state=", "state=forged");
    writeln!(stdin, "{forged}").unwrap();
    wait_for(&stderr, "was not accepted");
    assert_eq!(
        sim.stats()["token_requests"],
        0,
        "a forged paste never reaches UPS"
    );
    writeln!(stdin, "  {callback}  ").unwrap();

    let run = Run::from(child.wait_with_output().unwrap());
    assert_eq!(run.code, ExitCode::Success, "{run:?}");
    assert_eq!(run.stdout.trim().len(), 8);
    assert_eq!(sandbox.list_json().len(), 1);
}

#[test]
fn a_pasted_denial_ends_the_flow_as_denied() {
    let sandbox = Sandbox::new();
    let sim = Sim::start(&[]);
    let port = free_port();
    let (mut child, url, _stderr) = start(sandbox.authorize(&sim, port, 30).arg("--no-browser"));
    let callback = consent_at_simulator(&url, "deny");
    writeln!(child.stdin.take().unwrap(), "{callback}").unwrap();
    let run = Run::from(child.wait_with_output().unwrap());
    assert_eq!(run.code, ExitCode::Denied, "{run:?}");
    assert!(sandbox.list_json().is_empty());
}

#[test]
fn when_no_browser_can_open_it_says_so_and_takes_the_pasted_address() {
    let sandbox = Sandbox::new();
    let sim = Sim::start(&[]);
    let port = free_port();
    // No BROWSER and no display: nothing can open.
    let (mut child, url, stderr) = start(&mut sandbox.authorize(&sim, port, 30));
    wait_for(&stderr, "Could not open a browser");
    wait_for(&stderr, "paste that address here");
    let callback = consent_at_simulator(&url, "approve");
    writeln!(child.stdin.take().unwrap(), "{callback}").unwrap();
    let run = Run::from(child.wait_with_output().unwrap());
    assert_eq!(run.code, ExitCode::Success, "{run:?}");
}

#[test]
fn the_listener_still_works_while_paste_mode_waits() {
    let sandbox = Sandbox::new();
    let sim = Sim::start(&[]);
    let port = free_port();
    // The port is forwarded over SSH, so the browser's redirect reaches the listener itself.
    let (mut child, url, _stderr) = start(sandbox.authorize(&sim, port, 30).arg("--no-browser"));
    let callback = consent_at_simulator(&url, "approve");
    let target = callback
        .split_once(&format!("127.0.0.1:{port}"))
        .unwrap()
        .1
        .to_string();
    let (status, body) = http(port, "GET", &target, &[], "");
    assert_eq!(status, 200);
    assert!(body.contains("You can close this tab"));
    drop(child.stdin.take());
    let run = Run::from(child.wait_with_output().unwrap());
    assert_eq!(run.code, ExitCode::Success, "{run:?}");
}
