//! UPS wire formats: form/query parameters, HTTP Basic client credentials, UPS's error
//! envelope and the all-strings token response (`generateTokenSuccessResponse` /
//! `refreshTokenSuccessResponse` in the UPS document).

use std::collections::HashMap;

use base64::Engine;
use serde_json::json;

use super::http::Reply;

/// The error messages the simulator sends, in one place so they stay consistent.
/// Error codes are always `"10" + HTTP status` (`10400`, `10401`, ...), like UPS's
/// `10401 ClientId is Invalid`.
pub(crate) mod msg {
    pub const CLIENT_ID_INVALID: &str = "ClientId is Invalid";
    pub const CLIENT_SECRET_INVALID: &str = "Client Secret is Invalid";
    pub const AUTH_HEADER: &str = "Invalid/Missing Authorization Header";
    pub const BASIC_FOR_PUBLIC_CLIENT: &str =
        "Authorization Header not allowed for a PKCE client; send client_id in the body";
    pub const INVALID_CODE: &str = "Invalid Authorization Code";
    pub const REDIRECT_MISMATCH: &str =
        "Invalid redirect_uri: does not match the authorization request";
    pub const REDIRECT_NOT_REGISTERED: &str =
        "Invalid redirect_uri: not registered for this client";
    /// What validate-client answers for an unregistered redirect URI (as seen in the field).
    pub const INVALID_REDIRECT_URL: &str = "Invalid Redirect URL";
    pub const MISSING_VERIFIER: &str = "Missing code_verifier";
    pub const INVALID_VERIFIER: &str = "Invalid code_verifier";
    pub const UNEXPECTED_VERIFIER: &str =
        "Invalid code_verifier: the authorization request had no code_challenge";
    pub const INVALID_CHALLENGE: &str = "Invalid code_challenge";
    pub const INVALID_CHALLENGE_METHOD: &str =
        "Invalid code_challenge_method: only S256 is supported";
    pub const CHALLENGE_REQUIRED: &str = "Missing code_challenge: required for a PKCE client";
    pub const INVALID_RESPONSE_TYPE: &str = "Invalid response_type";
    pub const INVALID_GRANT_TYPE: &str = "Invalid grant_type";
    pub const INVALID_REFRESH_TOKEN: &str = "Invalid Refresh Token";
    pub const REFRESH_TOKEN_EXPIRED: &str = "Refresh Token Expired";
    pub const REFRESH_TOKEN_REVOKED: &str = "Refresh Token Revoked";
    pub const CONTENT_TYPE: &str =
        "Unsupported Content-Type: use application/x-www-form-urlencoded";
    pub const BODY_TOO_LARGE: &str = "Request body too large";
    pub const NOT_FOUND: &str = "Resource not found";
    pub const METHOD_NOT_ALLOWED: &str = "Method not allowed";
    pub const RATE_LIMIT: &str = "Rate Limit Exceeded";
    pub const TOO_MANY_REQUESTS: &str = "Too Many Requests";
    pub const BLOCKED_MERCHANT: &str = "Blocked Merchant";
    pub const INTERNAL: &str = "Internal Server Error";
}

/// One UPS error: status plus the envelope's single `{code, message}`, and for a rate limit
/// the seconds to wait (`Retry-After`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct UpsError {
    pub status: u16,
    pub message: String,
    pub retry_after: Option<u64>,
}

impl UpsError {
    pub(crate) fn new(status: u16, message: impl Into<String>) -> UpsError {
        UpsError {
            status,
            message: message.into(),
            retry_after: None,
        }
    }

    /// 429 with UPS's code 10429 and a `Retry-After` of `secs` seconds.
    pub(crate) fn rate_limited(message: &str, secs: u64) -> UpsError {
        UpsError {
            retry_after: Some(secs),
            ..UpsError::new(429, message)
        }
    }

    pub(crate) fn bad_request(message: impl Into<String>) -> UpsError {
        UpsError::new(400, message)
    }

    pub(crate) fn unauthorized(message: impl Into<String>) -> UpsError {
        UpsError::new(401, message)
    }

    pub(crate) fn internal() -> UpsError {
        UpsError::new(500, msg::INTERNAL)
    }

    pub(crate) fn missing(param: &str) -> UpsError {
        UpsError::bad_request(format!("Missing {param}"))
    }

    pub(crate) fn code(&self) -> String {
        format!("10{}", self.status)
    }

    /// `{"response":{"errors":[{"code":"10401","message":"ClientId is Invalid"}]}}`
    pub(crate) fn envelope(&self) -> serde_json::Value {
        json!({"response": {"errors": [{"code": self.code(), "message": self.message}]}})
    }

    pub(crate) fn reply(&self) -> Reply {
        let reply = Reply::json(self.status, &self.envelope());
        match self.retry_after {
            Some(secs) => reply.with_header("Retry-After", &secs.to_string()),
            None => reply,
        }
    }
}

/// Form or query parameters. OAuth forbids repeating one of the endpoint's own parameters
/// (RFC 6749 §3.1), so such a duplicate is an error instead of "first wins" or "last wins";
/// parameters the endpoint does not know are ignored, repeated or not (RFC 6749 §3.1, §3.2).
#[derive(Debug, Clone, Default)]
pub(crate) struct Params(HashMap<String, String>);

impl Params {
    /// The parameters in `input`, refusing a repeated one of `known` (the endpoint's own).
    pub(crate) fn parse(input: &[u8], known: &[&str]) -> Result<Params, UpsError> {
        let mut map = HashMap::new();
        for (name, value) in url::form_urlencoded::parse(input) {
            if !known.contains(&name.as_ref()) {
                continue;
            }
            if map.contains_key(name.as_ref()) {
                return Err(UpsError::bad_request(format!(
                    "Duplicate parameter: {}",
                    truncate(&name, 64)
                )));
            }
            map.insert(name.into_owned(), value.into_owned());
        }
        Ok(Params(map))
    }

    /// A parameter's value; an empty value counts as absent.
    pub(crate) fn get(&self, name: &str) -> Option<&str> {
        self.0
            .get(name)
            .map(String::as_str)
            .filter(|v| !v.is_empty())
    }
}

fn truncate(s: &str, max: usize) -> String {
    s.chars().take(max).collect()
}

/// True when the Content-Type is `application/x-www-form-urlencoded` (parameters allowed).
pub(crate) fn is_form(content_type: Option<&str>) -> bool {
    content_type
        .and_then(|ct| ct.split(';').next())
        .is_some_and(|mime| {
            mime.trim()
                .eq_ignore_ascii_case("application/x-www-form-urlencoded")
        })
}

/// Credentials from an `Authorization: Basic ...` header, as sent (not yet decoded from
/// RFC 6749's form-encoding; see [`credential_matches`]).
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct BasicCredentials {
    pub id: String,
    pub secret: String,
}

/// Parses `Basic base64(id:secret)`; `None` for anything else.
pub(crate) fn parse_basic(value: &str) -> Option<BasicCredentials> {
    let (scheme, rest) = value.trim().split_once(' ')?;
    if !scheme.eq_ignore_ascii_case("basic") {
        return None;
    }
    let raw = base64::engine::general_purpose::STANDARD
        .decode(rest.trim())
        .ok()?;
    let text = String::from_utf8(raw).ok()?;
    let (id, secret) = text.split_once(':')?;
    Some(BasicCredentials {
        id: id.to_string(),
        secret: secret.to_string(),
    })
}

/// Compares a credential from a Basic header with the registered one. RFC 6749 §2.3.1 says
/// clients form-encode id and secret before Basic-encoding them (the `oauth2` crate does),
/// while UPS's own examples send them raw; either spelling of the right value is accepted.
pub(crate) fn credential_matches(given: &str, expected: &str) -> bool {
    if constant_time_eq(given.as_bytes(), expected.as_bytes()) {
        return true;
    }
    if given.contains(['&', '=']) {
        return false;
    }
    url::form_urlencoded::parse(given.as_bytes())
        .next()
        .is_some_and(|(decoded, _)| constant_time_eq(decoded.as_bytes(), expected.as_bytes()))
}

/// Equality whose running time does not depend on where the inputs differ.
pub(crate) fn constant_time_eq(a: &[u8], b: &[u8]) -> bool {
    let mut diff = a.len() ^ b.len();
    for (i, x) in a.iter().enumerate() {
        let y = b.get(i).copied().unwrap_or(0);
        diff |= usize::from(x ^ y);
    }
    diff == 0
}

/// Everything a successful /token or /refresh answer carries.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct TokenSet {
    pub access_token: String,
    pub expires_in: u64,
    pub issued_at_ms: u64,
    pub refresh_token: String,
    pub refresh_token_expires_in: u64,
    pub refresh_token_issued_at_ms: u64,
    pub refresh_count: u64,
    pub client_id: String,
    pub scope: String,
    /// `status` and `refresh_token_status`: `approved` unless a setting says otherwise.
    pub status: String,
    pub refresh_token_status: String,
}

impl TokenSet {
    /// The UPS success body: every field a JSON string, numbers included.
    pub(crate) fn to_json(&self) -> serde_json::Value {
        json!({
            "refresh_token_expires_in": self.refresh_token_expires_in.to_string(),
            "refresh_token_status": self.refresh_token_status,
            "token_type": "Bearer",
            "issued_at": self.issued_at_ms.to_string(),
            "client_id": self.client_id,
            "access_token": self.access_token,
            "refresh_token": self.refresh_token,
            "scope": self.scope,
            "refresh_token_issued_at": self.refresh_token_issued_at_ms.to_string(),
            "expires_in": self.expires_in.to_string(),
            "refresh_count": self.refresh_count.to_string(),
            "status": self.status,
        })
    }

    /// UPS's document gives token answers both `Cache-Control: no-store` and
    /// `Pragma: no-cache` (RFC 6749 §5.1).
    pub(crate) fn reply(&self) -> Reply {
        Reply::json(200, &self.to_json())
            .with_header("Cache-Control", "no-store")
            .with_header("Pragma", "no-cache")
    }
}

/// Appends parameters to a redirect URI, keeping whatever query it already has.
pub(crate) fn append_query(base: &str, pairs: &[(&str, &str)]) -> String {
    let encoded = url::form_urlencoded::Serializer::new(String::new())
        .extend_pairs(pairs)
        .finish();
    let separator = if !base.contains('?') {
        "?"
    } else if base.ends_with('?') || base.ends_with('&') {
        ""
    } else {
        "&"
    };
    format!("{base}{separator}{encoded}")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn envelope_shape_and_codes() {
        let e = UpsError::unauthorized(msg::CLIENT_ID_INVALID);
        assert_eq!(
            e.envelope().to_string(),
            r#"{"response":{"errors":[{"code":"10401","message":"ClientId is Invalid"}]}}"#
        );
        let r = UpsError::missing("code").reply();
        assert_eq!(r.status, 400);
        assert_eq!(r.header("content-type"), Some("application/json"));
    }

    #[test]
    fn params_reject_known_duplicates_ignore_unknown_ones_and_treat_empty_as_absent() {
        let known = ["a", "b", "c"];
        let p = Params::parse(b"a=1&b=&c=x+y%2B&z=1&z=2", &known).unwrap();
        assert_eq!(p.get("a"), Some("1"));
        assert_eq!(p.get("b"), None);
        assert_eq!(p.get("c"), Some("x y+"));
        assert_eq!(p.get("z"), None, "unknown parameters are ignored");
        let e = Params::parse(b"a=1&a=2", &known).unwrap_err();
        assert_eq!(e.status, 400);
        assert!(e.message.contains("Duplicate parameter: a"));
        // Invalid UTF-8 is replaced, never a panic.
        assert!(Params::parse(&[0xff, b'=', 0xfe], &known).is_ok());
    }

    #[test]
    fn content_type_check() {
        assert!(is_form(Some("application/x-www-form-urlencoded")));
        assert!(is_form(Some(
            "Application/X-WWW-Form-Urlencoded; charset=UTF-8"
        )));
        assert!(!is_form(Some("application/json")));
        assert!(!is_form(None));
    }

    #[test]
    fn basic_parsing() {
        let b64 = base64::engine::general_purpose::STANDARD;
        let h = format!("Basic {}", b64.encode("id:se:cret"));
        assert_eq!(
            parse_basic(&h),
            Some(BasicCredentials {
                id: "id".into(),
                secret: "se:cret".into()
            })
        );
        assert_eq!(
            parse_basic(&format!("basic  {}", b64.encode("a:b"))).map(|c| c.id),
            Some("a".into())
        );
        assert_eq!(parse_basic("Bearer abc"), None);
        assert_eq!(parse_basic("Basic !!!"), None);
        assert_eq!(
            parse_basic(&format!("Basic {}", b64.encode("nocolon"))),
            None
        );
        assert_eq!(
            parse_basic(&format!("Basic {}", b64.encode([0xff, b':']))),
            None
        );
        assert_eq!(parse_basic("Basic"), None);
    }

    #[test]
    fn credentials_compare_raw_or_form_decoded() {
        assert!(credential_matches("s3cr+t/=", "s3cr+t/="));
        assert!(credential_matches("s3cr%2Bt%2F%3D", "s3cr+t/="));
        assert!(!credential_matches("wrong", "s3cr+t/="));
        assert!(!credential_matches("", "x"));
        assert!(constant_time_eq(b"", b""));
        assert!(!constant_time_eq(b"ab", b"abc"));
    }

    #[test]
    fn token_json_is_all_strings() {
        let t = TokenSet {
            access_token: "a.b.c".into(),
            expires_in: 14399,
            issued_at_ms: 1_732_850_000_000,
            refresh_token: "r".into(),
            refresh_token_expires_in: 5_183_999,
            refresh_token_issued_at_ms: 1_732_850_000_000,
            refresh_count: 0,
            client_id: "c".into(),
            scope: String::new(),
            status: "approved".into(),
            refresh_token_status: "approved".into(),
        };
        let v = t.to_json();
        let obj = v.as_object().unwrap();
        assert_eq!(obj.len(), 12);
        assert!(obj.values().all(|v| v.is_string()));
        assert_eq!(v["expires_in"], "14399");
        assert_eq!(v["refresh_count"], "0");
        assert_eq!(v["token_type"], "Bearer");
    }

    #[test]
    fn query_appending() {
        assert_eq!(
            append_query("http://127.0.0.1:9/cb", &[("code", "x"), ("state", "a b")]),
            "http://127.0.0.1:9/cb?code=x&state=a+b"
        );
        assert_eq!(
            append_query("http://127.0.0.1:9/cb?k=v", &[("code", "x")]),
            "http://127.0.0.1:9/cb?k=v&code=x"
        );
        assert_eq!(
            append_query("http://127.0.0.1:9/cb?", &[("code", "x")]),
            "http://127.0.0.1:9/cb?code=x"
        );
    }
}
