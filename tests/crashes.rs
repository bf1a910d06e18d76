//! kill -9 at random points of `authorize`, `token` (refresh) and `clear`, many times over.
//! Afterwards the index and the keyring must agree (every row has its secrets, every secret
//! its row), or the next command must repair the difference and say so; a refresh cut short
//! must never leave a row that looks usable with a refresh token UPS has already spent.
//!
//! The kills aim at the dangerous moments: right after UPS issued or rotated tokens (seen in
//! the simulator's counters), while idm-auth is storing them. Each test runs its own
//! keyring, so every idm-auth entry in it belongs to the test.

mod support;
use std::collections::BTreeSet;
use std::hash::{BuildHasher, Hasher};
use std::process::{Child, Stdio};
use std::time::{Duration, Instant};
use support::private_keyring::PrivateKeyring;
use support::ups_link::{Fault, UpsLink};
use support::*;

const REFRESH: &str = "/security/v1/oauth/refresh";

/// A random delay in `range` (milliseconds).
fn random_delay(range: std::ops::Range<u64>) -> Duration {
    let mut h = std::collections::hash_map::RandomState::new().build_hasher();
    h.write_u64(range.end);
    Duration::from_millis(range.start + h.finish() % (range.end - range.start))
}

struct World {
    sandbox: Sandbox,
    sim: Sim,
    keyring: PrivateKeyring,
}

impl World {
    fn new(sim_args: &[&str]) -> World {
        World {
            sandbox: Sandbox::new(),
            // With a client secret, so that its opt-ins can refresh (when given the secret).
            sim: Sim::confidential(sim_args),
            keyring: PrivateKeyring::start(),
        }
    }

    fn cmd(&self, args: &[&str]) -> std::process::Command {
        let mut cmd = self.sandbox.cmd(args);
        self.keyring.apply(&mut cmd);
        cmd
    }

    fn authorize(&self) -> std::process::Command {
        self.authorize_at(&self.sim.base_url)
    }

    fn authorize_at(&self, base_url: &str) -> std::process::Command {
        let port = free_port();
        let mut cmd = self.sandbox.authorize_at(base_url, port, 30);
        self.keyring.apply(&mut cmd).env(
            "BROWSER",
            self.sandbox.browser("approve", &format!("b-{port}.json")),
        );
        cmd
    }

    fn opt_in(&self) -> String {
        let run = self.authorize().exec();
        assert_eq!(run.code, 0, "{run:?}");
        run.stdout.trim().to_string()
    }

    fn counter(&self, name: &str) -> u64 {
        self.sim.stats()[name].as_u64().unwrap()
    }

    /// Where index and keyring disagree: ids with secrets but no row, rows missing a
    /// secret. Empty when they agree.
    fn disagreements(&self) -> Vec<String> {
        let rows: BTreeSet<String> = self
            .sandbox
            .list_json()
            .iter()
            .map(|r| r["id"].as_str().unwrap().to_string())
            .collect();
        let entries: BTreeSet<String> = self.keyring.entries().into_iter().collect();
        let mut problems = Vec::new();
        for entry in &entries {
            let id = entry.split('/').next().unwrap();
            if !rows.contains(id) {
                problems.push(format!("orphaned secret {entry}"));
            }
        }
        for id in &rows {
            for kind in ["access-token", "refresh-token"] {
                if !entries.contains(&format!("{id}/{kind}")) {
                    problems.push(format!("row {id} without its {kind}"));
                }
            }
        }
        problems
    }

    /// After a kill: if index and keyring disagree, the next command must repair it and
    /// say `note`; afterwards they agree. Returns whether a repair was needed.
    fn next_command_settles(&self, note: &str) -> bool {
        let before = self.disagreements();
        let run = self.cmd(&["token"]).exec();
        assert!([0, 8, 12].contains(&run.code), "{run:?}");
        assert_eq!(self.disagreements(), Vec::<String>::new(), "after {run:?}");
        if !before.is_empty() {
            assert!(
                run.stderr.contains(note),
                "{before:?} repaired silently: {run:?}"
            );
        }
        !before.is_empty()
    }
}

/// Spawn `cmd`, wait until `counter` of the simulator moves (UPS issued or rotated tokens)
/// or the process ends, then kill -9 it after a random delay in `delay_ms`.
fn kill_after(
    world: &World,
    mut cmd: std::process::Command,
    counter: Option<&str>,
    delay_ms: std::ops::Range<u64>,
) {
    let before = counter.map(|c| world.counter(c));
    let mut child: Child = cmd
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    if let (Some(name), Some(before)) = (counter, before) {
        let deadline = Instant::now() + Duration::from_secs(30);
        while world.counter(name) == before && child.try_wait().unwrap().is_none() {
            assert!(Instant::now() < deadline, "{name} never moved");
            std::thread::sleep(Duration::from_millis(1));
        }
    }
    std::thread::sleep(random_delay(delay_ms));
    let _ = child.kill();
    let _ = child.wait();
}

const ROUNDS: usize = 20;

#[test]
fn kill_9_during_authorize_leaves_no_orphans_once_the_next_command_ran() {
    let world = World::new(&[]);
    let mut repaired = 0;
    for _ in 0..ROUNDS {
        kill_after(&world, world.authorize(), Some("tokens_issued"), 0..60);
        if world.next_command_settles("interrupted `idm-auth authorize`") {
            repaired += 1;
        }
    }
    eprintln!("{repaired} of {ROUNDS} kills left secrets for the next command to remove");
}

#[test]
fn kill_9_during_clear_leaves_each_opt_in_whole_or_gone() {
    let world = World::new(&[]);
    // clear gives no outside sign of its progress; its keyring and index writes come at
    // the end, after the process start and the keyring connection. Time a few whole runs
    // and aim the kills at their last 40 %.
    let mut runs: Vec<u64> = (0..3)
        .map(|_| {
            let id = world.opt_in();
            let started = Instant::now();
            assert_eq!(world.cmd(&["clear", &id, "--yes"]).exec().code, 0);
            started.elapsed().as_millis() as u64
        })
        .collect();
    runs.sort();
    let typical = runs[1];
    let mut repaired = 0;
    for _ in 0..ROUNDS {
        let id = world.opt_in();
        let cmd = world.cmd(&["clear", &id, "--yes"]);
        kill_after(&world, cmd, None, typical * 6 / 10..typical + 5);
        if world.next_command_settles("interrupted `idm-auth clear`") {
            repaired += 1;
        }
    }
    eprintln!("{repaired} of {ROUNDS} kills left secrets for the next command to remove");
}

#[test]
fn kill_9_during_refresh_never_leaves_a_usable_looking_row_with_a_spent_token() {
    // Every `token` refreshes: the access tokens expire at once.
    let world = World::new(&["--access-ttl", "0"]);
    // On every other round the network is slow to bring UPS's answer back, so the kill
    // lands between UPS rotating the tokens and idm-auth storing them: the worst moment.
    let link = UpsLink::start(world.sim.port());
    let opt_in = || {
        let run = world
            .authorize_at(&link.base_url())
            .env("IDM_AUTH_CLIENT_SECRET", CLIENT_SECRET_FOR_REFRESH)
            .exec();
        assert_eq!(run.code, 0, "{run:?}");
        run.stdout.trim().to_string()
    };
    let mut id = opt_in();
    let (mut cut_short, mut settled) = (0, 0);
    for round in 0..ROUNDS {
        let delay = if round % 2 == 0 {
            link.fault(REFRESH, Fault::SlowAnswer(Duration::from_millis(150)));
            0..150
        } else {
            0..60
        };
        kill_after(
            &world,
            world.cmd(&["token", &id]),
            Some("refreshes_issued"),
            delay,
        );
        assert_eq!(world.disagreements(), Vec::<String>::new());
        let run = world.cmd(&["token", &id]).exec();
        match run.code {
            0 => {
                let stored = world.keyring.lookup(&id, "refresh-token").unwrap();
                assert!(
                    world.sim.is_active(&stored),
                    "a spent refresh token is stored"
                );
                if run.stderr.contains("cut short") {
                    settled += 1;
                }
            }
            8 => {
                // UPS had rotated before the kill: say exactly that, and list it so.
                assert!(
                    run.stderr.contains("was cut short after it reached UPS"),
                    "{run:?}"
                );
                let row = &world.sandbox.list_json()[0];
                assert_eq!(row["status"], "invalid");
                assert!(row["invalid_reason"]
                    .as_str()
                    .unwrap()
                    .contains("cut short"));
                cut_short += 1;
                assert_eq!(world.cmd(&["clear", &id, "--yes"]).exec().code, 0);
                id = opt_in();
            }
            _ => panic!("{run:?}"),
        }
    }
    eprintln!("{cut_short} refreshes cut short after UPS rotated, {settled} settled later");
}
