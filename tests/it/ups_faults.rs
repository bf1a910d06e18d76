//! UPS and the network misbehaving at /token and /refresh: error envelopes, rate limits,
//! gateway pages, unreadable 200s, odd numbers, silence, and a reset after UPS acted. Each
//! must end with a clear message and a documented exit code, never a panic, never a second
//! try of a one-time code, never a stored half-result. Each test has a keyring of its own,
//! so "nothing stored" can be checked by listing every idm-auth entry in it.
use crate::support;
use std::time::{Duration, Instant};
use support::ups_link::Fault;
use support::world::World;
use support::*;

const TOKEN: &str = "/security/v1/oauth/token";
const REFRESH: &str = "/security/v1/oauth/refresh";

fn fault(endpoint: &str, status: u16, content_type: &str, body: &str, headers: &str) -> String {
    serde_json::json!({
        "endpoint": endpoint,
        "status": status,
        "content_type": content_type,
        "body": body,
        "headers": serde_json::from_str::<serde_json::Value>(headers).unwrap(),
    })
    .to_string()
}

fn envelope(code: &str, message: &str) -> String {
    serde_json::json!({"response": {"errors": [{"code": code, "message": message}]}}).to_string()
}

/// Answers from UPS or a gateway that no client can use, with what the admin must read.
/// Every body carries "SECRETISH", which must never be echoed.
fn unusable_answers(endpoint: &str) -> Vec<(String, &'static str)> {
    let json = "application/json";
    let html = "text/html";
    let page = "<html><body>Bad Gateway SECRETISH</body></html>";
    let invalid_code = envelope("10400", "Invalid Authorization Code");
    let invalid_client = envelope("10401", "ClientId is Invalid");
    let blocked = envelope("250002", "Blocked Merchant");
    let limited = envelope("10429", "Rate Limit Exceeded");
    let retry_later = r#"{"Retry-After":"120"}"#;
    // A table: one answer a line.
    #[rustfmt::skip]
    let cases: [(u16, &str, &str, &str, &'static str); 16] = [
        (400, json, &invalid_code, "{}", "Invalid Authorization Code (UPS code 10400)"),
        (401, json, &invalid_client, "{}", "ClientId is Invalid (UPS code 10401)"),
        (403, json, &blocked, "{}", "Blocked Merchant (UPS code 250002)"),
        (429, json, &limited, retry_later, "UPS asks to wait 120"),
        (429, json, &limited, "{}", "rate-limiting"),
        (400, json, r#"{"error":"invalid_grant","error_description":"expired"}"#, "{}", "invalid_grant: expired"),
        (500, html, page, "{}", "HTTP 500 (text/html)"),
        (502, html, page, "{}", "HTTP 502 (text/html)"),
        (503, html, page, "{}", "HTTP 503 (text/html)"),
        (504, html, page, "{}", "HTTP 504 (text/html)"),
        (200, json, "", "{}", "HTTP 200"),
        (200, html, page, "{}", "HTTP 200 (text/html)"),
        (200, json, r#"{"access_token":"SECRETISH"#, "{}", "could not be read"),
        (200, json, r#"{"access_token":"SECRETISH","expires_in":"-1"}"#, "{}", "could not be read (at `expires_in`)"),
        (200, json, r#"{"access_token":"SECRETISH","expires_in":"99999999999999999999"}"#, "{}", "could not be read (at `expires_in`)"),
        (200, json, r#"{"token_type":"Bearer","expires_in":"3600"}"#, "{}", "could not be read"),
    ];
    cases
        .into_iter()
        .map(|(status, content_type, body, headers, expected)| {
            (
                fault(endpoint, status, content_type, body, headers),
                expected,
            )
        })
        .collect()
}

fn assert_clean_failure(run: &Run, code: ExitCode, expected: &str) {
    assert_eq!(run.code, code, "{expected}: {run:?}");
    assert!(run.stderr.contains(expected), "{expected}: {run:?}");
    assert!(
        !run.stderr.contains("SECRETISH"),
        "a body was echoed: {run:?}"
    );
    assert!(!run.stderr.contains("panicked"), "{run:?}");
    assert!(run.stdout.is_empty(), "{run:?}");
}

#[test]
fn token_exchange_failures_are_clear_never_retried_and_store_nothing() {
    let world = World::new(&[]).behind_link();
    for (spec, expected) in unusable_answers("token") {
        world.sim.fault(&spec);
        let before = world.link().count(TOKEN);
        let run = world.authorize().exec();
        assert_clean_failure(&run, ExitCode::Ups, expected);
        assert!(
            run.stderr.contains("run `idm-auth authorize` again"),
            "{run:?}"
        );
        assert_eq!(
            world.link().count(TOKEN),
            before + 1,
            "one exchange, no retry: {spec}"
        );
    }
    assert!(world.sandbox.list_json().is_empty());
    assert_eq!(
        world.keyring.entries(),
        Vec::<String>::new(),
        "nothing half-stored"
    );
}

#[test]
fn token_exchange_without_an_answer_ends_in_time_never_retried_and_stores_nothing() {
    let world = World::new(&[]).behind_link();
    // Silence: UPS never sees the code. Reset: UPS spends it, the answer is lost.
    for (fault, issued) in [(Fault::Silence, 0), (Fault::ResetAfterUps, 1)] {
        world.link().fault(TOKEN, fault);
        let started = Instant::now();
        let run = world.authorize().exec();
        assert_clean_failure(&run, ExitCode::Unreachable, "no complete answer came back");
        assert!(
            run.stderr.contains("run `idm-auth authorize` again"),
            "{run:?}"
        );
        assert!(
            started.elapsed() < Duration::from_secs(25),
            "{fault:?} took {:?}",
            started.elapsed()
        );
        assert_eq!(world.sim.stats()["tokens_issued"], issued, "{fault:?}");
    }
    assert_eq!(world.link().count(TOKEN), 2, "never a second try of a code");
    assert!(world.sandbox.list_json().is_empty());
    assert_eq!(world.keyring.entries(), Vec::<String>::new());
}

#[test]
fn token_responses_with_plain_numbers_or_missing_fields_are_accepted() {
    // An app with a client secret: `list --json` shows the refresh token's end only for an
    // opt-in that gets refreshed.
    let world = World::refreshable(&[]).behind_link();
    let hour = chrono::Duration::hours(1);
    for (body, refresh_expires) in [
        (
            r#"{"access_token":"plain-numbers-access","token_type":"Bearer","expires_in":3600,"refresh_token":"plain-numbers-refresh","refresh_token_expires_in":86400,"refresh_count":0}"#,
            true,
        ),
        (r#"{"access_token":"bare-access-token"}"#, false),
    ] {
        world
            .sim
            .fault(&fault("token", 200, "application/json", body, "{}"));
        let id = world.opt_in();
        let access: serde_json::Value = serde_json::from_str(body).unwrap();
        assert_eq!(
            world.keyring.lookup(&id, "access-token").as_deref(),
            access["access_token"].as_str()
        );
        let row = world.row(&id);
        assert_eq!(row["status"], "active");
        let expires: chrono::DateTime<chrono::Utc> =
            row["expires_at"].as_str().unwrap().parse().unwrap();
        let left = expires - chrono::Utc::now();
        assert!(
            left > hour - chrono::Duration::minutes(5) && left <= hour,
            "{row}"
        );
        assert_eq!(
            row["refresh_expires_at"].is_string(),
            refresh_expires,
            "{row}"
        );
    }
    assert_eq!(
        world.keyring.entries().len(),
        5,
        "two access tokens, one refresh token, the client secret of each"
    );
}

#[test]
fn refresh_failures_where_ups_did_not_act_keep_the_opt_in_and_its_token() {
    let world = World::refreshable(&["--access-ttl", "0"]).behind_link();
    let id = world.opt_in();
    let refresh = world.keyring.lookup(&id, "refresh-token").unwrap();
    let did_not_act: Vec<_> = unusable_answers("refresh")
        .into_iter()
        .filter(|(spec, _)| spec.contains("\"status\":429") || spec.contains("\"status\":5"))
        .collect();
    assert_eq!(did_not_act.len(), 6);
    for (spec, expected) in did_not_act {
        world.sim.fault(&spec);
        let run = world.token(&id);
        assert_clean_failure(&run, ExitCode::Ups, expected);
        assert_eq!(world.row(&id)["status"], "access_expired", "{spec}");
        assert_eq!(
            world.keyring.lookup(&id, "refresh-token").as_ref(),
            Some(&refresh)
        );
    }
    assert!(
        world.sim.is_active(&refresh),
        "the stored refresh token still holds"
    );
    let run = world.token(&id);
    assert_eq!(run.code, ExitCode::Success, "{run:?}");
}

#[test]
fn refresh_refusals_mark_the_opt_in_invalid_with_ups_reason() {
    let world = World::refreshable(&["--access-ttl", "0"]).behind_link();
    let refusals: Vec<_> = unusable_answers("refresh")
        .into_iter()
        .filter(|(spec, _)| {
            ["400", "401", "403"]
                .iter()
                .any(|s| spec.contains(&format!("\"status\":{s}")))
        })
        .collect();
    assert_eq!(refusals.len(), 4);
    for (spec, expected) in refusals {
        let id = world.opt_in();
        world.sim.fault(&spec);
        let run = world.token(&id);
        assert_clean_failure(&run, ExitCode::Invalid, expected);
        assert!(run.stderr.contains("UPS refused to refresh it"), "{run:?}");
        let row = world.row(&id);
        assert_eq!(row["status"], "invalid");
        assert!(
            row["invalid_reason"].as_str().unwrap().contains(expected),
            "{row}"
        );
    }
}

#[test]
fn a_refresh_whose_answer_is_lost_is_tried_once_more_with_the_stored_token() {
    let world = World::refreshable(&["--access-ttl", "0"]).behind_link();
    // Answers UPS never acted on (the simulator's fault stands in for its answer, or the
    // request never reached it): the second try with the same token goes through.
    let lost_after_200: Vec<_> = unusable_answers("refresh")
        .into_iter()
        .filter(|(spec, _)| spec.contains("\"status\":200"))
        .collect();
    assert_eq!(lost_after_200.len(), 6);
    let mut untouched: Vec<(Option<String>, Option<Fault>)> = lost_after_200
        .into_iter()
        .map(|(spec, _)| (Some(spec), None))
        .collect();
    untouched.push((None, Some(Fault::Silence)));
    for (spec, link_fault) in untouched {
        let id = world.opt_in();
        let asked = world.link().count(REFRESH);
        if let Some(spec) = &spec {
            world.sim.fault(spec);
        }
        if let Some(f) = link_fault {
            world.link().fault(REFRESH, f);
        }
        let run = world.token(&id);
        assert_eq!(
            run.code,
            ExitCode::Success,
            "{spec:?} {link_fault:?}: {run:?}"
        );
        assert!(
            !run.stderr.contains("SECRETISH"),
            "a body was echoed: {run:?}"
        );
        assert_eq!(world.link().count(REFRESH), asked + 2, "one retry: {run:?}");
        // Access tokens live 0 s here: a good refresh leaves the row refreshable.
        assert_eq!(world.row(&id)["status"], "access_expired");
        let stored = world.keyring.lookup(&id, "refresh-token").unwrap();
        assert!(
            world.sim.is_active(&stored),
            "a spent refresh token is stored"
        );
    }

    // UPS did rotate, and the answer was lost: the retry is refused, and the reason says so.
    let id = world.opt_in();
    let refresh = world.keyring.lookup(&id, "refresh-token").unwrap();
    let issued_before = world.sim.stats()["refreshes_issued"].as_u64().unwrap();
    let asked = world.link().count(REFRESH);
    world.link().fault(REFRESH, Fault::ResetAfterUps);
    let run = world.token(&id);
    assert_clean_failure(&run, ExitCode::Invalid, "no complete answer came back");
    for words in [
        "was lost",
        "UPS refused it",
        "had rotated",
        "idm-auth authorize",
    ] {
        assert!(run.stderr.contains(words), "{words}: {run:?}");
    }
    assert_eq!(world.link().count(REFRESH), asked + 2, "one retry: {run:?}");
    let row = world.row(&id);
    assert_eq!(row["status"], "invalid", "{row}");
    assert!(
        row["invalid_reason"].as_str().unwrap().contains("was lost"),
        "{row}"
    );
    assert_eq!(
        world.sim.stats()["refreshes_issued"].as_u64().unwrap(),
        issued_before + 1
    );
    assert!(!world.sim.is_active(&refresh));
    // Invalid stays invalid, without asking UPS again.
    let asked = world.link().count(REFRESH);
    assert_eq!(world.token(&id).code, ExitCode::Invalid);
    assert_eq!(world.link().count(REFRESH), asked);
}
