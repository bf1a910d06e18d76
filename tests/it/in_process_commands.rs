//! `token`, `list`, `check`, `clear` and the refresh behind `token`, run in-process on a
//! context of the test's own: a fixed clock (`Ctx::with_clock`, handed on to the store), the
//! real local store (index, journal, locks) with its secrets in memory, stdout and stderr in
//! files, and UPS answered through the injected transport (`Ctx::with_transport`), which
//! records what was asked. Nothing waits for time to pass: a token "30 seconds from expiry"
//! is one, by the clock every part of the command reads.

use chrono::{DateTime, Duration, TimeZone, Utc};
use idm_auth::error::ExitCode;
use idm_auth::opt_in::{Draft, OptIn};
use idm_auth::signin::browser::Launch;
use idm_auth::store::secrets::memory::InMemory;
use idm_auth::store::{Backend, Index, LocalStore, NewSecrets, SecretKind, SecretString, Store};
use idm_auth::ups::transport::{CannedAnswer, LastAnswer, Transport, TransportError};
use idm_auth::Ctx;
use oauth2::{HttpRequest, HttpResponse, SyncHttpClient};
use std::collections::VecDeque;
use std::sync::{Arc, Mutex};

/// The one "now" of every command here.
fn now() -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2030, 6, 1, 12, 0, 0).unwrap()
}

/// UPS's answer to a refresh that rotated the pair (string-typed numbers, as UPS sends).
const ROTATED: &str = r#"{"token_type":"Bearer","issued_at":"1906372800000","client_id":"c","access_token":"fresh-access","expires_in":"14399","refresh_count":"1","status":"approved","refresh_token":"fresh-refresh","refresh_token_expires_in":"5183999","refresh_token_status":"approved"}"#;

/// UPS's validate-client on an app it does not know.
const CLIENT_UNKNOWN: &str =
    r#"{"response":{"errors":[{"code":"10401","message":"ClientId is Invalid"}]}}"#;

/// UPS refusing a refresh token it no longer honours.
const REFUSED: &str =
    r#"{"response":{"errors":[{"code":"10401","message":"Invalid Refresh Token"}]}}"#;

/// One answer of the scripted UPS.
#[derive(Clone, Copy)]
enum Answer {
    /// This status and JSON body.
    Http(u16, &'static str),
    /// No connection: UPS never saw the request.
    Unreachable,
    /// The request went out and the connection broke before an answer: UPS may have acted.
    Lost,
}

/// UPS as a test scripts it: the answers in turn, the last one from then on. It keeps the
/// path of every request it was sent.
#[derive(Clone)]
struct Ups {
    script: Arc<Mutex<VecDeque<Answer>>>,
    last: Arc<Mutex<LastAnswer>>,
    asked: Arc<Mutex<Vec<String>>>,
}

impl Ups {
    fn answering(status: u16, body: &'static str) -> Ups {
        Ups::script(&[Answer::Http(status, body)])
    }

    fn script(answers: &[Answer]) -> Ups {
        Ups {
            script: Arc::new(Mutex::new(answers.iter().copied().collect())),
            last: Arc::default(),
            asked: Arc::default(),
        }
    }

    fn asked(&self) -> Vec<String> {
        self.asked.lock().unwrap().clone()
    }

    fn next(&self) -> Answer {
        let mut script = self.script.lock().unwrap();
        match script.len() {
            0 | 1 => *script.front().expect("a scripted answer"),
            _ => script.pop_front().unwrap(),
        }
    }
}

impl SyncHttpClient for Ups {
    type Error = TransportError;

    fn call(&self, request: HttpRequest) -> Result<HttpResponse, TransportError> {
        self.asked
            .lock()
            .unwrap()
            .push(request.uri().path().to_string());
        let (answer, last) = match self.next() {
            Answer::Http(status, body) => {
                let canned = CannedAnswer {
                    status,
                    content_type: Some("application/json".into()),
                    retry_after: None,
                    body: body.as_bytes().to_vec(),
                };
                (canned.call(request), canned.last_answer())
            }
            Answer::Unreachable => (
                Err(TransportError::NotSent("connection refused".into())),
                LastAnswer::default(),
            ),
            Answer::Lost => (
                Err(TransportError::AnswerLost("connection reset".into())),
                LastAnswer::default(),
            ),
        };
        *self.last.lock().unwrap() = last;
        answer
    }
}

impl Transport for Ups {
    fn last_answer(&self) -> LastAnswer {
        self.last.lock().unwrap().clone()
    }
}

/// One machine: a data directory, secrets in memory, the UPS it talks to, and a browser
/// that only notes the addresses it is asked to open.
struct Machine {
    dir: tempfile::TempDir,
    secrets: Arc<InMemory>,
    ups: Ups,
    opened: Arc<Mutex<Vec<String>>>,
}

/// What a command did.
#[derive(Debug)]
struct Ran {
    code: ExitCode,
    stdout: String,
    stderr: String,
}

impl Machine {
    fn new(ups: Ups) -> Machine {
        Machine {
            dir: tempfile::tempdir().unwrap(),
            secrets: Arc::default(),
            ups,
            opened: Arc::default(),
        }
    }

    /// The store as every command here opens it: on the fixed clock.
    fn store(&self) -> LocalStore {
        LocalStore::with_secrets(
            Index::at(self.dir.path().join("data")),
            Backend::SecretService,
            self.secrets.clone(),
        )
        .with_clock(Arc::new(now))
    }

    /// An opt-in made a day ago, with the app's client secret, whose access token ends
    /// `access_left` from now and whose refresh token ends `refresh_left` from now.
    fn opt_in(&self, label: &str, access_left: Duration, refresh_left: Duration) -> OptIn {
        let draft = Draft {
            label: label.into(),
            profile: None,
            environment: "cie".into(),
            base_url: "https://wwwcie.ups.com".into(),
            client_id: "client-a".into(),
            redirect_uri: "http://127.0.0.1:8765/callback".into(),
            created_at: now() - Duration::days(1),
            expires_at: now() + access_left,
            refresh_expires_at: Some(now() + refresh_left),
            refresh_count: 0,
            has_client_secret: true,
        };
        let secrets = NewSecrets {
            access_token: SecretString::from(format!("{label}-access")),
            refresh_token: Some(SecretString::from(format!("{label}-refresh"))),
            client_secret: Some(SecretString::from("app-secret")),
        };
        self.store().create(draft, secrets).unwrap()
    }

    fn run(&self, args: &[&str]) -> Ran {
        let out = tempfile::NamedTempFile::new().unwrap();
        let err = tempfile::NamedTempFile::new().unwrap();
        let config = self.dir.path().join("config.toml");
        let opened = self.opened.clone();
        let ctx = Ctx::real()
            .with_env(|_| None)
            .with_stdin(std::io::empty(), false)
            .with_stdout(out.reopen().unwrap(), false)
            .with_stderr(err.reopen().unwrap(), false)
            .with_config_path(config)
            .with_clock(now)
            .with_transport(self.ups.clone())
            .with_browser(move |url| {
                opened.lock().unwrap().push(url.to_string());
                Launch::Failed("a test's browser opens nothing".into())
            })
            .with_store(self.store());
        let code = idm_auth::run(
            std::iter::once("idm-auth").chain(args.iter().copied()),
            &ctx,
        );
        Ran {
            code,
            stdout: std::fs::read_to_string(out.path()).unwrap(),
            stderr: std::fs::read_to_string(err.path()).unwrap(),
        }
    }

    fn row(&self, id: &str) -> OptIn {
        let rows = self.store().rows().unwrap();
        rows.into_iter()
            .find(|r| r.id == id)
            .expect("the row is kept")
    }

    fn secret(&self, id: &str, kind: SecretKind) -> Option<String> {
        self.secrets.value(id, kind)
    }
}

#[test]
fn token_hands_out_a_valid_token_without_asking_ups() {
    let machine = Machine::new(Ups::answering(200, ROTATED));
    let row = machine.opt_in("desk", Duration::hours(1), Duration::days(50));

    let ran = machine.run(&["token", &row.id]);
    assert_eq!(ran.code, ExitCode::Success, "{ran:?}");
    assert_eq!(ran.stdout, "desk-access\n");
    assert!(ran.stderr.is_empty(), "{ran:?}");

    let ran = machine.run(&["token", "--json"]);
    assert_eq!(ran.code, ExitCode::Success, "{ran:?}");
    let json: serde_json::Value = serde_json::from_str(&ran.stdout).unwrap();
    assert_eq!(json["access_token"], "desk-access");
    assert_eq!(json["expires_at"], "2030-06-01T13:00:00Z");
    assert_eq!(json["expires_in"], 3600, "counted from the context's clock");
    assert_eq!(json["id"], row.id.as_str());
    assert!(machine.ups.asked().is_empty(), "{:?}", machine.ups.asked());
}

#[test]
fn token_refreshes_a_token_30_seconds_from_its_end_and_keeps_the_rotated_pair() {
    let machine = Machine::new(Ups::answering(200, ROTATED));
    let row = machine.opt_in("desk", Duration::seconds(30), Duration::days(50));

    let ran = machine.run(&["token", &row.id]);
    assert_eq!(ran.code, ExitCode::Success, "{ran:?}");
    assert_eq!(ran.stdout, "fresh-access\n");
    assert_eq!(machine.ups.asked(), ["/security/v1/oauth/refresh"]);
    assert_eq!(
        machine.secret(&row.id, SecretKind::RefreshToken).as_deref(),
        Some("fresh-refresh"),
        "the rotated refresh token replaced the spent one"
    );
    let stored = machine.row(&row.id);
    assert_eq!(stored.refresh_count, 1);
    assert_eq!(stored.refreshed_at, Some(now()));
    assert_eq!(stored.expires_at, now() + Duration::seconds(14_399));
    assert_eq!(
        stored.refresh_expires_at,
        Some(now() + Duration::seconds(5_183_999))
    );

    // The new token has hours left: the next call takes it as stored.
    let again = machine.run(&["token", &row.id]);
    assert_eq!(again.stdout, "fresh-access\n", "{again:?}");
    assert_eq!(machine.ups.asked().len(), 1);
}

#[test]
fn a_refresh_ups_refuses_ends_the_opt_in_with_the_reason_and_asks_for_a_new_sign_in() {
    let machine = Machine::new(Ups::answering(401, REFUSED));
    let row = machine.opt_in("desk", Duration::seconds(30), Duration::days(50));

    let ran = machine.run(&["token", &row.id]);
    assert_eq!(ran.code, ExitCode::Invalid, "{ran:?}");
    assert!(ran.stdout.is_empty(), "no token printed: {ran:?}");
    assert!(
        ran.stderr
            .contains("UPS refused to refresh it: UPS refused the refresh (HTTP 401)"),
        "{ran:?}"
    );
    assert!(ran.stderr.contains("Invalid Refresh Token"), "{ran:?}");
    assert!(ran.stderr.contains("idm-auth authorize"), "{ran:?}");
    let reason = machine.row(&row.id).invalid_reason.expect("marked invalid");
    assert!(reason.contains("Invalid Refresh Token"), "{reason}");

    // A dead opt-in is not sent to UPS again.
    let again = machine.run(&["token", &row.id]);
    assert_eq!(again.code, ExitCode::Invalid, "{again:?}");
    assert_eq!(machine.ups.asked().len(), 1, "{:?}", machine.ups.asked());
}

#[test]
fn a_ups_that_cannot_be_reached_leaves_the_refresh_token_usable() {
    let machine = Machine::new(Ups::script(&[Answer::Unreachable]));
    let row = machine.opt_in("desk", Duration::seconds(30), Duration::days(50));

    let ran = machine.run(&["token", &row.id]);
    assert_eq!(ran.code, ExitCode::Unreachable, "{ran:?}");
    assert!(ran.stdout.is_empty(), "{ran:?}");
    assert!(ran.stderr.contains("connection refused"), "{ran:?}");
    let stored = machine.row(&row.id);
    assert_eq!(stored.invalid_reason, None, "UPS never saw the request");
    assert_eq!(stored.refresh_count, 0);
    assert_eq!(
        machine.secret(&row.id, SecretKind::RefreshToken).as_deref(),
        Some("desk-refresh")
    );
    // Nothing is left in the journal for the next command to repair.
    let list = machine.run(&["list", "--json"]);
    assert!(list.stderr.is_empty(), "{list:?}");
}

#[test]
fn list_shows_each_opt_in_as_of_the_context_clock_in_the_grid_and_in_json() {
    let machine = Machine::new(Ups::answering(200, ROTATED));
    let active = machine.opt_in("active", Duration::hours(2), Duration::days(50));
    let lapsed = machine.opt_in("lapsed", -Duration::minutes(5), Duration::days(50));
    let ended = machine.opt_in("ended", -Duration::days(2), -Duration::days(1));

    let ran = machine.run(&["list", "--json"]);
    assert_eq!(ran.code, ExitCode::Success, "{ran:?}");
    let listed: Vec<serde_json::Value> = serde_json::from_str(&ran.stdout).unwrap();
    let status = |id: &str| {
        let row = listed.iter().find(|r| r["id"] == id).expect("listed");
        row["status"].as_str().unwrap().to_string()
    };
    assert_eq!(status(&active.id), "active");
    assert_eq!(status(&lapsed.id), "access_expired");
    assert_eq!(status(&ended.id), "refresh_expired");

    let grid = machine.run(&["list"]);
    assert_eq!(grid.code, ExitCode::Success, "{grid:?}");
    let lines: Vec<&str> = grid.stdout.lines().collect();
    assert_eq!(lines.len(), 4, "a header and three rows: {}", grid.stdout);
    assert!(lines[0].starts_with("ID"), "{}", grid.stdout);
    let line_of = |id: &str| *lines.iter().find(|l| l.starts_with(id)).expect("a line");
    assert!(line_of(&active.id).ends_with("active"), "{}", grid.stdout);
    assert!(
        line_of(&lapsed.id).ends_with("access expired, refreshable"),
        "{}",
        grid.stdout
    );
    assert!(
        line_of(&ended.id).ends_with("refresh expired"),
        "{}",
        grid.stdout
    );
    assert!(machine.ups.asked().is_empty());
}

#[test]
fn check_names_each_opt_in_that_ends_soon_or_has_ended_by_the_context_clock() {
    let machine = Machine::new(Ups::answering(200, ROTATED));
    let healthy = machine.opt_in("healthy", Duration::hours(2), Duration::days(40));
    let soon = machine.opt_in("soon", Duration::hours(2), Duration::days(10));
    let all_clear = machine.run(&["check", "--within", "7"]);
    assert_eq!(all_clear.code, ExitCode::Success, "{all_clear:?}");
    assert!(
        all_clear
            .stderr
            .contains("All 2 opt-ins are usable for more than 7 days."),
        "{all_clear:?}"
    );

    let warned = machine.run(&["check", "--within", "14"]);
    assert_eq!(warned.code, ExitCode::ExpiresSoon, "{warned:?}");
    assert!(
        warned.stderr.contains(&format!("{} (soon)", soon.id)),
        "{warned:?}"
    );
    assert!(warned.stderr.contains("ends in 10 d"), "{warned:?}");
    assert!(!warned.stderr.contains(&healthy.id), "{warned:?}");

    let ended = machine.opt_in("ended", -Duration::days(2), -Duration::hours(1));
    let failed = machine.run(&["check", "--within", "14", "--json"]);
    assert_eq!(failed.code, ExitCode::Invalid, "{failed:?}");
    let report: serde_json::Value = serde_json::from_str(&failed.stdout).unwrap();
    assert_eq!(report["ok"], false);
    assert_eq!(report["checked"], 3);
    let problems: Vec<(&str, &str)> = report["problems"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| (p["id"].as_str().unwrap(), p["problem"].as_str().unwrap()))
        .collect();
    assert_eq!(problems.len(), 2, "{report}");
    assert!(
        problems.contains(&(soon.id.as_str(), "expires_soon")),
        "{report}"
    );
    assert!(problems.iter().any(|(id, _)| *id == ended.id), "{report}");
}

#[test]
fn clear_deletes_one_opt_in_and_its_secrets_and_keeps_the_others() {
    let machine = Machine::new(Ups::answering(200, ROTATED));
    let kept = machine.opt_in("kept", Duration::hours(2), Duration::days(40));
    let gone = machine.opt_in("gone", Duration::hours(2), Duration::days(40));

    let ran = machine.run(&["clear", &gone.id, "--yes"]);
    assert_eq!(ran.code, ExitCode::Success, "{ran:?}");
    for kind in [
        SecretKind::AccessToken,
        SecretKind::RefreshToken,
        SecretKind::ClientSecret,
    ] {
        assert_eq!(machine.secret(&gone.id, kind), None, "{kind:?}");
        assert!(machine.secret(&kept.id, kind).is_some(), "{kind:?}");
    }
    let rows = machine.store().rows().unwrap();
    let ids: Vec<&str> = rows.iter().map(|r| r.id.as_str()).collect();
    assert_eq!(ids, [kept.id.as_str()]);

    let token = machine.run(&["token", &gone.id]);
    assert_eq!(token.code, ExitCode::NotFound, "{token:?}");
    let all = machine.run(&["clear", "--all", "--yes"]);
    assert_eq!(all.code, ExitCode::Success, "{all:?}");
    assert!(machine.secrets.is_empty());
    assert!(machine.store().rows().unwrap().is_empty());
    assert!(machine.ups.asked().is_empty(), "clear tells UPS nothing");
}

#[test]
fn authorize_asks_ups_about_the_app_through_the_context_and_stops_before_the_browser() {
    let machine = Machine::new(Ups::answering(401, CLIENT_UNKNOWN));
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .unwrap()
        .port()
        .to_string();
    let ran = machine.run(&[
        "authorize",
        "--client-id",
        "client-a",
        "--env",
        "cie",
        "--port",
        &port,
    ]);
    assert_eq!(ran.code, ExitCode::Ups, "{ran:?}");
    assert!(
        ran.stderr
            .contains("UPS refused the app before the sign-in (HTTP 401)"),
        "{ran:?}"
    );
    assert!(ran.stderr.contains("ClientId is Invalid"), "{ran:?}");
    assert_eq!(machine.ups.asked(), ["/security/v1/oauth/validate-client"]);
    assert!(
        machine.opened.lock().unwrap().is_empty(),
        "no browser opened"
    );
    assert!(machine.store().rows().unwrap().is_empty());
    assert!(machine.secrets.is_empty());
}

#[test]
fn a_refresh_whose_answer_was_lost_and_then_refused_names_both_and_ends_the_opt_in() {
    // The first answer never arrives, but UPS had rotated the pair: the stored refresh
    // token, tried once more, is refused.
    let machine = Machine::new(Ups::script(&[Answer::Lost, Answer::Http(401, REFUSED)]));
    let row = machine.opt_in("desk", Duration::seconds(30), Duration::days(50));

    let ran = machine.run(&["token", &row.id]);
    assert_eq!(ran.code, ExitCode::Invalid, "{ran:?}");
    assert_eq!(
        machine.ups.asked(),
        ["/security/v1/oauth/refresh", "/security/v1/oauth/refresh"]
    );
    let reason = machine.row(&row.id).invalid_reason.expect("marked invalid");
    for said in [
        "the answer to its refresh at 2030-06-01T12:00:00Z was lost (",
        "connection reset",
        "tried again with the stored refresh token, UPS refused it (UPS refused the refresh (HTTP 401): Invalid Refresh Token",
        "so UPS had rotated the pair and the new one never arrived",
    ] {
        assert!(reason.contains(said), "{said:?} in {reason}");
    }
    assert!(ran.stderr.contains("was lost"), "{ran:?}");
}

#[test]
fn a_refresh_whose_answer_was_lost_is_tried_once_more_and_the_second_pair_kept() {
    let machine = Machine::new(Ups::script(&[Answer::Lost, Answer::Http(200, ROTATED)]));
    let row = machine.opt_in("desk", Duration::seconds(30), Duration::days(50));

    let ran = machine.run(&["token", &row.id]);
    assert_eq!(ran.code, ExitCode::Success, "{ran:?}");
    assert_eq!(ran.stdout, "fresh-access\n");
    assert_eq!(machine.ups.asked().len(), 2);
    let stored = machine.row(&row.id);
    assert_eq!((stored.refresh_count, stored.invalid_reason), (1, None));
    assert_eq!(
        machine.secret(&row.id, SecretKind::RefreshToken).as_deref(),
        Some("fresh-refresh")
    );
}
