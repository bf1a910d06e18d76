//! The HTTP transport for talking to UPS: reqwest's blocking client with redirects off,
//! time-outs set and a cap on response size. It also remembers the status line of the last
//! answer, because the `oauth2` crate drops it when a body is not JSON (a gateway's HTML 502)
//! and the admin needs to be told which status UPS's side answered with.
//!
//! A failure is sorted by whether the request can have reached UPS: a refused connection
//! means UPS never saw it, but a reset or a silence after the request went out means UPS may
//! have acted on it, and for a one-time code or a rotating refresh token that matters.

use oauth2::{HttpRequest, HttpResponse};
use std::io::Read;
use std::sync::Mutex;
use std::time::Duration;

/// More than any token response; a gateway page larger than this is cut off.
const MAX_BODY_BYTES: u64 = 1024 * 1024;

#[derive(Debug, Clone, Default)]
pub struct LastAnswer {
    pub status: Option<u16>,
    pub content_type: Option<String>,
    pub retry_after: Option<String>,
}

pub struct UpsHttp {
    client: oauth2::reqwest::blocking::Client,
    last: Mutex<LastAnswer>,
}

#[derive(Debug, thiserror::Error)]
pub enum TransportError {
    /// No connection was made: the request never left this machine.
    #[error("{0}")]
    NotSent(String),
    /// The request went out but no complete answer came back: UPS may have acted on it.
    #[error("{0}")]
    AnswerLost(String),
    #[error("the request could not be built")]
    Build,
}

/// What the OAuth flow needs from a transport: the exchange itself, and the status line of
/// the last answer. The fuzz targets put canned answers behind it.
pub trait Transport: oauth2::SyncHttpClient<Error = TransportError> {
    fn last_answer(&self) -> LastAnswer;
}

impl UpsHttp {
    pub fn new(timeout: Duration) -> Result<UpsHttp, String> {
        let client = oauth2::reqwest::blocking::Client::builder()
            .redirect(oauth2::reqwest::redirect::Policy::none())
            .connect_timeout(Duration::from_secs(10).min(timeout))
            .timeout(timeout)
            .user_agent(concat!("idm-auth/", env!("CARGO_PKG_VERSION")))
            .build()
            .map_err(|e| format!("could not set up HTTPS: {e}"))?;
        Ok(UpsHttp {
            client,
            last: Mutex::new(LastAnswer::default()),
        })
    }
}

impl Transport for UpsHttp {
    fn last_answer(&self) -> LastAnswer {
        self.last.lock().map(|l| l.clone()).unwrap_or_default()
    }
}

/// Secrets go to UPS over https only; plain http only to this machine (the simulator). Checked
/// on every request, not only when the settings are read: the origin of a refresh comes from
/// the index file, and a forged index must not send a refresh token in the clear.
pub fn check_destination(url: &url::Url) -> Result<(), String> {
    let loopback = match url.host() {
        Some(url::Host::Domain(d)) => d.eq_ignore_ascii_case("localhost"),
        Some(url::Host::Ipv4(ip)) => ip.is_loopback(),
        Some(url::Host::Ipv6(ip)) => ip.is_loopback(),
        None => false,
    };
    match url.scheme() {
        "https" => Ok(()),
        "http" if loopback => Ok(()),
        scheme => Err(format!(
            "refused to send a request to {}://{}: https is required for any host but this machine's loopback",
            scheme,
            url.host_str().unwrap_or("?")
        )),
    }
}

/// Why a request failed, in words that carry no URL query or body.
fn describe(e: &oauth2::reqwest::Error) -> String {
    let kind = if e.is_timeout() {
        "no answer in time"
    } else if e.is_connect() {
        "connection failed"
    } else if e.is_body() || e.is_decode() {
        "the connection broke while reading the answer"
    } else {
        "request failed"
    };
    // The source chain says e.g. "Connection refused"; the URL is stripped so no query leaks.
    let mut cause = String::new();
    let mut source = std::error::Error::source(e);
    while let Some(s) = source {
        cause = s.to_string();
        source = s.source();
    }
    if cause.is_empty() {
        kind.to_string()
    } else {
        format!("{kind} ({cause})")
    }
}

/// A transport that gives every request the same canned answer and never touches the
/// network: for unit tests and the fuzz targets, which must run the real response handling.
pub struct CannedAnswer {
    pub status: u16,
    pub content_type: Option<String>,
    pub retry_after: Option<String>,
    pub body: Vec<u8>,
}

impl oauth2::SyncHttpClient for CannedAnswer {
    type Error = TransportError;

    fn call(&self, _request: HttpRequest) -> Result<HttpResponse, TransportError> {
        let mut builder = oauth2::http::Response::builder().status(self.status);
        if let Some(content_type) = &self.content_type {
            builder = builder.header("content-type", content_type.as_str());
        }
        builder
            .body(self.body.clone())
            .map_err(|_| TransportError::Build)
    }
}

impl Transport for CannedAnswer {
    fn last_answer(&self) -> LastAnswer {
        LastAnswer {
            status: Some(self.status),
            content_type: self.content_type.clone(),
            retry_after: self.retry_after.clone(),
        }
    }
}

impl oauth2::SyncHttpClient for UpsHttp {
    type Error = TransportError;

    fn call(&self, request: HttpRequest) -> Result<HttpResponse, TransportError> {
        if let Ok(mut last) = self.last.lock() {
            *last = LastAnswer::default();
        }
        let request: oauth2::reqwest::blocking::Request =
            request.try_into().map_err(|_| TransportError::Build)?;
        check_destination(request.url()).map_err(TransportError::NotSent)?;
        let response = self.client.execute(request).map_err(|e| {
            if e.is_connect() || e.is_builder() {
                TransportError::NotSent(describe(&e))
            } else {
                TransportError::AnswerLost(describe(&e))
            }
        })?;
        let header = |name: &str| {
            response
                .headers()
                .get(name)
                .and_then(|v| v.to_str().ok())
                .map(str::to_owned)
        };
        let answer = LastAnswer {
            status: Some(response.status().as_u16()),
            content_type: header("content-type"),
            retry_after: header("retry-after"),
        };
        let mut builder = oauth2::http::Response::builder().status(response.status());
        for (name, value) in response.headers() {
            builder = builder.header(name, value);
        }
        if let Ok(mut last) = self.last.lock() {
            *last = answer;
        }
        let mut body = Vec::new();
        response
            .take(MAX_BODY_BYTES)
            .read_to_end(&mut body)
            .map_err(|e| {
                TransportError::AnswerLost(format!(
                    "the connection broke while reading the answer ({e})"
                ))
            })?;
        builder.body(body).map_err(|_| TransportError::Build)
    }
}
