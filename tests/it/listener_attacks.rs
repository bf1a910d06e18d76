//! The loopback listener under attack: forged, duplicated and replayed callbacks, slow and
//! huge requests, hostile text in the query, and a look at where it listens. The test plays
//! the user's browser itself (sign-in and consent at the simulator), so it holds the real
//! code and state and can forge with them.
use crate::support;
use std::time::{Duration, Instant};
use support::siege::{PeakWatch, Siege};
use support::*;

const SUCCESS: &str = "UPS opt-in complete";

fn query_value(url_or_target: &str, key: &str) -> String {
    let url = url::Url::parse("http://x/")
        .unwrap()
        .join(url_or_target)
        .unwrap();
    url.query_pairs()
        .find(|(k, _)| k == key)
        .map(|(_, v)| v.into_owned())
        .unwrap_or_else(|| panic!("no {key} in {url_or_target}"))
}

#[test]
fn forged_duplicated_and_replayed_callbacks_get_4xx_and_no_forged_code_reaches_ups() {
    let sandbox = Sandbox::new();
    let sim = Sim::start(&[]);
    let (first, port) = sandbox.sign_in_without_browser(&sim);
    let state = first.state();
    let (_, genuine) = port_and_target(&approve_at_simulator(&first.url));
    let code = query_value(&genuine, "code");

    let forged = [
        ("GET", "/favicon.ico".to_string()),
        ("GET", "/".to_string()),
        ("GET", "/callback?code=forged&state=wrong".to_string()),
        ("GET", "/callback?code=forged".to_string()),
        (
            "GET",
            "/callback?error=access_denied&state=wrong".to_string(),
        ),
        ("GET", "/callback?error=access_denied".to_string()),
        // The right state, but a parameter twice: no guessing which one counts.
        (
            "GET",
            format!("/callback?code=forged&code={code}&state={state}"),
        ),
        (
            "GET",
            format!("/callback?code=forged&state={state}&state={state}"),
        ),
        (
            "GET",
            format!("/callback?code=forged&state=wrong&state={state}"),
        ),
        (
            "GET",
            format!("/callback?error=access_denied&error=x&state={state}"),
        ),
        // The genuine callback with the wrong method or on another path.
        ("POST", genuine.clone()),
        ("PUT", genuine.clone()),
        ("GET", genuine.replacen("/callback", "/callback/", 1)),
        ("GET", genuine.replacen("/callback", "/other", 1)),
    ];
    for (method, target) in &forged {
        let answer = http_raw(port, method, target, &[], "");
        assert!(
            (400..500).contains(&answer.status),
            "{method} {target} -> {}",
            answer.status
        );
        assert!(!answer.body.contains(SUCCESS), "{method} {target}");
    }
    assert_eq!(
        sim.stats()["token_requests"],
        0,
        "no forged code reached UPS"
    );

    // The listener kept waiting: the genuine redirect still completes the opt-in.
    let answer = http_raw(port, "GET", &genuine, &[], "");
    assert_eq!(answer.status, 200);
    assert!(answer.body.contains(SUCCESS), "{}", answer.body);
    let run = first.finish();
    assert_eq!(run.code, ExitCode::Success, "{run:?}");

    // Replayed after success: nothing listens any more (or it is refused), never a second
    // exchange.
    if std::net::TcpStream::connect(("127.0.0.1", port)).is_ok() {
        let status = http_raw(port, "GET", &genuine, &[], "").status;
        assert!((400..500).contains(&status), "replay -> {status}");
    }
    // Replayed into a later sign-in: its state is not this one's.
    let (second, port2) = sandbox.sign_in_without_browser(&sim);
    let replay = http_raw(port2, "GET", &genuine, &[], "");
    assert_eq!(replay.status, 400, "{}", replay.body);
    let (_, genuine2) = port_and_target(&approve_at_simulator(&second.url));
    assert_eq!(http_raw(port2, "GET", &genuine2, &[], "").status, 200);
    let run = second.finish();
    assert_eq!(run.code, ExitCode::Success, "{run:?}");

    let stats = sim.stats();
    assert_eq!(stats["token_requests"], 2, "one exchange per real sign-in");
    assert_eq!(stats["tokens_issued"], 2);
    assert_eq!(sandbox.list_json().len(), 2);
}

/// What a landing page may not do: load anything, or let query text become markup.
fn assert_safe_page(what: &str, page: &Answer) {
    assert_eq!(page.header("cache-control"), Some("no-store"), "{what}");
    assert_eq!(
        page.header("referrer-policy"),
        Some("no-referrer"),
        "{what}"
    );
    let csp = page.header("content-security-policy").unwrap_or("");
    assert!(csp.contains("default-src 'none'"), "{what}: CSP {csp:?}");
    assert!(
        page.header("content-type")
            .is_some_and(|t| t.starts_with("text/html")),
        "{what}"
    );
    let html = page.body.to_ascii_lowercase();
    for loads in [
        "<script", "<link", "<img", "<iframe", "<object", "<embed", "<source", "url(", "@import",
        "http:", "https:",
    ] {
        assert!(!html.contains(loads), "{what} has {loads}: {}", page.body);
    }
}

#[test]
fn landing_pages_are_not_stored_leak_no_referrer_load_nothing_and_escape_the_query() {
    let sandbox = Sandbox::new();
    let sim = Sim::start(&[]);

    let (refused, port) = sandbox.sign_in_without_browser(&sim);
    let stray = http_raw(port, "GET", "/favicon.ico", &[], "");
    assert_eq!(stray.status, 404);
    assert_safe_page("the 4xx page", &stray);
    let hostile = "<script>alert(1)</script><img src=x onerror=alert(2)>";
    let target = format!(
        "/callback?error=server_error&error_description={}&state={}",
        url::form_urlencoded::byte_serialize(hostile.as_bytes()).collect::<String>(),
        refused.state()
    );
    let page = http_raw(port, "GET", &target, &[], "");
    assert_safe_page("the refusal page", &page);
    assert!(
        page.body
            .contains("&lt;script&gt;alert(1)&lt;/script&gt;&lt;img src=x onerror=alert(2)&gt;"),
        "shown as text: {}",
        page.body
    );
    let run = refused.finish();
    assert_eq!(run.code, ExitCode::Denied, "{run:?}");

    let (approved, port) = sandbox.sign_in_without_browser(&sim);
    let (_, genuine) = port_and_target(&approve_at_simulator(&approved.url));
    let page = http_raw(port, "GET", &genuine, &[], "");
    assert!(page.body.contains(SUCCESS), "{}", page.body);
    assert_safe_page("the success page", &page);
    assert_eq!(approved.finish().code, ExitCode::Success);
}

/// Local addresses of the sockets listening on `port` (from /proc/net/tcp and tcp6).
fn listening_addresses(port: u16) -> Vec<String> {
    let mut found = Vec::new();
    for table in ["/proc/net/tcp", "/proc/net/tcp6"] {
        let text = std::fs::read_to_string(table).unwrap_or_default();
        for line in text.lines().skip(1) {
            let fields: Vec<&str> = line.split_whitespace().collect();
            let (Some(local), Some("0A")) = (fields.get(1), fields.get(3).copied()) else {
                continue;
            };
            let (addr, p) = local.split_once(':').unwrap();
            if u16::from_str_radix(p, 16).unwrap() != port {
                continue;
            }
            found.push(match addr.len() {
                8 => std::net::Ipv4Addr::from(u32::from_str_radix(addr, 16).unwrap().to_le_bytes())
                    .to_string(),
                _ => format!("ipv6 {addr}"),
            });
        }
    }
    found
}

#[test]
fn the_listener_is_on_the_loopback_addresses_only_and_the_redirect_uri_goes_out_byte_identical() {
    let sandbox = Sandbox::new();
    let port = free_port();
    // Spelled the way someone registered it; any normalising (lower-casing the host, say)
    // in either request would make the simulator refuse, as UPS compares exactly.
    let redirect = format!("http://LOCALHOST:{port}/callback");
    let sim = Sim::start(&["--redirect-uri", &redirect]);
    let waiting = Waiting::start(&mut sandbox.authorize_with_redirect(&sim, &redirect));
    assert_eq!(query_value(&waiting.url, "redirect_uri"), redirect);
    // `localhost` may resolve to either loopback address: both are ours, nothing else.
    assert_eq!(
        listening_addresses(port),
        ["127.0.0.1", "ipv6 00000000000000000000000001000000"]
    );

    let callback = approve_at_simulator(&waiting.url);
    assert!(callback.starts_with(&redirect), "{callback}");
    let (_, target) = port_and_target(&callback);
    assert_eq!(http_raw(port, "GET", &target, &[], "").status, 200);
    let run = waiting.finish();
    assert_eq!(
        run.code,
        ExitCode::Success,
        "UPS accepted the token request: {run:?}"
    );
    assert_eq!(sim.stats()["tokens_issued"], 1);
}

/// Run an authorize (`--no-browser`) whose listener is besieged from the start, and, if
/// `approve`, play the browser's real redirect once the siege is in place; returns the run,
/// how long it took after the siege began, and its peak memory meanwhile.
fn besieged(sandbox: &Sandbox, sim: &Sim, timeout: u64, approve: bool) -> (Run, Duration, u64) {
    let port = free_port();
    let waiting = Waiting::start(sandbox.authorize(sim, port, timeout).arg("--no-browser"));
    let watch = PeakWatch::start(waiting.child.id());
    let started = Instant::now();
    let siege = Siege::open(port);
    if approve {
        let (_, genuine) = port_and_target(&approve_at_simulator(&waiting.url));
        let answer = http_raw(port, "GET", &genuine, &[], "");
        assert_eq!(answer.status, 200, "{}", answer.body);
    }
    let run = waiting.finish();
    let took = started.elapsed();
    siege.end();
    let peak = watch.peak();
    assert!(peak > 0, "the watcher saw the process");
    (run, took, peak)
}

#[test]
fn slow_partial_and_huge_requests_neither_hold_the_flow_nor_eat_memory_nor_delay_the_exit() {
    let sandbox = Sandbox::new();
    let sim = Sim::start(&[]);

    // The real redirect arrives once the siege is in place.
    let (run, took, peak) = besieged(&sandbox, &sim, 30, true);
    assert_eq!(run.code, ExitCode::Success, "{run:?}");
    assert!(peak < 100 * 1024, "authorize peaked at {peak} KiB");
    assert!(
        took < Duration::from_secs(20),
        "the real redirect completed promptly"
    );
    assert_eq!(sandbox.list_json().len(), 1);

    // No redirect at all: the deadline still holds with the siege going on. (Long enough
    // for the siege to be in place and measured on a busy machine.)
    let (run, took, peak) = besieged(&sandbox, &sim, 8, false);
    assert_eq!(run.code, ExitCode::Timeout, "{run:?}");
    assert!(peak < 100 * 1024, "authorize peaked at {peak} KiB");
    assert!(
        took < Duration::from_secs(20),
        "exited {took:?} after an 8 s timeout"
    );
}
