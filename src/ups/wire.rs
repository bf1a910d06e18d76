//! UPS's OAuth wire format, as published in UPS's OpenAPI document (OAuthAuthCode.yaml):
//! the hosts, the endpoint paths, the token response whose numbers are JSON strings, and the
//! `{"response":{"errors":[...]}}` error envelope.

use oauth2::basic::BasicTokenType;
use oauth2::{AccessToken, ExtraTokenFields, RefreshToken, Scope, TokenResponse};
use serde::{Deserialize, Deserializer, Serialize};
use std::fmt;
use std::time::Duration;

pub const CIE_BASE_URL: &str = "https://wwwcie.ups.com";
pub const PRODUCTION_BASE_URL: &str = "https://onlinetools.ups.com";

pub const AUTHORIZE_PATH: &str = "/security/v1/oauth/authorize";
/// Documented on developer.ups.com ("OAuth Authorization Code"), not in the YAML: whether a
/// client id and redirect URI are registered, asked before any browser opens.
pub const VALIDATE_CLIENT_PATH: &str = "/security/v1/oauth/validate-client";
pub const TOKEN_PATH: &str = "/security/v1/oauth/token";
pub const REFRESH_PATH: &str = "/security/v1/oauth/refresh";

/// The longest lifetime we believe: anything larger is a broken response, not a real token.
const MAX_LIFETIME_SECS: u64 = 10 * 365 * 24 * 3600;

/// UPS's successful answer from /token and /refresh. Every number arrives as a string;
/// plain numbers (from a gateway or a future UPS) are accepted as well, and only the access
/// token is required.
#[derive(Clone, Serialize, Deserialize)]
pub struct UpsTokenResponse {
    access_token: AccessToken,
    #[serde(default = "bearer")]
    token_type: BasicTokenType,
    #[serde(default, deserialize_with = "lifetime")]
    expires_in: Option<u64>,
    #[serde(default)]
    refresh_token: Option<RefreshToken>,
    #[serde(default, deserialize_with = "lifetime")]
    pub refresh_token_expires_in: Option<u64>,
    #[serde(default, deserialize_with = "whole_number")]
    pub refresh_count: Option<u64>,
    #[serde(default, deserialize_with = "whole_number")]
    pub issued_at: Option<u64>,
    #[serde(default)]
    pub status: Option<String>,
    #[serde(default)]
    pub refresh_token_status: Option<String>,
}

/// What `status` and `refresh_token_status` say in every documented answer. Anything else
/// is not a grant to use (a field left out is accepted: gateways may drop it).
pub const APPROVED: &str = "approved";

/// A status UPS gave that is not "approved", cleaned for showing.
pub fn unapproved(status: &Option<String>) -> Option<String> {
    status
        .as_deref()
        .filter(|s| !s.trim().eq_ignore_ascii_case(APPROVED))
        .map(printable)
}

fn bearer() -> BasicTokenType {
    BasicTokenType::Bearer
}

impl fmt::Debug for UpsTokenResponse {
    // Never print the tokens, even in debug output.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("UpsTokenResponse")
            .field("expires_in", &self.expires_in)
            .field("refresh_token_expires_in", &self.refresh_token_expires_in)
            .field("refresh_count", &self.refresh_count)
            .finish_non_exhaustive()
    }
}

impl UpsTokenResponse {
    /// The access and refresh tokens, moved out (no copy left behind in this answer).
    pub fn into_tokens(self) -> (AccessToken, Option<RefreshToken>) {
        (self.access_token, self.refresh_token)
    }
}

impl TokenResponse for UpsTokenResponse {
    type TokenType = BasicTokenType;
    fn access_token(&self) -> &AccessToken {
        &self.access_token
    }
    fn token_type(&self) -> &BasicTokenType {
        &self.token_type
    }
    fn expires_in(&self) -> Option<Duration> {
        self.expires_in.map(Duration::from_secs)
    }
    fn refresh_token(&self) -> Option<&RefreshToken> {
        self.refresh_token.as_ref()
    }
    fn scopes(&self) -> Option<&Vec<Scope>> {
        None
    }
}

#[derive(Debug, Serialize, Deserialize)]
pub struct NoExtraFields {}
impl ExtraTokenFields for NoExtraFields {}

/// A whole number that UPS may send as `"14399"` or `14399`; empty or null means absent.
/// The error names no value, so a mangled secret in the wrong field can never be echoed.
fn whole_number<'de, D: Deserializer<'de>>(d: D) -> Result<Option<u64>, D::Error> {
    #[derive(Deserialize)]
    #[serde(untagged)]
    enum Raw {
        Number(serde_json::Number),
        Text(String),
    }
    let bad = || serde::de::Error::custom("expected a whole number (as a string or a number)");
    match Option::<Raw>::deserialize(d).map_err(|_| bad())? {
        None => Ok(None),
        Some(Raw::Text(t)) if t.trim().is_empty() => Ok(None),
        Some(Raw::Text(t)) => t.trim().parse::<u64>().map(Some).map_err(|_| bad()),
        Some(Raw::Number(n)) => n.as_u64().map(Some).ok_or_else(bad),
    }
}

fn lifetime<'de, D: Deserializer<'de>>(d: D) -> Result<Option<u64>, D::Error> {
    match whole_number(d)? {
        Some(secs) if secs > MAX_LIFETIME_SECS => Err(serde::de::Error::custom(
            "a lifetime longer than ten years is not believable",
        )),
        other => Ok(other),
    }
}

/// An envelope may list any number of errors; a few tell the admin enough.
const MAX_ERRORS_SHOWN: usize = 3;

/// UPS's error envelope: `{"response":{"errors":[{"code":"10401","message":"ClientId is Invalid"}]}}`.
/// RFC 6749's `{"error": "...", "error_description": "..."}` is accepted too, since gateways
/// and future versions may speak it.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct UpsErrorResponse {
    #[serde(default)]
    response: Option<Envelope>,
    #[serde(default)]
    error: Option<String>,
    #[serde(default)]
    error_description: Option<String>,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
struct Envelope {
    #[serde(default)]
    errors: Vec<UpsErrorItem>,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
struct UpsErrorItem {
    #[serde(default)]
    code: Option<String>,
    #[serde(default)]
    message: Option<String>,
}

impl UpsErrorResponse {
    /// True when the body carried anything recognisable as an error.
    pub fn is_recognised(&self) -> bool {
        self.error.is_some() || self.response.as_ref().is_some_and(|r| !r.errors.is_empty())
    }

    /// Whether one of the errors has this UPS code.
    pub fn has_code(&self, code: &str) -> bool {
        self.items()
            .any(|i| i.code.as_deref().map(str::trim) == Some(code))
    }

    /// Whether one of the messages contains `words` (ignoring case).
    pub fn says(&self, words: &str) -> bool {
        let words = words.to_ascii_lowercase();
        self.items()
            .filter_map(|i| i.message.as_deref())
            .chain(self.error_description.as_deref())
            .any(|m| m.to_ascii_lowercase().contains(&words))
    }

    fn items(&self) -> impl Iterator<Item = &UpsErrorItem> {
        self.response.iter().flat_map(|r| r.errors.iter())
    }
}

/// What an admin is told to do about a refusal from UPS, for the errors seen in the field
/// (the NOTES list their sources).
pub struct Refusal<'a> {
    pub status: Option<u16>,
    pub error: Option<&'a UpsErrorResponse>,
    pub retry_after: Option<&'a str>,
    pub base_url: &'a str,
    pub client_id: &'a str,
    pub redirect_uri: &'a str,
}

/// The UPS environment a base URL belongs to, as a person calls it.
pub fn environment_name(base_url: &str) -> String {
    match base_url.trim_end_matches('/') {
        CIE_BASE_URL => format!("CIE ({CIE_BASE_URL})"),
        PRODUCTION_BASE_URL => format!("production ({PRODUCTION_BASE_URL})"),
        other => format!("the UPS at {}", printable(other)),
    }
}

/// "120 s" for a number of seconds, else the HTTP date as given.
pub fn retry_after_text(value: &str) -> String {
    let value = printable(value.trim());
    if !value.is_empty() && value.bytes().all(|b| b.is_ascii_digit()) {
        format!("{value} s")
    } else {
        value
    }
}

impl Refusal<'_> {
    /// Whether UPS said anything in words (then the hint follows them, not the code).
    fn has_message(&self) -> bool {
        self.error.is_some_and(|e| e.says(""))
    }

    /// The hint for this refusal, when there is one worth giving.
    pub fn hint(&self) -> Option<String> {
        let has = |code: &str| self.error.is_some_and(|e| e.has_code(code));
        let says = |words: &str| self.error.is_some_and(|e| e.says(words));
        let env = environment_name(self.base_url);
        if self.status == Some(429) || has("10429") || says("too many requests") {
            let wait = match self.retry_after {
                Some(after) => format!("UPS asks to wait {}", retry_after_text(after)),
                None => "wait a while".into(),
            };
            return Some(format!(
                "UPS rate-limits token requests, and idm-auth never retries them: {wait}, then try once more. Scripts should call `idm-auth token` before each UPS call (it hands out the stored token until it expires) instead of minting new tokens"
            ));
        }
        if says("blocked merchant") {
            return Some(format!(
                "UPS blocks this UPS.com user's merchant account from its APIs at {env}; nothing here can change that: the account holder has to take it up with UPS"
            ));
        }
        // UPS's own words first: a 10401 can be about other things than the client id.
        if says("pkce") || says("authorization header not allowed") {
            return Some(format!(
                "UPS treats this app as a PKCE (public) client at {env} and refuses the client secret that was sent with it: authorize without one (unset IDM_AUTH_CLIENT_SECRET, or `idm-auth config delete-secret` for the profile), or give the app a client secret at the UPS developer portal (developer.ups.com)"
            ));
        }
        if says("clientid is invalid") || (has("10401") && !self.has_message()) {
            return Some(format!(
                "UPS does not know client id `{}` at {env}: add the app for this environment at the UPS developer portal (developer.ups.com), with {} as its callback URL. CIE and production are separate: an app added for one is unknown at the other",
                printable(self.client_id),
                printable(self.redirect_uri)
            ));
        }
        if has("250002") || says("invalid authentication information") {
            return Some(format!(
                "UPS did not accept the app's credentials at {env}: check the client id and secret of the app for this environment, and that the app has the API products it needs added at the UPS developer portal (developer.ups.com)"
            ));
        }
        if says("redirect") {
            return Some(format!(
                "the redirect URI sent was exactly {}: register exactly that as the app's callback URL at the UPS developer portal (developer.ups.com), or pass --redirect-uri with the URL registered there",
                printable(self.redirect_uri)
            ));
        }
        None
    }
}

impl fmt::Display for UpsErrorResponse {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut parts = Vec::new();
        if let Some(envelope) = &self.response {
            for item in envelope.errors.iter().take(MAX_ERRORS_SHOWN) {
                let message = printable(item.message.as_deref().unwrap_or("(no message)"));
                match &item.code {
                    Some(code) => parts.push(format!("{message} (UPS code {})", printable(code))),
                    None => parts.push(message),
                }
            }
        }
        if let Some(more) = self
            .response
            .as_ref()
            .and_then(|r| r.errors.len().checked_sub(MAX_ERRORS_SHOWN))
            .filter(|&n| n > 0)
        {
            parts.push(format!("and {more} more"));
        }
        if let Some(error) = &self.error {
            match &self.error_description {
                Some(d) => parts.push(format!("{}: {}", printable(error), printable(d))),
                None => parts.push(printable(error)),
            }
        }
        if parts.is_empty() {
            parts.push("an error with no message".into());
        }
        f.write_str(&parts.join("; "))
    }
}

impl oauth2::ErrorResponse for UpsErrorResponse {}

/// Text from the network shown to a person: control characters removed, length bounded.
pub fn printable(text: &str) -> String {
    let cleaned: String = text.chars().filter(|c| !c.is_control()).take(300).collect();
    cleaned
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_the_string_typed_numbers_of_the_ups_document() {
        let body = r#"{"token_type":"Bearer","access_token":"eyJ.a.b","expires_in":"14399",
            "issued_at":"1732850000000","refresh_token":"x7Yk","refresh_token_expires_in":"5183999",
            "refresh_token_issued_at":"1732850000000","refresh_token_status":"approved",
            "refresh_count":"0","client_id":"c","scope":"","status":"approved"}"#;
        let r: UpsTokenResponse = serde_json::from_str(body).unwrap();
        assert_eq!(r.expires_in(), Some(Duration::from_secs(14399)));
        assert_eq!(r.refresh_token_expires_in, Some(5183999));
        assert_eq!(r.refresh_count, Some(0));
        assert_eq!(r.refresh_token().unwrap().secret(), "x7Yk");
    }

    #[test]
    fn accepts_plain_numbers_and_missing_fields() {
        let r: UpsTokenResponse =
            serde_json::from_str(r#"{"access_token":"a","expires_in":3600}"#).unwrap();
        assert_eq!(r.expires_in, Some(3600));
        assert!(r.refresh_token().is_none());
        assert_eq!(r.token_type(), &BasicTokenType::Bearer);
    }

    #[test]
    fn rejects_absurd_numbers_without_echoing_them() {
        for bad in [
            r#""-1""#,
            r#""99999999999999999999""#,
            r#""12abc""#,
            "-5",
            "1.5",
        ] {
            let body = format!(r#"{{"access_token":"a","expires_in":{bad}}}"#);
            let err = serde_json::from_str::<UpsTokenResponse>(&body).unwrap_err();
            assert!(!err.to_string().contains("abc"), "{err}");
        }
    }

    #[test]
    fn shows_ups_message_and_code() {
        let e: UpsErrorResponse = serde_json::from_str(
            r#"{"response":{"errors":[{"code":"10401","message":"ClientId is Invalid"}]}}"#,
        )
        .unwrap();
        assert!(e.is_recognised());
        assert_eq!(e.to_string(), "ClientId is Invalid (UPS code 10401)");
        let e: UpsErrorResponse =
            serde_json::from_str(r#"{"error":"invalid_grant","error_description":"expired"}"#)
                .unwrap();
        assert_eq!(e.to_string(), "invalid_grant: expired");
        let e: UpsErrorResponse = serde_json::from_str(r#"{"unrelated":1}"#).unwrap();
        assert!(!e.is_recognised());
        let many = (0..1000)
            .map(|i| format!(r#"{{"code":"{i}","message":"m{i}"}}"#))
            .collect::<Vec<_>>()
            .join(",");
        let e: UpsErrorResponse =
            serde_json::from_str(&format!(r#"{{"response":{{"errors":[{many}]}}}}"#)).unwrap();
        assert_eq!(
            e.to_string(),
            "m0 (UPS code 0); m1 (UPS code 1); m2 (UPS code 2); and 997 more"
        );
    }

    #[test]
    fn debug_output_hides_tokens() {
        let r: UpsTokenResponse =
            serde_json::from_str(r#"{"access_token":"SENTINEL-A","refresh_token":"SENTINEL-R"}"#)
                .unwrap();
        let shown = format!("{r:?}");
        assert!(!shown.contains("SENTINEL"), "{shown}");
    }
}
