//! `idm-auth demo`, the README's run command, on a headless machine.
#![cfg(target_os = "linux")]

mod support;
use support::*;

#[test]
fn the_demo_opts_in_against_the_simulator_and_prints_the_grid_headless() {
    let sandbox = Sandbox::new();
    let run = sandbox.run(&["demo"]);
    assert_eq!(run.code, ExitCode::Success, "{run:?}");
    assert!(
        run.stderr.contains("automatically"),
        "says it approved by itself: {run:?}"
    );
    let lines: Vec<&str> = run.stdout.lines().collect();
    assert!(
        lines[0].starts_with("ID") && lines[0].contains("STATUS"),
        "{run:?}"
    );
    assert!(
        lines[1].contains("demo user")
            && lines[1].contains("simulator")
            && lines[1].contains("active"),
        "{run:?}"
    );
    // It ends with one tracking call through `idm-auth api`, and says what came back.
    assert!(
        run.stderr
            .contains("answered 200 OK: package 1Z12345E0205271688 is Delivered."),
        "{run:?}"
    );
    // The demo leaves the admin's own index alone.
    assert!(!sandbox.index_path().exists());
}

/// `idm-auth demo --no-browser | head -c0`: the reader is gone before the grid is written.
/// The closed pipe must end the demo through its clean-up, not around it: no keyring item
/// and no private directory may stay behind.
#[test]
fn a_closed_stdout_still_clears_the_demo_opt_in() {
    let sandbox = Sandbox::new();
    let tmp = sandbox.path("tmp");
    std::fs::create_dir_all(&tmp).unwrap();
    let mut child = sandbox
        .cmd(&["demo", "--no-browser"])
        .env("TMPDIR", &tmp)
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    drop(child.stdout.take());
    let out = child.wait_with_output().unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(0), "{stderr}");
    let id = stderr
        .split("Opted in: ")
        .nth(1)
        .and_then(|rest| rest.split_whitespace().next())
        .unwrap_or_else(|| panic!("the demo made an opt-in: {stderr}"));
    for kind in ["access-token", "refresh-token"] {
        assert_eq!(
            secret_tool_lookup(id, kind),
            None,
            "the {kind} of the demo's opt-in {id} stayed in the keyring: {stderr}"
        );
    }
    let left: Vec<_> = std::fs::read_dir(&tmp)
        .unwrap()
        .flatten()
        .map(|e| e.file_name())
        .collect();
    assert!(left.is_empty(), "left in TMPDIR: {left:?}; {stderr}");
}
