//! Simulator-only control endpoints under `/_simulator/` (not part of UPS): they let tests
//! change the password, the settings (lifetimes, registered callbacks, public refresh,
//! auto-approve, rate limit, blocked users, answer statuses) and inject gateway faults, and
//! read counters. Errors here are plain text; these are tools, not an API under test.
//!
//! They change what the simulated UPS does, so only whoever started the simulator may use
//! them: every request must carry the random control token printed at start-up
//! (`Authorization: Bearer TOKEN`), which a web page cannot know or set on a plain form post,
//! and its Host must be the simulator's own address, so a page served from another name that
//! resolves to 127.0.0.1 (DNS rebinding) is refused even before the token is looked at.

use std::collections::BTreeMap;

use serde::Deserialize;
use serde_json::json;

use super::http::Incoming;
use super::http::Reply;
use super::state::{now_ms, Endpoint, Fault, DEFAULT_RETRY_AFTER_SECS};
use super::wire::{self, Params};
use super::Shared;

/// A fresh control token: 128 random bits, hex.
pub(crate) fn new_token() -> std::io::Result<String> {
    let mut bytes = [0u8; 16];
    getrandom::getrandom(&mut bytes).map_err(|e| std::io::Error::other(e.to_string()))?;
    Ok(bytes.iter().map(|b| format!("{b:02x}")).collect())
}

/// Why a control request is refused, if it is: a foreign Host (403) or no valid token (401).
pub(crate) fn refuse(shared: &Shared, req: &Incoming) -> Option<Reply> {
    let own_host = shared.base_url.trim_start_matches("http://");
    if req.header_count("host") != 1 || req.header("host") != Some(own_host) {
        return Some(Reply::text(
            403,
            "the control endpoints answer only requests addressed to the simulator's own address",
        ));
    }
    let expected = format!("Bearer {}", shared.control_token);
    let given = req.header("authorization").unwrap_or_default();
    let same = given.len() == expected.len()
        && given
            .bytes()
            .zip(expected.bytes())
            .fold(0u8, |acc, (a, b)| acc | (a ^ b))
            == 0;
    if req.header_count("authorization") != 1 || !same {
        return Some(Reply::text(
            401,
            "the control endpoints need the control token the simulator printed at start-up",
        ));
    }
    None
}

/// `POST /_simulator/password-change`: ends every earlier opt-in.
pub(crate) fn password_change(shared: &Shared) -> Reply {
    shared.lock().password_changed();
    Reply::no_content()
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct Settings {
    access_ttl: Option<u64>,
    refresh_ttl: Option<u64>,
    /// The registered callback URLs; an empty list goes back to accepting any loopback URL.
    redirect_uris: Option<Vec<String>>,
    public_refresh: Option<bool>,
    auto_approve: Option<bool>,
    /// Every UPS endpoint answers 429 (with `retry_after` seconds, default 60) while true.
    rate_limited: Option<bool>,
    retry_after: Option<u64>,
    /// UPS.com users whose /token and /refresh answer 403 "Blocked Merchant" (replaces the
    /// list).
    blocked_users: Option<Vec<String>>,
    token_status: Option<String>,
    refresh_token_status: Option<String>,
    /// The length in characters that new access tokens reach at least, for storage limits
    /// such as the Credential Manager's 2,560 bytes.
    access_token_min_len: Option<usize>,
    /// /refresh rotates at once and answers this many milliseconds later.
    refresh_delay_ms: Option<u64>,
    /// The size in bytes of the Track API's proof-of-delivery image (`returnPOD=true`).
    track_pod_bytes: Option<usize>,
}

/// A longer delay would only hang a test.
const MAX_REFRESH_DELAY_MS: u64 = 120_000;

/// A proof-of-delivery image larger than this helps no test.
const MAX_POD_BYTES: usize = 64 * 1024 * 1024;

/// Longer access tokens than this help no test and would only eat memory.
const MAX_ACCESS_TOKEN_LEN: usize = 64 * 1024;

/// `POST /_simulator/settings` with any of `{"access_ttl": N, "refresh_ttl": N,
/// "redirect_uris": [...], "public_refresh": B, "auto_approve": B, "rate_limited": B,
/// "retry_after": N, "blocked_users": [...], "token_status": S, "refresh_token_status": S,
/// "access_token_min_len": N, "refresh_delay_ms": N, "track_pod_bytes": N}`;
/// what is left out stays as it was.
pub(crate) fn settings(shared: &Shared, req: &Incoming) -> Reply {
    let s = match serde_json::from_slice::<Settings>(&req.body) {
        Ok(s) => s,
        Err(e) => return Reply::text(400, &format!("invalid settings: {e}")),
    };
    let statuses = [&s.token_status, &s.refresh_token_status];
    if statuses
        .into_iter()
        .flatten()
        .any(|v| v.is_empty() || !v.bytes().all(|b| b.is_ascii_graphic()))
    {
        return Reply::text(400, "invalid settings: a status is a printable word");
    }
    if s.track_pod_bytes.unwrap_or(0) > MAX_POD_BYTES {
        return Reply::text(
            400,
            &format!("invalid settings: track_pod_bytes is at most {MAX_POD_BYTES}"),
        );
    }
    if s.access_token_min_len.unwrap_or(0) > MAX_ACCESS_TOKEN_LEN {
        return Reply::text(
            400,
            &format!("invalid settings: access_token_min_len is at most {MAX_ACCESS_TOKEN_LEN}"),
        );
    }
    let mut st = shared.lock();
    st.apply_settings(s.access_ttl, s.refresh_ttl);
    if let Some(len) = s.access_token_min_len {
        st.set_access_token_min_len(len);
    }
    let b = &mut st.behaviour;
    if let Some(uris) = s.redirect_uris {
        b.redirect_uris = (!uris.is_empty()).then_some(uris);
    }
    if let Some(on) = s.public_refresh {
        b.public_refresh = on;
    }
    if let Some(ms) = s.refresh_delay_ms {
        b.refresh_delay_ms = ms.min(MAX_REFRESH_DELAY_MS);
    }
    if let Some(on) = s.auto_approve {
        b.auto_approve = on;
    }
    if let Some(on) = s.rate_limited {
        b.rate_limited = on.then_some(s.retry_after.unwrap_or(DEFAULT_RETRY_AFTER_SECS));
    }
    if let Some(users) = s.blocked_users {
        b.blocked_users = users.into_iter().collect();
    }
    if let Some(status) = s.token_status {
        b.token_status = status;
    }
    if let Some(bytes) = s.track_pod_bytes {
        b.track_pod_bytes = bytes;
    }
    if let Some(status) = s.refresh_token_status {
        b.refresh_token_status = status;
    }
    Reply::no_content()
}

/// `GET /_simulator/stats`
pub(crate) fn stats(shared: &Shared) -> Reply {
    let counters = shared.lock().counters.clone();
    match serde_json::to_value(counters) {
        Ok(v) => Reply::json(200, &v),
        Err(_) => Reply::text(500, "internal error"),
    }
}

fn default_content_type() -> String {
    "application/json".to_string()
}

fn one() -> u32 {
    1
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct FaultSpec {
    endpoint: String,
    status: u16,
    #[serde(default = "default_content_type")]
    content_type: String,
    #[serde(default)]
    body: String,
    #[serde(default = "one")]
    times: u32,
    #[serde(default)]
    headers: BTreeMap<String, String>,
}

/// Header names: an RFC 9110 token. Values: visible ASCII and spaces (no CR/LF smuggling).
fn valid_header(name: &str, value: &str) -> bool {
    !name.is_empty()
        && name
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b"!#$%&'*+-.^_`|~".contains(&b))
        && value.bytes().all(|b| b == b' ' || b.is_ascii_graphic())
}

/// `POST /_simulator/fault` `{"endpoint": "token", "status": 502, "content_type": "text/html",
/// "body": "...", "times": 1, "headers": {"Retry-After": "1"}}`; `times: 0` clears the
/// endpoint's queued faults. Faults queue up and are served in order.
pub(crate) fn fault(shared: &Shared, req: &Incoming) -> Reply {
    let spec = match serde_json::from_slice::<FaultSpec>(&req.body) {
        Ok(spec) => spec,
        Err(e) => return Reply::text(400, &format!("invalid fault: {e}")),
    };
    let Some(endpoint) = Endpoint::parse(&spec.endpoint) else {
        return Reply::text(
            400,
            "invalid fault: endpoint must be validate-client, authorize, token, refresh or track",
        );
    };
    if !(200..=599).contains(&spec.status) {
        return Reply::text(400, "invalid fault: status must be 200..=599");
    }
    if !spec.content_type.is_empty() && !valid_header("Content-Type", &spec.content_type) {
        return Reply::text(400, "invalid fault: content_type");
    }
    for (name, value) in &spec.headers {
        let reserved = [
            "content-type",
            "content-length",
            "transfer-encoding",
            "connection",
        ]
        .iter()
        .any(|r| name.eq_ignore_ascii_case(r));
        if reserved || !valid_header(name, value) {
            return Reply::text(400, "invalid fault: header not allowed");
        }
    }
    shared.lock().add_fault(
        endpoint,
        Fault {
            status: spec.status,
            content_type: spec.content_type,
            body: spec.body,
            headers: spec.headers.into_iter().collect(),
            times: spec.times,
        },
    );
    Reply::no_content()
}

/// `POST /_simulator/introspect` (form `token=...`): whether UPS would still honour an access
/// or refresh token. Unknown tokens are `{"active": false}`.
pub(crate) fn introspect(shared: &Shared, req: &Incoming) -> Reply {
    if !wire::is_form(req.header("content-type")) {
        return Reply::text(415, "use application/x-www-form-urlencoded");
    }
    let token = match Params::parse(&req.body, &["token"]) {
        Ok(p) => p.get("token").map(str::to_string),
        Err(_) => None,
    };
    let Some(token) = token else {
        return Reply::text(400, "missing token");
    };
    let found = shared.lock().introspect(&token, now_ms());
    match found.map(serde_json::to_value) {
        Some(Ok(v)) => Reply::json(200, &v),
        _ => Reply::json(200, &json!({"active": false})),
    }
}
