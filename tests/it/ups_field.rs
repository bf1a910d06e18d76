//! UPS as developers meet it in the field (the NOTES' last section), against the simulator:
//! the client check before any browser opens, public clients and refresh, answers that are
//! not "approved", and the messages for the errors people actually hit.
use crate::support;
use support::private_keyring::PrivateKeyring;
use support::ups_link::{Fault, UpsLink};
use support::*;

const VALIDATE: &str = "/security/v1/oauth/validate-client";

/// `authorize` against `sim` approved by the scripted browser, whose log (written only if
/// the browser was started) is `log`.
fn authorize(sandbox: &Sandbox, sim: &Sim, port: u16, log: &str) -> std::process::Command {
    let mut cmd = sandbox.authorize(sim, port, 30);
    cmd.env("BROWSER", sandbox.browser("approve", log))
        .env("IDM_AUTH_HTTP_TIMEOUT", "2");
    cmd
}

fn settings(sim: &Sim, json: serde_json::Value) {
    sim.settings(&json.to_string());
}

fn count(haystack: &str, needle: &str) -> usize {
    haystack.matches(needle).count()
}

#[test]
fn an_unknown_client_is_refused_before_any_browser_opens_with_the_portal_hint() {
    let sandbox = Sandbox::new();
    let sim = Sim::start(&[]);
    let port = free_port();
    let run = sandbox
        .cmd(&[
            "authorize",
            "--base-url",
            &sim.base_url,
            "--client-id",
            "not-registered",
        ])
        .args(["--port", &port.to_string(), "--timeout", "30"])
        .env("BROWSER", sandbox.browser("approve", "b.json"))
        .exec();
    assert_eq!(run.code, ExitCode::Ups, "{run:?}");
    let redirect = format!("http://127.0.0.1:{port}/callback");
    for words in [
        "ClientId is Invalid (UPS code 10401)",
        "not-registered",
        "developer portal",
        "CIE and production are separate",
        &redirect,
    ] {
        assert!(run.stderr.contains(words), "{words}: {run:?}");
    }
    assert!(
        !run.stderr.contains("/security/v1/oauth/authorize?"),
        "{run:?}"
    );
    let stats = sim.stats();
    assert_eq!(stats["validate_client"], 1);
    assert_eq!(stats["authorize"], 0, "no browser went to UPS");
    assert!(!sandbox.path("b.json").exists(), "no browser was started");
    assert!(sandbox.list_json().is_empty());
}

#[test]
fn an_unregistered_redirect_uri_is_refused_naming_the_exact_uri_sent() {
    let sandbox = Sandbox::new();
    let sim = Sim::start(&[]);
    settings(
        &sim,
        serde_json::json!({"redirect_uris": ["http://localhost:5001"]}),
    );
    let port = free_port();
    let run = authorize(&sandbox, &sim, port, "b.json").exec();
    assert_eq!(run.code, ExitCode::Ups, "{run:?}");
    assert!(
        run.stderr.contains("Invalid Redirect URL (UPS code 10400)"),
        "{run:?}"
    );
    assert!(
        run.stderr.contains(&format!(
            "exactly http://127.0.0.1:{port}/callback: register exactly that"
        )),
        "{run:?}"
    );
    assert_eq!(sim.stats()["authorize"], 0);
    assert!(!sandbox.path("b.json").exists());

    // Registered: the same command goes through.
    let registered = format!("http://127.0.0.1:{port}/callback");
    settings(&sim, serde_json::json!({"redirect_uris": [registered]}));
    let run = authorize(&sandbox, &sim, port, "b2.json").exec();
    assert_eq!(run.code, ExitCode::Success, "{run:?}");
}

#[test]
fn a_client_check_that_cannot_be_used_does_not_block_the_sign_in() {
    let sandbox = Sandbox::new();
    let sim = Sim::start(&[]);
    let link = UpsLink::start(sim.port());
    let faults = [
        r#"{"endpoint":"validate-client","status":404,"content_type":"text/html","body":"<h1>no such page</h1>"}"#,
        r#"{"endpoint":"validate-client","status":503,"content_type":"application/json","body":"{\"response\":{\"errors\":[{\"code\":\"10503\",\"message\":\"down\"}]}}"}"#,
        r#"{"endpoint":"validate-client","status":200,"content_type":"application/json","body":"{\"surprise\":true}"}"#,
    ];
    for (i, fault) in faults.iter().enumerate() {
        sim.fault(fault);
        let port = free_port();
        let run = authorize(&sandbox, &sim, port, &format!("b{i}.json")).exec();
        assert_eq!(run.code, ExitCode::Success, "{fault}: {run:?}");
        assert!(
            run.stderr.contains("client check could not be used"),
            "{run:?}"
        );
    }
    // No answer at all (the link swallows the request): still a sign-in.
    link.fault(VALIDATE, Fault::Silence);
    let port = free_port();
    let run = sandbox
        .authorize_at(&link.base_url(), port, 30)
        .env("BROWSER", sandbox.browser("approve", "silent.json"))
        .env("IDM_AUTH_HTTP_TIMEOUT", "2")
        .exec();
    assert_eq!(run.code, ExitCode::Success, "{run:?}");
    assert!(
        run.stderr.contains("client check could not be used"),
        "{run:?}"
    );
    assert_eq!(sandbox.list_json().len(), 4);
}

#[test]
fn a_public_opt_in_is_told_once_reported_by_check_and_never_refreshed_by_token() {
    let sandbox = Sandbox::new();
    let sim = Sim::start(&["--access-ttl", "0"]);
    let run = authorize(&sandbox, &sim, free_port(), "b.json").exec();
    assert_eq!(run.code, ExitCode::Success, "{run:?}");
    let id = run.stdout.trim().to_string();
    assert_eq!(
        count(&run.stderr, "offers no refresh to a public client"),
        1,
        "said once: {run:?}"
    );
    assert!(run.stderr.contains("idm-auth config set-secret"), "{run:?}");

    let run = sandbox.run(&["token", &id]);
    assert_eq!(run.code, ExitCode::Invalid, "{run:?}");
    assert!(run.stderr.contains("without a client secret"), "{run:?}");
    assert!(run.stdout.is_empty());
    // A bare `token` says the same rather than picking it.
    assert_eq!(sandbox.run(&["token"]).code, ExitCode::Invalid);
    assert_eq!(sim.stats()["refresh_requests"], 0, "never tried");

    // Listed as what it is: ended, not refreshable; refreshable where UPS refreshes this app.
    assert_eq!(sandbox.list_json()[0]["status"], "ended");
    let grid = sandbox.run(&["list"]);
    assert!(
        grid.stdout
            .contains("ended (no refresh without a client secret)"),
        "{grid:?}"
    );
    let listed = sandbox
        .cmd(&["list", "--json"])
        .env("IDM_AUTH_PUBLIC_REFRESH", "1")
        .exec();
    let rows: serde_json::Value = serde_json::from_str(&listed.stdout).unwrap();
    assert_eq!(rows[0]["status"], "access_expired", "{listed:?}");

    let run = sandbox.run(&["check", "--json"]);
    assert_eq!(
        run.code,
        ExitCode::Invalid,
        "its access token has expired: {run:?}"
    );
    let report: serde_json::Value = serde_json::from_str(&run.stdout).unwrap();
    assert_eq!(report["problems"][0]["problem"], "no_refresh", "{report}");
    assert_eq!(report["problems"][0]["status"], "ended", "{report}");
    let lines: Vec<&str> = run.stderr.lines().filter(|l| l.contains(&id)).collect();
    assert_eq!(lines.len(), 1, "{run:?}");
    assert!(lines[0].contains("no refresh"), "{run:?}");
}

#[test]
fn a_public_opt_in_with_a_live_token_is_due_soon_in_check_and_hands_out_its_token() {
    let sandbox = Sandbox::new();
    let sim = Sim::start(&[]);
    let run = authorize(&sandbox, &sim, free_port(), "b.json").exec();
    assert_eq!(run.code, ExitCode::Success, "{run:?}");
    let id = run.stdout.trim();
    assert_eq!(sandbox.run(&["token", id]).code, ExitCode::Success);
    let run = sandbox.run(&["check", "--json"]);
    assert_eq!(run.code, ExitCode::ExpiresSoon, "{run:?}");
    let report: serde_json::Value = serde_json::from_str(&run.stdout).unwrap();
    assert_eq!(report["problems"][0]["problem"], "no_refresh", "{report}");
    assert!(run.stderr.contains("ends when its access token expires"));
}

#[test]
fn a_public_refresh_tried_and_refused_says_why_and_one_ups_allows_goes_through() {
    let sandbox = Sandbox::new();
    let sim = Sim::start(&["--access-ttl", "0"]);
    let mut ids = Vec::new();
    for log in ["a.json", "b.json"] {
        let run = authorize(&sandbox, &sim, free_port(), log).exec();
        assert_eq!(run.code, ExitCode::Success, "{run:?}");
        ids.push(run.stdout.trim().to_string());
    }
    let token = |id: &str| {
        sandbox
            .cmd(&["token", id])
            .env("IDM_AUTH_PUBLIC_REFRESH", "1")
            .exec()
    };
    let run = token(&ids[0]);
    assert_eq!(run.code, ExitCode::Invalid, "{run:?}");
    assert!(
        run.stderr
            .contains("no client secret, and UPS's document offers a refresh only with one"),
        "{run:?}"
    );
    assert_eq!(sim.stats()["refresh_requests"], 1);

    settings(&sim, serde_json::json!({"public_refresh": true}));
    let run = token(&ids[1]);
    assert_eq!(run.code, ExitCode::Success, "{run:?}");
    assert_eq!(sim.stats()["refreshes_issued"], 1);
}

#[test]
fn an_answer_that_is_not_approved_stores_nothing_or_ends_the_opt_in() {
    let sandbox = Sandbox::new();
    let keyring = PrivateKeyring::start();
    let sim = Sim::confidential(&["--access-ttl", "0"]);
    let authorize_with_secret = |log: &str| {
        let mut cmd = authorize(&sandbox, &sim, free_port(), log);
        keyring
            .apply(&mut cmd)
            .env("IDM_AUTH_CLIENT_SECRET", CLIENT_SECRET_FOR_REFRESH)
            .exec()
    };
    settings(&sim, serde_json::json!({"token_status": "pending"}));
    let run = authorize_with_secret("a.json");
    assert_eq!(run.code, ExitCode::Ups, "{run:?}");
    assert!(run.stderr.contains("status `pending`"), "{run:?}");
    assert!(sandbox.list_json().is_empty());
    assert_eq!(keyring.entries(), Vec::<String>::new(), "nothing stored");

    // A refresh answered 200 but not approved ends the opt-in: UPS acted on the refresh
    // token (rotated it), so the stored one is spent, whichever status says so.
    let refresh_refused = |log: &str, answer: serde_json::Value, says: &str| {
        settings(
            &sim,
            serde_json::json!({"refresh_token_status": "approved", "token_status": "approved"}),
        );
        let run = authorize_with_secret(log);
        assert_eq!(run.code, ExitCode::Success, "{run:?}");
        let id = run.stdout.trim().to_string();
        settings(&sim, answer);
        let mut cmd = sandbox.cmd(&["token", &id]);
        let run = keyring.apply(&mut cmd).exec();
        assert_eq!(run.code, ExitCode::Invalid, "{run:?}");
        assert!(run.stderr.contains(says), "{run:?}");
        let row = sandbox
            .list_json()
            .into_iter()
            .find(|r| r["id"] == id.as_str());
        let row = row.unwrap();
        assert_eq!(row["status"], "invalid", "{row}");
        row
    };
    let row = refresh_refused(
        "b.json",
        serde_json::json!({"refresh_token_status": "revoked"}),
        "refresh_token_status `revoked`",
    );
    assert!(
        row["invalid_reason"].as_str().unwrap().contains("revoked"),
        "{row}"
    );
    refresh_refused(
        "c.json",
        serde_json::json!({"token_status": "pending"}),
        "status `pending`",
    );
}

#[test]
fn a_rate_limit_is_never_retried_and_points_scripts_at_idm_auth_token() {
    let sandbox = Sandbox::new();
    let sim = Sim::confidential(&["--access-ttl", "0"]);
    let id = opt_in(&sandbox, &sim, "a");
    settings(
        &sim,
        serde_json::json!({"rate_limited": true, "retry_after": 120}),
    );
    let before = sim.stats();
    let run = sandbox.run(&["token", &id]);
    assert_eq!(run.code, ExitCode::Ups, "{run:?}");
    for words in [
        "Too Many Requests (UPS code 10429)",
        "UPS asks to wait 120 s",
        "rate-limits token requests",
        "`idm-auth token`",
    ] {
        assert!(run.stderr.contains(words), "{words}: {run:?}");
    }
    let after = sim.stats();
    assert_eq!(
        after["refresh_requests"].as_u64().unwrap(),
        before["refresh_requests"].as_u64().unwrap() + 1,
        "one request, no retry"
    );
    assert_eq!(sandbox.list_json()[0]["status"], "access_expired", "kept");

    // At sign-in time the client check meets the limit first: no browser opens.
    let run = authorize(&sandbox, &sim, free_port(), "b.json").exec();
    assert_eq!(run.code, ExitCode::Ups, "{run:?}");
    assert!(run.stderr.contains("UPS asks to wait 120 s"), "{run:?}");
    assert_eq!(sim.stats()["authorize"], before["authorize"]);

    settings(&sim, serde_json::json!({"rate_limited": false}));
    assert_eq!(sandbox.run(&["token", &id]).code, ExitCode::Success);
}

#[test]
fn a_blocked_merchant_has_its_own_message_at_sign_in_and_ends_the_opt_in_at_refresh() {
    let sandbox = Sandbox::new();
    let sim = Sim::confidential(&["--access-ttl", "0"]);
    let id = opt_in(&sandbox, &sim, "a");
    settings(&sim, serde_json::json!({"blocked_users": ["demo-user"]}));

    let run = sandbox.run(&["token", &id]);
    assert_eq!(run.code, ExitCode::Invalid, "{run:?}");
    assert!(
        run.stderr.contains("Blocked Merchant (UPS code 10403)"),
        "{run:?}"
    );

    let run = authorize(&sandbox, &sim, free_port(), "b.json").exec();
    assert_eq!(run.code, ExitCode::Ups, "{run:?}");
    assert!(
        run.stderr.contains("Blocked Merchant (UPS code 10403)"),
        "{run:?}"
    );
    assert!(
        run.stderr
            .contains("blocks this UPS.com user's merchant account"),
        "{run:?}"
    );
}

#[test]
fn invalid_authentication_information_points_at_credentials_and_api_products() {
    let sandbox = Sandbox::new();
    let sim = Sim::start(&[]);
    sim.fault(r#"{"endpoint":"token","status":401,"body":"{\"response\":{\"errors\":[{\"code\":\"250002\",\"message\":\"Invalid Authentication Information\"}]}}"}"#);
    let run = authorize(&sandbox, &sim, free_port(), "b.json").exec();
    assert_eq!(run.code, ExitCode::Ups, "{run:?}");
    assert!(
        run.stderr
            .contains("Invalid Authentication Information (UPS code 250002)"),
        "{run:?}"
    );
    assert!(run.stderr.contains("API products"), "{run:?}");
}
