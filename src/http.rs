//! The HTTP transport for talking to UPS: reqwest's blocking client with redirects off,
//! time-outs set and a cap on response size. It also remembers the status line of the last
//! answer, because the `oauth2` crate drops it when a body is not JSON (a gateway's HTML 502)
//! and the admin needs to be told which status UPS's side answered with.

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
    #[error("{0}")]
    Send(String),
    #[error("the request could not be built")]
    Build,
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

    pub fn last_answer(&self) -> LastAnswer {
        self.last.lock().map(|l| l.clone()).unwrap_or_default()
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

impl oauth2::SyncHttpClient for UpsHttp {
    type Error = TransportError;

    fn call(&self, request: HttpRequest) -> Result<HttpResponse, TransportError> {
        if let Ok(mut last) = self.last.lock() {
            *last = LastAnswer::default();
        }
        let request: oauth2::reqwest::blocking::Request =
            request.try_into().map_err(|_| TransportError::Build)?;
        let response = self
            .client
            .execute(request)
            .map_err(|e| TransportError::Send(describe(&e)))?;
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
                TransportError::Send(format!(
                    "the connection broke while reading the answer ({e})"
                ))
            })?;
        builder.body(body).map_err(|_| TransportError::Build)
    }
}
