//! `idm-auth token`: the access token for scripts, refreshed when needed, serialized across
//! processes, and an honest exit when the opt-in has died.
use crate::support;
use support::*;

#[test]
fn prints_the_stored_token_and_nothing_else_without_calling_ups() {
    let sandbox = Sandbox::new();
    let sim = Sim::start(&[]);
    let id = opt_in(&sandbox, &sim, "a");
    let run = sandbox.run(&["token"]);
    assert_eq!(run.code, ExitCode::Success, "{run:?}");
    let stored = secret_tool_lookup(&id, "access-token").unwrap();
    assert_eq!(run.stdout, format!("{stored}\n"));
    assert_eq!(sim.stats()["refresh_requests"], 0);
    // By id, and by a unique prefix of it.
    assert_eq!(sandbox.run(&["token", &id]).stdout, run.stdout);
    assert_eq!(sandbox.run(&["token", &id[..4]]).stdout, run.stdout);
}

#[test]
fn without_an_id_the_newest_usable_opt_in_is_used() {
    let sandbox = Sandbox::new();
    let sim = Sim::start(&[]);
    let _older = opt_in(&sandbox, &sim, "older");
    let newer = opt_in(&sandbox, &sim, "newer");
    let run = sandbox.run(&["token"]);
    assert_eq!(
        run.stdout.trim(),
        secret_tool_lookup(&newer, "access-token").unwrap()
    );
}

#[test]
fn an_expiring_token_is_refreshed_and_the_rotated_pair_is_stored() {
    let sandbox = Sandbox::new();
    let sim = Sim::confidential(&["--access-ttl", "30"]);
    let id = opt_in(&sandbox, &sim, "a");
    let old_access = secret_tool_lookup(&id, "access-token").unwrap();
    let old_refresh = secret_tool_lookup(&id, "refresh-token").unwrap();
    sim.settings(r#"{"access_ttl": 3600}"#);

    let run = sandbox.run(&["token", &id]);
    assert_eq!(run.code, ExitCode::Success, "{run:?}");
    let new_access = run.stdout.trim();
    assert_ne!(
        new_access, old_access,
        "less than a minute left means refresh"
    );
    assert_eq!(secret_tool_lookup(&id, "access-token").unwrap(), new_access);
    assert_ne!(
        secret_tool_lookup(&id, "refresh-token").unwrap(),
        old_refresh,
        "rotated"
    );
    assert_eq!(sim.stats()["refreshes_issued"], 1);

    let row = &sandbox.list_json()[0];
    assert_eq!(row["status"], "active");
    assert_eq!(row["refresh_count"], 1);
    assert!(row["refreshed_at"].is_string());

    // Now valid for an hour: no second refresh.
    assert_eq!(sandbox.run(&["token", &id]).stdout.trim(), new_access);
    assert_eq!(sim.stats()["refresh_requests"], 1);
}

#[test]
fn a_refreshing_token_json_reports_the_new_expiry() {
    let sandbox = Sandbox::new();
    let sim = Sim::confidential(&["--access-ttl", "30"]);
    let id = opt_in(&sandbox, &sim, "a");
    sim.settings(r#"{"access_ttl": 3600}"#);

    let run = sandbox.run(&["token", &id, "--json"]);
    assert_eq!(run.code, ExitCode::Success, "{run:?}");
    assert_eq!(sim.stats()["refreshes_issued"], 1, "it refreshed");
    let answer: serde_json::Value = serde_json::from_str(&run.stdout).unwrap();
    assert!(
        answer["expires_in"].as_i64().unwrap() > 3000,
        "the expiry of the token it printed, not of the one it replaced: {answer}"
    );
    assert_eq!(answer["expires_at"], sandbox.list_json()[0]["expires_at"]);
    assert!(sim.is_active(answer["access_token"].as_str().unwrap()));
}

#[test]
fn eight_parallel_calls_at_expiry_cause_one_refresh_and_print_the_same_token() {
    let sandbox = Sandbox::new();
    let sim = Sim::confidential(&["--access-ttl", "0"]);
    let id = opt_in(&sandbox, &sim, "a");
    sim.settings(r#"{"access_ttl": 3600}"#);
    let children: Vec<_> = (0..8)
        .map(|_| {
            sandbox
                .cmd(&["token", &id])
                .stdout(std::process::Stdio::piped())
                .stderr(std::process::Stdio::piped())
                .spawn()
                .unwrap()
        })
        .collect();
    let outputs: Vec<Run> = children
        .into_iter()
        .map(|c| Run::from(c.wait_with_output().unwrap()))
        .collect();
    for run in &outputs {
        assert_eq!(run.code, ExitCode::Success, "{run:?}");
        assert_eq!(run.stdout, outputs[0].stdout);
    }
    assert_eq!(sim.stats()["refresh_requests"], 1);
    assert_eq!(
        outputs[0].stdout.trim(),
        secret_tool_lookup(&id, "access-token").unwrap()
    );
}

#[test]
fn a_refused_refresh_marks_the_opt_in_invalid_and_asks_for_a_new_authorize() {
    let sandbox = Sandbox::new();
    let sim = Sim::confidential(&["--access-ttl", "0"]);
    let id = opt_in(&sandbox, &sim, "a");
    // The UPS.com user changed their password: every earlier opt-in is dead.
    let (status, _) = sim.request("POST", "/_simulator/password-change", "");
    assert_eq!(status, 204);

    let run = sandbox.run(&["token", &id]);
    assert_eq!(run.code, ExitCode::Invalid, "{run:?}");
    assert!(run.stderr.contains("idm-auth authorize"), "{run:?}");
    assert!(run.stdout.is_empty());
    let row = &sandbox.list_json()[0];
    assert_eq!(row["status"], "invalid");

    // Invalid stays invalid without asking UPS again.
    let before = sim.stats()["refresh_requests"].clone();
    assert_eq!(sandbox.run(&["token", &id]).code, ExitCode::Invalid);
    assert_eq!(sim.stats()["refresh_requests"], before);
    // And a bare `token` finds nothing usable.
    assert_eq!(sandbox.run(&["token"]).code, ExitCode::Invalid);
}

#[test]
fn an_expired_refresh_token_needs_a_new_authorize_without_calling_ups() {
    let sandbox = Sandbox::new();
    let sim = Sim::start(&["--access-ttl", "0", "--refresh-ttl", "0"]);
    let id = opt_in(&sandbox, &sim, "a");
    assert_eq!(sandbox.list_json()[0]["status"], "refresh_expired");
    let run = sandbox.run(&["token", &id]);
    assert_eq!(run.code, ExitCode::Invalid, "{run:?}");
    assert!(run.stderr.contains("refresh token expired"), "{run:?}");
    assert_eq!(sim.stats()["refresh_requests"], 0);
}

#[test]
fn a_gateway_error_on_refresh_is_not_an_invalid_opt_in() {
    let sandbox = Sandbox::new();
    let sim = Sim::confidential(&["--access-ttl", "0"]);
    let id = opt_in(&sandbox, &sim, "a");
    sim.fault(r#"{"endpoint":"refresh","status":503,"content_type":"text/html","body":"<h1>down</h1>","times":1}"#);
    let run = sandbox.run(&["token", &id]);
    assert_eq!(run.code, ExitCode::Ups, "{run:?}");
    assert!(run.stderr.contains("HTTP 503"), "{run:?}");
    assert_eq!(sandbox.list_json()[0]["status"], "access_expired");
}

#[test]
fn unknown_ids_and_an_empty_machine_have_their_own_exit_code() {
    let sandbox = Sandbox::new();
    let run = sandbox.run(&["token"]);
    assert_eq!(run.code, ExitCode::NotFound, "{run:?}");
    assert!(run.stderr.contains("authorize"), "{run:?}");
    assert_eq!(sandbox.run(&["token", "deadbeef"]).code, ExitCode::NotFound);
}
