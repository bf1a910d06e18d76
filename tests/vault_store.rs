//! The Vault store (`--store vault`) against a real `bao server -dev`: two machines (two
//! HOMEs) of one fleet see the same opt-ins, refresh once between them, clear for each other,
//! and fail fast and without echoing the Vault token when Vault refuses or is down.
#![cfg(target_os = "linux")]

mod support;
use std::time::{Duration, Instant};
use support::bao::Bao;
use support::stores::{finish_all, forget_kernel_keys, Machine, StoreKind};
use support::ups_link::{Fault, UpsLink};
use support::*;

/// The policy the README's "Fleets" section gives operators.
pub const README_POLICY: &str = r#"
path "secret/data/idm-auth/*" {
  capabilities = ["create", "read", "update"]
}
path "secret/metadata/idm-auth/*" {
  capabilities = ["create", "read", "update", "delete", "list"]
}
"#;

/// Two machines of one fleet, each with a token holding only the README's policy.
fn fleet(bao: &Bao) -> (Machine, Machine) {
    bao.policy("idm-auth", README_POLICY);
    let machine = || {
        let mut m = Machine::new(StoreKind::Vault, Some(bao));
        m.set_env("VAULT_TOKEN", &bao.token_with("idm-auth"));
        m
    };
    (machine(), machine())
}

#[test]
fn two_machines_see_one_opt_in_and_clear_is_fleet_wide() {
    let bao = Bao::start();
    let (a, b) = fleet(&bao);
    let sim = Sim::confidential(&[]);
    let id = a.opt_in(&sim);
    let on_b = b.list_json();
    assert_eq!(on_b.len(), 1, "{on_b:?}");
    assert_eq!(on_b[0]["id"], id.as_str());
    assert_eq!(on_b[0]["store"], "vault");
    let token_a = a.run(&["token", &id]);
    let token_b = b.run(&["token", &id]);
    assert_eq!(token_b.code, ExitCode::Success, "{token_b:?}");
    assert_eq!(token_a.stdout, token_b.stdout);
    // Nothing but the local listing copy is on either machine's disk, and it holds no token.
    for machine in [&a, &b] {
        for file in files_under(machine.sandbox.dir.path()) {
            let text =
                String::from_utf8_lossy(&std::fs::read(&file).unwrap_or_default()).into_owned();
            assert!(
                !text.contains(token_a.stdout.trim()),
                "token in {}",
                file.display()
            );
        }
    }

    let clear = b.run(&["clear", &id, "--yes"]);
    assert_eq!(clear.code, ExitCode::Success, "{clear:?}");
    assert!(a.list_json().is_empty(), "cleared on b, gone on a");
    assert_eq!(a.run(&["token", &id]).code, ExitCode::NotFound);
}

#[test]
fn eight_token_calls_over_two_machines_at_expiry_cause_one_refresh() {
    let bao = Bao::start();
    let (a, b) = fleet(&bao);
    let sim = Sim::confidential(&["--access-ttl", "0"]);
    let id = a.opt_in(&sim);
    sim.settings(r#"{"access_ttl": 3600}"#);
    let children = (0..8)
        .map(|i| {
            if i % 2 == 0 {
                a.spawn_token(&id)
            } else {
                b.spawn_token(&id)
            }
        })
        .collect();
    let runs = finish_all(children);
    for run in &runs {
        assert_eq!(run.code, ExitCode::Success, "{run:?}");
        assert_eq!(run.stdout, runs[0].stdout);
    }
    assert_eq!(sim.stats()["refresh_requests"], 1);
    assert!(sim.is_active(runs[0].stdout.trim()));
    assert_eq!(a.list_json()[0]["refresh_count"], 1);
}

#[test]
fn a_read_only_vault_token_stops_authorize_before_the_browser() {
    let bao = Bao::start();
    bao.policy(
        "read-only",
        r#"
path "secret/data/idm-auth/*" { capabilities = ["read"] }
path "secret/metadata/idm-auth/*" { capabilities = ["read", "list"] }
"#,
    );
    let mut machine = Machine::new(StoreKind::Vault, Some(&bao));
    machine.set_env("VAULT_TOKEN", &bao.token_with("read-only"));
    let sim = Sim::confidential(&[]);
    let run = machine
        .authorize(&sim.base_url)
        .env("BROWSER", machine.sandbox.browser("approve", "never.json"))
        .exec();
    assert_eq!(run.code, ExitCode::Keyring, "{run:?}");
    assert!(run.stderr.contains("vault"), "{run:?}");
    std::thread::sleep(Duration::from_millis(500));
    assert!(
        !machine.sandbox.path("never.json").exists(),
        "a browser opened"
    );
    assert_eq!(sim.stats()["authorize"], 0, "nobody was sent to sign in");
}

#[test]
fn an_invalid_vault_token_is_exit_9_and_never_echoed() {
    let bao = Bao::start();
    let mut machine = Machine::new(StoreKind::Vault, Some(&bao));
    let bad = "s.thisTokenIsNotKnownToVault42";
    machine.set_env("VAULT_TOKEN", bad);
    for args in [vec!["list"], vec!["token"], vec!["clear", "--all", "--yes"]] {
        let run = machine.run(&args);
        assert_eq!(run.code, ExitCode::Keyring, "{args:?}: {run:?}");
        assert!(!run.stderr.contains("thisTokenIsNotKnown"), "{run:?}");
        assert!(!run.stdout.contains("thisTokenIsNotKnown"), "{run:?}");
    }
    // The same from the token file Vault Agent writes.
    machine.remove_env("VAULT_TOKEN");
    std::fs::write(
        machine.sandbox.path("home/.vault-token"),
        format!("{bad}\n"),
    )
    .unwrap();
    let run = machine.run(&["list"]);
    assert_eq!(run.code, ExitCode::Keyring, "{run:?}");
    assert!(!run.stderr.contains("thisTokenIsNotKnown"), "{run:?}");
}

#[test]
fn with_vault_down_a_cached_token_is_served_and_anything_else_is_exit_9_at_once() {
    let mut bao = Bao::start();
    let (a, b) = fleet(&bao);
    let sim = Sim::confidential(&["--access-ttl", "3600"]);
    let id = a.opt_in(&sim);
    let served = a.run(&["token", &id]);
    assert_eq!(served.code, ExitCode::Success, "{served:?}");
    bao.stop();

    let run = a.run(&["token", &id]);
    assert_eq!(
        run.code,
        ExitCode::Success,
        "the cached token keeps scripts going: {run:?}"
    );
    assert_eq!(run.stdout, served.stdout);
    // Without a cached token (a machine that never served it, or after a reboot): exit 9,
    // in seconds rather than time-outs times retries.
    forget_kernel_keys(&id);
    for machine in [&a, &b] {
        let started = Instant::now();
        let run = machine.run(&["token", &id]);
        assert_eq!(run.code, ExitCode::Keyring, "{run:?}");
        assert!(run.stderr.contains("cannot be reached"), "{run:?}");
        assert!(
            started.elapsed() < Duration::from_secs(10),
            "{:?}",
            started.elapsed()
        );
    }
    assert_eq!(b.run(&["list"]).code, ExitCode::Keyring);
}

#[test]
fn through_an_outage_a_machine_never_serves_another_stores_opt_in() {
    let mut bao = Bao::start();
    let (mut a, _) = fleet(&bao);
    let sim = Sim::confidential(&["--access-ttl", "3600"]);
    let id = a.opt_in(&sim);
    let served = a.run(&["token", &id]);
    assert_eq!(served.code, ExitCode::Success, "{served:?}");
    bao.stop();

    // The same machine, pointed at another store (another namespace) while Vault is down:
    // nothing of the first store's listing, nor its cached token, answers for it.
    a.set_env("VAULT_NAMESPACE", "team-b");
    for args in [&["token"][..], &["token", &id]] {
        let run = a.run(args);
        assert_eq!(run.code, ExitCode::Keyring, "{args:?}: {run:?}");
        assert!(run.stdout.is_empty(), "{args:?}: {run:?}");
    }
    // Its own store's copy still serves the cached token.
    a.set_env("VAULT_NAMESPACE", "");
    let run = a.run(&["token"]);
    assert_eq!(run.code, ExitCode::Success, "{run:?}");
    assert_eq!(run.stdout, served.stdout);
}

#[test]
fn a_token_killed_while_ups_answers_slowly_costs_the_fleet_nothing() {
    let bao = Bao::start();
    let (mut a, mut b) = fleet(&bao);
    let sim = Sim::confidential(&["--access-ttl", "0"]);
    let link = UpsLink::start(sim.port());
    let id = a.opt_in_at(&link.base_url());
    sim.settings(r#"{"access_ttl": 3600}"#);
    // A claim lives for the UPS time-out plus 15 s: keep the wait short.
    for m in [&mut a, &mut b] {
        m.set_env("IDM_AUTH_HTTP_TIMEOUT", "3");
    }
    link.fault(
        "/security/v1/oauth/refresh",
        Fault::SlowAnswer(Duration::from_millis(2500)),
    );
    let mut refresher = a.spawn_token(&id);
    let deadline = Instant::now() + Duration::from_secs(20);
    while link.count("/security/v1/oauth/refresh") == 0 {
        assert!(Instant::now() < deadline, "the refresh never reached UPS");
        std::thread::sleep(Duration::from_millis(20));
    }
    // UPS has the request (and rotates the pair); `token` dies before the answer, and its
    // detached refresher (commands/refresher.rs) still saves it.
    refresher.kill().unwrap();
    refresher.wait().unwrap();

    let started = Instant::now();
    let runs = finish_all(vec![
        b.spawn_token(&id),
        a.spawn_token(&id),
        b.spawn_token(&id),
    ]);
    assert!(
        started.elapsed() < Duration::from_secs(60),
        "the others hung: {:?}",
        started.elapsed()
    );
    for run in &runs {
        assert_eq!(run.code, ExitCode::Success, "{run:?}");
        assert!(
            sim.is_active(run.stdout.trim()),
            "a token UPS no longer accepts: {run:?}"
        );
        assert!(!run.stderr.contains("cut short"), "{run:?}");
    }
    assert_eq!(a.list_json()[0]["status"], "active");
}
