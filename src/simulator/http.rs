//! The HTTP edge: turn a `tiny_http` request into a plain [`Incoming`] value (body read and
//! capped up front) and a plain [`Reply`] back into a response. Handlers only ever see these
//! two types, so they stay free of I/O and easy to reason about.

use std::io::Read;

/// Largest request body accepted; anything bigger gets 413 without being buffered.
pub(crate) const MAX_BODY: usize = 64 * 1024;

/// A fully read request.
#[derive(Debug, Clone, Default)]
pub(crate) struct Incoming {
    /// Upper-case method name, e.g. `GET`.
    pub method: String,
    /// Path without the query string, still percent-encoded.
    pub path: String,
    /// Raw query string (without `?`), empty when absent.
    pub query: String,
    /// Headers in arrival order; names compared case-insensitively.
    pub headers: Vec<(String, String)>,
    pub body: Vec<u8>,
}

impl Incoming {
    /// First value of a header, case-insensitive name.
    pub(crate) fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(n, _)| n.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }

    /// How many times a header occurs (repeated credentials are refused, not guessed at).
    pub(crate) fn header_count(&self, name: &str) -> usize {
        self.headers
            .iter()
            .filter(|(n, _)| n.eq_ignore_ascii_case(name))
            .count()
    }
}

/// Why a request body could not be read.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum BodyError {
    TooLarge,
    Unreadable,
}

/// Reads method, target, headers and (at most [`MAX_BODY`] bytes of) body.
pub(crate) fn read(request: &mut tiny_http::Request) -> Result<Incoming, BodyError> {
    if request.body_length().is_some_and(|n| n > MAX_BODY) {
        return Err(BodyError::TooLarge);
    }
    let mut body = Vec::new();
    request
        .as_reader()
        .take(MAX_BODY as u64 + 1)
        .read_to_end(&mut body)
        .map_err(|_| BodyError::Unreadable)?;
    if body.len() > MAX_BODY {
        return Err(BodyError::TooLarge);
    }
    let (path, query) = split_target(request.url());
    Ok(Incoming {
        method: request.method().as_str().to_ascii_uppercase(),
        path,
        query,
        headers: request
            .headers()
            .iter()
            .map(|h| (h.field.as_str().to_string(), h.value.as_str().to_string()))
            .collect(),
        body,
    })
}

/// Splits a request target into path and query (a fragment never belongs on the wire; drop it).
pub(crate) fn split_target(target: &str) -> (String, String) {
    let target = target.split('#').next().unwrap_or_default();
    match target.split_once('?') {
        Some((path, query)) => (path.to_string(), query.to_string()),
        None => (target.to_string(), String::new()),
    }
}

/// A response before it is written.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Reply {
    pub status: u16,
    pub headers: Vec<(String, String)>,
    pub body: Vec<u8>,
}

impl Reply {
    pub(crate) fn new(status: u16, content_type: &str, body: impl Into<Vec<u8>>) -> Reply {
        let reply = Reply {
            status,
            headers: Vec::new(),
            body: body.into(),
        };
        if content_type.is_empty() {
            reply
        } else {
            reply.with_header("Content-Type", content_type)
        }
    }

    pub(crate) fn json(status: u16, value: &serde_json::Value) -> Reply {
        Reply::new(status, "application/json", value.to_string())
    }

    pub(crate) fn text(status: u16, message: &str) -> Reply {
        Reply::new(status, "text/plain; charset=utf-8", format!("{message}\n"))
    }

    /// An HTML page; the CSP forbids anything not inline in the page itself.
    pub(crate) fn html(status: u16, page: String) -> Reply {
        Reply::new(status, "text/html; charset=utf-8", page)
            .with_header(
                "Content-Security-Policy",
                "default-src 'none'; style-src 'unsafe-inline'",
            )
            .with_header("X-Frame-Options", "DENY")
            .with_header("X-Content-Type-Options", "nosniff")
    }

    pub(crate) fn redirect(location: &str) -> Reply {
        Reply::new(302, "", Vec::new()).with_header("Location", location)
    }

    pub(crate) fn no_content() -> Reply {
        Reply::new(204, "", Vec::new())
    }

    pub(crate) fn with_header(mut self, name: &str, value: &str) -> Reply {
        self.headers.push((name.to_string(), value.to_string()));
        self
    }

    pub(crate) fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(n, _)| n.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }
}

/// Writes a reply. Every answer is `no-store`: most of them carry codes, tokens or pages
/// bound to a one-time transaction. A header that cannot be encoded turns the whole answer
/// into a 500 rather than a silently different response.
pub(crate) fn send(request: tiny_http::Request, reply: Reply) {
    let has_cache_control = reply.header("Cache-Control").is_some();
    let mut headers = Vec::with_capacity(reply.headers.len() + 2);
    let mut encodable = true;
    for (name, value) in &reply.headers {
        match tiny_http::Header::from_bytes(name.as_bytes(), value.as_bytes()) {
            Ok(h) => headers.push(h),
            Err(()) => encodable = false,
        }
    }
    let (status, body) = if encodable {
        (reply.status, reply.body)
    } else {
        headers.clear();
        if let Ok(h) = tiny_http::Header::from_bytes("Content-Type", "text/plain; charset=utf-8") {
            headers.push(h);
        }
        (500, b"internal error: unencodable header\n".to_vec())
    };
    if !has_cache_control || !encodable {
        headers.extend(tiny_http::Header::from_bytes("Cache-Control", "no-store"));
        headers.extend(tiny_http::Header::from_bytes("Pragma", "no-cache"));
    }
    let mut response = tiny_http::Response::from_data(body).with_status_code(status);
    for h in headers {
        response.add_header(h);
    }
    // The client may have gone away; nothing useful to do about it.
    let _ = request.respond(response);
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn target_split() {
        assert_eq!(
            split_target("/a/b?x=1&y=2"),
            ("/a/b".to_string(), "x=1&y=2".to_string())
        );
        assert_eq!(split_target("/a"), ("/a".to_string(), String::new()));
        assert_eq!(
            split_target("/a?q#frag"),
            ("/a".to_string(), "q".to_string())
        );
        assert_eq!(split_target(""), (String::new(), String::new()));
    }

    #[test]
    fn header_lookup_is_case_insensitive() {
        let req = Incoming {
            headers: vec![
                ("authorization".into(), "a".into()),
                ("Authorization".into(), "b".into()),
            ],
            ..Incoming::default()
        };
        assert_eq!(req.header("AUTHORIZATION"), Some("a"));
        assert_eq!(req.header_count("Authorization"), 2);
        assert_eq!(req.header("x"), None);
    }
}
