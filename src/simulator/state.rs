//! Everything the simulated UPS remembers: the registered client, pending sign-in
//! transactions, authorization codes, refresh-token families, access tokens, counters and
//! injected faults. Pure logic: the current time is always passed in (milliseconds since the
//! epoch), so expiry is testable without sleeping.

use std::collections::{BTreeSet, HashMap, VecDeque};
use std::time::{SystemTime, UNIX_EPOCH};

use serde::Serialize;

use super::tokens;
use super::wire::{msg, TokenSet, UpsError};

/// Sign-in transactions and authorization codes live ten minutes.
pub(crate) const TXN_TTL_MS: u64 = 10 * 60 * 1000;
pub(crate) const CODE_TTL_MS: u64 = 10 * 60 * 1000;
/// Caps on outstanding transactions and codes so a runaway client can't exhaust memory.
const MAX_PENDING: usize = 10_000;
/// Expired tokens are remembered a day longer so a late use is reported as expired rather
/// than unknown.
const KEEP_EXPIRED_MS: u64 = 24 * 60 * 60 * 1000;

/// Milliseconds since the Unix epoch (0 if the clock is before it: never a panic).
pub(crate) fn now_ms() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| u64::try_from(d.as_millis()).unwrap_or(u64::MAX))
        .unwrap_or(0)
}

fn after(now: u64, secs: u64) -> u64 {
    now.saturating_add(secs.saturating_mul(1000))
}

/// The one registered application.
#[derive(Clone)]
pub(crate) struct Client {
    pub id: String,
    pub secret: Option<String>,
}

/// How long a rate-limited caller is asked to wait unless a setting says otherwise.
pub(crate) const DEFAULT_RETRY_AFTER_SECS: u64 = 60;

/// What the simulated UPS does that tests and the demo may change while it runs
/// (`POST /_simulator/settings`), beside the token lifetimes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Behaviour {
    /// The app's registered callback URLs, each matched exactly; `None` accepts any loopback
    /// `http` URI.
    pub redirect_uris: Option<Vec<String>>,
    /// Whether /refresh serves a public (PKCE-only) client without Basic. UPS documents
    /// /refresh with Basic only, so by default it does not.
    pub public_refresh: bool,
    /// Whether /authorize skips the sign-in page and redirects with a code at once, as if
    /// the default user had pressed Approve (the demo on a machine with no browser).
    pub auto_approve: bool,
    /// When set, every UPS endpoint answers 429 with this `Retry-After` (seconds).
    pub rate_limited: Option<u64>,
    /// UPS.com users whose merchant UPS blocks: /token and /refresh answer 403.
    pub blocked_users: BTreeSet<String>,
    /// The `status` and `refresh_token_status` of token answers (`approved` at UPS).
    pub token_status: String,
    pub refresh_token_status: String,
    /// /refresh rotates at once but holds its answer this long (a slow UPS, for the tests
    /// that signal or kill a refresh while it waits).
    pub refresh_delay_ms: u64,
    /// The size in bytes of the proof-of-delivery image a Track answer carries when asked
    /// for (`returnPOD=true`); large ones try a client's streaming.
    pub track_pod_bytes: usize,
}

/// A proof-of-delivery image's size unless a setting says otherwise.
pub(crate) const DEFAULT_POD_BYTES: usize = 4096;

impl Behaviour {
    pub(crate) fn new(redirect_uri: Option<String>) -> Behaviour {
        Behaviour {
            redirect_uris: redirect_uri.map(|uri| vec![uri]),
            public_refresh: false,
            auto_approve: false,
            rate_limited: None,
            blocked_users: BTreeSet::new(),
            token_status: APPROVED.into(),
            refresh_token_status: APPROVED.into(),
            refresh_delay_ms: 0,
            track_pod_bytes: DEFAULT_POD_BYTES,
        }
    }

    /// A registered callback matches exactly; without any, every loopback `http` URI does.
    /// Either way it must be plain printable ASCII, since it ends up in a `Location` header.
    pub(crate) fn accepts_redirect(&self, uri: &str) -> bool {
        if uri.is_empty() || !uri.bytes().all(|b| b.is_ascii_graphic()) {
            return false;
        }
        match &self.redirect_uris {
            Some(registered) => registered.iter().any(|r| r == uri),
            None => is_loopback_http(uri),
        }
    }
}

/// What UPS's token answers say in `status` and `refresh_token_status` when all is well.
pub(crate) const APPROVED: &str = "approved";

/// `http://127.0.0.1[:port]/...`, `http://localhost[:port]/...` or `http://[::1][:port]/...`,
/// with no user info and no fragment (RFC 6749 §3.1.2).
pub(crate) fn is_loopback_http(uri: &str) -> bool {
    if !uri.starts_with("http://") || uri.contains('#') {
        return false;
    }
    let Ok(url) = url::Url::parse(uri) else {
        return false;
    };
    url.scheme() == "http"
        && url.username().is_empty()
        && url.password().is_none()
        && matches!(url.host_str(), Some("127.0.0.1" | "localhost" | "[::1]"))
}

/// An /authorize request waiting for the user's decision on the sign-in page.
#[derive(Debug, Clone)]
pub(crate) struct Pending {
    pub client_id: String,
    pub redirect_uri: String,
    pub state: Option<String>,
    pub scope: String,
    pub code_challenge: Option<String>,
    pub expires_at: u64,
}

/// An authorization code and what it is bound to.
#[derive(Debug, Clone)]
pub(crate) struct CodeGrant {
    pub client_id: String,
    pub redirect_uri: String,
    pub scope: String,
    pub code_challenge: Option<String>,
    pub username: String,
    pub expires_at: u64,
    pub used: bool,
}

/// One opt-in: the chain of refresh tokens that rotation produces from a single code.
#[derive(Debug, Clone)]
pub(crate) struct Family {
    pub client_id: String,
    pub username: String,
    pub scope: String,
    pub refresh_count: u64,
    /// Password epoch at opt-in; a password change bumps the global epoch and so
    /// invalidates every family (and its access tokens) created before it.
    epoch: u64,
}

#[derive(Debug, Clone)]
struct RefreshEntry {
    family: u64,
    expires_at: u64,
}

#[derive(Debug, Clone)]
struct AccessEntry {
    family: u64,
    expires_at: u64,
}

/// Request and success counters, served by `GET /_simulator/stats`.
#[derive(Debug, Clone, Default, Serialize, PartialEq, Eq)]
pub(crate) struct Counters {
    pub validate_client: u64,
    pub authorize: u64,
    pub consents: u64,
    pub denials: u64,
    pub token_requests: u64,
    pub tokens_issued: u64,
    pub refresh_requests: u64,
    pub refreshes_issued: u64,
    pub password_changes: u64,
    pub track_requests: u64,
}

/// The UPS endpoints a fault can be injected into.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub(crate) enum Endpoint {
    ValidateClient,
    Authorize,
    Token,
    Refresh,
    /// The Track API (track.rs).
    Track,
}

impl Endpoint {
    pub(crate) fn parse(name: &str) -> Option<Endpoint> {
        match name {
            "validate-client" => Some(Endpoint::ValidateClient),
            "authorize" => Some(Endpoint::Authorize),
            "token" => Some(Endpoint::Token),
            "refresh" => Some(Endpoint::Refresh),
            "track" => Some(Endpoint::Track),
            _ => None,
        }
    }
}

/// A canned answer served instead of processing the request.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Fault {
    pub status: u16,
    pub content_type: String,
    pub body: String,
    pub headers: Vec<(String, String)>,
    pub times: u32,
}

/// What `POST /_simulator/introspect` reports about a token.
#[derive(Debug, Clone, Serialize, PartialEq, Eq)]
pub(crate) struct Introspection {
    pub active: bool,
    pub token_type: &'static str,
    pub client_id: String,
    pub username: String,
    pub scope: String,
    pub expires_at: u64,
}

pub(crate) struct State {
    access_ttl: u64,
    access_token_min_len: usize,
    refresh_ttl: u64,
    pending: HashMap<String, Pending>,
    codes: HashMap<String, CodeGrant>,
    families: HashMap<u64, Family>,
    next_family: u64,
    refresh: HashMap<String, RefreshEntry>,
    access: HashMap<String, AccessEntry>,
    epoch: u64,
    faults: HashMap<Endpoint, VecDeque<Fault>>,
    pub counters: Counters,
    pub behaviour: Behaviour,
}

impl State {
    pub(crate) fn new(access_ttl: u64, refresh_ttl: u64) -> State {
        State {
            behaviour: Behaviour::new(None),
            access_ttl,
            access_token_min_len: 0,
            refresh_ttl,
            pending: HashMap::new(),
            codes: HashMap::new(),
            families: HashMap::new(),
            next_family: 1,
            refresh: HashMap::new(),
            access: HashMap::new(),
            epoch: 0,
            faults: HashMap::new(),
            counters: Counters::default(),
        }
    }

    pub(crate) fn access_ttl(&self) -> u64 {
        self.access_ttl
    }

    pub(crate) fn access_token_min_len(&self) -> usize {
        self.access_token_min_len
    }

    /// Applies to access tokens issued from now on.
    pub(crate) fn set_access_token_min_len(&mut self, len: usize) {
        self.access_token_min_len = len;
    }

    /// New lifetimes apply to tokens issued from now on.
    pub(crate) fn apply_settings(&mut self, access_ttl: Option<u64>, refresh_ttl: Option<u64>) {
        if let Some(ttl) = access_ttl {
            self.access_ttl = ttl;
        }
        if let Some(ttl) = refresh_ttl {
            self.refresh_ttl = ttl;
        }
    }

    /// Counts a request to `endpoint` and hands out the next injected fault, if any.
    pub(crate) fn record(&mut self, endpoint: Endpoint) -> Option<Fault> {
        match endpoint {
            Endpoint::ValidateClient => self.counters.validate_client += 1,
            Endpoint::Authorize => self.counters.authorize += 1,
            Endpoint::Token => self.counters.token_requests += 1,
            Endpoint::Refresh => self.counters.refresh_requests += 1,
            Endpoint::Track => self.counters.track_requests += 1,
        }
        let queue = self.faults.get_mut(&endpoint)?;
        let front = queue.front_mut()?;
        let fault = front.clone();
        front.times = front.times.saturating_sub(1);
        if front.times == 0 {
            queue.pop_front();
        }
        Some(fault)
    }

    /// Queues a fault behind any already queued for the endpoint; `times == 0` clears them.
    pub(crate) fn add_fault(&mut self, endpoint: Endpoint, fault: Fault) {
        let queue = self.faults.entry(endpoint).or_default();
        if fault.times == 0 {
            queue.clear();
        } else {
            queue.push_back(fault);
        }
    }

    /// Stores a sign-in transaction.
    pub(crate) fn begin(
        &mut self,
        txn: String,
        pending: Pending,
        now: u64,
    ) -> Result<(), UpsError> {
        self.pending.retain(|_, p| now < p.expires_at);
        if self.pending.len() >= MAX_PENDING {
            return Err(UpsError::rate_limited(
                msg::RATE_LIMIT,
                DEFAULT_RETRY_AFTER_SECS,
            ));
        }
        self.pending.insert(txn, pending);
        Ok(())
    }

    /// A live transaction, left in place (the sign-in page may be reloaded).
    pub(crate) fn pending(&self, txn: &str, now: u64) -> Option<&Pending> {
        self.pending.get(txn).filter(|p| now < p.expires_at)
    }

    /// Removes a transaction: a consent decision consumes it whatever the decision.
    pub(crate) fn take_pending(&mut self, txn: &str, now: u64) -> Option<Pending> {
        self.pending.remove(txn).filter(|p| now < p.expires_at)
    }

    pub(crate) fn store_code(
        &mut self,
        code: String,
        grant: CodeGrant,
        now: u64,
    ) -> Result<(), UpsError> {
        self.codes.retain(|_, g| now < g.expires_at);
        if self.codes.len() >= MAX_PENDING {
            return Err(UpsError::rate_limited(
                msg::RATE_LIMIT,
                DEFAULT_RETRY_AFTER_SECS,
            ));
        }
        self.codes.insert(code, grant);
        Ok(())
    }

    /// Checks that `code` may be exchanged by this request, without consuming it (a failed
    /// exchange leaves the code usable; only a success spends it).
    /// `basic` says whether the client authenticated with its secret; without it the only
    /// proof of possession is a PKCE verifier, so the code must have had a challenge.
    pub(crate) fn redeemable_code(
        &self,
        code: &str,
        client_id: &str,
        redirect_uri: &str,
        verifier: Option<&str>,
        basic: bool,
        now: u64,
    ) -> Result<CodeGrant, UpsError> {
        let grant = self
            .codes
            .get(code)
            .filter(|g| !g.used && now < g.expires_at && g.client_id == client_id)
            .ok_or_else(|| UpsError::bad_request(msg::INVALID_CODE))?;
        if grant.redirect_uri != redirect_uri {
            return Err(UpsError::bad_request(msg::REDIRECT_MISMATCH));
        }
        match (&grant.code_challenge, verifier) {
            (Some(_), None) => return Err(UpsError::bad_request(msg::MISSING_VERIFIER)),
            (Some(challenge), Some(verifier)) => {
                let matches = tokens::is_valid_verifier(verifier)
                    && super::wire::constant_time_eq(
                        tokens::s256(verifier).as_bytes(),
                        challenge.as_bytes(),
                    );
                if !matches {
                    return Err(UpsError::bad_request(msg::INVALID_VERIFIER));
                }
            }
            (None, Some(_)) => return Err(UpsError::bad_request(msg::UNEXPECTED_VERIFIER)),
            (None, None) if !basic => return Err(UpsError::unauthorized(msg::AUTH_HEADER)),
            (None, None) => {}
        }
        Ok(grant.clone())
    }

    /// Spends `code` and starts a refresh-token family for it.
    pub(crate) fn open_family(
        &mut self,
        code: &str,
        grant: &CodeGrant,
        access_token: String,
        refresh_token: String,
        now: u64,
    ) -> TokenSet {
        if let Some(g) = self.codes.get_mut(code) {
            g.used = true;
        }
        let id = self.next_family;
        self.next_family += 1;
        self.families.insert(
            id,
            Family {
                client_id: grant.client_id.clone(),
                username: grant.username.clone(),
                scope: grant.scope.clone(),
                refresh_count: 0,
                epoch: self.epoch,
            },
        );
        self.counters.tokens_issued += 1;
        self.issue(id, access_token, refresh_token, now)
    }

    /// The family a refresh token belongs to, if the token may be used now.
    pub(crate) fn refreshable(
        &self,
        token: &str,
        client_id: &str,
        now: u64,
    ) -> Result<u64, UpsError> {
        let invalid = || UpsError::unauthorized(msg::INVALID_REFRESH_TOKEN);
        let entry = self.refresh.get(token).ok_or_else(invalid)?;
        let family = self.families.get(&entry.family).ok_or_else(invalid)?;
        if family.client_id != client_id {
            return Err(invalid());
        }
        if family.epoch != self.epoch {
            return Err(UpsError::unauthorized(msg::REFRESH_TOKEN_REVOKED));
        }
        if now >= entry.expires_at {
            return Err(UpsError::unauthorized(msg::REFRESH_TOKEN_EXPIRED));
        }
        Ok(entry.family)
    }

    pub(crate) fn family(&self, id: u64) -> Option<&Family> {
        self.families.get(&id)
    }

    /// Rotation: spends `old` and issues a new pair in the same family.
    pub(crate) fn rotate(
        &mut self,
        old: &str,
        family: u64,
        access_token: String,
        refresh_token: String,
        now: u64,
    ) -> TokenSet {
        self.refresh.remove(old);
        if let Some(f) = self.families.get_mut(&family) {
            f.refresh_count += 1;
        }
        self.counters.refreshes_issued += 1;
        self.issue(family, access_token, refresh_token, now)
    }

    fn issue(
        &mut self,
        family: u64,
        access_token: String,
        refresh_token: String,
        now: u64,
    ) -> TokenSet {
        let keep = |expires_at: u64| now < expires_at.saturating_add(KEEP_EXPIRED_MS);
        self.access.retain(|_, a| keep(a.expires_at));
        self.refresh.retain(|_, r| keep(r.expires_at));
        let (client_id, scope, refresh_count) = self
            .families
            .get(&family)
            .map(|f| (f.client_id.clone(), f.scope.clone(), f.refresh_count))
            .unwrap_or_default();
        self.access.insert(
            access_token.clone(),
            AccessEntry {
                family,
                expires_at: after(now, self.access_ttl),
            },
        );
        self.refresh.insert(
            refresh_token.clone(),
            RefreshEntry {
                family,
                expires_at: after(now, self.refresh_ttl),
            },
        );
        TokenSet {
            access_token,
            expires_in: self.access_ttl,
            issued_at_ms: now,
            refresh_token,
            refresh_token_expires_in: self.refresh_ttl,
            refresh_token_issued_at_ms: now,
            refresh_count,
            client_id,
            scope,
            status: self.behaviour.token_status.clone(),
            refresh_token_status: self.behaviour.refresh_token_status.clone(),
        }
    }

    /// The UPS.com user changed their password: every earlier opt-in ends.
    pub(crate) fn password_changed(&mut self) {
        self.epoch += 1;
        self.counters.password_changes += 1;
    }

    /// Whether an access or refresh token is currently honoured.
    pub(crate) fn introspect(&self, token: &str, now: u64) -> Option<Introspection> {
        let (token_type, family, expires_at) = if let Some(a) = self.access.get(token) {
            ("access_token", a.family, a.expires_at)
        } else {
            let r = self.refresh.get(token)?;
            ("refresh_token", r.family, r.expires_at)
        };
        let f = self.families.get(&family)?;
        Some(Introspection {
            active: f.epoch == self.epoch && now < expires_at,
            token_type,
            client_id: f.client_id.clone(),
            username: f.username.clone(),
            scope: f.scope.clone(),
            expires_at,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const VERIFIER: &str = "dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk";

    fn grant(now: u64, challenge: Option<String>) -> CodeGrant {
        CodeGrant {
            client_id: "c".into(),
            redirect_uri: "http://127.0.0.1:1/cb".into(),
            scope: String::new(),
            code_challenge: challenge,
            username: "demo-user".into(),
            expires_at: now + CODE_TTL_MS,
            used: false,
        }
    }

    #[test]
    fn loopback_rules() {
        let any = Behaviour::new(None);
        for ok in [
            "http://127.0.0.1:8123/callback",
            "http://localhost:1/",
            "http://[::1]:5/cb?x=1",
            "http://127.0.0.1/cb",
        ] {
            assert!(any.accepts_redirect(ok), "{ok}");
        }
        for bad in [
            "https://127.0.0.1:1/cb",
            "http://example.com/cb",
            "http://127.0.0.1.example.com/",
            "http://user@127.0.0.1:1/",
            "http://127.0.0.1:1/cb#frag",
            "http://127.0.0.1:1/ä",
            "http://127.0.0.1:1/a b",
            "",
            "127.0.0.1:1",
        ] {
            assert!(!any.accepts_redirect(bad), "{bad}");
        }
        let mut registered = Behaviour::new(Some("http://127.0.0.1:1/cb".into()));
        assert!(registered.accepts_redirect("http://127.0.0.1:1/cb"));
        assert!(!registered.accepts_redirect("http://127.0.0.1:1/cb/"));
        assert!(!registered.accepts_redirect("http://127.0.0.1:2/cb"));
        registered.redirect_uris = Some(vec!["http://localhost:5001".into()]);
        assert!(registered.accepts_redirect("http://localhost:5001"));
        assert!(!registered.accepts_redirect("http://127.0.0.1:1/cb"));
    }

    #[test]
    fn transactions_expire() {
        let mut s = State::new(10, 20);
        let p = Pending {
            client_id: "c".into(),
            redirect_uri: "r".into(),
            state: None,
            scope: String::new(),
            code_challenge: None,
            expires_at: 1000 + TXN_TTL_MS,
        };
        s.begin("t".into(), p, 1000).unwrap();
        assert!(s.pending("t", 1000 + TXN_TTL_MS - 1).is_some());
        assert!(s.pending("t", 1000 + TXN_TTL_MS).is_none());
        assert!(s.take_pending("t", 1000 + TXN_TTL_MS).is_none());
        assert!(s.take_pending("t", 1000).is_none(), "taken means gone");
    }

    #[test]
    fn codes_expire_after_ten_minutes_and_are_one_time() {
        let now = 5_000;
        let mut s = State::new(10, 20);
        let g = grant(now, Some(tokens::s256(VERIFIER)));
        s.store_code("code".into(), g.clone(), now).unwrap();
        let cb = "http://127.0.0.1:1/cb";
        let late = now + CODE_TTL_MS;
        assert_eq!(
            s.redeemable_code("code", "c", cb, Some(VERIFIER), false, late)
                .unwrap_err()
                .message,
            msg::INVALID_CODE
        );
        let ok = s.redeemable_code("code", "c", cb, Some(VERIFIER), false, late - 1);
        assert!(ok.is_ok());
        let set = s.open_family("code", &g, "a".into(), "r".into(), now);
        assert_eq!(set.refresh_count, 0);
        assert_eq!(set.expires_in, 10);
        assert_eq!(
            s.redeemable_code("code", "c", cb, Some(VERIFIER), false, now)
                .unwrap_err()
                .message,
            msg::INVALID_CODE
        );
    }

    #[test]
    fn code_checks() {
        let now = 1;
        let mut s = State::new(10, 20);
        s.store_code("pkce".into(), grant(now, Some(tokens::s256(VERIFIER))), now)
            .unwrap();
        s.store_code("plain".into(), grant(now, None), now).unwrap();
        let cb = "http://127.0.0.1:1/cb";
        let err = |r: Result<CodeGrant, UpsError>| r.unwrap_err();
        assert_eq!(
            err(s.redeemable_code("pkce", "other", cb, Some(VERIFIER), true, now)).status,
            400
        );
        assert_eq!(
            err(s.redeemable_code(
                "pkce",
                "c",
                "http://127.0.0.1:1/cb/",
                Some(VERIFIER),
                true,
                now
            ))
            .message,
            msg::REDIRECT_MISMATCH
        );
        assert_eq!(
            err(s.redeemable_code("pkce", "c", cb, None, true, now)).message,
            msg::MISSING_VERIFIER
        );
        let wrong = "eBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk";
        assert_eq!(
            err(s.redeemable_code("pkce", "c", cb, Some(wrong), false, now)).message,
            msg::INVALID_VERIFIER
        );
        assert!(s
            .redeemable_code("pkce", "c", cb, Some(VERIFIER), false, now)
            .is_ok());
        assert!(s
            .redeemable_code("pkce", "c", cb, Some(VERIFIER), true, now)
            .is_ok());
        let e = err(s.redeemable_code("plain", "c", cb, None, false, now));
        assert_eq!((e.status, e.message.as_str()), (401, msg::AUTH_HEADER));
        assert_eq!(
            err(s.redeemable_code("plain", "c", cb, Some(VERIFIER), true, now)).message,
            msg::UNEXPECTED_VERIFIER
        );
        assert!(s.redeemable_code("plain", "c", cb, None, true, now).is_ok());
    }

    #[test]
    fn refresh_rotation_expiry_and_password_change() {
        let now = 1_000;
        let mut s = State::new(0, 60);
        let g = grant(now, None);
        s.store_code("code".into(), g.clone(), now).unwrap();
        s.open_family("code", &g, "a0".into(), "r0".into(), now);
        assert!(
            !s.introspect("a0", now).unwrap().active,
            "access_ttl 0 is expired at once"
        );
        let fam = s.refreshable("r0", "c", now).unwrap();
        assert_eq!(s.refreshable("r0", "other", now).unwrap_err().status, 401);
        s.apply_settings(Some(100), None);
        let set = s.rotate("r0", fam, "a1".into(), "r1".into(), now);
        assert_eq!(set.refresh_count, 1);
        assert_eq!(set.expires_in, 100);
        assert_eq!(
            s.refreshable("r0", "c", now).unwrap_err().message,
            msg::INVALID_REFRESH_TOKEN
        );
        assert!(s.introspect("a1", now).unwrap().active);
        assert_eq!(
            s.refreshable("r1", "c", now + 60_000).unwrap_err().message,
            msg::REFRESH_TOKEN_EXPIRED
        );
        s.password_changed();
        assert_eq!(
            s.refreshable("r1", "c", now).unwrap_err().message,
            msg::REFRESH_TOKEN_REVOKED
        );
        assert!(!s.introspect("a1", now).unwrap().active);
        assert!(s.introspect("nope", now).is_none());
    }

    #[test]
    fn faults_are_served_in_order_then_stop() {
        let mut s = State::new(1, 1);
        let f = |status, times| Fault {
            status,
            content_type: String::new(),
            body: String::new(),
            headers: Vec::new(),
            times,
        };
        s.add_fault(Endpoint::Token, f(502, 2));
        s.add_fault(Endpoint::Token, f(429, 1));
        assert_eq!(s.record(Endpoint::Token).map(|f| f.status), Some(502));
        assert_eq!(s.record(Endpoint::Refresh), None);
        assert_eq!(s.record(Endpoint::Token).map(|f| f.status), Some(502));
        assert_eq!(s.record(Endpoint::Token).map(|f| f.status), Some(429));
        assert_eq!(s.record(Endpoint::Token), None);
        s.add_fault(Endpoint::Token, f(503, 5));
        s.add_fault(Endpoint::Token, f(503, 0));
        assert_eq!(s.record(Endpoint::Token), None);
        assert_eq!(s.counters.token_requests, 5);
        assert_eq!(s.counters.refresh_requests, 1);
    }
}
