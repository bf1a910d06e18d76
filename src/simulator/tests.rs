//! End-to-end tests against the real server on 127.0.0.1, spoken to with a minimal
//! `TcpStream` HTTP/1.1 client so every byte on the wire is under the test's control.

use std::collections::HashMap;
use std::io::{Read, Write};
use std::net::TcpStream;
use std::time::Duration;

use base64::Engine;
use serde_json::{json, Value};

use super::{Config, Simulator};

const VERIFIER: &str = "dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk";
const CHALLENGE: &str = "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM";
const CB: &str = "http://127.0.0.1:53682/callback";
const SECRET: &str = "s3cret+/=";

struct Resp {
    status: u16,
    headers: Vec<(String, String)>,
    body: Vec<u8>,
}

impl Resp {
    fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(n, _)| n.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }

    fn text(&self) -> String {
        String::from_utf8_lossy(&self.body).into_owned()
    }

    fn json(&self) -> Value {
        serde_json::from_slice(&self.body)
            .unwrap_or_else(|e| panic!("not JSON ({e}): {}", self.text()))
    }

    /// `(code, message)` of a UPS error envelope.
    fn ups_error(&self) -> (String, String) {
        let v = self.json();
        let errors = v["response"]["errors"]
            .as_array()
            .expect("envelope")
            .clone();
        assert_eq!(errors.len(), 1, "{v}");
        (
            errors[0]["code"].as_str().unwrap().to_string(),
            errors[0]["message"].as_str().unwrap().to_string(),
        )
    }

    fn location(&self) -> String {
        self.header("location")
            .expect("Location header")
            .to_string()
    }
}

fn dechunk(mut data: &[u8]) -> Vec<u8> {
    let mut out = Vec::new();
    loop {
        let line_end = data
            .windows(2)
            .position(|w| w == b"\r\n")
            .expect("chunk size");
        let size_text = String::from_utf8_lossy(&data[..line_end]);
        let size = usize::from_str_radix(size_text.split(';').next().unwrap().trim(), 16).unwrap();
        data = &data[line_end + 2..];
        if size == 0 {
            return out;
        }
        out.extend_from_slice(&data[..size]);
        data = &data[size + 2..];
    }
}

/// Control tokens of the simulators these tests started, by base URL.
static CONTROL_TOKENS: std::sync::Mutex<Vec<(String, String)>> = std::sync::Mutex::new(Vec::new());

/// Start a simulator and remember its control token for `send`.
fn start(config: Config) -> std::io::Result<Simulator> {
    let sim = Simulator::start(config)?;
    CONTROL_TOKENS
        .lock()
        .unwrap()
        .push((sim.base_url(), sim.control_token().to_string()));
    Ok(sim)
}

fn control_token(base: &str) -> String {
    let tokens = CONTROL_TOKENS.lock().unwrap();
    let found = tokens.iter().find(|(b, _)| b == base);
    found.map(|(_, t)| t.clone()).unwrap_or_default()
}

/// A request as the tests' owner sends it: `/_simulator/` ones carry the control token.
fn send(base: &str, method: &str, target: &str, headers: &[(&str, &str)], body: &[u8]) -> Resp {
    let token;
    let mut headers = headers.to_vec();
    if target.starts_with("/_simulator/") {
        token = format!("Bearer {}", control_token(base));
        headers.push(("Authorization", &token));
    }
    send_as(base, method, target, &headers, body)
}

/// Exactly the request given, nothing added.
fn send_as(base: &str, method: &str, target: &str, headers: &[(&str, &str)], body: &[u8]) -> Resp {
    let host = base.trim_start_matches("http://");
    let mut stream = TcpStream::connect(host).expect("connect");
    stream
        .set_read_timeout(Some(Duration::from_secs(10)))
        .unwrap();
    let mut head = format!("{method} {target} HTTP/1.1\r\nHost: {host}\r\nConnection: close\r\n");
    if !body.is_empty() || method == "POST" {
        head.push_str(&format!("Content-Length: {}\r\n", body.len()));
    }
    for (n, v) in headers {
        head.push_str(&format!("{n}: {v}\r\n"));
    }
    head.push_str("\r\n");
    stream.write_all(head.as_bytes()).unwrap();
    stream.write_all(body).unwrap();
    let mut raw = Vec::new();
    stream.read_to_end(&mut raw).unwrap();
    let split = raw
        .windows(4)
        .position(|w| w == b"\r\n\r\n")
        .expect("header end");
    let head = String::from_utf8(raw[..split].to_vec()).unwrap();
    let mut lines = head.split("\r\n");
    let status = lines
        .next()
        .unwrap()
        .split(' ')
        .nth(1)
        .unwrap()
        .parse()
        .unwrap();
    let headers: Vec<(String, String)> = lines
        .filter_map(|l| l.split_once(':'))
        .map(|(n, v)| (n.trim().to_string(), v.trim().to_string()))
        .collect();
    let mut body = raw[split + 4..].to_vec();
    let chunked = headers
        .iter()
        .any(|(n, v)| n.eq_ignore_ascii_case("transfer-encoding") && v.contains("chunked"));
    if chunked {
        body = dechunk(&body);
    }
    Resp {
        status,
        headers,
        body,
    }
}

fn get(base: &str, target: &str) -> Resp {
    send(base, "GET", target, &[], b"")
}

fn form(pairs: &[(&str, &str)]) -> String {
    url::form_urlencoded::Serializer::new(String::new())
        .extend_pairs(pairs)
        .finish()
}

fn post_form(base: &str, target: &str, headers: &[(&str, &str)], pairs: &[(&str, &str)]) -> Resp {
    let mut all = vec![("Content-Type", "application/x-www-form-urlencoded")];
    all.extend_from_slice(headers);
    send(base, "POST", target, &all, form(pairs).as_bytes())
}

fn post_json(base: &str, target: &str, value: &Value) -> Resp {
    send(
        base,
        "POST",
        target,
        &[("Content-Type", "application/json")],
        value.to_string().as_bytes(),
    )
}

fn basic(id: &str, secret: &str) -> String {
    format!(
        "Basic {}",
        base64::engine::general_purpose::STANDARD.encode(format!("{id}:{secret}"))
    )
}

fn query_of(location: &str) -> HashMap<String, String> {
    url::Url::parse(location)
        .expect("absolute URL")
        .query_pairs()
        .into_owned()
        .collect()
}

fn public_sim() -> Simulator {
    start(Config::default()).expect("start")
}

/// A public client whose refreshes without Basic are served (a setting: UPS documents
/// /refresh with Basic only).
fn public_refresh_sim() -> Simulator {
    let sim = public_sim();
    settings(&sim, json!({"public_refresh": true}));
    sim
}

fn settings(sim: &Simulator, value: Value) {
    let r = post_json(&sim.base_url(), "/_simulator/settings", &value);
    assert_eq!(r.status, 204, "{value}: {}", r.text());
}

fn confidential_sim() -> Simulator {
    start(Config {
        client_secret: Some(SECRET.to_string()),
        ..Config::default()
    })
    .expect("start")
}

fn authorize_target(
    client_id: &str,
    redirect: &str,
    challenge: Option<&str>,
    state: Option<&str>,
) -> String {
    let mut pairs = vec![
        ("client_id", client_id),
        ("redirect_uri", redirect),
        ("response_type", "code"),
        ("scope", "read"),
    ];
    pairs.extend(challenge.map(|c| ("code_challenge", c)));
    pairs.extend(state.map(|s| ("state", s)));
    format!("/security/v1/oauth/authorize?{}", form(&pairs))
}

/// Pulls `attr="..."` following `marker` out of the page, like the scripted test browser.
fn extract(page: &str, marker: &str) -> String {
    let start = page
        .find(marker)
        .unwrap_or_else(|| panic!("{marker} not in page"))
        + marker.len();
    page[start..].split('"').next().unwrap().to_string()
}

/// Plays the browser: /authorize → sign-in page → submit the decision. Returns the final
/// redirect back to the application.
fn browse(sim: &Simulator, target: &str, decision: &str) -> String {
    let base = sim.base_url();
    let r = get(&base, target);
    assert_eq!(r.status, 302, "{}", r.text());
    let login = r.location();
    assert!(
        login.starts_with(&format!("{base}/lasso/signin?")),
        "{login}"
    );
    let page = get(&base, login.trim_start_matches(&base));
    assert_eq!(page.status, 200);
    let html = page.text();
    let action = extract(&html, "<form method=\"post\" action=\"");
    let txn = extract(&html, "<input type=\"hidden\" name=\"txn\" value=\"");
    let r = post_form(
        &base,
        &action,
        &[],
        &[
            ("txn", &txn),
            ("username", "demo-user"),
            ("decision", decision),
        ],
    );
    assert_eq!(r.status, 302, "{}", r.text());
    r.location()
}

/// The transaction of a fresh PKCE sign-in, as the authorize redirect names it.
fn consent_txn(sim: &Simulator) -> String {
    let r = get(
        &sim.base_url(),
        &authorize_target("idm-auth-demo", CB, Some(CHALLENGE), None),
    );
    query_of(&r.location())["txn"].clone()
}

/// The consent form posted with `pairs`.
fn consent(sim: &Simulator, pairs: &[(&str, &str)]) -> Resp {
    post_form(&sim.base_url(), "/lasso/consent", &[], pairs)
}

fn code_for(sim: &Simulator, challenge: Option<&str>) -> String {
    let location = browse(
        sim,
        &authorize_target("idm-auth-demo", CB, challenge, Some("st")),
        "approve",
    );
    query_of(&location)["code"].clone()
}

fn exchange_pkce(sim: &Simulator, code: &str, verifier: &str) -> Resp {
    post_form(
        &sim.base_url(),
        "/security/v1/oauth/token",
        &[],
        &[
            ("grant_type", "authorization_code"),
            ("code", code),
            ("redirect_uri", CB),
            ("client_id", "idm-auth-demo"),
            ("code_verifier", verifier),
        ],
    )
}

fn refresh_public(sim: &Simulator, token: &str) -> Resp {
    post_form(
        &sim.base_url(),
        "/security/v1/oauth/refresh",
        &[],
        &[
            ("grant_type", "refresh_token"),
            ("refresh_token", token),
            ("client_id", "idm-auth-demo"),
        ],
    )
}

fn stats(sim: &Simulator) -> Value {
    let r = get(&sim.base_url(), "/_simulator/stats");
    assert_eq!(r.status, 200);
    r.json()
}

fn introspect(sim: &Simulator, token: &str) -> bool {
    let r = post_form(
        &sim.base_url(),
        "/_simulator/introspect",
        &[],
        &[("token", token)],
    );
    assert_eq!(r.status, 200);
    r.json()["active"].as_bool().unwrap()
}

fn assert_token_response(r: &Resp, refresh_count: &str) {
    assert_eq!(r.status, 200, "{}", r.text());
    assert_eq!(r.header("content-type"), Some("application/json"));
    assert_eq!(r.header("cache-control"), Some("no-store"));
    assert_eq!(r.header("pragma"), Some("no-cache"));
    let v = r.json();
    let obj = v.as_object().unwrap();
    let mut keys: Vec<&str> = obj.keys().map(String::as_str).collect();
    keys.sort_unstable();
    assert_eq!(
        keys,
        [
            "access_token",
            "client_id",
            "expires_in",
            "issued_at",
            "refresh_count",
            "refresh_token",
            "refresh_token_expires_in",
            "refresh_token_issued_at",
            "refresh_token_status",
            "scope",
            "status",
            "token_type"
        ]
    );
    assert!(
        obj.values().all(Value::is_string),
        "every field a string: {v}"
    );
    assert_eq!(v["token_type"], "Bearer");
    assert_eq!(v["status"], "approved");
    assert_eq!(v["refresh_token_status"], "approved");
    assert_eq!(v["client_id"], "idm-auth-demo");
    assert_eq!(v["scope"], "read");
    assert_eq!(v["refresh_count"], refresh_count);
    let access = v["access_token"].as_str().unwrap();
    assert!(access.len() > 1000);
    assert_eq!(access.split('.').count(), 3);
    assert!(access.split('.').all(|p| !p.is_empty()
        && p.bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')));
    assert!(
        v["refresh_token"].as_str().unwrap().len() >= 22,
        "at least 128 bits"
    );
    let issued: u64 = v["issued_at"].as_str().unwrap().parse().unwrap();
    let now = super::state::now_ms();
    assert!(
        issued <= now && now - issued < 60_000,
        "milliseconds since the epoch"
    );
    assert_eq!(v["refresh_token_issued_at"], v["issued_at"]);
}

#[test]
fn pkce_approve_flow_end_to_end() {
    let sim = public_sim();
    let base = sim.base_url();
    assert!(base.starts_with("http://127.0.0.1:"));

    let r = get(
        &base,
        &authorize_target("idm-auth-demo", CB, Some(CHALLENGE), Some("xyz 1")),
    );
    assert_eq!(r.status, 302);
    assert_eq!(r.header("appname"), Some("idm-auth-demo"));
    assert_eq!(
        r.header("displayname"),
        Some(super::oauth::APP_DISPLAY_NAME)
    );
    let login = query_of(&r.location());
    assert_eq!(login["client_id"], "idm-auth-demo");
    assert_eq!(login["redirect_uri"], CB);
    assert_eq!(login["response_type"], "code");
    assert_eq!(login["scope"], "read");
    assert_eq!(login["state"], "xyz 1");
    assert_eq!(login["type"], "ups_com_api");

    let page = get(&base, r.location().trim_start_matches(&base));
    assert_eq!(page.status, 200);
    assert_eq!(page.header("cache-control"), Some("no-store"));
    assert!(page
        .header("content-type")
        .unwrap()
        .starts_with("text/html"));
    let html = page.text();
    assert!(html.contains("<h1>Log In</h1>"));
    assert!(html.contains("Email or Username"));
    assert!(html.contains("By continuing, I agree to the UPS Technology Agreement and authorize"));
    assert!(html.contains("id=\"approve\"") && html.contains("id=\"deny\""));

    let txn = extract(&html, "name=\"txn\" value=\"");
    assert_eq!(txn, login["txn"]);
    let r = consent(&sim, &[("txn", &txn), ("decision", "approve")]);
    assert_eq!(r.status, 302);
    let back = r.location();
    assert!(back.starts_with(&format!("{CB}?code=")), "{back}");
    let q = query_of(&back);
    assert_eq!(q["state"], "xyz 1");
    assert!(q["code"].len() >= 22);

    let r = exchange_pkce(&sim, &q["code"], VERIFIER);
    assert_token_response(&r, "0");
    let v = r.json();
    assert_eq!(v["expires_in"], "14399");
    assert_eq!(v["refresh_token_expires_in"], "5183999");
    assert!(introspect(&sim, v["access_token"].as_str().unwrap()));

    // The transaction was consumed by the decision.
    let again = consent(&sim, &[("txn", &txn), ("decision", "approve")]);
    assert_eq!(again.status, 400);
    assert!(get(&base, &format!("/lasso/signin?txn={txn}")).status == 400);

    let s = stats(&sim);
    assert_eq!(s["authorize"], 1);
    assert_eq!(s["consents"], 1);
    assert_eq!(s["token_requests"], 1);
    assert_eq!(s["tokens_issued"], 1);
    assert_eq!(s["refresh_requests"], 0);
    sim.shutdown();
}

#[test]
fn state_is_omitted_when_not_sent_and_existing_query_kept() {
    let sim = public_sim();
    let cb = "http://localhost:9999/cb?session=1";
    let location = browse(
        &sim,
        &authorize_target("idm-auth-demo", cb, Some(CHALLENGE), None),
        "approve",
    );
    assert!(
        location.starts_with("http://localhost:9999/cb?session=1&code="),
        "{location}"
    );
    assert!(!query_of(&location).contains_key("state"));
}

#[test]
fn deny_flow_redirects_with_access_denied() {
    let sim = public_sim();
    let location = browse(
        &sim,
        &authorize_target("idm-auth-demo", CB, Some(CHALLENGE), Some("s1")),
        "deny",
    );
    let q = query_of(&location);
    assert!(location.starts_with(CB));
    assert_eq!(q["error"], "access_denied");
    assert!(!q["error_description"].is_empty());
    assert_eq!(q["state"], "s1");
    assert!(!q.contains_key("code"));
    let s = stats(&sim);
    assert_eq!(s["consents"], 0);
    assert_eq!(s["denials"], 1);
}

#[test]
fn code_is_one_time_and_survives_failed_attempts() {
    let sim = public_sim();
    let code = code_for(&sim, Some(CHALLENGE));

    let wrong = exchange_pkce(&sim, &code, &"x".repeat(43));
    assert_eq!(wrong.status, 400);
    assert_eq!(
        wrong.ups_error(),
        ("10400".into(), "Invalid code_verifier".into())
    );

    let missing = post_form(
        &sim.base_url(),
        "/security/v1/oauth/token",
        &[],
        &[
            ("grant_type", "authorization_code"),
            ("code", &code),
            ("redirect_uri", CB),
            ("client_id", "idm-auth-demo"),
        ],
    );
    assert_eq!(missing.status, 400);
    assert_eq!(missing.ups_error().1, "Missing code_verifier");

    // Failures did not spend the code.
    assert_token_response(&exchange_pkce(&sim, &code, VERIFIER), "0");
    let reuse = exchange_pkce(&sim, &code, VERIFIER);
    assert_eq!(reuse.status, 400);
    assert_eq!(
        reuse.ups_error(),
        ("10400".into(), "Invalid Authorization Code".into())
    );

    let unknown = exchange_pkce(&sim, "not-a-code", VERIFIER);
    assert_eq!(unknown.ups_error().1, "Invalid Authorization Code");
    let s = stats(&sim);
    assert_eq!(s["token_requests"], 5);
    assert_eq!(s["tokens_issued"], 1);
}

#[test]
fn redirect_uri_must_be_byte_identical() {
    let sim = public_sim();
    let code = code_for(&sim, Some(CHALLENGE));
    for other in [
        "http://127.0.0.1:53682/callback/",
        "http://localhost:53682/callback",
        "http://127.0.0.1:53682/Callback",
    ] {
        let r = post_form(
            &sim.base_url(),
            "/security/v1/oauth/token",
            &[],
            &[
                ("grant_type", "authorization_code"),
                ("code", &code),
                ("redirect_uri", other),
                ("client_id", "idm-auth-demo"),
                ("code_verifier", VERIFIER),
            ],
        );
        assert_eq!(r.status, 400);
        assert!(r.ups_error().1.starts_with("Invalid redirect_uri"));
    }
    assert_token_response(&exchange_pkce(&sim, &code, VERIFIER), "0");
}

#[test]
fn basic_auth_is_checked_for_confidential_clients() {
    let sim = confidential_sim();
    let base = sim.base_url();
    let token = |auth: Option<&str>, code: &str, extra: &[(&str, &str)]| {
        let mut pairs = vec![
            ("grant_type", "authorization_code"),
            ("code", code),
            ("redirect_uri", CB),
        ];
        pairs.extend_from_slice(extra);
        let headers: Vec<(&str, &str)> = auth.map(|a| ("Authorization", a)).into_iter().collect();
        post_form(&base, "/security/v1/oauth/token", &headers, &pairs)
    };

    // Plain auth-code (no PKCE) with Basic.
    let code = code_for(&sim, None);
    let r = token(Some(&basic("idm-auth-demo", "wrong")), &code, &[]);
    assert_eq!(r.status, 401);
    assert_eq!(
        r.ups_error(),
        ("10401".into(), "Client Secret is Invalid".into())
    );
    let r = token(Some(&basic("someone-else", SECRET)), &code, &[]);
    assert_eq!(
        r.ups_error(),
        ("10401".into(), "ClientId is Invalid".into())
    );
    let r = token(Some("Bearer abc"), &code, &[]);
    assert_eq!(
        r.ups_error(),
        (
            "10401".into(),
            "Invalid/Missing Authorization Header".into()
        )
    );
    // No Basic and no PKCE: the client proved nothing.
    let r = token(None, &code, &[("client_id", "idm-auth-demo")]);
    assert_eq!(r.status, 401);
    let r = token(None, &code, &[]);
    assert_eq!(r.status, 401);
    // RFC 6749 form-encoded credentials are accepted as well as raw ones.
    let encoded = basic("idm-auth-demo", "s3cret%2B%2F%3D");
    let r = token(Some(&encoded), &code, &[]);
    assert_token_response(&r, "0");

    // PKCE code, public-client form (no Basic) works even though a secret is registered.
    let code = code_for(&sim, Some(CHALLENGE));
    assert_token_response(&exchange_pkce(&sim, &code, VERIFIER), "0");

    // PKCE code with Basic still needs the verifier.
    let code = code_for(&sim, Some(CHALLENGE));
    let r = token(Some(&basic("idm-auth-demo", SECRET)), &code, &[]);
    assert_eq!(r.ups_error().1, "Missing code_verifier");
    let r = token(
        Some(&basic("idm-auth-demo", SECRET)),
        &code,
        &[("code_verifier", VERIFIER)],
    );
    assert_token_response(&r, "0");
}

#[test]
fn refresh_rotates_and_spends_the_old_token() {
    let sim = public_refresh_sim();
    let code = code_for(&sim, Some(CHALLENGE));
    let first = exchange_pkce(&sim, &code, VERIFIER).json();
    let r0 = first["refresh_token"].as_str().unwrap().to_string();

    let r = refresh_public(&sim, &r0);
    assert_token_response(&r, "1");
    let second = r.json();
    let r1 = second["refresh_token"].as_str().unwrap().to_string();
    assert_ne!(r0, r1);
    assert_ne!(first["access_token"], second["access_token"]);

    let reuse = refresh_public(&sim, &r0);
    assert_eq!(reuse.status, 401);
    assert_eq!(
        reuse.ups_error(),
        ("10401".into(), "Invalid Refresh Token".into())
    );

    let r = refresh_public(&sim, &r1);
    assert_token_response(&r, "2");

    // A public client must name itself and must not send Basic.
    let r2 = r.json()["refresh_token"].as_str().unwrap().to_string();
    let no_id = post_form(
        &sim.base_url(),
        "/security/v1/oauth/refresh",
        &[],
        &[("grant_type", "refresh_token"), ("refresh_token", &r2)],
    );
    assert_eq!(no_id.status, 401);
    let with_basic = post_form(
        &sim.base_url(),
        "/security/v1/oauth/refresh",
        &[("Authorization", &basic("idm-auth-demo", "x"))],
        &[("grant_type", "refresh_token"), ("refresh_token", &r2)],
    );
    assert_eq!(with_basic.status, 401);
    let bad_grant = post_form(
        &sim.base_url(),
        "/security/v1/oauth/refresh",
        &[],
        &[
            ("grant_type", "authorization_code"),
            ("refresh_token", &r2),
            ("client_id", "idm-auth-demo"),
        ],
    );
    assert_eq!(
        bad_grant.ups_error(),
        ("10400".into(), "Invalid grant_type".into())
    );
    // None of the failures spent it.
    assert_token_response(&refresh_public(&sim, &r2), "3");

    let s = stats(&sim);
    assert_eq!(s["refresh_requests"], 7);
    assert_eq!(s["refreshes_issued"], 3);
}

#[test]
fn confidential_refresh_requires_basic() {
    let sim = confidential_sim();
    let code = code_for(&sim, Some(CHALLENGE));
    let rt = exchange_pkce(&sim, &code, VERIFIER).json()["refresh_token"]
        .as_str()
        .unwrap()
        .to_string();
    let pairs = [
        ("grant_type", "refresh_token"),
        ("refresh_token", rt.as_str()),
    ];
    let base = sim.base_url();
    let r = post_form(&base, "/security/v1/oauth/refresh", &[], &pairs);
    assert_eq!(
        r.ups_error(),
        (
            "10401".into(),
            "Invalid/Missing Authorization Header".into()
        )
    );
    let wrong = basic("idm-auth-demo", "nope");
    let r = post_form(
        &base,
        "/security/v1/oauth/refresh",
        &[("Authorization", &wrong)],
        &pairs,
    );
    assert_eq!(r.status, 401);
    let good = basic("idm-auth-demo", SECRET);
    let r = post_form(
        &base,
        "/security/v1/oauth/refresh",
        &[("Authorization", &good)],
        &pairs,
    );
    assert_token_response(&r, "1");
}

#[test]
fn password_change_invalidates_every_token() {
    let sim = public_refresh_sim();
    let a = exchange_pkce(&sim, &code_for(&sim, Some(CHALLENGE)), VERIFIER).json();
    let b = exchange_pkce(&sim, &code_for(&sim, Some(CHALLENGE)), VERIFIER).json();
    let access = a["access_token"].as_str().unwrap();
    assert!(introspect(&sim, access));

    let r = send(
        &sim.base_url(),
        "POST",
        "/_simulator/password-change",
        &[],
        b"",
    );
    assert_eq!(r.status, 204);
    assert!(!introspect(&sim, access));
    for v in [&a, &b] {
        let r = refresh_public(&sim, v["refresh_token"].as_str().unwrap());
        assert_eq!(r.status, 401);
        assert_eq!(r.ups_error().0, "10401");
    }
    // A new opt-in after the change works.
    let c = exchange_pkce(&sim, &code_for(&sim, Some(CHALLENGE)), VERIFIER).json();
    assert_token_response(
        &refresh_public(&sim, c["refresh_token"].as_str().unwrap()),
        "1",
    );
}

#[test]
fn settings_change_lifetimes_for_new_tokens() {
    let sim = public_refresh_sim();
    let base = sim.base_url();
    assert_eq!(
        post_json(&base, "/_simulator/settings", &json!({"access_ttl": 0})).status,
        204
    );
    let v = exchange_pkce(&sim, &code_for(&sim, Some(CHALLENGE)), VERIFIER).json();
    assert_eq!(v["expires_in"], "0");
    assert!(
        !introspect(&sim, v["access_token"].as_str().unwrap()),
        "expired at once"
    );

    assert_eq!(
        post_json(&base, "/_simulator/settings", &json!({"access_ttl": 3600})).status,
        204
    );
    let r = refresh_public(&sim, v["refresh_token"].as_str().unwrap());
    assert_eq!(r.json()["expires_in"], "3600");
    assert!(introspect(&sim, r.json()["access_token"].as_str().unwrap()));

    assert_eq!(
        post_json(&base, "/_simulator/settings", &json!({"refresh_ttl": 0})).status,
        204
    );
    let rt = r.json()["refresh_token"].as_str().unwrap().to_string();
    let r = refresh_public(&sim, &rt);
    assert_eq!(r.json()["refresh_token_expires_in"], "0");
    let expired = refresh_public(&sim, r.json()["refresh_token"].as_str().unwrap());
    assert_eq!(expired.status, 401);
    assert_eq!(expired.ups_error().1, "Refresh Token Expired");

    assert_eq!(
        post_json(
            &base,
            "/_simulator/settings",
            &json!({"access_token_min_len": 4096})
        )
        .status,
        204
    );
    let v = exchange_pkce(&sim, &code_for(&sim, Some(CHALLENGE)), VERIFIER).json();
    let long = v["access_token"].as_str().unwrap();
    assert!(long.len() >= 4096, "{}", long.len());
    assert!(introspect(&sim, long));

    for bad in [
        json!({"access_ttl": -1}),
        json!({"bogus": 1}),
        json!("x"),
        json!({"access_token_min_len": 1_000_000}),
    ] {
        assert_eq!(post_json(&base, "/_simulator/settings", &bad).status, 400);
    }
}

#[test]
fn faults_are_served_then_normal_processing_resumes() {
    let sim = public_refresh_sim();
    let base = sim.base_url();
    let fault = json!({"endpoint": "token", "status": 502, "content_type": "text/html",
                       "body": "<html>bad gateway</html>", "times": 1});
    assert_eq!(post_json(&base, "/_simulator/fault", &fault).status, 204);
    let blocked = json!({"endpoint": "refresh", "status": 403,
        "body": "{\"response\":{\"errors\":[{\"code\":\"10403\",\"message\":\"Blocked Merchant\"}]}}"});
    assert_eq!(post_json(&base, "/_simulator/fault", &blocked).status, 204);
    let limited = json!({"endpoint": "refresh", "status": 429, "body": "", "content_type": "",
        "headers": {"Retry-After": "1"}});
    assert_eq!(post_json(&base, "/_simulator/fault", &limited).status, 204);

    let code = code_for(&sim, Some(CHALLENGE));
    let r = exchange_pkce(&sim, &code, VERIFIER);
    assert_eq!(r.status, 502);
    assert_eq!(r.header("content-type"), Some("text/html"));
    assert_eq!(r.text(), "<html>bad gateway</html>");
    // The faulted request was not processed: the code is still good.
    let ok = exchange_pkce(&sim, &code, VERIFIER);
    assert_token_response(&ok, "0");

    let rt = ok.json()["refresh_token"].as_str().unwrap().to_string();
    let r = refresh_public(&sim, &rt);
    assert_eq!(r.status, 403);
    assert_eq!(r.ups_error(), ("10403".into(), "Blocked Merchant".into()));
    let r = refresh_public(&sim, &rt);
    assert_eq!(r.status, 429);
    assert_eq!(r.header("retry-after"), Some("1"));
    assert!(r.header("content-type").is_none());
    assert!(r.body.is_empty());
    assert_token_response(&refresh_public(&sim, &rt), "1");

    let s = stats(&sim);
    assert_eq!(s["token_requests"], 2);
    assert_eq!(s["tokens_issued"], 1);
    assert_eq!(s["refresh_requests"], 3);
    assert_eq!(s["refreshes_issued"], 1);

    for bad in [
        json!({"endpoint": "nope", "status": 502}),
        json!({"endpoint": "token", "status": 99}),
        json!({"endpoint": "token", "status": 500, "headers": {"X-Bad": "a\r\nb"}}),
        json!({"endpoint": "token"}),
    ] {
        assert_eq!(
            post_json(&base, "/_simulator/fault", &bad).status,
            400,
            "{bad}"
        );
    }
}

#[test]
fn authorize_validation_errors_use_the_ups_envelope() {
    let sim = public_sim();
    let base = sim.base_url();
    let check = |target: String, status: u16, code: &str, message: &str| {
        let r = get(&base, &target);
        assert_eq!(r.status, status, "{target}: {}", r.text());
        assert_eq!(r.header("content-type"), Some("application/json"));
        let (c, m) = r.ups_error();
        assert_eq!(c, code, "{target}");
        assert!(m.starts_with(message), "{target}: {m}");
    };
    check(
        authorize_target("someone", CB, Some(CHALLENGE), None),
        401,
        "10401",
        "ClientId is Invalid",
    );
    check(
        "/security/v1/oauth/authorize?redirect_uri=x&response_type=code".into(),
        400,
        "10400",
        "Missing client_id",
    );
    for bad_cb in [
        "https://127.0.0.1:1/cb",
        "http://evil.example/cb",
        "http://127.0.0.1:1/cb#f",
    ] {
        check(
            authorize_target("idm-auth-demo", bad_cb, Some(CHALLENGE), None),
            400,
            "10400",
            "Invalid redirect_uri",
        );
    }
    let t = format!(
        "/security/v1/oauth/authorize?client_id=idm-auth-demo&redirect_uri={}&code_challenge={CHALLENGE}",
        form(&[("", CB)]).trim_start_matches('=')
    );
    check(t.clone(), 400, "10400", "Missing response_type");
    check(
        format!("{t}&response_type=token"),
        400,
        "10400",
        "Invalid response_type",
    );
    check(
        format!("{t}&response_type=code&code_challenge_method=plain"),
        400,
        "10400",
        "Invalid code_challenge_method",
    );
    check(
        format!("{t}&response_type=code&response_type=code"),
        400,
        "10400",
        "Duplicate parameter",
    );
    check(
        authorize_target(
            "idm-auth-demo",
            CB,
            Some("E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM="),
            None,
        ),
        400,
        "10400",
        "Invalid code_challenge",
    );
    // A public client must use PKCE.
    check(
        authorize_target("idm-auth-demo", CB, None, None),
        400,
        "10400",
        "Missing code_challenge",
    );
    let ok = get(
        &base,
        &format!("{t}&response_type=code&code_challenge_method=S256"),
    );
    assert_eq!(ok.status, 302);
    assert_eq!(stats(&sim)["authorize"], 12);
}

#[test]
fn registered_redirect_uri_is_matched_exactly() {
    let sim = start(Config {
        redirect_uri: Some("https://idm.example.com/oauth/callback".into()),
        client_secret: Some(SECRET.into()),
        ..Config::default()
    })
    .unwrap();
    let base = sim.base_url();
    let r = get(&base, &authorize_target("idm-auth-demo", CB, None, None));
    assert_eq!(r.status, 400);
    let registered = "https://idm.example.com/oauth/callback";
    let loc = browse(
        &sim,
        &authorize_target("idm-auth-demo", registered, None, Some("q")),
        "approve",
    );
    assert!(loc.starts_with("https://idm.example.com/oauth/callback?code="));
}

#[test]
fn wrong_methods_unknown_paths_and_bad_bodies() {
    let sim = public_sim();
    let base = sim.base_url();

    let r = get(&base, "/security/v1/oauth/token");
    assert_eq!(r.status, 405);
    assert_eq!(r.header("allow"), Some("POST"));
    assert_eq!(r.ups_error(), ("10405".into(), "Method not allowed".into()));
    let r = send(&base, "POST", "/security/v1/oauth/authorize", &[], b"");
    assert_eq!(r.status, 405);
    assert_eq!(r.ups_error().0, "10405");
    let r = get(&base, "/security/v2/nothing");
    assert_eq!(r.status, 404);
    assert_eq!(r.ups_error(), ("10404".into(), "Resource not found".into()));
    let r = get(&base, "/nothing");
    assert_eq!(r.status, 404);
    assert!(r.header("content-type").unwrap().starts_with("text/plain"));
    assert_eq!(get(&base, "/lasso/consent").status, 405);

    // Token endpoint wants a form body.
    let r = send(
        &base,
        "POST",
        "/security/v1/oauth/token",
        &[("Content-Type", "application/json")],
        b"{\"grant_type\":\"authorization_code\"}",
    );
    assert_eq!(r.status, 415);
    assert_eq!(r.ups_error().0, "10415");

    // Oversized body: 413 with the envelope on UPS paths.
    let big = vec![b'a'; super::http::MAX_BODY + 1];
    let r = send(
        &base,
        "POST",
        "/security/v1/oauth/token",
        &[("Content-Type", "application/x-www-form-urlencoded")],
        &big,
    );
    assert_eq!(r.status, 413);
    assert_eq!(r.ups_error().0, "10413");

    // Garbage never panics the server.
    let r = send(
        &base,
        "POST",
        "/security/v1/oauth/token",
        &[
            ("Content-Type", "application/x-www-form-urlencoded"),
            ("Authorization", "Basic %%%"),
        ],
        &[0xff, 0xfe, b'=', b'&', b'%'],
    );
    assert_eq!(r.status, 401);
    let r = send(
        &base,
        "POST",
        "/lasso/consent",
        &[("Content-Type", "application/x-www-form-urlencoded")],
        b"txn=nope&decision=approve",
    );
    assert_eq!(r.status, 400);
    assert!(r.header("content-type").unwrap().starts_with("text/html"));
    assert_eq!(get(&base, "/lasso/signin?txn=%ff%fe").status, 400);
    assert_eq!(get(&base, "/lasso/signin").status, 400);
    // Still serving.
    assert_eq!(stats(&sim)["tokens_issued"], 0);
}

#[test]
fn consent_requires_a_valid_decision_and_keeps_the_txn_otherwise() {
    let sim = public_sim();
    let txn = consent_txn(&sim);
    let r = consent(&sim, &[("txn", &txn), ("decision", "maybe")]);
    assert_eq!(r.status, 400);
    let r = consent(&sim, &[("txn", &txn), ("decision", "approve")]);
    assert_eq!(r.status, 302);
}

#[test]
fn shutdown_closes_the_port() {
    let sim = public_sim();
    let base = sim.base_url();
    assert_eq!(stats(&sim)["authorize"], 0);
    sim.shutdown();
    let host = base.trim_start_matches("http://").to_string();
    assert!(TcpStream::connect(host).is_err());
}

#[test]
fn port_in_use_is_an_error() {
    let sim = public_sim();
    let taken = start(Config {
        port: sim.port(),
        ..Config::default()
    });
    assert_eq!(taken.unwrap_err().kind(), std::io::ErrorKind::AddrInUse);
}

#[test]
fn config_debug_redacts_the_secret() {
    let c = Config {
        client_secret: Some("topsecret".into()),
        ..Config::default()
    };
    let shown = format!("{c:?}");
    assert!(!shown.contains("topsecret"));
    assert!(shown.contains("redacted"));
}

#[test]
fn a_real_http_client_completes_the_flow_over_keep_alive() {
    use oauth2::reqwest::blocking::Client;
    use oauth2::reqwest::redirect::Policy;

    let sim = confidential_sim();
    let base = sim.base_url();
    let http = Client::builder().redirect(Policy::none()).build().unwrap();
    let r = http
        .get(format!(
            "{base}{}",
            authorize_target("idm-auth-demo", CB, Some(CHALLENGE), Some("k"))
        ))
        .send()
        .unwrap();
    assert_eq!(r.status().as_u16(), 302);
    let login = r.headers()["location"].to_str().unwrap().to_string();
    let html = http.get(&login).send().unwrap().text().unwrap();
    let txn = extract(&html, "name=\"txn\" value=\"");
    let r = http
        .post(format!("{base}/lasso/consent"))
        .form(&[("txn", txn.as_str()), ("decision", "approve")])
        .send()
        .unwrap();
    let back = r.headers()["location"].to_str().unwrap().to_string();
    let code = query_of(&back)["code"].clone();
    let r = http
        .post(format!("{base}/security/v1/oauth/token"))
        .basic_auth("idm-auth-demo", Some(SECRET))
        .form(&[
            ("grant_type", "authorization_code"),
            ("code", code.as_str()),
            ("redirect_uri", CB),
            ("code_verifier", VERIFIER),
        ])
        .send()
        .unwrap();
    assert_eq!(r.status().as_u16(), 200);
    let v: Value = serde_json::from_str(&r.text().unwrap()).unwrap();
    let rt = v["refresh_token"].as_str().unwrap();
    let r = http
        .post(format!("{base}/security/v1/oauth/refresh"))
        .basic_auth("idm-auth-demo", Some(SECRET))
        .form(&[("grant_type", "refresh_token"), ("refresh_token", rt)])
        .send()
        .unwrap();
    assert_eq!(r.status().as_u16(), 200);
    let v: Value = serde_json::from_str(&r.text().unwrap()).unwrap();
    assert_eq!(v["refresh_count"], "1");
    drop(http);
    sim.shutdown();
}

#[test]
fn public_refresh_is_refused_as_documented_unless_a_setting_allows_it() {
    let sim = public_sim();
    let code = code_for(&sim, Some(CHALLENGE));
    let rt = exchange_pkce(&sim, &code, VERIFIER).json()["refresh_token"]
        .as_str()
        .unwrap()
        .to_string();
    let r = refresh_public(&sim, &rt);
    assert_eq!(r.status, 401);
    assert_eq!(
        r.ups_error(),
        (
            "10401".into(),
            "Invalid/Missing Authorization Header".into()
        )
    );
    settings(&sim, json!({"public_refresh": true}));
    assert_token_response(&refresh_public(&sim, &rt), "1");
}

#[test]
fn unknown_parameters_are_ignored_even_repeated_while_known_ones_may_not_repeat() {
    let sim = public_sim();
    let base = sim.base_url();
    let target = authorize_target("idm-auth-demo", CB, Some(CHALLENGE), Some("s"));
    let r = get(&base, &format!("{target}&x-unknown=1&x-unknown=2"));
    assert_eq!(r.status, 302, "{}", r.text());
    let r = get(&base, &format!("{target}&state=again"));
    assert_eq!(r.status, 400);
    assert!(r.ups_error().1.starts_with("Duplicate parameter"));

    let code = code_for(&sim, Some(CHALLENGE));
    let r = post_form(
        &base,
        "/security/v1/oauth/token",
        &[],
        &[
            ("grant_type", "authorization_code"),
            ("code", &code),
            ("redirect_uri", CB),
            ("client_id", "idm-auth-demo"),
            ("code_verifier", VERIFIER),
            ("extra", "1"),
            ("extra", "2"),
        ],
    );
    assert_token_response(&r, "0");
}

#[test]
fn a_rate_limit_setting_answers_429_with_retry_after_everywhere() {
    let sim = public_refresh_sim();
    let code = code_for(&sim, Some(CHALLENGE));
    settings(&sim, json!({"rate_limited": true, "retry_after": 120}));
    let base = sim.base_url();
    let answers = [
        get(
            &base,
            &authorize_target("idm-auth-demo", CB, Some(CHALLENGE), None),
        ),
        get(
            &base,
            &format!(
                "/security/v1/oauth/validate-client?{}",
                form(&[("client_id", "idm-auth-demo"), ("redirect_uri", CB)])
            ),
        ),
        exchange_pkce(&sim, &code, VERIFIER),
        refresh_public(&sim, "anything"),
    ];
    for r in answers {
        assert_eq!(r.status, 429, "{}", r.text());
        assert_eq!(r.header("retry-after"), Some("120"));
        assert_eq!(r.ups_error(), ("10429".into(), "Too Many Requests".into()));
    }
    settings(&sim, json!({"rate_limited": false}));
    assert_token_response(&exchange_pkce(&sim, &code, VERIFIER), "0");
}

#[test]
fn a_blocked_user_gets_403_blocked_merchant_at_token_and_refresh() {
    let sim = public_refresh_sim();
    let first = exchange_pkce(&sim, &code_for(&sim, Some(CHALLENGE)), VERIFIER).json();
    settings(&sim, json!({"blocked_users": ["demo-user"]}));
    let rt = first["refresh_token"].as_str().unwrap();
    for r in [
        exchange_pkce(&sim, &code_for(&sim, Some(CHALLENGE)), VERIFIER),
        refresh_public(&sim, rt),
    ] {
        assert_eq!(r.status, 403);
        assert_eq!(r.ups_error(), ("10403".into(), "Blocked Merchant".into()));
    }
    // Another user of the same app is not blocked.
    let txn = consent_txn(&sim);
    let r = consent(
        &sim,
        &[
            ("txn", &txn),
            ("username", "other"),
            ("decision", "approve"),
        ],
    );
    let code = query_of(&r.location())["code"].clone();
    assert_token_response(&exchange_pkce(&sim, &code, VERIFIER), "0");
    settings(&sim, json!({"blocked_users": []}));
    assert_token_response(&refresh_public(&sim, rt), "1");
}

#[test]
fn validate_client_answers_for_the_client_and_its_registered_callbacks() {
    let sim = public_sim();
    let base = sim.base_url();
    let validate = |client_id: &str, redirect: &str| {
        get(
            &base,
            &format!(
                "/security/v1/oauth/validate-client?{}",
                form(&[("client_id", client_id), ("redirect_uri", redirect)])
            ),
        )
    };
    let ok = validate("idm-auth-demo", CB);
    assert_eq!(ok.status, 200, "{}", ok.text());
    let v = ok.json();
    assert_eq!(v["result"], "success");
    assert_eq!(v["type"], "ups_com_api");
    assert_eq!(v["LassoRedirectURL"], format!("{base}/lasso/signin"));

    let r = validate("someone-else", CB);
    assert_eq!(r.status, 401);
    assert_eq!(
        r.ups_error(),
        ("10401".into(), "ClientId is Invalid".into())
    );
    let r = validate("idm-auth-demo", "https://evil.example/cb");
    assert_eq!(r.status, 400);
    assert_eq!(
        r.ups_error(),
        ("10400".into(), "Invalid Redirect URL".into())
    );

    settings(&sim, json!({"redirect_uris": ["http://localhost:5001"]}));
    assert_eq!(
        validate("idm-auth-demo", "http://localhost:5001").status,
        200
    );
    assert_eq!(validate("idm-auth-demo", CB).status, 400);
    let r = get(
        &base,
        &authorize_target("idm-auth-demo", CB, Some(CHALLENGE), None),
    );
    assert_eq!(r.status, 400, "authorize checks the same registration");
    settings(&sim, json!({"redirect_uris": []}));
    assert_eq!(validate("idm-auth-demo", CB).status, 200);
    assert_eq!(stats(&sim)["validate_client"], 6);
}

#[test]
fn auto_approve_redirects_back_with_a_code_without_a_page() {
    let sim = start(Config {
        auto_approve: true,
        ..Config::default()
    })
    .unwrap();
    let r = get(
        &sim.base_url(),
        &authorize_target("idm-auth-demo", CB, Some(CHALLENGE), Some("st")),
    );
    assert_eq!(r.status, 302);
    let back = r.location();
    assert!(back.starts_with(&format!("{CB}?code=")), "{back}");
    let q = query_of(&back);
    assert_eq!(q["state"], "st");
    assert_token_response(&exchange_pkce(&sim, &q["code"], VERIFIER), "0");
    settings(&sim, json!({"auto_approve": false}));
    let r = get(
        &sim.base_url(),
        &authorize_target("idm-auth-demo", CB, Some(CHALLENGE), None),
    );
    assert!(r.location().contains("/lasso/signin?"));
}

#[test]
fn answer_statuses_follow_the_settings() {
    let sim = public_refresh_sim();
    settings(
        &sim,
        json!({"token_status": "pending", "refresh_token_status": "revoked"}),
    );
    let v = exchange_pkce(&sim, &code_for(&sim, Some(CHALLENGE)), VERIFIER).json();
    assert_eq!(v["status"], "pending");
    assert_eq!(v["refresh_token_status"], "revoked");
    for bad in [json!({"token_status": ""}), json!({"token_status": "a\nb"})] {
        assert_eq!(
            post_json(&sim.base_url(), "/_simulator/settings", &bad).status,
            400
        );
    }
}

#[test]
fn control_endpoints_need_the_token_and_the_simulators_own_host() {
    let sim = public_sim();
    let base = sim.base_url();
    let host = base.trim_start_matches("http://").to_string();
    let body = br#"{"access_ttl": 0}"#;
    let json = ("Content-Type", "application/json");
    let bearer = format!("Bearer {}", sim.control_token());
    let status = |headers: &[(&str, &str)]| {
        send_as(&base, "POST", "/_simulator/settings", headers, body).status
    };
    // A web page's form post: no token.
    assert_eq!(status(&[json]), 401);
    assert_eq!(status(&[json, ("Authorization", "Bearer guessed")]), 401);
    // DNS rebinding: the right token would not even be known, but a foreign Host is refused.
    let foreign = format!("attacker.example:{}", sim.port());
    let r = send_as(
        &format!("http://{host}"),
        "POST",
        "/_simulator/settings",
        &[json, ("Authorization", &bearer)],
        body,
    );
    assert_eq!(r.status, 204, "the owner's request");
    let mut stream = TcpStream::connect(&host).unwrap();
    stream
        .write_all(
            format!(
                "POST /_simulator/password-change HTTP/1.1\r\nHost: {foreign}\r\nAuthorization: {bearer}\r\nContent-Length: 0\r\nConnection: close\r\n\r\n"
            )
            .as_bytes(),
        )
        .unwrap();
    let mut answer = String::new();
    let _ = stream.read_to_string(&mut answer);
    assert!(answer.starts_with("HTTP/1.1 403"), "{answer}");
    assert_eq!(stats(&sim)["password_changes"], 0, "{}", stats(&sim));
}
