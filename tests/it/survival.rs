//! A started refresh finishes: `token` stopped the ways processes are stopped in the field
//! (SIGTERM from `timeout` or `systemctl stop`, SIGINT from Ctrl-C to the foreground group,
//! SIGHUP when the terminal goes, SIGKILL from a job runner or the OOM killer) while UPS is
//! answering its refresh. UPS has already spent the old refresh token by then; the opt-in
//! survives only if the answer is still saved. The simulator rotates at once and holds its
//! answer (`refresh_delay_ms`), and the test signals `token` once the simulator's count of
//! refreshes shows the rotation happened.
use crate::support;

use std::process::{Child, Stdio};
use std::time::{Duration, Instant};
use support::bao::Bao;
use support::stores::{Machine, StoreKind};
use support::*;

/// How long the simulator holds each /refresh answer while the test signals `token`.
const HELD_MS: u64 = 2_000;

fn refreshes(sim: &Sim) -> u64 {
    sim.stats()["refreshes_issued"].as_u64().unwrap()
}

/// `token ID` in a process group of its own (as a shell starts a job), once UPS has
/// rotated its pair and is holding the answer.
fn token_waiting_on_ups(machine: &Machine, sim: &Sim, id: &str) -> Child {
    use std::os::unix::process::CommandExt;
    let before = refreshes(sim);
    let child = machine
        .cmd(&["token", id])
        .process_group(0)
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let deadline = Instant::now() + Duration::from_secs(30);
    while refreshes(sim) == before {
        assert!(Instant::now() < deadline, "UPS never saw the refresh");
        std::thread::sleep(Duration::from_millis(20));
    }
    child
}

/// After the interruption: the next `token` gets a token (the refresher saved the pair UPS
/// gave), and the stored opt-in is not invalid.
fn opt_in_survived(machine: &Machine, sim: &Sim, id: &str, what: &str) {
    sim.settings(r#"{"refresh_delay_ms": 0}"#);
    let run = machine.run(&["token", id]);
    assert_eq!(run.code, ExitCode::Success, "{what}: {run:?}");
    assert!(!run.stderr.contains("cut short"), "{what}: {run:?}");
    let row = machine
        .list_json()
        .into_iter()
        .find(|r| r["id"] == id)
        .unwrap();
    assert_ne!(row["status"], "invalid", "{what}: {row}");
    sim.settings(&format!(r#"{{"refresh_delay_ms": {HELD_MS}}}"#));
}

fn signal(pid: i32, sig: i32) {
    // SAFETY: kill(2) with a pid (or -pgid) of a child this test started.
    assert_eq!(unsafe { libc::kill(pid, sig) }, 0, "kill {pid} {sig}");
}

#[test]
fn signals_to_token_or_its_group_during_a_refresh_never_cost_the_opt_in() {
    // Every `token` refreshes: access tokens expire at once.
    let sim = Sim::confidential(&["--access-ttl", "0"]);
    let machine = Machine::new(StoreKind::File, None);
    let id = machine.opt_in(&sim);
    sim.settings(&format!(r#"{{"refresh_delay_ms": {HELD_MS}}}"#));
    for (name, sig) in [
        ("SIGTERM", libc::SIGTERM),
        ("SIGINT", libc::SIGINT),
        ("SIGHUP", libc::SIGHUP),
    ] {
        for to_group in [false, true] {
            let what = format!("{name} to token{}", if to_group { "'s group" } else { "" });
            let child = token_waiting_on_ups(&machine, &sim, &id);
            let pid = i32::try_from(child.id()).unwrap();
            signal(if to_group { -pid } else { pid }, sig);
            let out = child.wait_with_output().unwrap();
            assert!(!out.status.success(), "{what}: token was not stopped");
            opt_in_survived(&machine, &sim, &id, &what);
        }
    }
}

#[test]
fn kill_9_of_token_during_the_refresh_costs_no_opt_in_in_any_store() {
    let bao = Bao::start();
    let sim = Sim::confidential(&["--access-ttl", "0"]);
    for kind in [StoreKind::Keyring, StoreKind::File, StoreKind::Vault] {
        let machine = Machine::new(kind, Some(&bao));
        let id = machine.opt_in(&sim);
        sim.settings(&format!(r#"{{"refresh_delay_ms": {HELD_MS}}}"#));
        let mut child = token_waiting_on_ups(&machine, &sim, &id);
        child.kill().unwrap();
        child.wait().unwrap();
        opt_in_survived(&machine, &sim, &id, kind.name());
        sim.settings(r#"{"refresh_delay_ms": 0}"#);
    }
}

#[test]
fn a_fleet_whose_clocks_disagree_by_minutes_never_takes_over_a_live_refresh() {
    let bao = Bao::start();
    let sim = Sim::confidential(&["--access-ttl", "0"]);
    // A's clock runs three minutes behind B's: by B's clock, A's claim looks long lapsed.
    let mut a = Machine::new(StoreKind::Vault, Some(&bao));
    a.set_env("IDM_AUTH_TEST_CLOCK_OFFSET", "-180");
    let b = Machine::new(StoreKind::Vault, Some(&bao));
    // Opted in on A, so the expiries are A's too: an expiry written by a clock ahead of the
    // reader's lets the reader serve a token past its end by the difference (beyond the
    // minute's margin), the one harm a skewed clock still does (README, Fleets).
    let id = a.opt_in(&sim);
    sim.settings(&format!(r#"{{"refresh_delay_ms": {HELD_MS}}}"#));
    let a_token = token_waiting_on_ups(&a, &sim, &id);
    sim.settings(r#"{"refresh_delay_ms": 0}"#);
    // B waits for A's refresh instead of refreshing with the refresh token A has spent.
    let run = b.run(&["token", &id]);
    assert_eq!(run.code, ExitCode::Success, "{run:?}");
    assert!(!run.stderr.contains("cut short"), "{run:?}");
    let a_run = Run::from(a_token.wait_with_output().unwrap());
    assert_eq!(a_run.code, ExitCode::Success, "{a_run:?}");
    let row = &b.list_json()[0];
    assert_ne!(row["status"], "invalid", "{row}");
}

#[test]
fn a_dead_refreshers_claim_stalls_the_fleet_no_longer_than_its_lifetime() {
    let bao = Bao::start();
    let sim = Sim::confidential(&["--access-ttl", "0"]);
    let a = Machine::new(StoreKind::Vault, Some(&bao));
    let b = Machine::new(StoreKind::Vault, Some(&bao));
    let id = b.opt_in(&sim);
    // A's refresher dies after UPS rotated, holding a claim that lives 1 s + 15 s.
    let out = a
        .cmd(&["token", &id])
        .env("IDM_AUTH_HTTP_TIMEOUT", "1")
        .env("IDM_AUTH_TEST_ABORT_AT", "refresh-rotated-at-ups")
        .output()
        .unwrap();
    assert!(
        String::from_utf8_lossy(&out.stderr).contains("was killed by signal 9"),
        "{:?}",
        Run::from(out)
    );
    let started = Instant::now();
    let run = b.run(&["token", &id]);
    let stalled = started.elapsed();
    // The pair A got is lost with A: B says exactly that, after the claim's lifetime.
    assert_eq!(run.code, ExitCode::Invalid, "{run:?}");
    assert!(
        run.stderr.contains("was cut short after it reached UPS"),
        "{run:?}"
    );
    assert!(
        stalled >= Duration::from_secs(16) && stalled < Duration::from_secs(24),
        "stalled {stalled:?}"
    );
}

/// The files of opt-in `id` in a file store's directory, temporary ones included.
fn files_of(machine: &Machine, id: &str) -> Vec<String> {
    let dir = machine.sandbox.path("data/idm-auth/secrets");
    let mut names: Vec<String> = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().file_name().into_string().unwrap())
        .filter(|name| name.starts_with(id) || name.starts_with(&format!(".{id}.")))
        .collect();
    names.sort();
    names
}

/// `token` whose refresher dies after sealing the new refresh token, before its rename.
fn killed_between_sealing_and_renaming(machine: &Machine, id: &str) {
    let run = machine
        .cmd(&["token", id])
        .env("IDM_AUTH_TEST_ABORT_AT", "file-sealed-not-renamed")
        .exec();
    assert!(run.stderr.contains("was killed by signal 9"), "{run:?}");
    let files = files_of(machine, id);
    assert!(
        files
            .iter()
            .any(|f| f.starts_with(&format!(".{id}.refresh-token.")) && f.ends_with(".tmp")),
        "no sealed temporary file: {files:?}"
    );
}

#[test]
fn a_refresh_token_sealed_but_not_renamed_is_recovered_and_clear_leaves_no_file() {
    let sim = Sim::confidential(&["--access-ttl", "0"]);
    let machine = Machine::new(StoreKind::File, None);
    let id = machine.opt_in(&sim);
    let before = refreshes(&sim);
    killed_between_sealing_and_renaming(&machine, &id);
    assert_eq!(refreshes(&sim), before + 1, "UPS rotated before the kill");

    // The new refresh token was only in the temporary file: the next run takes it.
    let run = machine.run(&["token", &id]);
    assert_eq!(run.code, ExitCode::Success, "{run:?}");
    assert_eq!(
        files_of(&machine, &id),
        ["access-token", "client-secret", "refresh-token"].map(|kind| format!("{id}.{kind}")),
        "the temporary file is not put in place"
    );

    // clear deletes every file of the opt-in, temporary ones too.
    killed_between_sealing_and_renaming(&machine, &id);
    let run = machine.run(&["clear", &id, "--yes"]);
    assert_eq!(run.code, ExitCode::Success, "{run:?}");
    assert_eq!(files_of(&machine, &id), Vec::<String>::new());
}
