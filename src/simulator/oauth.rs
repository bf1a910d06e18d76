//! The UPS endpoints: /security/v1/oauth/{validate-client,authorize,token,refresh} and the
//! simulated UPS.com sign-in (/lasso/signin, /lasso/consent). Validation is as strict as UPS's
//! document allows: exact redirect_uri, one-time codes bound to client, redirect_uri and PKCE
//! challenge, refresh-token rotation, and /refresh with Basic only unless a setting allows a
//! public client there.

use super::http::{Incoming, Reply};
use super::pages::{self, DEFAULT_USERNAME};
use super::state::{
    now_ms, Client, CodeGrant, Endpoint, Fault, Pending, State, CODE_TTL_MS, TXN_TTL_MS,
};
use super::tokens::{self, AccessClaims};
use super::wire::{self, msg, Params, TokenSet, UpsError};
use super::Shared;

/// The `displayname` UPS reports for the application, shown on the consent page.
pub(crate) const APP_DISPLAY_NAME: &str = "UPS Intelligent Data Management";
/// Longest user name accepted on the sign-in form.
const MAX_USERNAME: usize = 256;

/// Turns an injected fault into the canned answer it describes.
pub(crate) fn fault_reply(fault: Fault) -> Reply {
    let mut reply = Reply::new(fault.status, &fault.content_type, fault.body);
    for (name, value) in &fault.headers {
        reply = reply.with_header(name, value);
    }
    reply
}

/// Counts a request to a UPS endpoint and says what it must answer instead of doing its
/// work: an injected fault, or the rate limit a setting turned on.
fn intercepted(shared: &Shared, endpoint: Endpoint) -> Option<Reply> {
    let mut st = shared.lock();
    if let Some(fault) = st.record(endpoint) {
        return Some(fault_reply(fault));
    }
    st.behaviour
        .rate_limited
        .map(|secs| UpsError::rate_limited(msg::TOO_MANY_REQUESTS, secs).reply())
}

/// `GET /security/v1/oauth/validate-client?client_id=...&redirect_uri=...`: whether the
/// client and the redirect URI are registered, answered before any browser opens. On success
/// UPS names its sign-in page (`LassoRedirectURL`) and the `type` to pass to it.
pub(crate) fn validate_client(shared: &Shared, req: &Incoming) -> Reply {
    if let Some(reply) = intercepted(shared, Endpoint::ValidateClient) {
        return reply;
    }
    let checked =
        Params::parse(req.query.as_bytes(), &["client_id", "redirect_uri"]).and_then(|params| {
            let client_id = params
                .get("client_id")
                .ok_or_else(|| UpsError::missing("client_id"))?;
            if client_id != shared.client.id {
                return Err(UpsError::unauthorized(msg::CLIENT_ID_INVALID));
            }
            let redirect_uri = params
                .get("redirect_uri")
                .ok_or_else(|| UpsError::missing("redirect_uri"))?;
            if !shared.lock().behaviour.accepts_redirect(redirect_uri) {
                return Err(UpsError::bad_request(msg::INVALID_REDIRECT_URL));
            }
            Ok(())
        });
    match checked {
        Ok(()) => Reply::json(
            200,
            &serde_json::json!({
                "result": "success",
                "type": "ups_com_api",
                "LassoRedirectURL": format!("{}/lasso/signin", shared.base_url),
            }),
        ),
        Err(e) => e.reply(),
    }
}

/// `GET /security/v1/oauth/authorize`
pub(crate) fn authorize(shared: &Shared, req: &Incoming) -> Reply {
    if let Some(reply) = intercepted(shared, Endpoint::Authorize) {
        return reply;
    }
    begin_signin(shared, req).unwrap_or_else(|e| e.reply())
}

/// The parameters of /authorize in UPS's document (plus PKCE's method).
const AUTHORIZE_PARAMS: &[&str] = &[
    "client_id",
    "redirect_uri",
    "response_type",
    "state",
    "scope",
    "code_challenge",
    "code_challenge_method",
];

fn begin_signin(shared: &Shared, req: &Incoming) -> Result<Reply, UpsError> {
    let params = Params::parse(req.query.as_bytes(), AUTHORIZE_PARAMS)?;
    let client = &shared.client;
    let client_id = params
        .get("client_id")
        .ok_or_else(|| UpsError::missing("client_id"))?;
    if client_id != client.id {
        return Err(UpsError::unauthorized(msg::CLIENT_ID_INVALID));
    }
    let redirect_uri = params
        .get("redirect_uri")
        .ok_or_else(|| UpsError::missing("redirect_uri"))?;
    if !shared.lock().behaviour.accepts_redirect(redirect_uri) {
        return Err(UpsError::bad_request(msg::REDIRECT_NOT_REGISTERED));
    }
    match params.get("response_type") {
        None => return Err(UpsError::missing("response_type")),
        Some("code") => {}
        Some(_) => return Err(UpsError::bad_request(msg::INVALID_RESPONSE_TYPE)),
    }
    let challenge = params.get("code_challenge");
    if let Some(method) = params.get("code_challenge_method") {
        if method != "S256" {
            return Err(UpsError::bad_request(msg::INVALID_CHALLENGE_METHOD));
        }
        if challenge.is_none() {
            return Err(UpsError::missing("code_challenge"));
        }
    }
    match challenge {
        Some(c) if !tokens::is_valid_challenge(c) => {
            return Err(UpsError::bad_request(msg::INVALID_CHALLENGE))
        }
        // Without a secret, PKCE is the client's only proof at /token.
        None if client.secret.is_none() => {
            return Err(UpsError::bad_request(msg::CHALLENGE_REQUIRED))
        }
        _ => {}
    }
    let state = params.get("state");
    let scope = params.get("scope").unwrap_or_default();

    let now = now_ms();
    let pending = Pending {
        client_id: client.id.clone(),
        redirect_uri: redirect_uri.to_string(),
        state: state.map(str::to_string),
        scope: scope.to_string(),
        code_challenge: challenge.map(str::to_string),
        expires_at: now.saturating_add(TXN_TTL_MS),
    };
    let mut st = shared.lock();
    if st.behaviour.auto_approve {
        // No page: the default user approves at once, and the browser goes straight back.
        let code = tokens::random_id(32).map_err(|_| UpsError::internal())?;
        return approve(&mut st, pending, DEFAULT_USERNAME, code, now);
    }
    let txn = tokens::random_id(16).map_err(|_| UpsError::internal())?;
    st.begin(txn.clone(), pending, now)?;
    drop(st);

    // The UPS login URL format from the document, plus our transaction id.
    let mut query = url::form_urlencoded::Serializer::new(String::new());
    query
        .append_pair("client_id", &client.id)
        .append_pair("redirect_uri", redirect_uri)
        .append_pair("response_type", "code");
    if !scope.is_empty() {
        query.append_pair("scope", scope);
    }
    if let Some(state) = state {
        query.append_pair("state", state);
    }
    query
        .append_pair("type", "ups_com_api")
        .append_pair("txn", &txn);
    let location = format!("{}/lasso/signin?{}", shared.base_url, query.finish());
    Ok(Reply::redirect(&location)
        .with_header("appname", &client.id)
        .with_header("displayname", APP_DISPLAY_NAME))
}

fn bad_page(message: &str) -> Reply {
    Reply::html(400, pages::error("Something went wrong", message))
}

const EXPIRED_TXN: &str =
    "This sign-in request is unknown or has expired. Start the authorization again from the application.";

/// `GET /lasso/signin`: the consent page for a pending transaction.
pub(crate) fn signin(shared: &Shared, req: &Incoming) -> Reply {
    let Ok(params) = Params::parse(req.query.as_bytes(), &["txn"]) else {
        return bad_page("Malformed sign-in link.");
    };
    let Some(txn) = params.get("txn") else {
        return bad_page(EXPIRED_TXN);
    };
    if shared.lock().pending(txn, now_ms()).is_none() {
        return bad_page(EXPIRED_TXN);
    }
    Reply::html(200, pages::signin(txn, APP_DISPLAY_NAME))
}

/// `POST /lasso/consent`: the user's decision, answered with the redirect back to the app.
pub(crate) fn consent(shared: &Shared, req: &Incoming) -> Reply {
    if !wire::is_form(req.header("content-type")) {
        return bad_page("The sign-in form was not submitted as a form.");
    }
    let Ok(params) = Params::parse(&req.body, &["txn", "decision", "username"]) else {
        return bad_page("Malformed sign-in form.");
    };
    let Some(txn) = params.get("txn") else {
        return bad_page(EXPIRED_TXN);
    };
    let approved = match params.get("decision") {
        Some("approve") => true,
        Some("deny") => false,
        _ => return bad_page("Choose Approve or Deny."),
    };
    let username = params
        .get("username")
        .map(str::trim)
        .filter(|u| !u.is_empty())
        .unwrap_or(DEFAULT_USERNAME);
    if username.chars().count() > MAX_USERNAME {
        return bad_page("That username is too long.");
    }
    // Drawn before taking the transaction so a generator failure cannot waste it.
    let Ok(code) = tokens::random_id(32) else {
        return Reply::text(500, msg::INTERNAL);
    };
    let now = now_ms();
    let mut st = shared.lock();
    let Some(pending) = st.take_pending(txn, now) else {
        return bad_page(EXPIRED_TXN);
    };
    if !approved {
        let state = pending.state.as_deref();
        st.counters.denials += 1;
        let mut pairs = vec![
            ("error", "access_denied"),
            (
                "error_description",
                "The user denied the authorization request",
            ),
        ];
        pairs.extend(state.map(|s| ("state", s)));
        return Reply::redirect(&wire::append_query(&pending.redirect_uri, &pairs));
    }
    approve(&mut st, pending, username, code, now).unwrap_or_else(|e| bad_page(&e.message))
}

/// The user approved: a one-time code for `username`, and the redirect back to the app.
fn approve(
    st: &mut State,
    pending: Pending,
    username: &str,
    code: String,
    now: u64,
) -> Result<Reply, UpsError> {
    let grant = CodeGrant {
        client_id: pending.client_id.clone(),
        redirect_uri: pending.redirect_uri.clone(),
        scope: pending.scope.clone(),
        code_challenge: pending.code_challenge.clone(),
        username: username.to_string(),
        expires_at: now.saturating_add(CODE_TTL_MS),
        used: false,
    };
    st.store_code(code.clone(), grant, now)?;
    st.counters.consents += 1;
    let mut pairs = vec![("code", code.as_str())];
    pairs.extend(pending.state.as_deref().map(|s| ("state", s)));
    Ok(Reply::redirect(&wire::append_query(
        &pending.redirect_uri,
        &pairs,
    )))
}

/// `POST /security/v1/oauth/token`
pub(crate) fn token(shared: &Shared, req: &Incoming) -> Reply {
    if let Some(reply) = intercepted(shared, Endpoint::Token) {
        return reply;
    }
    match exchange_code(shared, req) {
        Ok(set) => set.reply(),
        Err(e) => e.reply(),
    }
}

fn exchange_code(shared: &Shared, req: &Incoming) -> Result<TokenSet, UpsError> {
    let params = form_params(
        req,
        &[
            "grant_type",
            "code",
            "redirect_uri",
            "client_id",
            "code_verifier",
        ],
    )?;
    let basic = authenticate(&shared.client, req, &params, Endpoint::Token, false)?;
    match params.get("grant_type") {
        None => return Err(UpsError::missing("grant_type")),
        Some("authorization_code") => {}
        Some(_) => return Err(UpsError::bad_request(msg::INVALID_GRANT_TYPE)),
    }
    let code = params
        .get("code")
        .ok_or_else(|| UpsError::missing("code"))?;
    let redirect_uri = params
        .get("redirect_uri")
        .ok_or_else(|| UpsError::missing("redirect_uri"))?;
    let verifier = params.get("code_verifier");

    let now = now_ms();
    let mut st = shared.lock();
    let grant = st.redeemable_code(code, &shared.client.id, redirect_uri, verifier, basic, now)?;
    refuse_blocked(&st, &grant.username)?;
    let access = mint(
        shared,
        &grant.username,
        &grant.scope,
        now,
        st.access_ttl(),
        st.access_token_min_len(),
    )?;
    let refresh = tokens::random_id(32).map_err(|_| UpsError::internal())?;
    Ok(st.open_family(code, &grant, access, refresh, now))
}

/// `POST /security/v1/oauth/refresh`
pub(crate) fn refresh(shared: &Shared, req: &Incoming) -> Reply {
    if let Some(reply) = intercepted(shared, Endpoint::Refresh) {
        return reply;
    }
    let delay = shared.lock().behaviour.refresh_delay_ms;
    let reply = match rotate_refresh(shared, req) {
        Ok(set) => set.reply(),
        Err(e) => e.reply(),
    };
    // Rotated already: whoever waits for this answer holds the only copy of the new pair.
    std::thread::sleep(std::time::Duration::from_millis(delay));
    reply
}

fn rotate_refresh(shared: &Shared, req: &Incoming) -> Result<TokenSet, UpsError> {
    let params = form_params(req, &["grant_type", "refresh_token", "client_id"])?;
    let public_refresh = shared.lock().behaviour.public_refresh;
    authenticate(
        &shared.client,
        req,
        &params,
        Endpoint::Refresh,
        public_refresh,
    )?;
    match params.get("grant_type") {
        None => return Err(UpsError::missing("grant_type")),
        Some("refresh_token") => {}
        Some(_) => return Err(UpsError::bad_request(msg::INVALID_GRANT_TYPE)),
    }
    let old = params
        .get("refresh_token")
        .ok_or_else(|| UpsError::missing("refresh_token"))?;

    let now = now_ms();
    let mut st = shared.lock();
    let family = st.refreshable(old, &shared.client.id, now)?;
    let (username, scope) = st
        .family(family)
        .map(|f| (f.username.clone(), f.scope.clone()))
        .ok_or_else(|| UpsError::unauthorized(msg::INVALID_REFRESH_TOKEN))?;
    refuse_blocked(&st, &username)?;
    let access = mint(
        shared,
        &username,
        &scope,
        now,
        st.access_ttl(),
        st.access_token_min_len(),
    )?;
    let new = tokens::random_id(32).map_err(|_| UpsError::internal())?;
    Ok(st.rotate(old, family, access, new, now))
}

fn mint(
    shared: &Shared,
    username: &str,
    scope: &str,
    now: u64,
    ttl: u64,
    min_len: usize,
) -> Result<String, UpsError> {
    let issuer = format!("{}/security", shared.base_url);
    tokens::mint_access_token(&AccessClaims {
        issuer: &issuer,
        client_id: &shared.client.id,
        username,
        scope,
        issued_at_ms: now,
        ttl_secs: ttl,
        min_len,
    })
    .map_err(|_| UpsError::internal())
}

/// 403 "Blocked Merchant" for a UPS.com user a setting blocked.
fn refuse_blocked(st: &State, username: &str) -> Result<(), UpsError> {
    if st.behaviour.blocked_users.contains(username) {
        return Err(UpsError::new(403, msg::BLOCKED_MERCHANT));
    }
    Ok(())
}

/// The body of a /token or /refresh call; UPS's document only defines the form encoding.
fn form_params(req: &Incoming, known: &[&str]) -> Result<Params, UpsError> {
    if !wire::is_form(req.header("content-type")) {
        return Err(UpsError::new(415, msg::CONTENT_TYPE));
    }
    Params::parse(&req.body, known)
}

/// Client authentication as UPS documents it. Returns `true` when the client proved its
/// secret with HTTP Basic, `false` for the PKCE form (no header, `client_id` in the body),
/// which /token accepts only together with a valid code_verifier. UPS documents /refresh
/// with Basic only, so there the PKCE form is refused unless `public_refresh` allows it
/// (for a client that has no secret).
fn authenticate(
    client: &Client,
    req: &Incoming,
    params: &Params,
    endpoint: Endpoint,
    public_refresh: bool,
) -> Result<bool, UpsError> {
    let body_id = params.get("client_id");
    if let Some(id) = body_id {
        if id != client.id {
            return Err(UpsError::unauthorized(msg::CLIENT_ID_INVALID));
        }
    }
    match (
        req.header_count("authorization"),
        req.header("authorization"),
    ) {
        (1, Some(value)) => {
            let creds =
                wire::parse_basic(value).ok_or_else(|| UpsError::unauthorized(msg::AUTH_HEADER))?;
            if !wire::credential_matches(&creds.id, &client.id) {
                return Err(UpsError::unauthorized(msg::CLIENT_ID_INVALID));
            }
            let Some(secret) = &client.secret else {
                return Err(UpsError::unauthorized(msg::BASIC_FOR_PUBLIC_CLIENT));
            };
            if !wire::credential_matches(&creds.secret, secret) {
                return Err(UpsError::unauthorized(msg::CLIENT_SECRET_INVALID));
            }
            Ok(true)
        }
        (0, _) => {
            if endpoint == Endpoint::Refresh && (client.secret.is_some() || !public_refresh) {
                return Err(UpsError::unauthorized(msg::AUTH_HEADER));
            }
            if body_id.is_none() {
                return Err(UpsError::unauthorized(msg::AUTH_HEADER));
            }
            Ok(false)
        }
        _ => Err(UpsError::unauthorized(msg::AUTH_HEADER)),
    }
}
