//! Commands run in-process on a context of the test's own: secrets in memory
//! (store::secrets::memory), the index in a temporary directory, output captured, the
//! built-in simulator started in this process, and a scripted browser that follows the
//! consent URL through it.
//! The process-level suites keep what needs a real process (the keyring, crashes, leaks,
//! the listener's bounds).
use crate::support;

use idm_auth::error::ExitCode;
use idm_auth::signin::browser::{HandOff, Launch};
use idm_auth::simulator::{Config, Simulator};
use idm_auth::store::secrets::memory::InMemory;
use idm_auth::store::{Backend, Index, LocalStore, SecretKind};
use idm_auth::Ctx;
use std::collections::HashMap;
use std::io::Write;
use std::path::Path;
use std::sync::{Arc, Mutex};
use support::{
    approve_at_simulator, free_port, http_raw, port_and_target, CLIENT_SECRET_FOR_REFRESH,
};

const CLIENT_ID: &str = "in-process-client";

/// Bytes written by a command, for the test to read.
#[derive(Clone, Default)]
struct Captured(Arc<Mutex<Vec<u8>>>);

impl Captured {
    fn text(&self) -> String {
        String::from_utf8_lossy(&self.0.lock().unwrap()).into_owned()
    }
}

impl Write for Captured {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.0.lock().unwrap().extend_from_slice(buf);
        Ok(buf.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

/// A stdout whose reader has gone (`| head -c0`).
struct ClosedPipe;

impl Write for ClosedPipe {
    fn write(&mut self, _: &[u8]) -> std::io::Result<usize> {
        Err(std::io::ErrorKind::BrokenPipe.into())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Err(std::io::ErrorKind::BrokenPipe.into())
    }
}

/// One machine: a data directory, secrets in memory, a simulator.
struct Machine {
    dir: tempfile::TempDir,
    secrets: Arc<InMemory>,
    sim: Simulator,
}

struct Ran {
    code: ExitCode,
    stdout: String,
    stderr: String,
}

impl Machine {
    fn new(access_ttl: u64) -> Machine {
        // An app with a client secret: UPS documents /refresh with it only.
        let sim = Simulator::start(Config {
            client_id: CLIENT_ID.into(),
            client_secret: Some(CLIENT_SECRET_FOR_REFRESH.into()),
            access_ttl,
            ..Config::default()
        })
        .expect("the simulator starts");
        Machine {
            dir: tempfile::tempdir().unwrap(),
            secrets: Arc::new(InMemory::default()),
            sim,
        }
    }

    fn ctx(&self) -> (Ctx, Captured, Captured) {
        let (out, err) = (Captured::default(), Captured::default());
        let env: HashMap<&str, String> = HashMap::from([
            ("IDM_AUTH_CLIENT_ID", CLIENT_ID.to_string()),
            ("IDM_AUTH_BASE_URL", self.sim.base_url()),
            (
                "IDM_AUTH_CLIENT_SECRET",
                CLIENT_SECRET_FOR_REFRESH.to_string(),
            ),
        ]);
        let store = LocalStore::with_secrets(
            Index::at(self.dir.path().join("data")),
            Backend::SecretService,
            self.secrets.clone(),
        );
        let ctx = Ctx::real()
            .with_env(move |name| env.get(name).cloned())
            .with_stdin(std::io::empty(), false)
            .with_stdout(out.clone(), false)
            .with_stderr(err.clone(), false)
            .with_config_path(self.dir.path().join("config.toml"))
            .with_browser(follow_through_simulator)
            .with_store(store);
        (ctx, out, err)
    }

    fn run(&self, args: &[&str]) -> Ran {
        let (ctx, out, err) = self.ctx();
        self.run_on(&ctx, args, &out, &err)
    }

    fn run_on(&self, ctx: &Ctx, args: &[&str], out: &Captured, err: &Captured) -> Ran {
        let argv = std::iter::once("idm-auth").chain(args.iter().copied());
        let code = idm_auth::run(argv, ctx);
        Ran {
            code,
            stdout: out.text(),
            stderr: err.text(),
        }
    }

    fn rows(&self) -> Vec<idm_auth::store::OptIn> {
        Index::at(self.dir.path().join("data")).load().unwrap()
    }

    fn authorize(&self) -> String {
        let port = free_port().to_string();
        let ran = self.run(&["authorize", "--port", &port, "--label", "Jane Doe"]);
        assert_eq!(ran.code, ExitCode::Success, "{}", ran.stderr);
        ran.stdout.trim().to_string()
    }

    fn index_dir(&self) -> &Path {
        self.dir.path()
    }
}

/// The browser a person would use: sign in and approve at the simulator, then land on the
/// loopback callback. Started on its own thread, as a browser runs beside the wait.
fn follow_through_simulator(url: &str) -> Launch {
    let page = HandOff::write(url, false, &|_| None).expect("the forwarding page is written");
    let url = url.to_string();
    std::thread::spawn(move || {
        let callback = approve_at_simulator(&url);
        let (port, target) = port_and_target(&callback);
        let landed = http_raw(port, "GET", &target, &[], "");
        assert_eq!(landed.status, 200, "the callback page: {}", landed.body);
    });
    Launch::Started("the scripted browser".into(), page)
}

#[test]
fn authorize_keeps_the_row_in_the_index_and_the_tokens_in_the_secret_store() {
    let machine = Machine::new(3600);
    let id = machine.authorize();
    let rows = machine.rows();
    assert_eq!(rows.len(), 1);
    assert_eq!(
        (rows[0].id.as_str(), rows[0].label.as_str()),
        (id.as_str(), "Jane Doe")
    );
    assert_eq!(rows[0].environment, "simulator");
    let access = machine.secrets.value(&id, SecretKind::AccessToken);
    assert!(access.is_some_and(|a| !a.is_empty()));
    assert!(machine
        .secrets
        .value(&id, SecretKind::RefreshToken)
        .is_some());
    // Nothing of it reaches the index file.
    let index = std::fs::read_to_string(machine.index_dir().join("data/index.json")).unwrap();
    assert!(!index.contains(&machine.secrets.value(&id, SecretKind::AccessToken).unwrap()));
}

#[test]
fn token_rotates_a_token_about_to_expire_and_stores_the_new_pair() {
    // Thirty seconds is inside the minute `token` insists on: every call refreshes.
    let machine = Machine::new(30);
    let id = machine.authorize();
    let first_refresh = machine
        .secrets
        .value(&id, SecretKind::RefreshToken)
        .unwrap();
    let ran = machine.run(&["token", &id]);
    assert_eq!(ran.code, ExitCode::Success, "{}", ran.stderr);
    let printed = ran.stdout.trim();
    assert_eq!(
        Some(printed.to_string()),
        machine.secrets.value(&id, SecretKind::AccessToken),
        "prints the token it stored"
    );
    let rotated = machine
        .secrets
        .value(&id, SecretKind::RefreshToken)
        .unwrap();
    assert_ne!(rotated, first_refresh, "the refresh token was rotated");
    assert_eq!(machine.rows()[0].refresh_count, 1);
}

#[test]
fn token_on_a_valid_token_prints_it_without_a_refresh() {
    let machine = Machine::new(3600);
    let id = machine.authorize();
    let stored = machine.secrets.value(&id, SecretKind::AccessToken).unwrap();
    let ran = machine.run(&["token"]);
    assert_eq!(ran.code, ExitCode::Success, "{}", ran.stderr);
    assert_eq!(ran.stdout, format!("{stored}\n"));
    assert_eq!(machine.rows()[0].refresh_count, 0);
}

#[test]
fn clear_deletes_the_secrets_and_the_row() {
    let machine = Machine::new(3600);
    let id = machine.authorize();
    assert!(machine.secrets.len() >= 2);
    let ran = machine.run(&["clear", "--all", "--yes", "--json"]);
    assert_eq!(ran.code, ExitCode::Success, "{}", ran.stderr);
    assert!(ran.stdout.contains(&id), "{}", ran.stdout);
    assert_eq!(machine.secrets.len(), 0);
    assert!(machine.rows().is_empty());
    let again = machine.run(&["token", &id]);
    assert_eq!(again.code, ExitCode::NotFound, "{}", again.stderr);
}

#[test]
fn a_closed_stdout_ends_the_command_quietly_with_success() {
    let machine = Machine::new(3600);
    machine.authorize();
    for args in [&["list"][..], &["list", "--json"], &["token"]] {
        let (ctx, _, err) = machine.ctx();
        let ctx = ctx.with_stdout(ClosedPipe, false);
        let ran = machine.run_on(&ctx, args, &Captured::default(), &err);
        assert_eq!(ran.code, ExitCode::Success, "{args:?}: {}", ran.stderr);
        assert!(!ran.stderr.contains("error"), "{args:?}: {}", ran.stderr);
    }
}

#[test]
fn a_bad_command_line_is_a_usage_error_on_stderr() {
    let machine = Machine::new(3600);
    let ran = machine.run(&["token", "--no-such-flag"]);
    assert_eq!(ran.code, ExitCode::Usage);
    assert!(ran.stdout.is_empty());
    assert!(ran.stderr.contains("--no-such-flag"), "{}", ran.stderr);
}

/// The machine's context with its clock set to `at`: what `list` and `check` judge by.
fn at_clock(machine: &Machine, at: chrono::DateTime<chrono::Utc>) -> (Ctx, Captured, Captured) {
    let (ctx, out, err) = machine.ctx();
    (ctx.with_clock(move || at), out, err)
}

#[test]
fn list_judges_the_opt_in_by_the_context_clock() {
    let machine = Machine::new(3600);
    machine.authorize();
    let row = machine.rows().remove(0);
    let status_at = |at| {
        let (ctx, out, err) = at_clock(&machine, at);
        let ran = machine.run_on(&ctx, &["list", "--json"], &out, &err);
        assert_eq!(ran.code, ExitCode::Success, "{}", ran.stderr);
        let listed: serde_json::Value = serde_json::from_str(&ran.stdout).unwrap();
        listed[0]["status"].as_str().map(str::to_owned)
    };
    let second = chrono::Duration::seconds(1);
    assert_eq!(
        status_at(row.expires_at - second).as_deref(),
        Some("active")
    );
    assert_eq!(
        status_at(row.expires_at + second).as_deref(),
        Some("access_expired")
    );
    let refresh_end = row.refresh_expires_at.expect("UPS gave a refresh token");
    assert_eq!(
        status_at(refresh_end + second).as_deref(),
        Some("refresh_expired")
    );
}

#[test]
fn check_warns_within_the_window_and_fails_once_the_refresh_token_ended() {
    let machine = Machine::new(3600);
    machine.authorize();
    let row = machine.rows().remove(0);
    let refresh_end = row.refresh_expires_at.expect("UPS gave a refresh token");
    let check_at = |at| {
        let (ctx, out, err) = at_clock(&machine, at);
        machine.run_on(&ctx, &["check", "--within", "14"], &out, &err)
    };
    let healthy = check_at(refresh_end - chrono::Duration::days(20));
    assert_eq!(healthy.code, ExitCode::Success, "{}", healthy.stderr);
    let soon = check_at(refresh_end - chrono::Duration::days(10));
    assert_eq!(soon.code, ExitCode::ExpiresSoon, "{}", soon.stderr);
    assert!(soon.stderr.contains(&row.id), "{}", soon.stderr);
    let ended = check_at(refresh_end + chrono::Duration::seconds(1));
    assert_eq!(ended.code, ExitCode::Invalid, "{}", ended.stderr);
}

#[test]
fn token_refuses_an_opt_in_whose_refresh_token_ended_by_the_context_clock() {
    let machine = Machine::new(3600);
    let id = machine.authorize();
    let refresh_end = machine.rows()[0].refresh_expires_at.unwrap();
    let (ctx, out, err) = at_clock(&machine, refresh_end + chrono::Duration::seconds(1));
    let ran = machine.run_on(&ctx, &["token", &id], &out, &err);
    assert_eq!(ran.code, ExitCode::Invalid, "{}", ran.stderr);
    assert!(ran.stdout.is_empty(), "no token printed: {}", ran.stdout);
    let bearer = format!("Bearer {}", machine.sim.control_token());
    let stats = http_raw(
        machine.sim.port(),
        "GET",
        "/_simulator/stats",
        &[("Authorization", &bearer)],
        "",
    );
    assert_eq!(stats.status, 200, "{}", stats.body);
    let stats: serde_json::Value = serde_json::from_str(&stats.body).unwrap();
    assert_eq!(
        stats["refresh_requests"], 0,
        "nothing was sent to UPS: {stats}"
    );
}
