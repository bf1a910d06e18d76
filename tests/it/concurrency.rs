//! Parallel `authorize`, `token`, `clear` and `list` from several processes at once: no
//! row is lost, no rotation is lost (the refresh token kept is the one UPS honours), and
//! `list` never sees half an index.
use crate::support;
use std::collections::BTreeSet;
use std::process::{Child, Command, Stdio};
use support::*;

fn spawn(mut cmd: Command) -> Child {
    cmd.stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap()
}

/// Wait for every child; each must succeed. Their stdouts, trimmed.
fn succeed(children: Vec<Child>) -> Vec<String> {
    children
        .into_iter()
        .map(|c| {
            let run = Run::from(c.wait_with_output().unwrap());
            assert_eq!(run.code, ExitCode::Success, "{run:?}");
            run.stdout.trim().to_string()
        })
        .collect()
}

#[test]
fn parallel_authorize_token_clear_and_list_lose_no_rows_and_no_rotations() {
    let sandbox = Sandbox::new();
    // Every access token expires at once, so every `token` call rotates the pair.
    let sim = Sim::confidential(&["--access-ttl", "0"]);
    let rotating = opt_in(&sandbox, &sim, "rotating");
    let doomed = [
        opt_in(&sandbox, &sim, "doomed 1"),
        opt_in(&sandbox, &sim, "doomed 2"),
    ];
    // They are there before the clears, so "gone" below is the clears' doing.
    for id in &doomed {
        assert!(secret_tool_lookup(id, "refresh-token").is_some());
    }

    let authorizes: Vec<Child> = (0..4)
        .map(|i| {
            let port = free_port();
            let mut cmd = sandbox.authorize(&sim, port, 60);
            cmd.env("BROWSER", sandbox.browser("approve", &format!("b{i}.json")));
            spawn(cmd)
        })
        .collect();
    let tokens: Vec<Child> = (0..6)
        .map(|_| spawn(sandbox.cmd(&["token", &rotating])))
        .collect();
    let clears: Vec<Child> = doomed
        .iter()
        .map(|id| spawn(sandbox.cmd(&["clear", id, "--yes"])))
        .collect();
    let lists: Vec<Child> = (0..8)
        .map(|_| spawn(sandbox.cmd(&["list", "--json"])))
        .collect();

    let created = succeed(authorizes);
    let printed = succeed(tokens);
    succeed(clears);
    for listed in succeed(lists) {
        serde_json::from_str::<Vec<serde_json::Value>>(&listed).expect("a whole index");
    }

    // No lost rows: the new ones and the rotating one, none of the cleared.
    let rows = sandbox.list_json();
    let ids: BTreeSet<&str> = rows.iter().map(|r| r["id"].as_str().unwrap()).collect();
    let expected: BTreeSet<&str> = created
        .iter()
        .map(String::as_str)
        .chain([rotating.as_str()])
        .collect();
    assert_eq!(ids, expected);
    for id in &doomed {
        assert!(secret_tool_lookup(id, "access-token").is_none());
        assert!(secret_tool_lookup(id, "refresh-token").is_none());
    }
    for id in &created {
        assert!(secret_tool_lookup(id, "refresh-token").is_some());
    }

    // No lost rotations: six refreshes one after the other, each printed its own token,
    // and the refresh token kept is the one UPS honours now.
    assert_eq!(sim.stats()["refreshes_issued"], 6);
    assert_eq!(printed.iter().collect::<BTreeSet<_>>().len(), 6);
    let row = rows.iter().find(|r| r["id"] == rotating.as_str()).unwrap();
    assert_eq!(row["refresh_count"], 6);
    let kept = secret_tool_lookup(&rotating, "refresh-token").unwrap();
    assert!(sim.is_active(&kept), "the stored refresh token is spent");
    assert!(printed.contains(&secret_tool_lookup(&rotating, "access-token").unwrap()));
}
