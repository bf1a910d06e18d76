//! `idm-auth api`: calling UPS APIs with an opted-in user's token, the way `gh api` calls
//! GitHub's. UPS's conventions (NOTES "Calling UPS APIs", Tracking.yaml): `{base}/api` paths,
//! `Authorization: Bearer`, a fresh `transId` per request and a `transactionSrc`, and the
//! `{"response":{"errors":[...]}}` envelope on errors.
//!
//! - target.rs: where the call may go (the opt-in's own origin only);
//! - fields.rs: `-f`/`-F` into a JSON body or query parameters;
//! - exchange.rs: the request and its few retries (one forced refresh on 401; 429/503 after
//!   Retry-After, bounded);
//! - answer.rs: the answer on stdout (streamed), UPS's errors on stderr with hints;
//! - pretty.rs, jq.rs: indenting/colouring for a terminal, and `--jq`.

pub mod answer;
pub mod exchange;
pub mod fields;
pub mod jq;
pub mod pretty;
pub mod target;

use crate::cli::ApiArgs;
use crate::context::Ctx;
use crate::error::{Error, Result};
use crate::store::Token;
use oauth2::reqwest::header::{HeaderName, HeaderValue};
use oauth2::reqwest::Method;
use std::io::Read;

pub use exchange::call;

/// The most a request body (`--input`, `@file`) may be: UPS's requests are small JSON
/// documents, and the body is kept for a retry.
const MAX_REQUEST_BODY: u64 = 16 * 1024 * 1024;

/// Where the opt-in's tokens come from: `token`'s way for the command, the demo's own store
/// for the demo.
pub trait Tokens {
    /// A valid access token (refreshed first when it is about to expire).
    fn token(&self) -> Result<Token>;
    /// A new token after UPS answered `refused` with 401: one forced refresh.
    fn refreshed(&self, refused: &Token) -> Result<Token>;
}

/// One API call, as the command line asks for it.
pub struct Request {
    pub method: Method,
    /// PATH as given (resolved once the opt-in, and so its origin, is known).
    pub path: String,
    /// Query parameters from the fields of a GET.
    pub query: Vec<(String, String)>,
    /// `-H` headers, which replace idm-auth's own of the same name.
    pub headers: Vec<(HeaderName, HeaderValue)>,
    pub body: Option<Vec<u8>>,
    pub transaction_src: String,
    pub retry: bool,
    pub output: Output,
}

/// What to print of the answer.
pub struct Output {
    pub include: bool,
    pub silent: bool,
    pub jq: Option<jq::Filter>,
}

impl Request {
    /// The call `args` describe; every mistake in them is a usage error (exit 2).
    pub fn from_args(
        ctx: &Ctx,
        args: &ApiArgs,
        path: &str,
        transaction_src: String,
    ) -> Result<Request> {
        let read = |name: &str| read_source(ctx, name);
        let mut given = Vec::new();
        for raw in &args.raw_field {
            given.push(fields::parse(raw, false, &read).map_err(Error::Usage)?);
        }
        for raw in &args.field {
            given.push(fields::parse(raw, true, &read).map_err(Error::Usage)?);
        }
        let input = match &args.input {
            Some(name) => Some(read_source(ctx, name).map_err(Error::Usage)?),
            None => None,
        };
        let has_body = !given.is_empty() || input.is_some();
        let method = match &args.method {
            Some(m) => Method::from_bytes(m.to_ascii_uppercase().as_bytes())
                .map_err(|_| Error::Usage(format!("-X `{m}` is not an HTTP method")))?,
            None if has_body => Method::POST,
            None => Method::GET,
        };
        let (query, body) = if method == Method::GET {
            if input.is_some() {
                return Err(Error::Usage(
                    "--input sends a body, which a GET does not have: add -X POST (or the method the API wants)".into(),
                ));
            }
            (fields::query(&given), None)
        } else if let Some(input) = input {
            (Vec::new(), Some(input.into_bytes()))
        } else if !given.is_empty() {
            let json = fields::body(&given).map_err(Error::Usage)?;
            (Vec::new(), Some(json.to_string().into_bytes()))
        } else {
            (Vec::new(), None)
        };
        let headers = args
            .header
            .iter()
            .map(|h| parse_header(h))
            .collect::<Result<Vec<_>>>()?;
        let jq = match &args.jq {
            Some(code) => Some(jq::Filter::new(code).map_err(Error::Usage)?),
            None => None,
        };
        Ok(Request {
            method,
            path: path.to_string(),
            query,
            headers,
            body,
            transaction_src,
            retry: !args.no_retry,
            output: Output {
                include: args.include,
                silent: args.silent,
                jq,
            },
        })
    }
}

impl Request {
    /// A plain GET of `path` that prints nothing itself (the demo's tracking call).
    pub fn get(path: &str) -> Request {
        Request {
            method: Method::GET,
            path: path.to_string(),
            query: Vec::new(),
            headers: Vec::new(),
            body: None,
            transaction_src: crate::settings::DEFAULT_TRANSACTION_SRC.into(),
            retry: true,
            output: Output {
                include: false,
                silent: true,
                jq: None,
            },
        }
    }
}

/// A file's text, or stdin's for `-`, bounded.
fn read_source(ctx: &Ctx, name: &str) -> Result<String, String> {
    let mut text = String::new();
    let read = if name == "-" {
        let stdin = ctx.stdin();
        let mut stdin = stdin.lock().map_err(|_| "stdin is unusable".to_string())?;
        (&mut *stdin)
            .take(MAX_REQUEST_BODY + 1)
            .read_to_string(&mut text)
    } else {
        std::fs::File::open(name)
            .and_then(|f| f.take(MAX_REQUEST_BODY + 1).read_to_string(&mut text))
    };
    let what = if name == "-" { "stdin" } else { name };
    read.map_err(|e| format!("cannot read {what}: {e}"))?;
    if text.len() as u64 > MAX_REQUEST_BODY {
        return Err(format!("{what} is larger than {MAX_REQUEST_BODY} bytes"));
    }
    Ok(text)
}

/// `Name: value`. The token's own header and the host are idm-auth's to set.
fn parse_header(raw: &str) -> Result<(HeaderName, HeaderValue)> {
    let bad = || Error::Usage(format!("-H `{raw}`: expected `Name: value`"));
    let (name, value) = raw.split_once(':').ok_or_else(bad)?;
    let name = HeaderName::from_bytes(name.trim().as_bytes()).map_err(|_| bad())?;
    if name == oauth2::reqwest::header::AUTHORIZATION || name == oauth2::reqwest::header::HOST {
        return Err(Error::Usage(format!(
            "-H `{name}` is idm-auth's to set: it sends the opt-in's token to the opt-in's UPS"
        )));
    }
    let value = HeaderValue::from_str(value.trim()).map_err(|_| bad())?;
    Ok((name, value))
}
