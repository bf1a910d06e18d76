//! The loopback listener that catches UPS's redirect. Bound to 127.0.0.1 only, on the fixed
//! port of the registered redirect URI. Only a GET on the callback path carrying the state of
//! this attempt ends the wait; everything else (other paths, favicon, wrong or missing state,
//! a forged `error=` without the right state) gets a 4xx page and the listener keeps waiting.
//!
//! tiny_http reads each connection on its own worker thread, so a slow or endless request
//! never blocks this loop; the loop itself only ever waits with `recv_timeout`, so the
//! deadline always holds.

use crate::error::{Error, Result};
use crate::html::escape;
use crate::ups::printable;
use std::io::BufRead;
use std::sync::mpsc;
use std::time::{Duration, Instant};
use tiny_http::{Header, Request, Response, Server};
use url::form_urlencoded;

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

impl CallbackListener {
    /// Bind now, before any browser opens, so a busy port fails at once.
    pub fn bind(port: u16, path: &str) -> Result<CallbackListener> {
        let server = Server::http(("127.0.0.1", port)).map_err(|e| Error::Port {
            port,
            reason: e.to_string(),
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

    /// Wait until the real redirect arrives or `timeout` passes, and return the code. With
    /// `paste`, an address pasted on stdin (the one the browser ended on, for SSH sessions)
    /// counts as well; whichever arrives first wins, and both face the same state check.
    pub fn wait(&self, expected_state: &str, timeout: Duration, paste: bool) -> Result<String> {
        let deadline = Instant::now() + timeout;
        let pasted = paste.then(read_pasted_lines);
        let spinner = Spinner::start(!paste, deadline);
        loop {
            let now = Instant::now();
            if now >= deadline {
                return Err(Error::Timeout(timeout.as_secs()));
            }
            spinner.tick(deadline - now);
            if let Some(lines) = &pasted {
                while let Ok(line) = lines.try_recv() {
                    if let Some(result) = self.judge_pasted(&line, expected_state) {
                        return result;
                    }
                }
            }
            let slice = (deadline - now).min(Duration::from_millis(200));
            let request = match self.server.recv_timeout(slice) {
                Ok(Some(r)) => r,
                Ok(None) => continue,
                Err(e) => return Err(Error::Other(format!("the callback listener failed: {e}"))),
            };
            let verdict = parse_callback(
                request.method().as_str(),
                request.url(),
                &self.path,
                expected_state,
            );
            match verdict {
                Verdict::Code(code) => {
                    respond(request, 200, &success_page());
                    return Ok(code);
                }
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

    /// A pasted address: the end of the flow, or None (with a word to the admin) to wait on.
    fn judge_pasted(&self, line: &str, expected_state: &str) -> Option<Result<String>> {
        let line = line.trim();
        if line.is_empty() {
            return None;
        }
        let target = match url::Url::parse(line) {
            Ok(url) => match url.query() {
                Some(q) => format!("{}?{q}", url.path()),
                None => url.path().to_string(),
            },
            Err(_) => {
                crate::say!(
                    "That is not an address. Paste the whole address the browser ended on."
                );
                return None;
            }
        };
        match parse_callback("GET", &target, &self.path, expected_state) {
            Verdict::Code(code) => Some(Ok(code)),
            Verdict::Refused { error, description } => Some(Err(refusal(error, description))),
            Verdict::Ignore(_, reason) => {
                crate::say!("That address was not accepted: {reason} Paste the address the browser ended on.");
                None
            }
        }
    }
}

/// The callback's words are the network's, not ours: stripped of control characters before
/// they reach the terminal.
fn refusal(error: String, description: Option<String>) -> Error {
    let error = printable(&error);
    let description = description.map(|d| printable(&d));
    if error == "access_denied" {
        Error::Denied(description)
    } else {
        Error::OAuthCallback { error, description }
    }
}

/// Lines from stdin, read on their own thread so the listener never waits on the keyboard.
fn read_pasted_lines() -> mpsc::Receiver<String> {
    let (tx, rx) = mpsc::channel();
    std::thread::spawn(move || {
        for line in std::io::stdin().lock().lines() {
            let Ok(line) = line else { return };
            if tx.send(line).is_err() {
                return;
            }
        }
    });
    rx
}

/// The time left, spinning on stderr; only for a person at a terminal, never with `--quiet`,
/// and not while they are asked to paste (it would overwrite what they type).
struct Spinner(Option<indicatif::ProgressBar>);

impl Spinner {
    fn start(wanted: bool, deadline: Instant) -> Spinner {
        if !wanted || crate::output::quiet() || !crate::output::stderr_is_terminal() {
            return Spinner(None);
        }
        let bar = indicatif::ProgressBar::new_spinner();
        if let Ok(style) = indicatif::ProgressStyle::with_template("{spinner} {msg}") {
            bar.set_style(style);
        }
        bar.enable_steady_tick(Duration::from_millis(120));
        let spinner = Spinner(Some(bar));
        spinner.tick(deadline.saturating_duration_since(Instant::now()));
        spinner
    }

    fn tick(&self, left: Duration) {
        if let Some(bar) = &self.0 {
            let secs = left.as_secs();
            bar.set_message(format!(
                "Waiting for the consent in the browser ({}:{:02} left)",
                secs / 60,
                secs % 60
            ));
        }
    }
}

impl Drop for Spinner {
    fn drop(&mut self) {
        if let Some(bar) = &self.0 {
            bar.finish_and_clear();
        }
    }
}

fn respond(request: Request, status: u16, html: &str) {
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
    let mut response = Response::from_string(html).with_status_code(status);
    for (name, value) in headers {
        if let Ok(h) = Header::from_bytes(name, value) {
            response.add_header(h);
        }
    }
    // A browser that went away is no reason to fail the flow.
    let _ = request.respond(response);
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
        "The UPS Intelligent Data Management opt-in worked. You can close this tab and return to the terminal.",
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
