//! What each fuzz target does with an input, and what must hold for every input: no panic,
//! and the rules the product relies on. Shared with tests/it/fuzz_regressions.rs, which
//! replays every input kept under fuzz/regressions/ in the normal test suite.
#![allow(dead_code)]

use idm_auth::signin::callback::{parse_callback, Verdict};
use idm_auth::store::index;
use idm_auth::store::ExposeSecret;
use idm_auth::ups::oauth::{refresh_with, ClientConfig};
use idm_auth::ups::transport::CannedAnswer;
use idm_auth::ups::wire::UpsErrorResponse;
use oauth2::RefreshToken;

const STATE: &str = "expected-state-0123456789abcdef";

/// The loopback listener's judge. Input: method, request target and the expected state,
/// one per line (the state defaults to a fixed one).
pub fn callback_request(data: &[u8]) {
    let text = String::from_utf8_lossy(data);
    let mut lines = text.splitn(3, '\n');
    let method = lines.next().unwrap_or_default();
    let target = lines.next().unwrap_or_default();
    let state = lines.next().unwrap_or(STATE);
    let ends_the_wait = match parse_callback(method, target, "/callback", state) {
        Verdict::Code(code) => {
            assert!(!code.is_empty(), "an empty code was accepted");
            true
        }
        Verdict::Refused { .. } => true,
        Verdict::Ignore(status, _) => {
            assert!((400..500).contains(&status), "status {status}");
            false
        }
    };
    if ends_the_wait {
        // Only a GET on the callback path carrying this state, exactly once, ends the wait.
        assert_eq!(method, "GET");
        let (path, query) = target.split_once('?').expect("a query");
        assert_eq!(path, "/callback");
        let states: Vec<_> = url::form_urlencoded::parse(query.as_bytes())
            .filter(|(k, _)| k == "state")
            .map(|(_, v)| v.into_owned())
            .collect();
        assert_eq!(states, [state], "the wait ended without this state");
    }
}

/// UPS's answer to a refresh at HTTP 200. Input: the body.
pub fn token_response(data: &[u8]) {
    ups_answer(200, Some("application/json"), data);
}

/// Any other answer. Input: a byte choosing the status, a byte choosing the content type,
/// then the body, which is also read as UPS's error envelope on its own.
pub fn error_response(data: &[u8]) {
    const STATUSES: [u16; 10] = [200, 400, 401, 403, 404, 408, 429, 500, 502, 504];
    const TYPES: [Option<&str>; 4] = [
        Some("application/json"),
        Some("application/json; charset=utf-8"),
        Some("text/html"),
        None,
    ];
    let (choice, body) = data.split_at(data.len().min(2));
    let status = STATUSES[usize::from(*choice.first().unwrap_or(&1)) % STATUSES.len()];
    let content_type = TYPES[usize::from(*choice.get(1).unwrap_or(&0)) % TYPES.len()];
    ups_answer(status, content_type, body);
    if let Ok(envelope) = serde_json::from_slice::<UpsErrorResponse>(body) {
        assert_fit_for_a_terminal(&envelope.to_string());
    }
}

fn ups_answer(status: u16, content_type: Option<&str>, body: &[u8]) {
    let http = CannedAnswer {
        status,
        content_type: content_type.map(str::to_string),
        retry_after: Some("120".into()),
        body: body.to_vec(),
    };
    let config = ClientConfig {
        base_url: "https://wwwcie.ups.com".into(),
        client_id: "fuzz-client".into(),
        client_secret: None,
        redirect_uri: "http://127.0.0.1:8765/callback".into(),
    };
    match refresh_with(
        &http,
        &config,
        &RefreshToken::new("fuzz-refresh".into()),
        &idm_auth::clock::now,
    ) {
        Ok(grant) => {
            assert_eq!(status, 200, "a grant from an error status");
            assert!(!grant.access_token.expose_secret().is_empty());
            assert!(grant.expires_at >= grant.issued_at);
        }
        Err(failure) => {
            assert_fit_for_a_terminal(&failure.message);
            assert!(!failure.unreachable);
            // A 200 means UPS acted: the stored refresh token is spent, either because the
            // answer was unreadable or because UPS refused the grant in it. Anything else it
            // did not act on.
            if status == 200 {
                assert!(
                    failure.answer_lost || failure.is_rejection(),
                    "{}",
                    failure.message
                );
            } else {
                assert!(!failure.answer_lost, "{}", failure.message);
            }
        }
    }
}

/// Text from the network shown to a person: no control characters (no terminal escape
/// sequences), and of a sane length whatever the input.
fn assert_fit_for_a_terminal(message: &str) {
    assert!(
        !message.chars().any(char::is_control),
        "control characters in {message:?}"
    );
    assert!(message.len() < 4096, "a {}-byte message", message.len());
}

/// The index file reader. Input: the file's bytes.
pub fn index_file(data: &[u8]) {
    let Ok(contents) = index::parse(data) else {
        return;
    };
    let ids = contents
        .rows
        .iter()
        .map(|r| &r.id)
        .chain(contents.pending.iter().map(|p| &p.id));
    for id in ids {
        // Ids name lock files: nothing but letters and digits may get through.
        assert!(
            !id.is_empty() && id.bytes().all(|b| b.is_ascii_alphanumeric()),
            "{id:?}"
        );
    }
    assert!(
        contents
            .rows
            .windows(2)
            .all(|w| w[0].created_at >= w[1].created_at),
        "rows not newest first"
    );
    let again = index::parse(&index::encode(&contents).expect("encodes")).expect("reads back");
    assert_eq!(again, contents, "a write and a read changed the index");
}
