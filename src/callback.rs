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
use crate::loopback_http::{Request, Server};
use crate::ups::printable;
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

    #[test]
    fn pages_escape_text_from_the_query() {
        let html = refused_page("x", Some("<script>alert(1)</script>"));
        assert!(!html.contains("<script>"));
        assert!(html.contains("&lt;script&gt;"));
    }
}
