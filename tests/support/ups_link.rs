//! The network between idm-auth and UPS, played by a small HTTP relay on 127.0.0.1 in front
//! of the simulator. It records every exchange (so a test knows the codes, verifiers and
//! tokens that crossed the wire, and how often an endpoint was called) and can break a
//! connection the way real networks do: accept a request and never answer, hand the request
//! to UPS and then reset the connection before the answer gets back, or be slow to deliver
//! UPS's answer.

use std::collections::{HashMap, VecDeque};
use std::io::{BufRead, BufReader, Read, Write};
use std::net::{TcpListener, TcpStream};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

/// How the link breaks one request.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Fault {
    /// Accept the request and never answer (UPS never sees it).
    Silence,
    /// Pass the request to UPS, read UPS's answer, then reset the connection (RST).
    ResetAfterUps,
    /// Pass the request to UPS and hold UPS's answer this long before delivering it.
    SlowAnswer(Duration),
}

/// One request that crossed the link, and what came back from UPS (empty if none).
#[derive(Debug, Clone)]
pub struct Exchange {
    pub path: String,
    pub request_head: String,
    pub request_body: String,
    pub response: String,
    pub fault: Option<Fault>,
}

#[derive(Default)]
struct Shared {
    faults: HashMap<String, VecDeque<Fault>>,
    exchanges: Vec<Exchange>,
}

pub struct UpsLink {
    port: u16,
    shared: Arc<Mutex<Shared>>,
    stop: Arc<AtomicBool>,
}

impl UpsLink {
    /// A link to the UPS simulator listening on `upstream_port`.
    pub fn start(upstream_port: u16) -> UpsLink {
        let listener = TcpListener::bind(("127.0.0.1", 0)).expect("bind the link");
        listener.set_nonblocking(true).unwrap();
        let port = listener.local_addr().unwrap().port();
        let shared = Arc::new(Mutex::new(Shared::default()));
        let stop = Arc::new(AtomicBool::new(false));
        let (s, st) = (shared.clone(), stop.clone());
        std::thread::spawn(move || {
            while !st.load(Ordering::Relaxed) {
                match listener.accept() {
                    Ok((conn, _)) => {
                        let (s, st) = (s.clone(), st.clone());
                        std::thread::spawn(move || relay(conn, upstream_port, &s, &st));
                    }
                    Err(_) => std::thread::sleep(Duration::from_millis(5)),
                }
            }
        });
        UpsLink { port, shared, stop }
    }

    /// The base URL to give idm-auth instead of the simulator's.
    pub fn base_url(&self) -> String {
        format!("http://127.0.0.1:{}", self.port)
    }

    /// Break the next request to `path` (e.g. "/security/v1/oauth/refresh").
    pub fn fault(&self, path: &str, fault: Fault) {
        let mut shared = self.shared.lock().unwrap();
        shared
            .faults
            .entry(path.to_string())
            .or_default()
            .push_back(fault);
    }

    pub fn exchanges(&self) -> Vec<Exchange> {
        self.shared.lock().unwrap().exchanges.clone()
    }

    /// How many requests to `path` have crossed the link.
    pub fn count(&self, path: &str) -> usize {
        self.exchanges().iter().filter(|e| e.path == path).count()
    }

    /// Every secret that crossed the link: codes, PKCE verifiers, refresh tokens and client
    /// secrets in the requests, access and refresh tokens in UPS's answers.
    pub fn secrets(&self) -> Vec<String> {
        let mut found = Vec::new();
        for e in self.exchanges() {
            for (k, v) in url::form_urlencoded::parse(e.request_body.as_bytes()) {
                if ["code", "code_verifier", "refresh_token", "client_secret"].contains(&k.as_ref())
                {
                    found.push(v.into_owned());
                }
            }
            found.extend(e.request_head.lines().filter_map(basic_secret));
            let body = e
                .response
                .split_once("\r\n\r\n")
                .map(|(_, b)| b)
                .unwrap_or("");
            if let Ok(json) = serde_json::from_str::<serde_json::Value>(body) {
                for key in ["access_token", "refresh_token"] {
                    if let Some(v) = json[key].as_str() {
                        found.push(v.to_string());
                    }
                }
            }
        }
        found.retain(|s| s.len() >= 8);
        found.sort();
        found.dedup();
        found
    }
}

impl Drop for UpsLink {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::Relaxed);
    }
}

/// The client secret of an `Authorization: Basic` header line (RFC 6749 §2.3.1 encoding).
fn basic_secret(line: &str) -> Option<String> {
    use base64::Engine;
    let (name, value) = line.split_once(':')?;
    if !name.trim().eq_ignore_ascii_case("authorization") {
        return None;
    }
    let b64 = value.trim().strip_prefix("Basic ")?;
    let creds = base64::engine::general_purpose::STANDARD.decode(b64).ok()?;
    let creds = String::from_utf8(creds).ok()?;
    let (_, secret) = creds.split_once(':')?;
    url::form_urlencoded::parse(format!("s={secret}").as_bytes())
        .next()
        .map(|(_, v)| v.into_owned())
}

/// Serve one client connection: one request, then close (every client here either asks for
/// that or gets `Connection: close` back from the simulator).
fn relay(conn: TcpStream, upstream: u16, shared: &Mutex<Shared>, stop: &AtomicBool) {
    let _ = conn.set_nonblocking(false);
    let _ = conn.set_read_timeout(Some(Duration::from_secs(30)));
    let mut reader = BufReader::new(match conn.try_clone() {
        Ok(c) => c,
        Err(_) => return,
    });
    let Some((head, body)) = read_message(&mut reader) else {
        return;
    };
    let path = head
        .split_whitespace()
        .nth(1)
        .unwrap_or("")
        .split('?')
        .next()
        .unwrap_or("")
        .to_string();
    let fault = shared
        .lock()
        .unwrap()
        .faults
        .get_mut(&path)
        .and_then(VecDeque::pop_front);
    let mut exchange = Exchange {
        path,
        request_head: head.clone(),
        request_body: String::from_utf8_lossy(&body).into_owned(),
        response: String::new(),
        fault,
    };
    if fault == Some(Fault::Silence) {
        shared.lock().unwrap().exchanges.push(exchange);
        while !stop.load(Ordering::Relaxed) {
            std::thread::sleep(Duration::from_millis(50));
        }
        return;
    }
    let response = forward(upstream, &head, &body);
    exchange.response = String::from_utf8_lossy(&response).into_owned();
    shared.lock().unwrap().exchanges.push(exchange);
    let mut conn = conn;
    if fault == Some(Fault::ResetAfterUps) {
        // SO_LINGER 0: closing sends RST instead of FIN, as a dropped middlebox would.
        let _ = socket2::SockRef::from(&conn).set_linger(Some(Duration::ZERO));
        return;
    }
    if let Some(Fault::SlowAnswer(delay)) = fault {
        std::thread::sleep(delay);
    }
    let _ = conn.write_all(&response);
}

/// Pass a request to UPS with `Connection: close` and read the whole answer.
fn forward(upstream: u16, head: &str, body: &[u8]) -> Vec<u8> {
    let mut out = Vec::new();
    let Ok(mut up) = TcpStream::connect(("127.0.0.1", upstream)) else {
        return out;
    };
    let _ = up.set_read_timeout(Some(Duration::from_secs(30)));
    let mut request: String = head
        .split("\r\n")
        .filter(|l| !l.to_ascii_lowercase().starts_with("connection:"))
        .map(|l| format!("{l}\r\n"))
        .collect();
    request.push_str("Connection: close\r\n\r\n");
    if up.write_all(request.as_bytes()).is_ok() && up.write_all(body).is_ok() {
        let _ = up.read_to_end(&mut out);
    }
    out
}

/// Read one HTTP request (head without the blank line, and the Content-Length body).
fn read_message(reader: &mut BufReader<TcpStream>) -> Option<(String, Vec<u8>)> {
    let mut head = String::new();
    loop {
        let mut line = String::new();
        if reader.read_line(&mut line).ok()? == 0 {
            return None;
        }
        if line == "\r\n" || line == "\n" {
            break;
        }
        head.push_str(&line);
        if head.len() > 64 * 1024 {
            return None;
        }
    }
    let length = head
        .lines()
        .filter_map(|l| l.split_once(':'))
        .find(|(k, _)| k.trim().eq_ignore_ascii_case("content-length"))
        .and_then(|(_, v)| v.trim().parse::<usize>().ok())
        .unwrap_or(0);
    let mut body = vec![0; length.min(1 << 20)];
    reader.read_exact(&mut body).ok()?;
    Some((head.trim_end().to_string(), body))
}
