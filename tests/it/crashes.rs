//! kill -9 at each journalled step of `authorize`, `token` (refresh) and `clear`. A debug-build
//! abort point (`IDM_AUTH_TEST_ABORT_AT`, src/abort_point.rs) makes idm-auth kill itself
//! exactly there, so every test knows which window its kill landed in, and checks it: the
//! process died by SIGKILL, the journal shows the operation in flight, UPS did or did not act.
//! Afterwards the index and the keyring must agree (every row has its secrets, every secret
//! its row), or the next command must repair the difference and say so; a refresh cut short
//! must never leave a row that looks usable with a refresh token UPS has already spent.
//!
//! Each test runs its own keyring, so every idm-auth entry in it belongs to the test.
use crate::support;
use std::collections::BTreeSet;
use std::os::unix::process::ExitStatusExt;
use std::process::Command;
use support::world::World;
use support::*;

/// What only these tests ask of a world: UPS's counters, the abort points, the journal.
impl World {
    fn counter(&self, name: &str) -> u64 {
        self.sim.stats()[name].as_u64().unwrap()
    }

    /// Run `cmd` with the abort point `point` set, and check that it died there, by SIGKILL,
    /// and not somewhere else or not at all. A refresh runs in a refresher process of its
    /// own (commands/refresher.rs): then that one dies, and `cmd` says so.
    fn kill_at(&self, point: &str, mut cmd: Command) {
        let out = cmd
            .env("IDM_AUTH_TEST_ABORT_AT", point)
            .output()
            .expect("run idm-auth");
        let refresher_killed = point.starts_with("refresh-")
            && String::from_utf8_lossy(&out.stderr).contains("was killed by signal 9");
        assert!(
            out.status.signal() == Some(libc::SIGKILL) || refresher_killed,
            "idm-auth never reached the abort point {point} (a release build has none): {:?}",
            Run::from(out)
        );
    }

    /// The operations the index's journal shows in flight, as (id, action).
    fn in_flight(&self) -> Vec<(String, String)> {
        let index = self.sandbox.read_json("data/idm-auth/index.json");
        index["pending"]
            .as_array()
            .map(|entries| {
                entries
                    .iter()
                    .map(|p| {
                        let field = |k: &str| p[k].as_str().unwrap().to_string();
                        (field("id"), field("action"))
                    })
                    .collect()
            })
            .unwrap_or_default()
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

    /// After a kill: the next command finishes what the journal shows and says `note`;
    /// afterwards index and keyring agree and nothing is left in flight.
    fn next_command_settles(&self, note: &str) {
        let run = self.cmd(&["token"]).exec();
        assert!(
            [ExitCode::Success, ExitCode::Invalid, ExitCode::NotFound]
                .iter()
                .any(|code| run.code == *code),
            "{run:?}"
        );
        assert!(run.stderr.contains(note), "repaired silently: {run:?}");
        assert_eq!(self.disagreements(), Vec::<String>::new(), "after {run:?}");
        assert_eq!(self.in_flight(), Vec::new(), "after {run:?}");
    }
}

fn orphans(id: &str) -> Vec<String> {
    vec![
        format!("orphaned secret {id}/access-token"),
        format!("orphaned secret {id}/refresh-token"),
    ]
}

#[test]
fn kill_9_at_each_step_of_authorize_leaves_no_orphans_once_the_next_command_ran() {
    let world = World::new(&[]);
    for (point, secrets_stored) in [
        ("authorize-journalled", false),
        ("authorize-secrets-stored", true),
    ] {
        let issued = world.counter("tokens_issued");
        world.kill_at(point, world.authorize());
        assert_eq!(
            world.counter("tokens_issued"),
            issued + 1,
            "{point}: UPS issued the tokens before the kill"
        );
        let in_flight = world.in_flight();
        assert_eq!(in_flight.len(), 1, "{point}: {in_flight:?}");
        let (id, action) = &in_flight[0];
        assert_eq!(action, "authorize", "{point}");
        let expected = if secrets_stored {
            orphans(id)
        } else {
            Vec::new()
        };
        assert_eq!(world.disagreements(), expected, "{point}");
        world.next_command_settles("interrupted `idm-auth authorize`");
    }
}

#[test]
fn kill_9_at_each_step_of_clear_leaves_each_opt_in_whole_or_gone() {
    let world = World::new(&[]);
    for (point, secrets_deleted) in [("clear-journalled", false), ("clear-secrets-deleted", true)] {
        let id = world.opt_in();
        world.kill_at(point, world.cmd(&["clear", &id, "--yes"]));
        // Gone for the admin already: no row that could hand out a token.
        assert!(
            world.sandbox.list_json().iter().all(|r| r["id"] != *id),
            "{point}"
        );
        assert_eq!(world.in_flight(), [(id.clone(), "clear".to_string())]);
        let expected = if secrets_deleted {
            Vec::new()
        } else {
            orphans(&id)
        };
        assert_eq!(world.disagreements(), expected, "{point}");
        world.next_command_settles("interrupted `idm-auth clear`");
    }
}

#[test]
fn kill_9_at_each_step_of_a_refresh_never_leaves_a_usable_looking_row_with_a_spent_token() {
    // Every `token` refreshes: the access tokens expire at once.
    let world = World::refreshable(&["--access-ttl", "0"]);
    let mut id = world.opt_in();
    for (point, reached_ups) in [
        ("refresh-journalled", false),
        ("refresh-rotated-at-ups", true),
        ("refresh-new-refresh-token-stored", true),
    ] {
        let refreshes = world.counter("refreshes_issued");
        world.kill_at(point, world.cmd(&["token", &id]));
        assert_eq!(
            world.counter("refreshes_issued"),
            refreshes + u64::from(reached_ups),
            "{point}: whether UPS rotated before the kill"
        );
        assert_eq!(world.in_flight(), [(id.clone(), "refresh".to_string())]);
        assert_eq!(world.disagreements(), Vec::<String>::new(), "{point}");

        let run = world.cmd(&["token", &id]).exec();
        if point == "refresh-rotated-at-ups" {
            // UPS had rotated and nothing was stored: say exactly that, and list it so.
            assert_eq!(run.code, ExitCode::Invalid, "{point}: {run:?}");
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
            assert_eq!(
                world.cmd(&["clear", &id, "--yes"]).exec().code,
                ExitCode::Success
            );
            id = world.opt_in();
        } else {
            // The stored refresh token was still good: the next refresh goes through.
            assert_eq!(run.code, ExitCode::Success, "{point}: {run:?}");
            assert!(run.stderr.contains("cut short"), "{point}: {run:?}");
            let stored = world.keyring.lookup(&id, "refresh-token").unwrap();
            assert!(
                world.sim.is_active(&stored),
                "{point}: a spent refresh token is stored"
            );
        }
        assert_eq!(world.in_flight(), Vec::new(), "{point}");
        assert_eq!(world.disagreements(), Vec::<String>::new(), "{point}");
    }
}
