//! The exit-code table of docs/reference.md (and the man page's EXIT STATUS), walked: every
//! code in it is produced here by the situation the table names, on the real binary, and
//! each failure speaks with one voice: a line `error: ...` (`warning: ...` for check's 14),
//! never a second prefix.
use crate::support;
use chrono::Duration;
use std::io::Write;
use std::process::Stdio;
use support::fixture::Row;
use support::*;

/// The codes of the reference's table.
fn documented_codes() -> Vec<i32> {
    let reference = std::fs::read_to_string(repo_path("docs/reference.md")).unwrap();
    let table = reference.split("## Exit codes").nth(1).unwrap();
    table
        .lines()
        .skip_while(|l| !l.starts_with("| code"))
        .skip(2)
        .take_while(|l| l.starts_with('|'))
        .flat_map(|row| {
            let codes = row.split('|').nth(1).unwrap().to_string();
            codes
                .split(',')
                .map(|n| n.trim().parse::<i32>().unwrap())
                .collect::<Vec<_>>()
        })
        .collect()
}

/// A sandbox whose index holds `rows`.
fn with_rows(rows: &[Row]) -> Sandbox {
    let sandbox = Sandbox::new();
    sandbox.write_index(rows);
    sandbox
}

/// Produce `code` the way the table says it comes about.
fn produce(code: i32, opted_in: &(Sandbox, Sim, String)) -> Run {
    let (real, sim, id) = opted_in;
    match code {
        0 => with_rows(&[Row::new("3f9c2a1b")]).run(&["list"]),
        2 => Sandbox::new().run(&["lsit"]),
        3 => Sandbox::new().run(&["authorize", "--no-browser"]),
        4 => {
            let sandbox = Sandbox::new();
            let sim = Sim::start(&[]);
            let mut cmd = sandbox.authorize(&sim, free_port(), 30);
            cmd.env("BROWSER", sandbox.browser("deny", "browser.json"));
            Run::from(cmd.output().unwrap())
        }
        5 => {
            let sandbox = Sandbox::new();
            let sim = Sim::start(&[]);
            Run::from(
                sandbox
                    .authorize(&sim, free_port(), 1)
                    .arg("--no-browser")
                    .output()
                    .unwrap(),
            )
        }
        6 => {
            let sandbox = Sandbox::new();
            let sim = Sim::start(&[]);
            let port = free_port().to_string();
            sandbox.run(&[
                "authorize",
                "--base-url",
                &sim.base_url,
                "--client-id",
                "an-app-unknown-to-ups",
                "--port",
                &port,
                "--no-browser",
            ])
        }
        7 => {
            real.send_next_refresh_to(&format!("http://127.0.0.1:{}", free_port()));
            real.run(&["token", id])
        }
        8 => {
            with_rows(&[Row::new("c0ffee00").invalid("UPS refused to refresh it")]).run(&["status"])
        }
        9 => Run::from(
            Sandbox::new()
                .cmd(&["--store", "vault", "list"])
                .env("VAULT_ADDR", format!("http://127.0.0.1:{}", free_port()))
                .env("VAULT_TOKEN", "t")
                .output()
                .unwrap(),
        ),
        10 => {
            let sandbox = Sandbox::new();
            sandbox.write_index(&[]);
            std::fs::write(sandbox.index_path(), "{ not json").unwrap();
            sandbox.run(&["list"])
        }
        11 => {
            let taken = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
            let port = taken.local_addr().unwrap().port();
            Run::from(Sandbox::new().authorize(sim, port, 5).output().unwrap())
        }
        12 => Sandbox::new().run(&["token", "zz"]),
        13 => {
            let sandbox = with_rows(&[Row::new("3f9c2a1b")]);
            let mut on_tty = on_a_terminal(&sandbox.cmd(&[]), &format!("{BIN} clear 3f9c2a1b"));
            let mut child = on_tty
                .env("NO_COLOR", "1")
                .stdin(Stdio::piped())
                .stdout(Stdio::piped())
                .stderr(Stdio::piped())
                .spawn()
                .unwrap();
            child.stdin.take().unwrap().write_all(b"n\n").unwrap();
            let run = Run::from(child.wait_with_output().unwrap());
            // On a terminal stdout and stderr are one stream.
            Run {
                stderr: run.stdout.clone(),
                ..run
            }
        }
        14 => with_rows(&[Row::new("0badc0de").refresh_expires(Duration::days(3))]).run(&["check"]),
        15 => real.run(&["api", id, "/track/v1/details/1Z0000000000000000"]),
        126 => {
            let script = real.path("home/not-executable.sh");
            std::fs::write(&script, "echo hi\n").unwrap();
            real.run(&["exec", id, "--", &script.display().to_string()])
        }
        127 => real.run(&["exec", id, "--", "no-such-command-anywhere"]),
        other => panic!("no situation for exit code {other}: add one to this test"),
    }
}

#[test]
fn every_documented_exit_code_comes_from_the_situation_the_table_names() {
    let sim = Sim::confidential(&[]);
    let real = Sandbox::new();
    let id = opt_in(&real, &sim, "for exec and the unreachable refresh");
    let opted_in = (real, sim, id);
    let codes = documented_codes();
    // 1 is a bug by definition: there is no situation to provoke it with.
    let walked: Vec<i32> = codes.iter().copied().filter(|c| *c != 1).collect();
    assert!(walked.len() >= 16, "{codes:?}");
    // 7 last: it points the opt-in at a closed port.
    let mut order = walked.clone();
    order.sort_by_key(|c| *c == 7);
    for code in order {
        let run = produce(code, &opted_in);
        assert_eq!(run.code.0, Some(code), "exit {code} expected: {run:?}");
        let said: Vec<&str> = run
            .stderr
            .lines()
            .filter(|l| l.starts_with("error: ") || l.starts_with("warning: "))
            .collect();
        match code {
            0 => assert!(said.is_empty(), "{run:?}"),
            14 => assert!(
                said == ["warning: 1 of 1 opt-ins end within 7 days"],
                "{run:?}"
            ),
            13 => assert!(run.stderr.contains("error: cancelled"), "{run:?}"),
            _ => assert_eq!(said.len(), 1, "exit {code}: one `error:` line: {run:?}"),
        }
        assert!(
            !run.stderr.contains("idm-auth: error"),
            "one prefix only: {run:?}"
        );
    }
}

/// `clear` of an id that is not here is a success (clearing is idempotent), as the table,
/// `clear --help` and the reference say.
#[test]
fn clearing_an_unknown_id_is_idempotent() {
    let run = Sandbox::new().run(&["clear", "zz", "--yes"]);
    assert_eq!(run.code, ExitCode::Success, "{run:?}");
    assert!(run.stderr.contains("No opt-in `zz` here"), "{run:?}");
}

/// `--quiet` is honoured by every command that talks: an empty `list` prints nothing at all
/// (its note is talk, on stderr; before, it went to stdout whatever --quiet said).
#[test]
fn quiet_silences_an_empty_list_and_a_healthy_check() {
    let sandbox = Sandbox::new();
    let run = sandbox.run(&["list", "--quiet"]);
    assert_eq!(run.code, ExitCode::Success, "{run:?}");
    assert_eq!((run.stdout.as_str(), run.stderr.as_str()), ("", ""));
    let talk = sandbox.run(&["list"]);
    assert!(
        talk.stdout.is_empty() && talk.stderr.contains("No opt-ins"),
        "{talk:?}"
    );
    let healthy = with_rows(&[Row::new("3f9c2a1b")]);
    let run = healthy.run(&["check", "-q"]);
    assert_eq!(run.code, ExitCode::Success, "{run:?}");
    assert_eq!((run.stdout.as_str(), run.stderr.as_str()), ("", ""));
}
