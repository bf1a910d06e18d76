//! The loopback listener that catches UPS's redirect, on the fixed port of the registered
//! redirect URI: on 127.0.0.1 or ::1 as the URI names, and on both for `localhost` (a browser
//! may resolve it either way, and another user must not be able to listen on the other one).
//! Only a GET on the callback path carrying the state of this attempt ends the wait;
//! everything else (other paths, favicon, wrong or missing state, a forged `error=` without
//! the right state) gets a 4xx page and the listener keeps waiting.
//!
//! Connections are read by the bounded server in loopback_http.rs, so a slow, endless or
//! huge request never blocks this loop nor grows memory or threads; the loop itself only
//! ever waits with a time-out, so the deadline always holds.

use crate::error::{Error, Result};
use crate::html::escape;
use crate::signin::loopback_http::{Request, Server};
use crate::ups::wire::printable;
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr, TcpListener};
use std::sync::mpsc;
use std::time::{Duration, Instant};
use url::{form_urlencoded, Host, Url};

/// What one request on the listener amounts to. Pure, so it can be tested on odd URLs.
#[derive(Debug, PartialEq, Eq)]
pub enum Verdict {
    /// The right state and a code: the flow can go on.
    Code(String),
    /// The right state and an OAuth error (e.g. `access_denied`): the flow ends.
    Refused {
        error: String,
        description: Option<String>,
    },
    /// Not ours: answer with this status and reason, and keep waiting.
    Ignore(u16, &'static str),
}

/// Judge one request line. `expected_state` is compared in constant time.
pub fn parse_callback(method: &str, target: &str, path: &str, expected_state: &str) -> Verdict {
    let (req_path, query) = target.split_once('?').unwrap_or((target, ""));
    if req_path != path {
        return Verdict::Ignore(404, "This is not the callback address.");
    }
    if method != "GET" {
        return Verdict::Ignore(405, "The callback accepts GET only.");
    }
    let mut state = Vec::new();
    let mut code = Vec::new();
    let mut error = Vec::new();
    let mut description = Vec::new();
    for (key, value) in form_urlencoded::parse(query.as_bytes()) {
        match key.as_ref() {
            "state" => state.push(value.into_owned()),
            "code" => code.push(value.into_owned()),
            "error" => error.push(value.into_owned()),
            "error_description" => description.push(value.into_owned()),
            _ => {}
        }
    }
    if state.len() > 1 || code.len() > 1 || error.len() > 1 || description.len() > 1 {
        return Verdict::Ignore(400, "A parameter appears more than once.");
    }
    match state.first() {
        Some(s) if constant_time_eq(s.as_bytes(), expected_state.as_bytes()) => {}
        Some(_) => return Verdict::Ignore(400, "The state does not match this sign-in attempt."),
        None => return Verdict::Ignore(400, "The state is missing."),
    }
    if let Some(error) = error.pop() {
        return Verdict::Refused {
            error,
            description: description.pop(),
        };
    }
    match code.pop() {
        Some(code) if !code.is_empty() => Verdict::Code(code),
        _ => Verdict::Ignore(400, "The code is missing."),
    }
}

fn constant_time_eq(a: &[u8], b: &[u8]) -> bool {
    if a.len() != b.len() {
        return false;
    }
    a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}

pub struct CallbackListener {
    server: Server,
    port: u16,
    path: String,
}

/// Why the port could not be bound, in the same words on every OS for the common case (the
/// OS's own text differs, and Windows' is "Only one usage of each socket address ...").
fn bind_failure(e: &std::io::Error) -> String {
    match e.kind() {
        std::io::ErrorKind::AddrInUse => "the port is already in use".into(),
        _ => e.to_string(),
    }
}

impl CallbackListener {
    /// Bind now, before any browser opens, so a busy port fails at once: every address the
    /// redirect URI's host can mean, or none.
    pub fn bind(redirect_uri: &str, port: u16, path: &str) -> Result<CallbackListener> {
        let mut listeners = Vec::new();
        for ip in listen_addresses(redirect_uri) {
            match TcpListener::bind((ip, port)) {
                Ok(listener) => listeners.push(listener),
                // No IPv6 loopback on this machine: nobody can listen there either.
                Err(e)
                    if ip.is_ipv6()
                        && e.kind() == std::io::ErrorKind::AddrNotAvailable
                        && redirect_uri_is_localhost(redirect_uri) => {}
                Err(e) => {
                    return Err(Error::Port {
                        port,
                        reason: format!(
                            "{}: {}",
                            std::net::SocketAddr::from((ip, port)),
                            bind_failure(&e)
                        ),
                    })
                }
            }
        }
        let server = Server::start(listeners).map_err(|e| Error::Port {
            port,
            reason: bind_failure(&e),
        })?;
        Ok(CallbackListener {
            server,
            port,
            path: path.to_string(),
        })
    }

    pub fn port(&self) -> u16 {
        self.port
    }

    /// Wait until the real redirect arrives or `timeout` passes, and return the code, with
    /// the browser's request held open when it came that way ([`Landing`]). What arrives on
    /// `elsewhere` (an address pasted on the terminal, already judged by the same rules, see
    /// tty.rs) counts as well; whichever comes first wins.
    pub fn wait(
        &self,
        expected_state: &str,
        timeout: Duration,
        elsewhere: Option<&mpsc::Receiver<Result<String>>>,
    ) -> Result<(String, Option<Landing>)> {
        let deadline = Instant::now() + timeout;
        loop {
            let now = Instant::now();
            if now >= deadline {
                return Err(Error::Timeout(timeout.as_secs()));
            }
            if let Some(Ok(outcome)) = elsewhere.map(mpsc::Receiver::try_recv) {
                return outcome.map(|code| (code, None));
            }
            let slice = (deadline - now).min(Duration::from_millis(200));
            let Some(request) = self.server.next(slice) else {
                continue;
            };
            let verdict =
                parse_callback(&request.method, &request.target, &self.path, expected_state);
            match verdict {
                // The page waits for the outcome: only stored tokens are a success.
                Verdict::Code(code) => return Ok((code, Some(Landing(request)))),
                Verdict::Refused { error, description } => {
                    respond(request, 200, &refused_page(&error, description.as_deref()));
                    return Err(refusal(error, description));
                }
                Verdict::Ignore(status, reason) => {
                    respond(
                        request,
                        status,
                        &page("Not the sign-in you are waiting for", reason),
                    );
                }
            }
        }
    }
}

/// The browser's request for the redirect, answered once the sign-in's outcome is known, so
/// the page never says "complete" when the exchange with UPS or the store then fails.
pub struct Landing(Request);

impl std::fmt::Debug for Landing {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Landing")
    }
}

impl Landing {
    /// The tokens are stored.
    pub fn succeeded(self) {
        respond(self.0, 200, &success_page());
    }

    /// The redirect came, but no opt-in was made: why, and where to look.
    pub fn failed(self, error: &Error) {
        respond(self.0, 200, &failed_page(&error.to_string()));
    }
}

/// The callback's words are the network's, not ours: stripped of control characters before
/// they reach the terminal.
pub fn refusal(error: String, description: Option<String>) -> Error {
    let error = printable(&error);
    let description = description.map(|d| printable(&d));
    if error == "access_denied" {
        Error::Denied(description)
    } else {
        Error::OAuthCallback { error, description }
    }
}

fn respond(request: Request, status: u16, html: &str) {
    let reason = match status {
        200 => "OK",
        404 => "Not Found",
        405 => "Method Not Allowed",
        _ => "Bad Request",
    };
    let headers = [
        ("Content-Type", "text/html; charset=utf-8"),
        ("Cache-Control", "no-store"),
        ("Referrer-Policy", "no-referrer"),
        (
            "Content-Security-Policy",
            "default-src 'none'; style-src 'unsafe-inline'",
        ),
        ("X-Content-Type-Options", "nosniff"),
        ("Connection", "close"),
    ];
    // A browser that went away is no reason to fail the flow.
    request.respond(status, reason, &headers, html);
}

/// The loopback addresses the redirect URI's host stands for.
fn listen_addresses(redirect_uri: &str) -> Vec<IpAddr> {
    let v4 = IpAddr::V4(Ipv4Addr::LOCALHOST);
    let v6 = IpAddr::V6(Ipv6Addr::LOCALHOST);
    match Url::parse(redirect_uri).ok().as_ref().and_then(Url::host) {
        Some(Host::Ipv4(ip)) => vec![IpAddr::V4(ip)],
        Some(Host::Ipv6(ip)) => vec![IpAddr::V6(ip)],
        Some(Host::Domain(_)) => vec![v4, v6],
        None => vec![v4],
    }
}

fn redirect_uri_is_localhost(redirect_uri: &str) -> bool {
    matches!(
        Url::parse(redirect_uri).ok().as_ref().and_then(Url::host),
        Some(Host::Domain(_))
    )
}

fn page(title: &str, body: &str) -> String {
    format!(
        "<!doctype html><html lang=\"en\"><head><meta charset=\"utf-8\"><title>{t} - idm-auth</title>\
<style>body{{font-family:sans-serif;max-width:36em;margin:4em auto;line-height:1.5}}</style></head>\
<body><h1>{t}</h1><p>{b}</p></body></html>",
        t = escape(&printable(title)),
        b = escape(&printable(body))
    )
}

fn success_page() -> String {
    page(
        "UPS opt-in complete",
        "The UPS Intelligent Data Management opt-in worked: its tokens are stored on this machine. You can close this tab and return to the terminal.",
    )
}

fn failed_page(why: &str) -> String {
    page(
        "UPS opt-in failed",
        &format!(
            "UPS sent the browser back, but no opt-in was made: {why}. The terminal running idm-auth authorize shows this too, with what to do next. You can close this tab."
        ),
    )
}

fn refused_page(error: &str, description: Option<&str>) -> String {
    let what = if error == "access_denied" {
        "The consent was denied, so no opt-in was made.".to_string()
    } else {
        format!("UPS reported an error: {error}.")
    };
    let body = match description {
        Some(d) => format!("{what} {d} You can close this tab."),
        None => format!("{what} You can close this tab."),
    };
    page("UPS opt-in failed", &body)
}

#[cfg(test)]
mod tests {
    use super::*;

    const S: &str = "expected-state-0123456789";

    #[test]
    fn the_right_state_and_a_code_complete() {
        let v = parse_callback(
            "GET",
            &format!("/callback?code=abc&state={S}"),
            "/callback",
            S,
        );
        assert_eq!(v, Verdict::Code("abc".into()));
    }

    #[test]
    fn anything_else_is_ignored_with_a_4xx() {
        let cases = [
            ("GET", "/favicon.ico".to_string()),
            ("GET", format!("/other?code=abc&state={S}")),
            ("POST", format!("/callback?code=abc&state={S}")),
            ("GET", "/callback?code=abc".to_string()),
            ("GET", "/callback?code=abc&state=wrong".to_string()),
            (
                "GET",
                "/callback?error=access_denied&state=wrong".to_string(),
            ),
            ("GET", "/callback?error=access_denied".to_string()),
            ("GET", format!("/callback?state={S}")),
            ("GET", format!("/callback?code=&state={S}")),
            ("GET", format!("/callback?code=a&code=b&state={S}")),
            ("GET", format!("/callback?code=a&state={S}&state={S}")),
            ("GET", format!("/callback?error=a&error=b&state={S}")),
            (
                "GET",
                format!("/callback?error=a&error_description=b&error_description=c&state={S}"),
            ),
            ("GET", format!("/callback/?code=a&state={S}")),
        ];
        for (method, target) in cases {
            match parse_callback(method, &target, "/callback", S) {
                Verdict::Ignore(status, _) => assert!((400..500).contains(&status), "{target}"),
                other => panic!("{method} {target} gave {other:?}"),
            }
        }
    }

    #[test]
    fn an_error_with_the_right_state_ends_the_flow() {
        let v = parse_callback(
            "GET",
            &format!("/callback?error=access_denied&error_description=User%20said%20no&state={S}"),
            "/callback",
            S,
        );
        assert_eq!(
            v,
            Verdict::Refused {
                error: "access_denied".into(),
                description: Some("User said no".into())
            }
        );
    }

    /// A state of the right length with a wrong character, or with two characters swapped
    /// (their differences cancel out under XOR), is still the wrong state.
    #[test]
    fn a_state_of_the_right_length_must_match_byte_for_byte() {
        let mut last = S.to_string();
        last.replace_range(S.len() - 1.., "X");
        let mut swapped = S.as_bytes().to_vec();
        swapped.swap(0, 1);
        let swapped = String::from_utf8(swapped).unwrap();
        for state in [last, swapped] {
            assert_eq!(
                parse_callback(
                    "GET",
                    &format!("/callback?code=a&state={state}"),
                    "/callback",
                    S
                ),
                Verdict::Ignore(400, "The state does not match this sign-in attempt."),
                "{state}"
            );
        }
    }

    /// A port nothing listens on right now.
    fn free_port() -> u16 {
        TcpListener::bind(("127.0.0.1", 0))
            .unwrap()
            .local_addr()
            .unwrap()
            .port()
    }

    /// Send `request` to the listener and read the whole answer.
    fn ask(port: u16, request: &str) -> String {
        use std::io::{Read, Write};
        let mut stream = std::net::TcpStream::connect(("127.0.0.1", port)).unwrap();
        stream.write_all(request.as_bytes()).unwrap();
        let mut answer = String::new();
        stream.read_to_string(&mut answer).unwrap();
        answer
    }

    fn get(target: &str) -> String {
        format!("GET {target} HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n")
    }

    #[test]
    fn the_listener_answers_strays_with_4xx_and_returns_the_real_code_with_a_locked_down_page() {
        let port = free_port();
        let uri = format!("http://127.0.0.1:{port}/callback");
        let listener = CallbackListener::bind(&uri, port, "/callback").unwrap();
        assert_eq!(listener.port(), port);
        let browser = std::thread::spawn(move || {
            let stray = [
                ("/favicon.ico", "404 Not Found"),
                ("/callback?code=x&state=wrong", "400 Bad Request"),
            ];
            for (target, status) in stray {
                let answer = ask(port, &get(target));
                assert!(
                    answer.starts_with(&format!("HTTP/1.1 {status}")),
                    "{answer}"
                );
                assert!(
                    answer.contains("Not the sign-in you are waiting for"),
                    "{answer}"
                );
            }
            let post = ask(
                port,
                &format!("POST /callback?code=x&state={S} HTTP/1.1\r\nContent-Length: 0\r\n\r\n"),
            );
            assert!(
                post.starts_with("HTTP/1.1 405 Method Not Allowed"),
                "{post}"
            );
            ask(port, &get(&format!("/callback?code=the-code&state={S}")))
        });
        let (code, landing) = listener.wait(S, Duration::from_secs(20), None).unwrap();
        assert_eq!(code, "the-code");
        landing
            .expect("the browser's request waits for the outcome")
            .succeeded();
        let answer = browser.join().unwrap();
        assert!(answer.starts_with("HTTP/1.1 200 OK"), "{answer}");
        assert!(answer.contains("UPS opt-in complete"), "{answer}");
        for header in [
            "Cache-Control: no-store",
            "Referrer-Policy: no-referrer",
            "Content-Security-Policy: default-src 'none'; style-src 'unsafe-inline'",
            "X-Content-Type-Options: nosniff",
            "Content-Type: text/html; charset=utf-8",
        ] {
            assert!(answer.contains(header), "{header} missing: {answer}");
        }
    }

    #[test]
    fn a_sign_in_that_fails_after_the_redirect_tells_the_browser_so() {
        let port = free_port();
        let uri = format!("http://127.0.0.1:{port}/callback");
        let listener = CallbackListener::bind(&uri, port, "/callback").unwrap();
        let browser =
            std::thread::spawn(move || ask(port, &get(&format!("/callback?code=c&state={S}"))));
        let (_, landing) = listener.wait(S, Duration::from_secs(20), None).unwrap();
        let landing = landing.expect("the browser's request waits for the outcome");
        assert_eq!(format!("{landing:?}"), "Landing");
        landing.failed(&Error::Other("UPS refused the token exchange".into()));
        let answer = browser.join().unwrap();
        assert!(answer.starts_with("HTTP/1.1 200 OK"), "{answer}");
        assert!(answer.contains("UPS opt-in failed"), "{answer}");
        assert!(
            answer.contains("UPS refused the token exchange"),
            "{answer}"
        );
        assert!(!answer.contains("opt-in complete"), "{answer}");
    }

    #[test]
    fn a_denial_with_the_right_state_ends_the_wait_as_denied() {
        let port = free_port();
        let uri = format!("http://127.0.0.1:{port}/callback");
        let listener = CallbackListener::bind(&uri, port, "/callback").unwrap();
        let browser = std::thread::spawn(move || {
            ask(
                port,
                &get(&format!("/callback?error=access_denied&state={S}")),
            )
        });
        let error = listener.wait(S, Duration::from_secs(20), None).unwrap_err();
        assert!(matches!(error, Error::Denied(None)), "{error:?}");
        let answer = browser.join().unwrap();
        assert!(answer.starts_with("HTTP/1.1 200 OK"), "{answer}");
        assert!(answer.contains("The consent was denied"), "{answer}");
        let other = refusal("server_error".into(), Some("down\u{7}".into()));
        assert!(
            matches!(&other, Error::OAuthCallback { error, description: Some(d) } if error == "server_error" && d == "down"),
            "{other:?}"
        );
        assert!(refused_page("server_error", None).contains("UPS reported an error: server_error."));
    }

    #[test]
    fn the_deadline_holds_and_a_pasted_address_counts_too() {
        let port = free_port();
        let uri = format!("http://127.0.0.1:{port}/callback");
        let listener = CallbackListener::bind(&uri, port, "/callback").unwrap();
        let started = Instant::now();
        let error = listener
            .wait(S, Duration::from_millis(300), None)
            .unwrap_err();
        assert!(matches!(error, Error::Timeout(0)), "{error:?}");
        let took = started.elapsed();
        assert!(
            took >= Duration::from_millis(300) && took < Duration::from_secs(5),
            "{took:?}"
        );

        let (pasted, elsewhere) = mpsc::channel();
        pasted.send(Ok("pasted-code".to_string())).unwrap();
        let (code, landing) = listener
            .wait(S, Duration::from_secs(20), Some(&elsewhere))
            .unwrap();
        assert_eq!(code, "pasted-code");
        assert!(landing.is_none(), "no browser request to answer");
    }

    #[test]
    fn a_busy_port_is_named_as_in_use_and_localhost_means_both_loopbacks() {
        let holder = TcpListener::bind(("127.0.0.1", 0)).unwrap();
        let port = holder.local_addr().unwrap().port();
        let uri = format!("http://127.0.0.1:{port}/callback");
        match CallbackListener::bind(&uri, port, "/callback") {
            Err(Error::Port { port: p, reason }) => {
                assert_eq!(p, port);
                assert!(reason.ends_with(": the port is already in use"), "{reason}");
                assert!(reason.starts_with(&format!("127.0.0.1:{port}")), "{reason}");
            }
            other => panic!("{:?}", other.map(|l| l.port())),
        }
        let v4 = IpAddr::V4(Ipv4Addr::LOCALHOST);
        let v6 = IpAddr::V6(Ipv6Addr::LOCALHOST);
        // `localhost` needs both: another user must not get the one left over.
        for ip in [v4, v6] {
            let holder = TcpListener::bind((ip, 0)).unwrap();
            let port = holder.local_addr().unwrap().port();
            let uri = format!("http://localhost:{port}/callback");
            match CallbackListener::bind(&uri, port, "/callback") {
                Err(Error::Port { reason, .. }) => {
                    assert!(reason.contains("already in use"), "{reason}")
                }
                other => panic!("{ip} busy: {:?}", other.map(|l| l.port())),
            }
        }
        assert_eq!(listen_addresses("http://localhost:5001/"), vec![v4, v6]);
        assert_eq!(listen_addresses("http://127.0.0.1:5001/"), vec![v4]);
        assert_eq!(listen_addresses("http://[::1]:5001/"), vec![v6]);
        assert!(redirect_uri_is_localhost("http://localhost:5001/"));
        assert!(!redirect_uri_is_localhost("http://127.0.0.1:5001/"));
    }

    #[test]
    fn pages_escape_text_from_the_query() {
        let html = refused_page("x", Some("<script>alert(1)</script>"));
        assert!(!html.contains("<script>"));
        assert!(html.contains("&lt;script&gt;"));
    }
}
