//! The keyring misbehaving: no Secret Service on the bus, a locked collection, a Secret
//! Service that hangs. Each gives a clear error within a bounded time, writes no plain-text
//! file, and leaves nothing half-stored. Every test runs its own gnome-keyring-daemon on its
//! own bus, so locking or freezing it disturbs no other test.
use crate::support;
use std::process::Command;
use std::time::{Duration, Instant};
use support::private_keyring::PrivateKeyring;
use support::world::World;
use support::*;

/// Seconds idm-auth may wait for the keyring in these tests.
const KEYRING_TIMEOUT: &str = "3";

/// Every file idm-auth left in HOME and the XDG dirs is the index or a lock file, and none
/// holds a secret.
fn assert_no_plain_secret_files(sandbox: &Sandbox, secrets: &[&str]) {
    let data = sandbox.path("data/idm-auth");
    for sub in ["home", "data", "config", "state"] {
        for file in files_under(&sandbox.path(sub)) {
            let allowed = file == data.join("index.json")
                || (file.starts_with(data.join("locks"))
                    && file.extension().is_some_and(|e| e == "lock"));
            assert!(allowed, "unexpected file {}", file.display());
            let text = String::from_utf8_lossy(&std::fs::read(&file).unwrap()).into_owned();
            for secret in secrets {
                assert!(!text.contains(secret), "a secret in {}", file.display());
            }
        }
    }
}

/// Run `cmd` and check it fails with the keyring's exit code, in time.
fn assert_keyring_error(what: &str, cmd: &mut Command, expected: &str) -> Run {
    let started = Instant::now();
    let run = cmd.env("IDM_AUTH_KEYRING_TIMEOUT", KEYRING_TIMEOUT).exec();
    let took = started.elapsed();
    assert_eq!(run.code, ExitCode::Keyring, "{what}: {run:?}");
    assert!(run.stderr.contains(expected), "{what}: {run:?}");
    assert!(took < Duration::from_secs(15), "{what} took {took:?}");
    run
}

/// What only these tests ask of a world: the tokens an opt-in stored, an untouched row.
impl World {
    /// Opt in; returns the id and its two tokens.
    fn opt_in_with_tokens(&self) -> (String, String, String) {
        let id = self.opt_in();
        let access = self.keyring.lookup(&id, "access-token").unwrap();
        let refresh = self.keyring.lookup(&id, "refresh-token").unwrap();
        (id, access, refresh)
    }

    /// The row is still there, with nothing in flight.
    fn assert_untouched(&self, id: &str) {
        let rows = self.sandbox.list_json();
        assert_eq!(rows.len(), 1);
        assert_eq!(rows[0]["id"], id);
        assert_eq!(rows[0]["status"], "active");
        let index = std::fs::read_to_string(self.sandbox.index_path()).unwrap();
        assert!(!index.contains("\"pending\""), "{index}");
    }
}

#[test]
fn a_hung_secret_service_gives_a_clear_error_in_bounded_time() {
    let world = World::new(&[]);
    let (id, access, refresh) = world.opt_in_with_tokens();
    world.keyring.freeze();

    for args in [
        vec!["token", id.as_str()],
        vec!["clear", id.as_str(), "--yes"],
    ] {
        assert_keyring_error(
            &args.join(" "),
            &mut world.cmd(&args),
            // Our deadline, or libdbus's own when it gives up first: the same words.
            "did not answer",
        );
    }
    world.assert_untouched(&id);

    // A new opt-in takes the documented way out: after the bounded wait it keeps the
    // secrets in the kernel keyring and says so; still no file.
    let started = Instant::now();
    let run = world
        .authorize_logging("second.json")
        .env("IDM_AUTH_KEYRING_TIMEOUT", KEYRING_TIMEOUT)
        .exec();
    assert_eq!(run.code, ExitCode::Success, "{run:?}");
    assert!(run.stderr.contains("kernel keyring"), "{run:?}");
    assert!(started.elapsed() < Duration::from_secs(30));
    let kernel_id = run.stdout.trim().to_string();
    let kernel_token = world.cmd(&["token", &kernel_id]).exec();
    assert_eq!(kernel_token.code, ExitCode::Success, "{kernel_token:?}");
    assert_no_plain_secret_files(
        &world.sandbox,
        &[&access, &refresh, kernel_token.stdout.trim()],
    );
    assert_eq!(
        world.cmd(&["clear", &kernel_id, "--yes"]).exec().code,
        ExitCode::Success
    );

    world.keyring.thaw();
    let run = world.cmd(&["token", &id]).exec();
    assert_eq!(run.code, ExitCode::Success, "{run:?}");
    assert_eq!(run.stdout.trim(), access, "nothing was lost while it hung");
}

#[test]
fn a_locked_collection_gives_a_clear_error_before_anyone_signs_in() {
    let mut world = World::new(&[]);
    let (id, access, refresh) = world.opt_in_with_tokens();
    world.keyring.restart_locked();

    for args in [
        vec!["token", id.as_str()],
        vec!["clear", id.as_str(), "--yes"],
    ] {
        assert_keyring_error(&args.join(" "), &mut world.cmd(&args), "Secret Service");
    }
    world.assert_untouched(&id);

    // authorize finds out before the browser opens, so no consent is wasted.
    let authorize_calls = world.sim.stats()["authorize"].clone();
    let run = assert_keyring_error(
        "authorize",
        &mut world.authorize_logging("locked.json"),
        "Secret Service",
    );
    assert!(run.stderr.contains("unlock"), "{run:?}");
    assert!(
        !world.sandbox.path("locked.json").exists(),
        "no browser was opened"
    );
    assert_eq!(world.sim.stats()["authorize"], authorize_calls);
    world.assert_untouched(&id);
    assert_no_plain_secret_files(&world.sandbox, &[&access, &refresh]);
}

#[test]
fn no_secret_service_on_the_bus_is_a_clear_error_for_its_opt_ins() {
    let world = World::new(&[]);
    let (id, access, refresh) = world.opt_in_with_tokens();
    let empty_bus = PrivateKeyring::bus_only();
    for args in [
        vec!["token", id.as_str()],
        vec!["clear", id.as_str(), "--yes"],
    ] {
        let mut cmd = world.sandbox.cmd(&args);
        empty_bus.apply(&mut cmd);
        assert_keyring_error(&args.join(" "), &mut cmd, "Secret Service");
    }
    world.assert_untouched(&id);
    assert_no_plain_secret_files(&world.sandbox, &[&access, &refresh]);
    assert_eq!(world.cmd(&["token", &id]).exec().stdout.trim(), access);
}
