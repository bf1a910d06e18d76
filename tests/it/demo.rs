//! `idm-auth demo`, the README's run command, on a headless machine.
use crate::support;
use std::io::{BufRead, BufReader, Write};
use std::time::Duration;
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

/// `idm-auth demo --no-browser` writing into a pipe whose reader goes away: the closed pipe
/// must end the demo through its clean-up, not around it. The pipe is full before the demo
/// starts, so the demo blocks on writing the grid with its opt-in made: the test sees the
/// tokens in the Secret Service then, closes the pipe, and sees them gone (and no private
/// directory left) afterwards.
#[test]
fn a_closed_stdout_still_clears_the_demo_opt_in() {
    let sandbox = Sandbox::new();
    let tmp = sandbox.path("tmp");
    std::fs::create_dir_all(&tmp).unwrap();
    let (reader, writer) = full_pipe();
    let mut child = sandbox
        .cmd(&["demo", "--no-browser"])
        .env("TMPDIR", &tmp)
        .stdout(writer)
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    let stderr = child.stderr.take().unwrap();
    let (lines, seen) = std::sync::mpsc::channel();
    let talk = std::thread::spawn(move || {
        let mut all = String::new();
        for line in BufReader::new(stderr).lines() {
            let Ok(line) = line else { break };
            let _ = lines.send(line.clone());
            all.push_str(&line);
            all.push('\n');
        }
        all
    });
    let id = loop {
        let line = seen
            .recv_timeout(Duration::from_secs(60))
            .expect("the demo says `Opted in: ID`");
        if let Some(rest) = line.split("Opted in: ").nth(1) {
            break rest.split_whitespace().next().unwrap().to_string();
        }
    };
    for kind in ["access-token", "refresh-token"] {
        assert!(
            secret_tool_lookup(&id, kind).is_some(),
            "the demo's {kind} is in the Secret Service while it writes the grid"
        );
    }
    drop(reader);
    let status = child.wait().unwrap();
    let stderr = talk.join().unwrap();
    assert_eq!(status.code(), Some(0), "{stderr}");
    for kind in ["access-token", "refresh-token"] {
        assert_eq!(
            secret_tool_lookup(&id, kind),
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

/// A pipe already filled to capacity: whoever writes to it next blocks until it is read or
/// its reader is closed.
fn full_pipe() -> (std::io::PipeReader, std::io::PipeWriter) {
    use std::os::fd::AsRawFd;
    let (reader, mut writer) = std::io::pipe().unwrap();
    let fd = writer.as_raw_fd();
    // SAFETY: fcntl on a descriptor we own.
    let flags = unsafe { libc::fcntl(fd, libc::F_GETFL) };
    assert!(flags >= 0);
    // SAFETY: as above.
    assert!(unsafe { libc::fcntl(fd, libc::F_SETFL, flags | libc::O_NONBLOCK) } == 0);
    let chunk = [b'.'; 4096];
    loop {
        match writer.write(&chunk) {
            Ok(_) => continue,
            Err(e) if e.kind() == std::io::ErrorKind::WouldBlock => break,
            Err(e) => panic!("fill the pipe: {e}"),
        }
    }
    // SAFETY: as above; the demo must block on the full pipe, not fail on it.
    assert!(unsafe { libc::fcntl(fd, libc::F_SETFL, flags) } == 0);
    (reader, writer)
}
