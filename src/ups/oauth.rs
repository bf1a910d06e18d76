//! The OAuth exchanges with UPS, through the `oauth2` crate: the authorize URL (state and
//! PKCE S256 on every attempt), the code-for-tokens exchange at /token and the rotation at
//! /refresh. Client authentication follows UPS's document: HTTP Basic when a client secret is
//! configured, otherwise the PKCE public-client form (client_id in the body, no Basic header).

use crate::ups::transport::{LastAnswer, Transport, TransportError};
use crate::ups::wire::{self, UpsErrorResponse, UpsTokenResponse};
use chrono::{DateTime, Utc};
use oauth2::basic::{BasicRevocationErrorResponse, BasicTokenIntrospectionResponse};
use oauth2::{
    AuthType, AuthUrl, AuthorizationCode, ClientId, ClientSecret, CsrfToken, EndpointNotSet,
    EndpointSet, PkceCodeChallenge, PkceCodeVerifier, RedirectUrl, RefreshToken, RequestTokenError,
    StandardRevocableToken, TokenResponse, TokenUrl,
};
use secrecy::SecretString;
use std::time::Duration;

/// An oauth2 client for UPS with its authorize and token endpoints set.
type UpsClient<Auth = EndpointSet, Token = EndpointSet> = oauth2::Client<
    UpsErrorResponse,
    UpsTokenResponse,
    BasicTokenIntrospectionResponse,
    StandardRevocableToken,
    BasicRevocationErrorResponse,
    Auth,
    EndpointNotSet,
    EndpointNotSet,
    EndpointNotSet,
    Token,
>;

/// When UPS leaves out `expires_in`, assume a short life rather than a long one.
const ASSUMED_ACCESS_LIFETIME: Duration = Duration::from_secs(3600);

/// The time-out for one request to UPS unless `IDM_AUTH_HTTP_TIMEOUT` says otherwise.
const DEFAULT_HTTP_TIMEOUT: Duration = Duration::from_secs(30);

/// Who the app is at UPS, and where UPS is.
pub struct ClientConfig {
    pub base_url: String,
    pub client_id: String,
    pub client_secret: Option<ClientSecret>,
    pub redirect_uri: String,
}

/// What one authorize attempt must remember until the redirect comes back.
pub struct Attempt {
    pub url: String,
    pub state: CsrfToken,
    pub verifier: PkceCodeVerifier,
}

/// The tokens of a grant, moved out of oauth2's types ([`grant_from`]).
pub use crate::opt_in::Grant;

/// Why an exchange failed, with the HTTP status when there was one.
#[derive(Debug)]
pub struct UpsFailure {
    pub status: Option<u16>,
    pub message: String,
    /// True when UPS was never heard from (connection, DNS, TLS, time-out, reset).
    pub unreachable: bool,
    /// True when the request reached UPS but no usable answer came back (a reset or silence
    /// after sending, or a 200 whose body cannot be read): UPS may have spent the one-time
    /// code or rotated the refresh token all the same.
    pub answer_lost: bool,
    /// True when UPS answered 200 but with a `status` or `refresh_token_status` other than
    /// "approved": the stored refresh token is refused (or spent) as surely as by a 4xx.
    pub refused_grant: bool,
    /// What the admin can do about it (errors seen in the field, see wire::Refusal).
    pub hint: Option<String>,
}

impl UpsFailure {
    /// A refusal that says this grant is dead (as opposed to "try later": 408, 429, 5xx).
    pub fn is_rejection(&self) -> bool {
        self.refused_grant
            || matches!(self.status, Some(s) if (400..500).contains(&s) && s != 408 && s != 429)
    }

    /// A failure with this status and message, and nothing else known about it.
    pub fn new(status: Option<u16>, message: String) -> UpsFailure {
        UpsFailure {
            status,
            message,
            unreachable: false,
            answer_lost: false,
            refused_grant: false,
            hint: None,
        }
    }

    /// The failed exchange with UPS at `base_url` as the admin should see it.
    pub fn into_error(self, base_url: &str) -> crate::error::Error {
        if self.unreachable {
            crate::error::Error::Network {
                url: base_url.to_string(),
                reason: self.message,
            }
        } else {
            crate::error::Error::Ups {
                message: self.message,
                hint: self.hint,
            }
        }
    }
}

pub(crate) fn config_error(what: &str, e: impl std::fmt::Display) -> UpsFailure {
    UpsFailure::new(None, format!("{what}: {e}"))
}

/// How long one request to UPS may take, for the value of `IDM_AUTH_HTTP_TIMEOUT` (read by
/// the context): that many seconds, else 30.
pub fn http_timeout_from(value: Option<String>) -> Duration {
    value
        .and_then(|s| s.trim().parse::<u64>().ok())
        .filter(|&secs| secs > 0)
        .map(Duration::from_secs)
        .unwrap_or(DEFAULT_HTTP_TIMEOUT)
}

/// What UPS said about the client id and redirect URI before the sign-in.
#[derive(Debug)]
pub enum ClientCheck {
    Registered,
    /// UPS refused them (its error envelope with a 4xx): a sign-in would fail at UPS too.
    Refused(UpsFailure),
    /// Nothing to go by (no answer, or one idm-auth does not know): the sign-in goes on.
    Unknown(String),
}

/// Ask UPS's validate-client, over `http`, whether the client id and redirect URI are
/// registered.
pub fn validate_client_with(
    http: &(impl Transport + ?Sized),
    config: &ClientConfig,
) -> ClientCheck {
    let url = url::Url::parse_with_params(
        &format!("{}{}", config.base_url, wire::VALIDATE_CLIENT_PATH),
        [
            ("client_id", config.client_id.as_str()),
            ("redirect_uri", config.redirect_uri.as_str()),
        ],
    );
    let request = url.ok().and_then(|url| {
        oauth2::http::Request::builder()
            .method(oauth2::http::Method::GET)
            .uri(url.as_str())
            .header(oauth2::http::header::ACCEPT, "application/json")
            .body(Vec::new())
            .ok()
    });
    let Some(request) = request else {
        return ClientCheck::Unknown("the check's URL could not be built".into());
    };
    let response = match http.call(request) {
        Ok(response) => response,
        Err(e) => return ClientCheck::Unknown(e.to_string()),
    };
    let status = response.status().as_u16();
    if status == 200 {
        #[derive(serde::Deserialize)]
        struct Registered {
            result: Option<String>,
            #[serde(rename = "type")]
            kind: Option<String>,
        }
        return match serde_json::from_slice::<Registered>(response.body()) {
            Ok(r)
                if r.result
                    .as_deref()
                    .is_some_and(|r| r.eq_ignore_ascii_case("success")) =>
            {
                ClientCheck::Registered
            }
            Ok(r) if r.kind.is_some() => ClientCheck::Registered,
            _ => ClientCheck::Unknown(
                "UPS answered HTTP 200 with a body idm-auth does not know".into(),
            ),
        };
    }
    let error = serde_json::from_slice::<UpsErrorResponse>(response.body())
        .ok()
        .filter(UpsErrorResponse::is_recognised);
    match (status, error) {
        (400 | 401 | 403 | 429, Some(error)) => {
            let last = http.last_answer();
            let refusal = wire::Refusal {
                status: Some(status),
                error: Some(&error),
                retry_after: last.retry_after.as_deref(),
                base_url: &config.base_url,
                client_id: &config.client_id,
                redirect_uri: &config.redirect_uri,
            };
            let hint = refusal.hint().unwrap_or_else(|| {
                format!(
                    "check the app at the UPS developer portal (developer.ups.com) for {}: its callback URL must be exactly {}",
                    wire::environment_name(&config.base_url),
                    wire::printable(&config.redirect_uri)
                )
            });
            ClientCheck::Refused(UpsFailure {
                hint: Some(hint),
                ..UpsFailure::new(
                    Some(status),
                    format!("UPS refused the app before the sign-in (HTTP {status}): {error}"),
                )
            })
        }
        _ => ClientCheck::Unknown(format!("UPS answered HTTP {status}")),
    }
}

fn client(config: &ClientConfig, token_path: &str) -> Result<UpsClient, UpsFailure> {
    let mut client =
        UpsClient::<EndpointNotSet, EndpointNotSet>::new(ClientId::new(config.client_id.clone()))
            .set_auth_type(AuthType::BasicAuth)
            .set_auth_uri(
                AuthUrl::new(format!("{}{}", config.base_url, wire::AUTHORIZE_PATH))
                    .map_err(|e| config_error("bad authorize URL", e))?,
            )
            .set_token_uri(
                TokenUrl::new(format!("{}{token_path}", config.base_url))
                    .map_err(|e| config_error("bad token URL", e))?,
            )
            .set_redirect_uri(
                RedirectUrl::new(config.redirect_uri.clone())
                    .map_err(|e| config_error("bad redirect URI", e))?,
            );
    if let Some(secret) = &config.client_secret {
        client = client.set_client_secret(secret.clone());
    }
    Ok(client)
}

/// A fresh state (256 random bits) and PKCE pair, and the URL to open in the browser.
pub fn start(config: &ClientConfig) -> Result<Attempt, UpsFailure> {
    let (challenge, verifier) = PkceCodeChallenge::new_random_sha256();
    let (url, state) = client(config, wire::TOKEN_PATH)?
        .authorize_url(|| CsrfToken::new_random_len(32))
        .set_pkce_challenge(challenge)
        .url();
    Ok(Attempt {
        url: url.to_string(),
        state,
        verifier,
    })
}

/// Trade the one-time code for tokens at /security/v1/oauth/token, over `http`. Never
/// retried: a code works once.
/// `clock` dates the tokens: their lifetimes count from when the answer came.
pub fn exchange_code_with(
    http: &(impl Transport + ?Sized),
    config: &ClientConfig,
    code: AuthorizationCode,
    verifier: PkceCodeVerifier,
    clock: &dyn Fn() -> DateTime<Utc>,
) -> Result<Grant, UpsFailure> {
    let result = client(config, wire::TOKEN_PATH)?
        .exchange_code(code)
        .set_pkce_verifier(verifier)
        .request(&Through(http));
    finish(
        result,
        http.last_answer(),
        "token exchange",
        config,
        clock(),
    )
}

/// Rotate the pair at /security/v1/oauth/refresh, over `http`. The old refresh token is
/// spent once UPS has seen this request, whatever happens to the answer.
/// `clock` dates the tokens, as for [`exchange_code_with`].
pub fn refresh_with(
    http: &(impl Transport + ?Sized),
    config: &ClientConfig,
    refresh_token: &RefreshToken,
    clock: &dyn Fn() -> DateTime<Utc>,
) -> Result<Grant, UpsFailure> {
    let result = client(config, wire::REFRESH_PATH)?
        .exchange_refresh_token(refresh_token)
        .request(&Through(http));
    let answered = clock();
    finish(result, http.last_answer(), "refresh", config, answered).map_err(|mut failure| {
        if config.client_secret.is_none() && failure.status == Some(401) {
            failure.message.push_str(
                ". This opt-in has no client secret, and UPS's document offers a refresh only with one (HTTP Basic): that is why UPS refused it",
            );
        }
        failure
    })
}

type Outcome = Result<UpsTokenResponse, RequestTokenError<TransportError, UpsErrorResponse>>;

/// A transport as oauth2 takes it (a sized client): whichever the context holds, the
/// network or a test's.
struct Through<'a, T: ?Sized>(&'a T);

impl<T: Transport + ?Sized> oauth2::SyncHttpClient for Through<'_, T> {
    type Error = TransportError;

    fn call(&self, request: oauth2::HttpRequest) -> Result<oauth2::HttpResponse, TransportError> {
        self.0.call(request)
    }
}

/// Turn oauth2's outcome into a grant or a failure worded for the admin. Bodies are never
/// echoed (a gateway page or a mangled token response can hold secrets); only UPS's own
/// error messages are shown, cleaned of control characters.
fn finish(
    result: Outcome,
    last: LastAnswer,
    what: &str,
    config: &ClientConfig,
    answered: DateTime<Utc>,
) -> Result<Grant, UpsFailure> {
    let status = last.status;
    // oauth2 reads a body only at 200, and a 200 means UPS acted: the code is spent or the
    // refresh token rotated, whatever became of the body.
    let acted = status == Some(200);
    let fail = |message: String| UpsFailure {
        answer_lost: acted,
        ..UpsFailure::new(status, message)
    };
    let refused = |message: String, error: Option<&UpsErrorResponse>| UpsFailure {
        hint: wire::Refusal {
            status,
            error,
            retry_after: last.retry_after.as_deref(),
            base_url: &config.base_url,
            client_id: &config.client_id,
            redirect_uri: &config.redirect_uri,
        }
        .hint(),
        ..UpsFailure::new(status, message)
    };
    let status_text = status.map(|s| format!("HTTP {s}")).unwrap_or_default();
    let kind = last
        .content_type
        .as_deref()
        .map(|c| format!(" ({})", wire::printable(c.split(';').next().unwrap_or(c))))
        .unwrap_or_default();
    match result {
        Ok(response) => {
            // UPS said what it thinks of this grant: no token is taken against its word. It
            // answered 200, so it acted: on a refresh the stored refresh token is spent too.
            let verdicts = [
                ("refresh_token_status", &response.refresh_token_status),
                ("status", &response.status),
            ];
            for (field, verdict) in verdicts {
                if let Some(said) = wire::unapproved(verdict) {
                    return Err(UpsFailure {
                        refused_grant: true,
                        ..UpsFailure::new(
                            status,
                            format!("UPS answered the {what} with {field} `{said}` instead of `approved`, so nothing was stored"),
                        )
                    });
                }
            }
            grant_from(response, answered)
                .map_err(|e| fail(format!("UPS answered the {what} with HTTP 200 but {e}")))
        }
        Err(RequestTokenError::ServerResponse(e)) if e.is_recognised() => {
            let mut message = format!("UPS refused the {what} ({status_text}): {e}");
            if status == Some(429) {
                match &last.retry_after {
                    Some(after) => message.push_str(&format!(
                        "; UPS asks to wait {} before trying again",
                        wire::retry_after_text(after)
                    )),
                    None => message.push_str("; UPS is rate-limiting, wait a while before trying again"),
                }
            }
            Err(refused(message, Some(&e)))
        }
        Err(RequestTokenError::Request(TransportError::NotSent(reason))) => Err(UpsFailure {
            unreachable: true,
            ..UpsFailure::new(None, reason)
        }),
        Err(RequestTokenError::Request(TransportError::AnswerLost(reason))) => Err(UpsFailure {
            unreachable: true,
            answer_lost: true,
            ..UpsFailure::new(
                status,
                format!("the {what} request went out but no complete answer came back: {reason}"),
            )
        }),
        Err(RequestTokenError::Request(TransportError::Build)) => {
            Err(config_error(what, TransportError::Build))
        }
        Err(RequestTokenError::Parse(e, _body)) if acted => Err(fail(format!(
            "UPS answered the {what} with HTTP 200 but the token response could not be read (at `{}`)",
            wire::printable(&e.path().to_string())
        ))),
        Err(_) if acted => Err(fail(format!(
            "UPS answered the {what} with HTTP 200{kind} but the token response could not be read (no JSON token response)"
        ))),
        // A non-JSON, empty or unrecognised error body: name the status, never echo the body.
        Err(_) => {
            let advice = match status {
                Some(s) if s >= 500 => "; UPS or a gateway in front of it is failing, try again later",
                _ => "",
            };
            Err(refused(
                format!(
                    "UPS answered the {what} with {status_text}{kind} and no UPS error message{advice}"
                ),
                None,
            ))
        }
    }
}

/// The grant a token response amounts to at `now`, or why it cannot be believed.
pub fn grant_from(response: UpsTokenResponse, now: DateTime<Utc>) -> Result<Grant, String> {
    if response.access_token().secret().is_empty() {
        return Err("its token response held an empty access token".into());
    }
    let lifetime = response.expires_in().unwrap_or(ASSUMED_ACCESS_LIFETIME);
    let refresh_token_expires_in = response.refresh_token_expires_in;
    let refresh_count = response.refresh_count;
    let (access_token, refresh_token) = response.into_tokens();
    let after = |d: Duration| {
        chrono::Duration::from_std(d)
            .ok()
            .and_then(|d| now.checked_add_signed(d))
            .ok_or_else(|| "its token response held an impossible lifetime".to_string())
    };
    Ok(Grant {
        access_token: SecretString::from(access_token.into_secret()),
        refresh_token: refresh_token.map(|t| SecretString::from(t.into_secret())),
        issued_at: now,
        expires_at: after(lifetime)?,
        refresh_expires_at: match refresh_token_expires_in {
            Some(secs) => Some(after(Duration::from_secs(secs))?),
            None => None,
        },
        refresh_count: refresh_count.unwrap_or(0),
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ups::transport::CannedAnswer;
    use secrecy::ExposeSecret;

    fn config(secret: Option<&str>) -> ClientConfig {
        ClientConfig {
            base_url: "https://wwwcie.ups.com".into(),
            client_id: "my-client".into(),
            client_secret: secret.map(|s| ClientSecret::new(s.into())),
            redirect_uri: "http://127.0.0.1:8765/callback".into(),
        }
    }

    #[test]
    fn authorize_url_carries_state_and_s256_challenge() {
        let attempt = start(&config(None)).unwrap();
        let url = url::Url::parse(&attempt.url).unwrap();
        assert_eq!(url.path(), "/security/v1/oauth/authorize");
        let q: std::collections::HashMap<_, _> = url.query_pairs().into_owned().collect();
        assert_eq!(q["client_id"], "my-client");
        assert_eq!(q["response_type"], "code");
        assert_eq!(q["redirect_uri"], "http://127.0.0.1:8765/callback");
        assert_eq!(q["state"], *attempt.state.secret());
        assert!(
            attempt.state.secret().len() >= 22,
            "state must hold >= 128 bits"
        );
        assert_eq!(q["code_challenge_method"], "S256");
        let expected = PkceCodeChallenge::from_code_verifier_sha256(&attempt.verifier);
        assert_eq!(q["code_challenge"], *expected.as_str());
        let again = start(&config(None)).unwrap();
        assert_ne!(again.state.secret(), attempt.state.secret());
    }

    fn answer(status: u16, content_type: &str, body: &str) -> CannedAnswer {
        CannedAnswer {
            status,
            content_type: Some(content_type.into()),
            retry_after: None,
            body: body.as_bytes().to_vec(),
        }
    }

    fn refresh_against(http: &CannedAnswer) -> Result<Grant, UpsFailure> {
        refresh_with(
            http,
            &config(None),
            &RefreshToken::new("r".into()),
            &crate::clock::now,
        )
    }

    #[test]
    fn a_200_that_cannot_be_used_counts_as_acted_upon_and_echoes_nothing() {
        for (content_type, body) in [
            ("application/json", ""),
            ("text/html", "<p>SECRET-BODY</p>"),
            ("application/json", r#"{"access_token":"SECRET-BODY"#),
            (
                "application/json",
                r#"{"access_token":"SECRET-BODY","expires_in":"-1"}"#,
            ),
            ("application/json", r#"{"access_token":""}"#),
        ] {
            let failure = refresh_against(&answer(200, content_type, body)).unwrap_err();
            assert!(failure.answer_lost, "{body}");
            assert!(!failure.unreachable && !failure.is_rejection(), "{body}");
            assert!(failure.message.contains("HTTP 200"), "{}", failure.message);
            assert!(
                !failure.message.contains("SECRET-BODY"),
                "{}",
                failure.message
            );
        }
    }

    #[test]
    fn refusals_and_gateway_pages_are_answers_ups_did_not_act_on() {
        let refused = refresh_against(&answer(
            401,
            "application/json",
            r#"{"response":{"errors":[{"code":"10401","message":"Invalid Refresh Token"}]}}"#,
        ))
        .unwrap_err();
        assert!(refused.is_rejection() && !refused.answer_lost);
        assert!(refused
            .message
            .contains("Invalid Refresh Token (UPS code 10401)"));

        let mut limited = answer(429, "application/json", r#"{"error":"slow_down"}"#);
        limited.retry_after = Some("7".into());
        let limited = refresh_against(&limited).unwrap_err();
        assert!(!limited.is_rejection() && !limited.answer_lost);
        assert!(
            limited.message.contains("UPS asks to wait 7"),
            "{}",
            limited.message
        );

        let gateway =
            refresh_against(&answer(504, "text/html", "<h1>SECRET-BODY</h1>")).unwrap_err();
        assert!(!gateway.is_rejection() && !gateway.answer_lost);
        assert!(
            gateway.message.contains("HTTP 504 (text/html)"),
            "{}",
            gateway.message
        );
        assert!(!gateway.message.contains("SECRET-BODY"));
    }

    #[test]
    fn a_good_answer_becomes_a_grant_with_its_lifetimes() {
        let grant = refresh_against(&answer(
            200,
            "application/json",
            r#"{"access_token":"access-secret","expires_in":"14399","refresh_token":"refresh-secret","refresh_token_expires_in":5183999,"refresh_count":"3"}"#,
        ))
        .unwrap();
        // Logged or printed by mistake, a grant shows no token.
        let shown = format!("{grant:?}");
        assert!(
            !shown.contains("access-secret") && !shown.contains("refresh-secret"),
            "{shown}"
        );
        assert_eq!(grant.access_token.expose_secret(), "access-secret");
        assert_eq!(
            grant.refresh_token.unwrap().expose_secret(),
            "refresh-secret"
        );
        assert_eq!((grant.expires_at - grant.issued_at).num_seconds(), 14399);
        assert_eq!(grant.refresh_count, 3);
    }

    #[test]
    fn rejection_means_4xx_other_than_rate_limits() {
        let f = |s| UpsFailure::new(Some(s), String::new());
        assert!(f(400).is_rejection());
        assert!(f(401).is_rejection());
        assert!(!f(429).is_rejection());
        assert!(!f(502).is_rejection());
    }
}
