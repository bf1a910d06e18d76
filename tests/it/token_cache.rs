//! The access-token cache in the kernel keyring, as a user notices it: once `token` has
//! served a token it needs no Secret Service to serve it again; a refresh or a `clear`
//! never leaves the old token behind it; and where the kernel keyring is unusable the
//! Secret Service answers as before.
use crate::support;
use linux_keyutils::{KeyError, KeyRing, KeyRingIdentifier};
use std::process::{Command, Stdio};
use support::*;

/// A D-Bus address where nothing listens: the Secret Service is out of reach.
const NO_BUS: &str = "unix:path=/nonexistent/bus";

fn token_without_secret_service(sandbox: &Sandbox, id: &str) -> Run {
    sandbox
        .cmd(&["token", id])
        .env("DBUS_SESSION_BUS_ADDRESS", NO_BUS)
        .exec()
}

/// `idm-auth ARGS` under a seccomp filter that refuses the kernel-keyring system calls, as a
/// container's default policy does.
fn without_kernel_keyring(sandbox: &Sandbox, args: &[&str]) -> Command {
    let inner = sandbox.cmd(args);
    let mut cmd = Command::new(python());
    cmd.arg(repo_path("tests/support/no_keyctl.py"))
        .arg(BIN)
        .args(args)
        .stdin(Stdio::null());
    for (key, value) in inner.get_envs() {
        match value {
            Some(value) => cmd.env(key, value),
            None => cmd.env_remove(key),
        };
    }
    cmd
}

/// Whether any key in this user's kernel keyring holds `secret`. A keyring that cannot be
/// opened or listed, or a live key that cannot be read, fails the test: a copy nobody could
/// look at is not a copy shown to be absent. Only keys past their end (expired, revoked, or
/// unlinked since the listing: other tests share this keyring) are passed over, as no one
/// can read them any more either.
fn kernel_keyring_holds(secret: &str) -> bool {
    let ring = KeyRing::from_special_id(KeyRingIdentifier::User, false)
        .expect("open the user kernel keyring");
    ring.get_links(1 << 16)
        .expect("list the user keyring")
        .iter()
        .filter_map(|node| node.as_key())
        .filter_map(|key| match key.read_to_vec() {
            Ok(payload) => Some(payload),
            Err(KeyError::KeyExpired | KeyError::KeyRevoked | KeyError::KeyDoesNotExist) => None,
            Err(e) => panic!("cannot read key {key:?} of the user keyring: {e:?}"),
        })
        .any(|payload| String::from_utf8_lossy(&payload).contains(secret))
}

#[test]
fn once_served_the_token_comes_without_the_secret_service() {
    let sandbox = Sandbox::new();
    let sim = Sim::start(&[]);
    let id = opt_in(&sandbox, &sim, "a");
    let first = sandbox.run(&["token", &id]);
    assert_eq!(first.code, ExitCode::Success, "{first:?}");
    assert_eq!(
        first.stdout.trim(),
        secret_tool_lookup(&id, "access-token").unwrap()
    );

    let again = token_without_secret_service(&sandbox, &id);
    assert_eq!(again.code, ExitCode::Success, "{again:?}");
    assert_eq!(again.stdout, first.stdout);
    assert!(again.stderr.is_empty(), "{again:?}");
}

#[test]
fn a_refresh_leaves_the_new_token_ready_without_the_secret_service() {
    let sandbox = Sandbox::new();
    let sim = Sim::confidential(&["--access-ttl", "0"]);
    let id = opt_in(&sandbox, &sim, "a");
    let old = secret_tool_lookup(&id, "access-token").unwrap();
    sim.settings(r#"{"access_ttl": 3600}"#);

    let refreshed = sandbox.run(&["token", &id]);
    assert_eq!(refreshed.code, ExitCode::Success, "{refreshed:?}");
    assert_ne!(refreshed.stdout.trim(), old);
    assert_eq!(sim.stats()["refreshes_issued"], 1);

    let next = token_without_secret_service(&sandbox, &id);
    assert_eq!(next.code, ExitCode::Success, "{next:?}");
    assert_eq!(next.stdout, refreshed.stdout);
}

#[test]
fn clear_takes_the_cached_token_out_of_the_kernel_keyring() {
    let sandbox = Sandbox::new();
    let sim = Sim::start(&[]);
    let id = opt_in(&sandbox, &sim, "a");
    let token = sandbox.run(&["token", &id]).stdout.trim().to_string();
    assert!(kernel_keyring_holds(&token), "cached after the first call");

    let clear = sandbox.run(&["clear", &id]);
    assert_eq!(clear.code, ExitCode::Success, "{clear:?}");
    assert!(!kernel_keyring_holds(&token), "clear leaves no copy behind");
    let after = token_without_secret_service(&sandbox, &id);
    assert_eq!(after.code, ExitCode::NotFound, "{after:?}");
    assert!(after.stdout.is_empty());
}

#[test]
fn a_refresh_made_out_of_the_caches_reach_wins_over_the_cached_token() {
    let sandbox = Sandbox::new();
    let sim = Sim::confidential(&[]);
    let id = opt_in(&sandbox, &sim, "a");
    let cached = sandbox.run(&["token", &id]).stdout;
    assert!(kernel_keyring_holds(cached.trim()));

    // Time has moved on: the token is about to expire. Another process, one that cannot
    // reach the kernel keyring, refreshes it.
    let soon = chrono::Utc::now() + chrono::Duration::seconds(30);
    sandbox.edit_newest_row(|row| row["expires_at"] = soon.to_rfc3339().into());
    let elsewhere = without_kernel_keyring(&sandbox, &["token", &id]).exec();
    assert_eq!(elsewhere.code, ExitCode::Success, "{elsewhere:?}");
    assert_ne!(elsewhere.stdout, cached, "refreshed");
    assert_eq!(sim.stats()["refreshes_issued"], 1);

    let here = sandbox.run(&["token", &id]);
    assert_eq!(here.code, ExitCode::Success, "{here:?}");
    assert_eq!(
        here.stdout, elsewhere.stdout,
        "the refreshed token, not the cached one"
    );
    assert_eq!(
        token_without_secret_service(&sandbox, &id).stdout,
        here.stdout
    );
}

#[test]
fn where_the_kernel_keyring_is_unusable_the_secret_service_serves_quietly() {
    let sandbox = Sandbox::new();
    let sim = Sim::start(&[]);
    let id = opt_in(&sandbox, &sim, "a");
    let stored = secret_tool_lookup(&id, "access-token").unwrap();
    for _ in 0..2 {
        let run = without_kernel_keyring(&sandbox, &["token", &id]).exec();
        assert_eq!(run.code, ExitCode::Success, "{run:?}");
        assert_eq!(run.stdout, format!("{stored}\n"));
        assert!(run.stderr.is_empty(), "{run:?}");
    }
    assert!(!kernel_keyring_holds(&stored), "nothing could be cached");
}
