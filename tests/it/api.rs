//! `idm-auth api`: UPS API calls with an opt-in's token, end to end against the simulated
//! UPS (a real process on 127.0.0.1) and, to see exactly what goes on the wire, a recording
//! HTTP server standing in for the opt-in's origin. Also: the simulator's Track answers
//! checked against the schemas of UPS's own Tracking.yaml.
use crate::support;
use std::collections::HashMap;
use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpListener;
use std::process::Stdio;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};
use support::*;

const DELIVERED: &str = "/track/v1/details/1Z12345E0205271688";

/// One opt-in at a confidential app (so it refreshes) in a fresh sandbox.
fn opted_in() -> (Sandbox, Sim, String) {
    let sandbox = Sandbox::new();
    let sim = Sim::confidential(&[]);
    let id = opt_in(&sandbox, &sim, "shipping");
    (sandbox, sim, id)
}

/// A request as it arrived: the request line, headers (names lower-cased), body.
#[derive(Debug, Clone)]
struct Seen {
    line: String,
    headers: HashMap<String, String>,
    body: Vec<u8>,
}

/// An HTTP server that records every request and answers each with a small JSON 200.
struct Recorder {
    origin: String,
    seen: Arc<Mutex<Vec<Seen>>>,
}

impl Recorder {
    fn start() -> Recorder {
        let listener = TcpListener::bind(("127.0.0.1", 0)).unwrap();
        let origin = format!("http://127.0.0.1:{}", listener.local_addr().unwrap().port());
        let seen = Arc::new(Mutex::new(Vec::new()));
        let record = seen.clone();
        std::thread::spawn(move || {
            for stream in listener.incoming().flatten() {
                let mut reader = BufReader::new(stream.try_clone().unwrap());
                let mut line = String::new();
                if reader.read_line(&mut line).unwrap_or(0) == 0 {
                    continue;
                }
                let mut headers = HashMap::new();
                loop {
                    let mut h = String::new();
                    reader.read_line(&mut h).unwrap();
                    let h = h.trim_end();
                    if h.is_empty() {
                        break;
                    }
                    let (name, value) = h.split_once(':').unwrap();
                    headers.insert(name.to_ascii_lowercase(), value.trim().to_string());
                }
                let length: usize = headers
                    .get("content-length")
                    .map_or(0, |v| v.parse().unwrap());
                let mut body = vec![0u8; length];
                reader.read_exact(&mut body).unwrap();
                record.lock().unwrap().push(Seen {
                    line: line.trim_end().to_string(),
                    headers,
                    body,
                });
                let answer = b"{\"ok\":true}";
                let mut stream = stream;
                let _ = write!(
                    stream,
                    "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: {}\r\nConnection: close\r\n\r\n",
                    answer.len()
                );
                let _ = stream.write_all(answer);
            }
        });
        Recorder { origin, seen }
    }

    fn seen(&self) -> Vec<Seen> {
        self.seen.lock().unwrap().clone()
    }
}

#[test]
fn every_call_carries_the_token_and_ups_headers_with_a_fresh_trans_id() {
    let (sandbox, _sim, _id) = opted_in();
    let token = sandbox.run(&["token"]).stdout.trim().to_string();
    let recorder = Recorder::start();
    sandbox.edit_newest_row(|row| row["base_url"] = recorder.origin.clone().into());

    for _ in 0..2 {
        let run = sandbox.run(&["api", DELIVERED]);
        assert_eq!(run.code, ExitCode::Success, "{run:?}");
        assert_eq!(run.stdout, "{\"ok\":true}", "the body as sent: {run:?}");
    }
    let run = sandbox
        .cmd(&["api", DELIVERED])
        .env("IDM_AUTH_TRANSACTION_SRC", "shipping-sync")
        .exec();
    assert_eq!(run.code, ExitCode::Success, "{run:?}");
    // Like every setting: the profile, under the environment, under the flag.
    sandbox.write_config(
        "default_profile = \"p\"\n[profiles.p]\ntransaction_src = \"from-profile\"\n",
    );
    assert_eq!(sandbox.run(&["api", DELIVERED]).code, ExitCode::Success);
    let run = sandbox
        .cmd(&["api", "--transaction-src", "from-flag", DELIVERED])
        .env("IDM_AUTH_TRANSACTION_SRC", "shipping-sync")
        .exec();
    assert_eq!(run.code, ExitCode::Success, "{run:?}");
    let run = sandbox.run(&["api", "--transaction-src", "two words", DELIVERED]);
    assert_eq!(run.code, ExitCode::Settings, "{run:?}");
    let seen = recorder.seen();
    assert_eq!(seen.len(), 5, "the bad transactionSrc sent nothing");
    for s in &seen {
        assert_eq!(
            s.line,
            "GET /api/track/v1/details/1Z12345E0205271688 HTTP/1.1"
        );
        assert_eq!(s.headers["authorization"], format!("Bearer {token}"));
        assert_eq!(s.headers["accept"], "application/json");
        let trans_id = &s.headers["transid"];
        assert!(trans_id.len() <= 32 && !trans_id.is_empty(), "{trans_id}");
    }
    assert_ne!(seen[0].headers["transid"], seen[1].headers["transid"]);
    assert_eq!(seen[0].headers["transactionsrc"], "idm-auth");
    assert_eq!(seen[2].headers["transactionsrc"], "shipping-sync");
    assert_eq!(seen[3].headers["transactionsrc"], "from-profile");
    assert_eq!(seen[4].headers["transactionsrc"], "from-flag");
}

#[test]
fn fields_become_the_query_of_a_get_and_the_json_body_of_a_post() {
    let (sandbox, _sim, _id) = opted_in();
    let recorder = Recorder::start();
    sandbox.edit_newest_row(|row| row["base_url"] = recorder.origin.clone().into());
    std::fs::write(sandbox.path("note.txt"), "fragile").unwrap();
    std::fs::write(sandbox.path("rate.json"), "{\"RateRequest\": {}}\n").unwrap();
    let note = format!("note=@{}", sandbox.path("note.txt").display());
    let rate = sandbox.path("rate.json").display().to_string();

    let get = sandbox.run(&[
        "api",
        "-X",
        "GET",
        DELIVERED,
        "-f",
        "locale=en_US",
        "-F",
        "returnPOD=true",
    ]);
    assert_eq!(get.code, ExitCode::Success, "{get:?}");
    let post = sandbox.run(&[
        "api",
        "/shipments/v1/ship",
        "-f",
        "name=Jane",
        "-F",
        "count=2",
        "-F",
        "signed=false",
        "-F",
        &note,
        "-f",
        "to[city]=Wayne",
    ]);
    assert_eq!(post.code, ExitCode::Success, "{post:?}");
    let input = sandbox.run(&["api", "/rating/v2409/Rate", "--input", &rate]);
    assert_eq!(input.code, ExitCode::Success, "{input:?}");
    let mut piped = sandbox
        .cmd(&["api", "-X", "PUT", "/x", "--input", "-"])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .spawn()
        .unwrap();
    piped.stdin.take().unwrap().write_all(b"raw body").unwrap();
    assert!(piped.wait().unwrap().success());

    let seen = recorder.seen();
    assert_eq!(
        seen[0].line,
        "GET /api/track/v1/details/1Z12345E0205271688?locale=en_US&returnPOD=true HTTP/1.1"
    );
    assert!(seen[0].body.is_empty());
    assert_eq!(seen[1].line, "POST /api/shipments/v1/ship HTTP/1.1");
    assert_eq!(seen[1].headers["content-type"], "application/json");
    let body: serde_json::Value = serde_json::from_slice(&seen[1].body).unwrap();
    assert_eq!(
        body,
        serde_json::json!({"name": "Jane", "count": 2, "signed": false, "note": "fragile",
                           "to": {"city": "Wayne"}})
    );
    assert_eq!(seen[2].line, "POST /api/rating/v2409/Rate HTTP/1.1");
    assert_eq!(seen[2].body, b"{\"RateRequest\": {}}\n");
    assert_eq!(seen[3].line, "PUT /api/x HTTP/1.1");
    assert_eq!(seen[3].body, b"raw body");
}

#[test]
fn the_token_is_never_sent_to_another_origin_nor_after_a_redirect() {
    let (sandbox, sim, _id) = opted_in();
    let elsewhere = Recorder::start();

    let url = format!("{}/api{DELIVERED}", elsewhere.origin);
    let run = sandbox.run(&["api", &url]);
    assert_eq!(run.code, ExitCode::Usage, "{run:?}");
    assert!(run.stderr.contains("refused to send"), "{run:?}");
    // The same origin as a full URL is fine.
    let run = sandbox.run(&["api", &format!("{}/api{DELIVERED}", sim.base_url)]);
    assert_eq!(run.code, ExitCode::Success, "{run:?}");

    // UPS (or something in its place) answers with a redirect elsewhere: not followed.
    sim.fault(&format!(
        r#"{{"endpoint": "track", "status": 302, "content_type": "", "headers": {{"Location": "{url}"}}}}"#
    ));
    let run = sandbox.run(&["api", DELIVERED]);
    assert_eq!(run.code, ExitCode::ApiError, "{run:?}");
    assert!(run.stderr.contains("does not follow"), "{run:?}");
    assert!(
        elsewhere.seen().is_empty(),
        "another origin got a request: {:?}",
        elsewhere.seen()
    );
}

#[test]
fn answers_errors_jq_and_include_against_the_simulated_track_api() {
    let (sandbox, sim, _id) = opted_in();
    let run = sandbox.run(&["api", DELIVERED]);
    assert_eq!(run.code, ExitCode::Success, "{run:?}");
    assert!(
        !run.stdout.contains('\n') && !run.stdout.contains('\x1b'),
        "into a pipe, the body as UPS sent it: {run:?}"
    );
    let body: serde_json::Value = serde_json::from_str(&run.stdout).unwrap();
    assert_eq!(
        body["trackResponse"]["shipment"][0]["package"][0]["currentStatus"]["description"],
        "Delivered"
    );

    let run = sandbox.run(&[
        "api",
        DELIVERED,
        "--jq",
        ".trackResponse.shipment[0].package[0].currentStatus.description",
    ]);
    assert_eq!(run.code, ExitCode::Success, "{run:?}");
    assert_eq!(run.stdout, "Delivered\n");
    let run = sandbox.run(&["api", DELIVERED, "--jq", ".[", "--quiet"]);
    assert_eq!(run.code, ExitCode::Usage, "{run:?}");
    assert_eq!(
        sim.stats()["track_requests"],
        2,
        "a bad --jq is refused before any call"
    );

    let run = sandbox.run(&["api", "-i", DELIVERED]);
    assert!(
        run.stdout.starts_with("HTTP/1.1 200 OK\n")
            && run.stdout.contains("content-type: application/json\n"),
        "{run:?}"
    );

    let run = sandbox.run(&["api", "/track/v1/details/1Z99999X0000000000"]);
    assert_eq!(run.code, ExitCode::ApiError, "{run:?}");
    assert!(
        run.stderr
            .contains("404 Not Found: 151044: No tracking information available (transId "),
        "{run:?}"
    );
    assert_eq!(run.stdout, "");
    let run = sandbox.run(&["api", "/track/v1/details/1Z1"]);
    assert_eq!(run.code, ExitCode::ApiError, "{run:?}");
    assert!(run.stderr.contains("151018"), "{run:?}");

    // A 5xx is not tried again.
    let before = sim.stats()["track_requests"].as_u64().unwrap();
    sim.fault(r#"{"endpoint": "track", "status": 500}"#);
    let run = sandbox.run(&["api", DELIVERED]);
    assert_eq!(run.code, ExitCode::ApiError, "{run:?}");
    assert_eq!(sim.stats()["track_requests"].as_u64().unwrap(), before + 1);
}

#[test]
fn a_401_gets_exactly_one_forced_refresh_and_one_retry() {
    let (sandbox, sim, id) = opted_in();
    let old = sandbox.run(&["token"]).stdout;
    sim.fault(r#"{"endpoint": "track", "status": 401}"#);
    let run = sandbox.run(&["api", DELIVERED]);
    assert_eq!(run.code, ExitCode::Success, "{run:?}");
    assert!(run.stderr.contains("refreshing it once"), "{run:?}");
    let stats = sim.stats();
    assert_eq!(stats["refreshes_issued"], 1, "{stats}");
    assert_eq!(stats["track_requests"], 2, "{stats}");
    let new = sandbox.run(&["token", &id]).stdout;
    assert_ne!(old, new, "the refreshed token is stored");

    // Refused again after the refresh: the hint, and no loop.
    sim.fault(r#"{"endpoint": "track", "status": 401, "times": 5}"#);
    let run = sandbox.run(&["api", DELIVERED]);
    assert_eq!(run.code, ExitCode::ApiError, "{run:?}");
    assert!(
        run.stderr
            .contains("250002: Invalid Authentication Information")
            && run
                .stderr
                .contains("hint: a freshly refreshed token was refused too")
            && run.stderr.contains("API product"),
        "{run:?}"
    );
    let stats = sim.stats();
    assert_eq!(stats["refreshes_issued"], 2, "{stats}");
    assert_eq!(stats["track_requests"], 4, "{stats}");
}

/// An opt-in without a client secret gets no refresh at UPS: a 401 must not try one, since
/// UPS's refusal would end the opt-in.
#[test]
fn a_401_for_an_opt_in_without_a_client_secret_tries_no_refresh() {
    let sandbox = Sandbox::new();
    let sim = Sim::start(&[]);
    opt_in(&sandbox, &sim, "public");
    sim.fault(r#"{"endpoint": "track", "status": 401}"#);
    let run = sandbox.run(&["api", DELIVERED]);
    assert_eq!(run.code, ExitCode::ApiError, "{run:?}");
    assert!(
        run.stderr
            .contains("without a client secret, so no refresh was tried"),
        "{run:?}"
    );
    assert_eq!(sim.stats()["refresh_requests"], 0);
    assert_eq!(
        sandbox.list_json()[0]["status"],
        "active",
        "the opt-in lives on"
    );
    assert_eq!(sandbox.run(&["api", DELIVERED]).code, ExitCode::Success);
}

#[test]
fn a_429_is_retried_after_retry_after_within_a_bound() {
    let (sandbox, sim, _id) = opted_in();
    sim.fault(
        r#"{"endpoint": "track", "status": 429, "times": 2, "headers": {"Retry-After": "1"}}"#,
    );
    let started = Instant::now();
    let run = sandbox.run(&["api", DELIVERED]);
    assert_eq!(run.code, ExitCode::Success, "{run:?}");
    assert!(
        started.elapsed() >= Duration::from_secs(2),
        "waited as asked"
    );
    assert_eq!(sim.stats()["track_requests"], 3);

    // A wait beyond the bound is not waited for: UPS's words and a hint at once.
    sim.fault(r#"{"endpoint": "track", "status": 429, "headers": {"Retry-After": "3600"}}"#);
    let started = Instant::now();
    let run = sandbox.run(&["api", DELIVERED]);
    assert!(started.elapsed() < Duration::from_secs(20), "{run:?}");
    assert_eq!(run.code, ExitCode::ApiError, "{run:?}");
    assert!(
        run.stderr.contains("10429: Too Many Requests")
            && run.stderr.contains("slow down")
            && run.stderr.contains("3600 s"),
        "{run:?}"
    );
    assert_eq!(sim.stats()["track_requests"], 4);

    // --no-retry: a 503 is the answer.
    sim.fault(r#"{"endpoint": "track", "status": 503, "headers": {"Retry-After": "1"}}"#);
    let run = sandbox.run(&["api", "--no-retry", DELIVERED]);
    assert_eq!(run.code, ExitCode::ApiError, "{run:?}");
    assert!(run.stderr.contains("503"), "{run:?}");
    assert_eq!(sim.stats()["track_requests"], 5);
}

/// The peak resident memory of a process (kB), from /proc.
fn vm_hwm_kb(pid: u32) -> u64 {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).unwrap();
    status
        .lines()
        .find_map(|l| l.strip_prefix("VmHWM:"))
        .and_then(|v| v.trim().trim_end_matches("kB").trim().parse().ok())
        .expect("VmHWM in /proc/PID/status")
}

/// Run `api ARGS` with stdout into a pipe; read `pause_after` bytes, then note the child's
/// peak memory while it still streams, then drain. Returns (bytes read, peak kB).
fn stream_and_measure(sandbox: &Sandbox, args: &[&str], pause_after: usize) -> (usize, u64) {
    let mut child = sandbox
        .cmd(args)
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let mut out = child.stdout.take().unwrap();
    let mut buf = vec![0u8; 64 * 1024];
    let mut total = 0;
    let mut peak = None;
    loop {
        let n = out.read(&mut buf).unwrap();
        if n == 0 {
            break;
        }
        total += n;
        if peak.is_none() && total >= pause_after {
            peak = Some(vm_hwm_kb(child.id()));
        }
    }
    assert!(child.wait().unwrap().success());
    (
        total,
        peak.unwrap_or_else(|| panic!("only {total} bytes came")),
    )
}

#[test]
fn a_body_of_many_mb_is_streamed_in_bounded_memory() {
    let (sandbox, sim, _id) = opted_in();
    let small = stream_and_measure(&sandbox, &["api", DELIVERED], 1);
    sim.settings(r#"{"track_pod_bytes": 30000000}"#);
    let pod = format!("{DELIVERED}?returnPOD=true");
    let (bytes, peak) = stream_and_measure(&sandbox, &["api", &pod], 32_000_000);
    assert!(bytes > 40_000_000, "a POD answer of {bytes} bytes");
    // Memory stays near a small call's, whatever the size of the answer.
    assert!(
        peak < small.1 + 8 * 1024,
        "peak {peak} kB for {bytes} bytes, vs {} kB for a small answer",
        small.1
    );
}

#[test]
fn on_a_terminal_the_answer_is_indented_and_coloured_unless_no_color() {
    let (sandbox, _sim, _id) = opted_in();
    let args = format!("{BIN} api {DELIVERED}");
    let tty = on_a_terminal(&sandbox.cmd(&[]), &args).exec();
    assert_eq!(tty.code, ExitCode::Success, "{tty:?}");
    assert!(
        tty.stdout
            .starts_with("{\r\n  \x1b[1;34m\"trackResponse\"\x1b[0m: {"),
        "{tty:?}"
    );
    assert!(
        tty.stdout.contains("\x1b[32m\"Delivered\"\x1b[0m"),
        "{tty:?}"
    );
    let mut no_color = sandbox.cmd(&[]);
    no_color.env("NO_COLOR", "1");
    let plain = on_a_terminal(&no_color, &args).exec();
    assert!(
        plain.stdout.starts_with("{\r\n  \"trackResponse\": {") && !plain.stdout.contains('\x1b'),
        "{plain:?}"
    );
}

// ---- The simulator's Track answers against Tracking.yaml's schemas ----

/// A small validator for the OpenAPI 3.0 schemas Tracking.yaml uses: `$ref`, `type`
/// (object, array, string, boolean, integer) and `properties`; a property the schema does
/// not name is an error too, so the simulator cannot drift from UPS's document.
struct Schemas(serde_json::Value);

impl Schemas {
    fn load() -> Schemas {
        // UPS's own document, kept beside the tests as published (MIT, tests/ups/LICENSE).
        let path = repo_path("tests/ups/Tracking.yaml");
        let text =
            std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
        let doc: serde_json::Value = serde_norway::from_str(&text).unwrap();
        Schemas(doc)
    }

    fn check(&self, schema_name: &str, value: &serde_json::Value) {
        let schema = self.0["components"]["schemas"][schema_name].clone();
        assert!(schema.is_object(), "no schema {schema_name}");
        let mut errors = Vec::new();
        self.walk(&schema, value, schema_name, &mut errors);
        assert!(errors.is_empty(), "{schema_name}: {errors:#?}\n{value:#}");
    }

    fn walk(
        &self,
        schema: &serde_json::Value,
        value: &serde_json::Value,
        at: &str,
        errors: &mut Vec<String>,
    ) {
        if let Some(reference) = schema["$ref"].as_str() {
            let name = reference.rsplit('/').next().unwrap();
            let target = &self.0["components"]["schemas"][name];
            assert!(target.is_object(), "dangling {reference}");
            return self.walk(target, value, at, errors);
        }
        let ok = match schema["type"].as_str() {
            Some("object") | None => value.is_object(),
            Some("array") => value.is_array(),
            Some("string") => value.is_string(),
            Some("boolean") => value.is_boolean(),
            Some("integer") => value.is_i64() || value.is_u64(),
            Some(other) => panic!("{at}: schema type {other} not handled"),
        };
        if !ok {
            errors.push(format!("{at}: expected {:?}, got {value}", schema["type"]));
            return;
        }
        if let Some(items) = value.as_array() {
            for (i, item) in items.iter().enumerate() {
                self.walk(&schema["items"], item, &format!("{at}[{i}]"), errors);
            }
        }
        if let Some(fields) = value.as_object() {
            for (key, field) in fields {
                match schema["properties"].get(key) {
                    Some(sub) => self.walk(sub, field, &format!("{at}.{key}"), errors),
                    None => errors.push(format!("{at}.{key}: not in the schema")),
                }
            }
        }
    }
}

#[test]
fn the_simulators_track_answers_validate_against_tracking_yaml() {
    let schemas = Schemas::load();
    let (sandbox, sim, _id) = opted_in();
    let token = sandbox.run(&["token"]).stdout.trim().to_string();
    let bearer = format!("Bearer {token}");
    let headers = [
        ("Authorization", bearer.as_str()),
        ("transId", "0123456789abcdef0123456789abcdef"),
        ("transactionSrc", "testing"),
    ];
    let all = "?returnMilestones=true&returnSignature=true&returnPOD=true&locale=en_US";
    let mut documents = 0;
    for number in [
        "1Z12345E0205271688",
        "1Z023E2X0214323462",
        "1Z12345E1305277940",
        "1Z12345E6605272234",
    ] {
        for target in [
            format!("/api/track/v1/details/{number}"),
            format!("/api/track/v1/details/{number}{all}"),
            format!("/api/track/v1/shipment/details/{number}"),
        ] {
            let (status, body) = http(sim.port(), "GET", &target, &headers, "");
            assert_eq!(status, 200, "{target}: {body}");
            schemas.check("TrackApiResponse", &serde_json::from_str(&body).unwrap());
            documents += 1;
        }
    }
    let (status, body) = http(
        sim.port(),
        "GET",
        "/api/track/v1/reference/details/ShipRef123",
        &headers,
        "",
    );
    assert_eq!(status, 200, "{body}");
    let reference: serde_json::Value = serde_json::from_str(&body).unwrap();
    schemas.check("TrackApiResponse", &reference);
    assert_eq!(
        reference["trackResponse"]["shipment"][0]["inquiryNumber"],
        "1Z12345E0205271688"
    );

    // Every error answer is UPS's `Response` envelope, with the status Tracking.yaml gives.
    let no_token = [headers[1], headers[2]];
    let no_trans_id = [headers[0], headers[2]];
    let no_source = [headers[0], headers[1]];
    let bad_token = [
        ("Authorization", "Bearer not-a-token"),
        headers[1],
        headers[2],
    ];
    type Case<'a> = (&'a str, &'a [(&'a str, &'a str)], u16, &'a str);
    let cases: [Case; 6] = [
        (
            "/api/track/v1/details/1Z12345E0205271688",
            &no_token,
            401,
            "250002",
        ),
        (
            "/api/track/v1/details/1Z12345E0205271688",
            &bad_token,
            401,
            "250002",
        ),
        (
            "/api/track/v1/details/1Z12345E0205271688",
            &no_trans_id,
            400,
            "10400",
        ),
        (
            "/api/track/v1/details/1Z12345E0205271688",
            &no_source,
            400,
            "10400",
        ),
        ("/api/track/v1/details/123456", &headers, 400, "151018"),
        (
            "/api/track/v1/details/1Z99999X0000000000",
            &headers,
            404,
            "151044",
        ),
    ];
    for (target, headers, want, code) in cases {
        let (status, body) = http(sim.port(), "GET", target, headers, "");
        assert_eq!(status, want, "{target}: {body}");
        let envelope: serde_json::Value = serde_json::from_str(&body).unwrap();
        schemas.check("Response", &envelope);
        assert_eq!(envelope["response"]["errors"][0]["code"], code, "{body}");
    }
    assert_eq!(documents, 12);
}
