//! The HTTP transport for talking to UPS: reqwest's blocking client with redirects off,
//! time-outs set and a cap on response size. It also remembers the status line of the last
//! answer, because the `oauth2` crate drops it when a body is not JSON (a gateway's HTML 502)
//! and the admin needs to be told which status UPS's side answered with.
//!
//! Trust and routes: the TLS roots are the operating system's (its store on macOS and
//! Windows; on Linux the distribution's bundle, or `SSL_CERT_FILE`/`SSL_CERT_DIR` when set),
//! plus Mozilla's bundled roots for machines with none, so a company CA installed for a
//! TLS-inspecting proxy is trusted. Names are resolved in-process (no system resolver
//! library), so the static build needs nothing of the system. Requests to a loopback host
//! (the simulator) go straight out; every other host honours `HTTPS_PROXY`/`HTTP_PROXY`/
//! `ALL_PROXY` and `NO_PROXY`, as corporate networks need.
//!
//! A failure is sorted by whether the request can have reached UPS: a refused connection
//! means UPS never saw it, but a reset or a silence after the request went out means UPS may
//! have acted on it, and for a one-time code or a rotating refresh token that matters.

use crate::http_client::{builder_for, check_destination, describe, is_loopback};
use oauth2::{HttpRequest, HttpResponse};
use std::io::Read;
use std::sync::{Mutex, OnceLock};
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
    timeout: Duration,
    /// For loopback hosts: never through a proxy. Built on first use.
    direct: OnceLock<Client>,
    /// For every other host: through the proxy the environment names, if any.
    proxied: OnceLock<Client>,
    last: Mutex<LastAnswer>,
}

type Client = oauth2::reqwest::blocking::Client;

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
        Ok(UpsHttp {
            timeout,
            direct: OnceLock::new(),
            proxied: OnceLock::new(),
            last: Mutex::new(LastAnswer::default()),
        })
    }

    /// The client for `url`: direct for loopback, through the environment's proxy otherwise.
    fn client_for(&self, url: &url::Url) -> Result<&Client, TransportError> {
        let loopback = is_loopback(url);
        let cell = if loopback {
            &self.direct
        } else {
            &self.proxied
        };
        if let Some(client) = cell.get() {
            return Ok(client);
        }
        let client = builder_for(url, Duration::from_secs(10).min(self.timeout), self.timeout)
            .build()
            .map_err(|e| TransportError::NotSent(format!("could not set up HTTPS: {e}")))?;
        Ok(cell.get_or_init(|| client))
    }
}

impl UpsHttp {
    /// One request whose answer the caller reads as it arrives (`api`: bodies of many MB),
    /// through the same checks, routes and clients as every other request: https or
    /// loopback only, no redirect followed, the time-out applying to each read.
    pub fn send_streaming(
        &self,
        request: oauth2::reqwest::blocking::Request,
    ) -> Result<oauth2::reqwest::blocking::Response, TransportError> {
        check_destination(request.url()).map_err(TransportError::NotSent)?;
        let host = request.url().host_str().unwrap_or_default().to_string();
        let client = self.client_for(request.url())?;
        client.execute(request).map_err(|e| {
            if e.is_connect() || e.is_builder() {
                TransportError::NotSent(describe(&e, &host))
            } else {
                TransportError::AnswerLost(describe(&e, &host))
            }
        })
    }
}

impl Transport for UpsHttp {
    fn last_answer(&self) -> LastAnswer {
        self.last.lock().map(|l| l.clone()).unwrap_or_default()
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
        let response = self.send_streaming(request)?;
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
