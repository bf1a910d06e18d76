//! `idm-auth list` (grid and JSON) and `idm-auth clear`.
use crate::support;
use support::*;

#[test]
fn an_empty_machine_says_so_and_exits_0() {
    let sandbox = Sandbox::new();
    let run = sandbox.run(&["list"]);
    assert_eq!(run.code, ExitCode::Success, "{run:?}");
    // Said on stderr (talk, which --quiet silences); stdout, the result, stays empty.
    assert!(run.stderr.contains("No opt-ins"), "{run:?}");
    assert!(run.stdout.is_empty(), "{run:?}");
    let run = sandbox.run(&["list", "--json"]);
    assert_eq!(run.stdout.trim(), "[]");
}

#[test]
fn the_grid_and_the_json_show_newest_first_with_times_and_no_secrets() {
    let sandbox = Sandbox::new();
    // An app with a client secret: its opt-ins refresh, so the grid shows the days left.
    let sim = Sim::confidential(&[]);
    let first = opt_in(&sandbox, &sim, "first user");
    let second = opt_in(&sandbox, &sim, "second user");

    // The grid's columns and the JSON's layout, for every status, are in the snapshots
    // (tests/snapshots/list*.trycmd); here, what a real sign-in records, newest first.
    let run = sandbox.run(&["list"]);
    assert_eq!(run.code, ExitCode::Success, "{run:?}");
    let lines: Vec<&str> = run.stdout.lines().collect();
    assert!(lines[0].starts_with("ID"), "{run:?}");
    assert!(
        lines[1].starts_with(&second) && lines[1].contains("second user"),
        "{run:?}"
    );
    assert!(lines[2].starts_with(&first), "{run:?}");
    assert!(
        lines[1].contains("active") && lines[1].contains("d left"),
        "{run:?}"
    );

    let rows = sandbox.list_json();
    assert_eq!(rows[0]["id"], second.as_str());
    assert_eq!(rows[1]["id"], first.as_str());
    for key in [
        "id",
        "label",
        "environment",
        "client_id",
        "created_at",
        "expires_at",
        "refresh_expires_at",
        "status",
    ] {
        assert!(!rows[0][key].is_null(), "missing {key}: {}", rows[0]);
    }
    for key in ["created_at", "expires_at", "refresh_expires_at"] {
        let text = rows[0][key].as_str().unwrap();
        assert!(text.ends_with('Z'), "{key} in UTC: {text}");
        chrono::DateTime::parse_from_rfc3339(text).expect("RFC 3339");
    }
    for id in [&first, &second] {
        for kind in ["access-token", "refresh-token"] {
            let secret = secret_tool_lookup(id, kind).unwrap();
            assert!(!sandbox.run(&["list", "--json"]).stdout.contains(&secret));
            assert!(!run.stdout.contains(&secret));
        }
    }
}

#[test]
fn list_needs_no_keyring() {
    let sandbox = Sandbox::new();
    let sim = Sim::start(&[]);
    opt_in(&sandbox, &sim, "a");
    let run = sandbox
        .cmd(&["list", "--json"])
        .env("DBUS_SESSION_BUS_ADDRESS", "unix:path=/nonexistent")
        .exec();
    assert_eq!(run.code, ExitCode::Success, "{run:?}");
    assert!(run.stdout.contains("secret-service"));
}

#[test]
fn clear_removes_the_secrets_and_the_row_and_is_idempotent() {
    let sandbox = Sandbox::new();
    let sim = Sim::start(&[]);
    let keep = opt_in(&sandbox, &sim, "keep");
    let gone = opt_in(&sandbox, &sim, "gone");
    assert!(secret_tool_lookup(&gone, "refresh-token").is_some());

    let run = sandbox.run(&["clear", &gone]);
    assert_eq!(run.code, ExitCode::Success, "{run:?}");
    assert!(run.stderr.contains("no revocation endpoint"), "{run:?}");
    assert!(secret_tool_lookup(&gone, "access-token").is_none());
    assert!(secret_tool_lookup(&gone, "refresh-token").is_none());
    assert!(secret_tool_lookup(&keep, "access-token").is_some());
    let rows = sandbox.list_json();
    assert_eq!(rows.len(), 1);
    assert_eq!(rows[0]["id"], keep.as_str());
    assert_eq!(sandbox.run(&["token", &gone]).code, ExitCode::NotFound);

    let again = sandbox.run(&["clear", &gone]);
    assert_eq!(again.code, ExitCode::Success, "{again:?}");

    let all = sandbox.run(&["clear", "--all", "--yes"]);
    assert_eq!(all.code, ExitCode::Success, "{all:?}");
    assert!(sandbox.list_json().is_empty());
    assert!(secret_tool_lookup(&keep, "access-token").is_none());
}

#[test]
fn clear_needs_ids_or_all() {
    let sandbox = Sandbox::new();
    assert_eq!(sandbox.run(&["clear"]).code, ExitCode::Usage);
}

/// `clear` on a terminal asks first; "n" keeps everything. Run under script(1) for a real TTY.
#[test]
fn clear_on_a_terminal_asks_and_a_no_keeps_everything() {
    use std::io::Write;
    let sandbox = Sandbox::new();
    let sim = Sim::start(&[]);
    let id = opt_in(&sandbox, &sim, "keep me");
    let ask = |answer: &str| {
        let mut child = on_a_terminal(&sandbox.cmd(&[]), &format!("{BIN} clear {id}"))
            .stdin(std::process::Stdio::piped())
            .stdout(std::process::Stdio::piped())
            .stderr(std::process::Stdio::piped())
            .spawn()
            .expect("script(1) from util-linux");
        child
            .stdin
            .take()
            .unwrap()
            .write_all(answer.as_bytes())
            .unwrap();
        Run::from(child.wait_with_output().unwrap())
    };
    let run = ask("n\n");
    assert_eq!(run.code, ExitCode::Cancelled, "{run:?}");
    assert!(
        run.stdout.contains("[y/N]"),
        "the prompt shows on the terminal: {run:?}"
    );
    assert_eq!(sandbox.list_json().len(), 1);
    assert!(secret_tool_lookup(&id, "access-token").is_some());

    let run = ask("y\n");
    assert_eq!(run.code, ExitCode::Success, "{run:?}");
    assert!(sandbox.list_json().is_empty());
}
