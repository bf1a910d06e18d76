//! The request itself and its only retries: one forced refresh and one more try after a 401
//! (UPS's one answer for a token it does not accept, which only a fresh token can tell
//! apart from the other causes; never for an opt-in that gets no refresh, whose refresh
//! UPS would refuse and so end the opt-in), and after a 429 or 503 a wait as UPS's `Retry-After` asks,
//! within a bound. Those three statuses say UPS did not process the call, so even a POST may
//! go again; nothing else is ever sent twice.

use super::{target, Request, Tokens};
use crate::context::Ctx;
use crate::error::{Error, Result};
use crate::public_client;
use crate::say;
use crate::store::{ExposeSecret, Token};
use crate::ups::transport::{TransportError, UpsHttp};
use oauth2::reqwest::blocking::{Body, Request as HttpRequest, Response};
use oauth2::reqwest::header::{self, HeaderMap, HeaderValue};
use std::time::Duration;
use url::Url;

/// All waiting for 429/503 together stays within this.
pub const RETRY_BUDGET: Duration = Duration::from_secs(30);
/// And so many tries in all, whatever UPS asks (a `Retry-After: 0` must not loop).
const MAX_TRIES: u32 = 6;
/// The wait when a 429 or 503 names none, doubled each time.
const FIRST_BACKOFF: Duration = Duration::from_secs(1);

/// UPS's answer, its body not yet read.
pub struct Answer {
    pub response: Response,
    /// The transId of the request this answers (UPS support asks for it).
    pub trans_id: String,
    /// The opt-in's UPS origin.
    pub base_url: String,
    /// Whether a 401 led to a forced refresh before this answer.
    pub refreshed: bool,
    /// Whether a 401 got no refresh because the opt-in has none (no client secret).
    pub unrefreshable: bool,
    /// Why a 429/503 was not tried again, when it was not.
    pub gave_up: Option<String>,
}

/// Send `request` with `tokens`' token to the opt-in's UPS; the final answer.
pub fn call(ctx: &Ctx, request: &Request, tokens: &dyn Tokens) -> Result<Answer> {
    let mut token = tokens.token()?;
    let base_url = token.row.base_url.clone();
    let url = target::resolve(&base_url, &request.path, &request.query).map_err(Error::Usage)?;
    let http = ctx.http().map_err(|f| f.into_error(&base_url))?;
    let mut refreshed = false;
    let mut waited = Duration::ZERO;
    let mut backoff = FIRST_BACKOFF;
    let mut tries = 0;
    loop {
        tries += 1;
        let trans_id = new_trans_id()?;
        let response = send(&http, request, &url, &token, &trans_id)?;
        let status = response.status().as_u16();
        let unrefreshable = status == 401 && public_client::no_refresh(ctx, &token.row);
        if status == 401 && !refreshed && !unrefreshable {
            say!(
                ctx,
                "UPS did not accept the token (401, transId {trans_id}): refreshing it once and trying again."
            );
            drop(response);
            token = tokens.refreshed(&token)?;
            refreshed = true;
            continue;
        }
        let mut gave_up = None;
        if matches!(status, 429 | 503) {
            let asked = retry_after(response.headers(), ctx.now());
            let wait = asked.unwrap_or(backoff);
            if !request.retry {
                gave_up = Some("--no-retry was given".to_string());
            } else if tries >= MAX_TRIES || waited + wait > RETRY_BUDGET {
                gave_up = Some(format!(
                    "idm-auth waits at most {} s in all and had waited {} s",
                    RETRY_BUDGET.as_secs(),
                    waited.as_secs()
                ));
            } else {
                say!(
                    ctx,
                    "UPS answered {status} (transId {trans_id}): trying again in {} s.",
                    wait.as_secs_f32()
                );
                drop(response);
                std::thread::sleep(wait);
                waited += wait;
                backoff *= 2;
                continue;
            }
        }
        return Ok(Answer {
            response,
            trans_id,
            base_url,
            refreshed,
            unrefreshable,
            gave_up,
        });
    }
}

/// 128 random bits as 32 hex characters: unique to the request, within UPS's 32.
fn new_trans_id() -> Result<String> {
    let mut bytes = [0u8; 16];
    getrandom::getrandom(&mut bytes)
        .map_err(|e| Error::Other(format!("no random numbers for a transId: {e}")))?;
    Ok(bytes.iter().map(|b| format!("{b:02x}")).collect())
}

fn send(
    http: &UpsHttp,
    request: &Request,
    url: &Url,
    token: &Token,
    trans_id: &str,
) -> Result<Response> {
    let mut wire = HttpRequest::new(request.method.clone(), url.clone());
    let headers = wire.headers_mut();
    let mut bearer = HeaderValue::from_str(&format!("Bearer {}", token.token.expose_secret()))
        .map_err(|_| Error::Other("the stored access token cannot be sent in a header".into()))?;
    bearer.set_sensitive(true);
    headers.insert(header::AUTHORIZATION, bearer);
    headers.insert(header::ACCEPT, HeaderValue::from_static("application/json"));
    let text = |v: &str| {
        HeaderValue::from_str(v)
            .map_err(|_| Error::Other(format!("`{v}` cannot be sent in a header")))
    };
    headers.insert("transId", text(trans_id)?);
    headers.insert("transactionSrc", text(&request.transaction_src)?);
    if let Some(body) = &request.body {
        headers.insert(
            header::CONTENT_TYPE,
            HeaderValue::from_static("application/json"),
        );
        *wire.body_mut() = Some(Body::from(body.clone()));
    }
    for (name, value) in &request.headers {
        wire.headers_mut().insert(name.clone(), value.clone());
    }
    let origin = url.origin().ascii_serialization();
    http.send_streaming(wire).map_err(|e| match e {
        TransportError::AnswerLost(reason) => Error::Network {
            url: origin,
            reason: format!(
                "{reason}; the request (transId {trans_id}) went out, so UPS may have acted on it"
            ),
        },
        TransportError::NotSent(reason) => Error::Network {
            url: origin,
            reason,
        },
        TransportError::Build => Error::Other("the request could not be built".into()),
    })
}

/// `Retry-After` as seconds or as an HTTP date, as a wait from now.
fn retry_after(headers: &HeaderMap, now: chrono::DateTime<chrono::Utc>) -> Option<Duration> {
    let value = headers.get(header::RETRY_AFTER)?.to_str().ok()?.trim();
    if let Ok(secs) = value.parse::<u64>() {
        return Some(Duration::from_secs(secs));
    }
    let at = chrono::DateTime::parse_from_rfc2822(value).ok()?;
    let wait = at.with_timezone(&chrono::Utc) - now;
    Some(wait.to_std().unwrap_or(Duration::ZERO))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn retry_after_as_seconds_or_a_date() {
        let now = chrono::DateTime::parse_from_rfc2822("Mon, 07 Dec 2026 15:00:00 GMT")
            .unwrap()
            .with_timezone(&chrono::Utc);
        let with = |value: &str| {
            let mut headers = HeaderMap::new();
            headers.insert(header::RETRY_AFTER, HeaderValue::from_str(value).unwrap());
            retry_after(&headers, now)
        };
        assert_eq!(with("7"), Some(Duration::from_secs(7)));
        assert_eq!(
            with("Mon, 07 Dec 2026 15:00:12 GMT"),
            Some(Duration::from_secs(12))
        );
        assert_eq!(with("Mon, 07 Dec 2026 14:00:00 GMT"), Some(Duration::ZERO));
        assert_eq!(with("soon"), None);
        assert_eq!(retry_after(&HeaderMap::new(), now), None);
    }

    #[test]
    fn trans_ids_are_32_hex_characters_and_fresh() {
        let a = new_trans_id().unwrap();
        assert_eq!(a.len(), 32);
        assert!(a.bytes().all(|b| b.is_ascii_hexdigit()));
        assert_ne!(a, new_trans_id().unwrap());
    }
}
