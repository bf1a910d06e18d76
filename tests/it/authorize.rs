//! `idm-auth authorize` end to end: the real binary, the simulator as UPS, the scripted
//! browser following the redirects, the real Secret Service.
use crate::support;
use std::time::Duration;
use support::*;

#[test]
fn approving_stores_tokens_in_the_secret_service_and_lists_the_opt_in() {
    let sandbox = Sandbox::new();
    let sim = Sim::start(&[]);
    let run = sandbox
        .authorize(&sim, free_port(), 30)
        .args(["--label", "shipping desk"])
        .env("BROWSER", sandbox.browser("approve", "b.json"))
        .exec();
    assert_eq!(run.code, ExitCode::Success, "{run:?}");
    let id = run.stdout.trim().to_string();

    let log = sandbox.browser_log("b.json");
    assert_eq!(log["final_status"], 200, "{log}");
    assert!(
        log["final_body"]
            .as_str()
            .unwrap()
            .contains("You can close this tab"),
        "{log}"
    );

    let access =
        secret_tool_lookup(&id, "access-token").expect("access token in the Secret Service");
    assert!(access.len() > 1000, "a UPS-like JWT");
    assert!(secret_tool_lookup(&id, "refresh-token").is_some());
    assert!(
        secret_tool_lookup(&id, "client-secret").is_none(),
        "no secret was configured"
    );

    let rows = sandbox.list_json();
    assert_eq!(rows.len(), 1);
    assert_eq!(rows[0]["id"], id.as_str());
    assert_eq!(rows[0]["label"], "shipping desk");
    assert_eq!(rows[0]["environment"], "simulator");
    assert_eq!(rows[0]["status"], "active");
    assert_eq!(rows[0]["keyring"], "secret-service");

    let stats = sim.stats();
    assert_eq!(stats["tokens_issued"], 1);
    // The index holds no secret.
    let index = std::fs::read_to_string(sandbox.index_path()).unwrap();
    assert!(!index.contains(&access));
}

#[test]
fn the_url_goes_to_stderr_and_only_the_id_to_stdout() {
    let sandbox = Sandbox::new();
    let sim = Sim::start(&[]);
    let port = free_port();
    let run = sandbox
        .authorize(&sim, port, 30)
        .env("BROWSER", sandbox.browser("approve", "b.json"))
        .exec();
    assert_eq!(run.code, ExitCode::Success, "{run:?}");
    assert!(
        run.stderr
            .contains(&format!("{}/security/v1/oauth/authorize?", sim.base_url)),
        "{run:?}"
    );
    assert!(run.stderr.contains("code_challenge="), "{run:?}");
    assert_eq!(run.stdout.lines().count(), 1, "{run:?}");
    let id = run.stdout.trim();
    for kind in ["access-token", "refresh-token"] {
        let secret = secret_tool_lookup(id, kind).unwrap();
        assert!(
            !run.stderr.contains(&secret) && !run.stdout.contains(&secret),
            "{kind} leaked"
        );
    }
}

#[test]
fn denying_ends_with_a_denied_message_and_stores_nothing() {
    let sandbox = Sandbox::new();
    let sim = Sim::start(&[]);
    let port = free_port();
    let run = sandbox
        .authorize(&sim, port, 30)
        .env("BROWSER", sandbox.browser("deny", "b.json"))
        .exec();
    assert_eq!(run.code, ExitCode::Denied, "{run:?}");
    assert!(run.stderr.contains("denied"), "{run:?}");
    let log = sandbox.browser_log("b.json");
    assert!(
        log["final_body"].as_str().unwrap().contains("denied"),
        "{log}"
    );
    assert!(sandbox.list_json().is_empty());
    assert_eq!(sim.stats()["token_requests"], 0);
}

#[test]
fn forged_and_stray_requests_get_4xx_and_the_real_redirect_still_wins() {
    let sandbox = Sandbox::new();
    let sim = Sim::start(&[]);
    // No browser: the test plays it, after the forgeries.
    let (waiting, port) = sandbox.sign_in_without_browser(&sim);
    let forged = [
        ("GET", "/favicon.ico"),
        ("GET", "/"),
        ("GET", "/callback?code=forged&state=wrong"),
        ("GET", "/callback?code=forged"),
        ("GET", "/callback?error=access_denied&state=wrong"),
        ("GET", "/callback?error=access_denied"),
        ("POST", "/callback?code=forged&state=wrong"),
    ];
    for (method, target) in forged {
        let (status, body) = http(port, method, target, &[], "");
        assert!(
            (400..500).contains(&status),
            "{method} {target} -> {status}"
        );
        assert!(
            !body.contains("You can close this tab"),
            "{method} {target}"
        );
    }
    assert_eq!(
        sim.stats()["token_requests"],
        0,
        "no forged code reached UPS"
    );
    let (_, genuine) = port_and_target(&approve_at_simulator(&waiting.url));
    let (status, body) = http(port, "GET", &genuine, &[], "");
    assert_eq!(status, 200, "{body}");
    assert!(body.contains("You can close this tab"), "{body}");
    let run = waiting.finish();
    assert_eq!(run.code, ExitCode::Success, "{run:?}");
    assert_eq!(sim.stats()["token_requests"], 1);
    assert_eq!(sandbox.list_json().len(), 1);
}

#[test]
fn a_busy_port_fails_at_once_naming_the_port_and_opens_no_browser() {
    let sandbox = Sandbox::new();
    let sim = Sim::start(&[]);
    let holder = std::net::TcpListener::bind(("127.0.0.1", 0)).unwrap();
    let port = holder.local_addr().unwrap().port();
    let run = sandbox
        .authorize(&sim, port, 30)
        .env("BROWSER", sandbox.browser("approve", "b.json"))
        .exec();
    assert_eq!(run.code, ExitCode::PortTaken, "{run:?}");
    assert!(run.stderr.contains(&port.to_string()), "{run:?}");
    assert!(!sandbox.path("b.json").exists(), "no browser was launched");
    assert_eq!(sim.stats()["authorize"], 0);
}

#[test]
fn a_timeout_ends_the_wait_and_releases_the_port() {
    let sandbox = Sandbox::new();
    let sim = Sim::start(&[]);
    let port = free_port();
    let run = sandbox
        .authorize(&sim, port, 2)
        .env("BROWSER", sandbox.browser("none", "b.json"))
        .exec();
    assert_eq!(run.code, ExitCode::Timeout, "{run:?}");
    assert!(run.stderr.contains("timed out"), "{run:?}");
    std::net::TcpListener::bind(("127.0.0.1", port)).expect("the port is free again");
    assert!(sandbox.list_json().is_empty());
}

#[test]
fn a_browser_that_stays_open_does_not_stall_and_a_failed_launch_is_not_fatal() {
    let sandbox = Sandbox::new();
    let sim = Sim::start(&[]);
    let port = free_port();
    // The first BROWSER entry cannot start; the second finishes the flow, then lingers 60 s.
    let browser = format!(
        "/nonexistent/browser:{} --stay-open",
        sandbox.browser("approve", "b.json")
    );
    let started = std::time::Instant::now();
    let run = sandbox
        .authorize(&sim, port, 30)
        .env("BROWSER", browser)
        .exec();
    assert_eq!(run.code, ExitCode::Success, "{run:?}");
    assert!(
        started.elapsed() < Duration::from_secs(50),
        "authorize waited for the browser to exit"
    );

    // With no browser at all the URL is still printed and the flow keeps waiting.
    let port = free_port();
    let run = sandbox
        .authorize(&sim, port, 1)
        .env("BROWSER", "/nonexistent/browser")
        .exec();
    assert_eq!(run.code, ExitCode::Timeout, "{run:?}");
    assert!(run.stderr.contains("Could not open a browser"), "{run:?}");
    assert!(
        run.stderr.contains("/security/v1/oauth/authorize?"),
        "{run:?}"
    );
}

#[test]
fn a_confidential_client_authenticates_with_its_secret_which_is_kept_in_the_keyring() {
    let sandbox = Sandbox::new();
    let sim = Sim::start_with_secret(&[], Some("s3cret-value"));
    let port = free_port();
    let run = sandbox
        .authorize(&sim, port, 30)
        .env("IDM_AUTH_CLIENT_SECRET", "s3cret-value")
        .env("BROWSER", sandbox.browser("approve", "b.json"))
        .exec();
    assert_eq!(run.code, ExitCode::Success, "{run:?}");
    let id = run.stdout.trim();
    assert_eq!(
        secret_tool_lookup(id, "client-secret").as_deref(),
        Some("s3cret-value")
    );

    // A wrong secret is refused by UPS, with UPS's message, and nothing is stored.
    let port = free_port();
    let run = sandbox
        .authorize(&sim, port, 30)
        .env("IDM_AUTH_CLIENT_SECRET", "wrong")
        .env("BROWSER", sandbox.browser("approve", "b2.json"))
        .exec();
    assert_eq!(run.code, ExitCode::Ups, "{run:?}");
    assert!(
        run.stderr
            .contains("UPS refused the token exchange (HTTP 401)"),
        "{run:?}"
    );
    assert!(
        !run.stderr.contains("wrong"),
        "the secret is never echoed: {run:?}"
    );
    assert_eq!(sandbox.list_json().len(), 1);
}

#[test]
fn ups_errors_and_gateway_pages_become_clear_messages_and_store_nothing() {
    let sandbox = Sandbox::new();
    let sim = Sim::start(&[]);
    let cases = [
        (
            r#"{"endpoint":"token","status":403,"content_type":"application/json","body":"{\"response\":{\"errors\":[{\"code\":\"250002\",\"message\":\"Blocked Merchant\"}]}}","times":1}"#,
            "Blocked Merchant (UPS code 250002)",
        ),
        (
            r#"{"endpoint":"token","status":502,"content_type":"text/html","body":"<html><body>Bad Gateway SECRETISH</body></html>","times":1}"#,
            "HTTP 502 (text/html)",
        ),
        (
            r#"{"endpoint":"token","status":200,"content_type":"application/json","body":"{\"access_token\":","times":1}"#,
            "HTTP 200 but the token response could not be read",
        ),
    ];
    for (fault, expected) in cases {
        sim.fault(fault);
        let port = free_port();
        let run = sandbox
            .authorize(&sim, port, 30)
            .env("BROWSER", sandbox.browser("approve", "b.json"))
            .exec();
        assert_eq!(run.code, ExitCode::Ups, "{run:?}");
        assert!(run.stderr.contains(expected), "{expected}: {run:?}");
        assert!(
            !run.stderr.contains("SECRETISH"),
            "the body is never dumped: {run:?}"
        );
    }
    assert!(sandbox.list_json().is_empty());
}

#[test]
fn bad_settings_are_refused_before_anything_starts() {
    let sandbox = Sandbox::new();
    let run = sandbox.run(&[
        "authorize",
        "--client-id",
        "x",
        "--base-url",
        "http://wwwcie.ups.com",
    ]);
    assert_eq!(run.code, ExitCode::Settings, "{run:?}");
    assert!(run.stderr.contains("https is required"), "{run:?}");

    let run = sandbox.run(&["authorize", "--base-url", "https://wwwcie.ups.com"]);
    assert_eq!(run.code, ExitCode::Settings, "{run:?}");
    assert!(run.stderr.contains("IDM_AUTH_CLIENT_ID"), "{run:?}");

    let run = sandbox.run(&[
        "authorize",
        "--client-id",
        "x",
        "--redirect-uri",
        "https://example.com/cb",
    ]);
    assert_eq!(run.code, ExitCode::Settings, "{run:?}");

    let run = sandbox.run(&["authorize", "--env", "staging"]);
    assert_eq!(run.code, ExitCode::Usage, "{run:?}");
}

#[test]
fn the_browser_is_not_handed_the_client_secret() {
    let sandbox = Sandbox::new();
    let sim = Sim::start(&[]);
    let env_file = sandbox.path("browser-env.txt");
    let browser = format!("sh -c 'env > {}' sh", env_file.display());
    let run = sandbox
        .authorize(&sim, free_port(), 2)
        .env("IDM_AUTH_CLIENT_SECRET", "browser-must-not-see-this")
        .env("BROWSER", browser)
        .exec();
    assert_eq!(run.code, ExitCode::Timeout, "{run:?}");
    let seen = std::fs::read_to_string(&env_file).expect("the browser ran");
    assert!(seen.contains("PATH="), "{seen}");
    assert!(!seen.contains("browser-must-not-see-this"), "{seen}");
}
