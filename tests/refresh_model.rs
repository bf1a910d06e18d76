#![cfg(target_os = "linux")]
//! The refresh protocol, model-checked: every interleaving, crash, lost answer and clock
//! skew within the bounds below, explored by stateright over the very transition function
//! the stores run (`idm_auth::refresh::transitions::Refresher::step`), not a copy of it.
//!
//! The model plays everything around that function: N machines (or, for the local store, N
//! processes sharing one lock file and journal), the store (Vault KV v2 with versions,
//! check-and-set and a single kept version; or the local lock, keyring and journal), UPS
//! (issues pairs, rotates on every refresh, refuses a spent refresh token, may act on a
//! request after its client gave up, may lose an answer, may see the user's password
//! change), true time in ticks, per-machine wall clocks offset from it, per-machine
//! monotonic clocks that restart with the machine, and a crash (with restart) of any
//! machine at any step.
//!
//! Properties, over the whole bounded state space:
//! - one refresher per refresh token: no refresh token is sent to UPS by a refresher while
//!   another live refresher has sent it too (UPS would refuse one of them, and the opt-in
//!   would die); the second try of the same refresher after a lost answer is its own;
//! - every token handed out is alive at UPS at that moment (issued by it, unexpired; with
//!   `revoke_spent_access`, not of a spent pair), unless the password changed meanwhile;
//! - an opt-in is declared dead (marked invalid, or a run ends telling the admin to
//!   authorize again) only after UPS refused the refresh token it sent, and only when that
//!   token had been spent by a rotation whose pair was lost (a refresher died between UPS's
//!   answer and the write, or the answer was lost) or the password changed;
//! - no deadlock (a state with nothing left to do has no run in progress), every run ends
//!   within `give_up_ms + poll_ms + 2 × UPS time-out` of its own clock, and no run reaches
//!   an observation its phase has no rule for.
//!
//! Deliberately broken variants (the transitions' `Flaw`s) must each yield a counterexample.
//!
//! Each scenario gives the world one family of faults (a crash; a lost answer and an
//! unanswered request; two lost answers; all of them for the local store), each with a
//! password change: their product is too large for CI. The three Vault scenarios take
//! millions of states, so a debug build skips them (`cargo test --release --test
//! refresh_model` runs everything, as .ci/run does). Larger bounds, for every scenario:
//! `IDM_AUTH_MODEL_MACHINES` (default 3), `IDM_AUTH_MODEL_CALLS` (token calls per machine),
//! `IDM_AUTH_MODEL_CRASHES`, `IDM_AUTH_MODEL_LOST` (lost answers), `IDM_AUTH_MODEL_NOT_ACTED`
//! (requests UPS never acts on), `IDM_AUTH_MODEL_PASSWORD_CHANGE` (0 or 1),
//! `IDM_AUTH_MODEL_THREADS` (checker threads, default 1) and `IDM_AUTH_MODEL_DEPTH` (a depth
//! cut-off, none by default).

use idm_auth::refresh::transitions::{
    Action as Do, ClaimSeen, Clocks, Failure, Flaw, Observed, Refresher, Rules, Seen, UpsAnswer,
};
use stateright::{Checker, HasDiscoveries, Model, Property};
use std::time::Instant;

/// One step of true time. Every rule below is a multiple of it.
const TICK: u64 = 10_000;
/// Where the wall clocks start (any moment; only differences matter).
const EPOCH: i64 = 1_800_000_000_000;
/// A refresh token that outlives the model.
const FAR: i64 = EPOCH + 1_000_000_000;

/// A pair of tokens, numbered in the order UPS issued them (0: the one stored at the start).
type Pair = u8;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Store {
    /// Every machine reads and writes one Vault KV v2 record with check-and-set.
    Vault,
    /// Processes of one machine: the refresh lock file, the keyring, the index's journal.
    Local,
}

/// The bounds and the world's rules: the model's parameters.
#[derive(Clone)]
struct Fleet {
    store: Store,
    rules: Rules,
    /// Each machine's wall clock minus true time, in ms.
    wall_offsets: Vec<i64>,
    /// `token` calls per machine (a restart after a crash adds one).
    calls: u8,
    crashes: u8,
    lost_answers: u8,
    not_acted: u8,
    password_change: bool,
    /// UPS revokes the access token of a pair whose refresh token it spent.
    revoke_spent_access: bool,
    /// A client gives up on UPS after this long (its request may still be acted on).
    ups_timeout: u64,
    access_lifetime: u64,
    /// When the stored pair's access token expires (true time = machine 0's wall clock).
    first_expiry: u64,
    /// `token` calls start no later than this.
    start_window: u64,
    /// True time never passes this (a run still waiting then is a deadlock).
    horizon: u64,
}

/// The stored record, as Vault keeps it (its only version) or as the local files add up.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
struct Record {
    version: u64,
    /// The pair whose access token is stored, and its expiry by the saver's wall clock.
    pair: Pair,
    expires_at: i64,
    /// The pair whose refresh token is stored: ahead of `pair` only between the local
    /// store's two writes of a save.
    refresh: Pair,
    invalid: bool,
    /// Vault: the refresh claim; local: the journal's refresh record.
    claim: Option<Claim>,
}

#[derive(Clone, Debug, PartialEq, Eq, Hash)]
struct Claim {
    nonce: u32,
    lifetime_ms: u64,
    since: i64,
}

#[derive(Clone, Debug, PartialEq, Eq, Hash)]
struct Ups {
    /// The refresh token UPS accepts (None once the password changed).
    live: Option<Pair>,
    /// True expiry of each pair's access token.
    expires: Vec<u64>,
    /// Pairs whose refresh token UPS refused at least once (bits).
    refused: u32,
    /// Refresh tokens spent by a rotation whose new pair never reached the store (bits).
    pair_lost: u32,
    /// Access tokens revoked with their spent pair (bits).
    revoked: u32,
    /// Requests that outlived their client: UPS may still act on them.
    strays: Vec<Pair>,
    password_changed: bool,
}

#[derive(Clone, Debug, PartialEq, Eq, Hash)]
enum Outcome {
    Rotated(Pair),
    Refused,
}

#[derive(Clone, Debug, PartialEq, Eq, Hash)]
enum Busy {
    /// The pending store action can be carried out now.
    Ready,
    Sleeping {
        until: u64,
    },
    Calling {
        sent: Pair,
        at: u64,
        outcome: Option<Outcome>,
    },
    /// Local store: the new refresh token is in the keyring, the index not yet written.
    HalfSaved,
}

/// One `token` call in progress: the transitions' state, the action they asked for, and
/// what the store's port holds.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
struct Run {
    refresher: Refresher,
    next: Do,
    busy: Busy,
    started: u64,
    /// The record as this run last read or wrote it (the Vault port keeps it).
    record: Option<Record>,
    /// The pair UPS gave this run, with its expiry by this machine's wall clock.
    fresh: Option<(Pair, i64)>,
    presented: Option<Pair>,
    /// Local port: this run wrote the journal's refresh record.
    journalled: bool,
}

#[derive(Clone, Debug, PartialEq, Eq, Hash)]
struct Machine {
    /// True time of the last boot: the monotonic clock restarts there.
    boot: u64,
    calls_left: u8,
    run: Option<Run>,
}

#[derive(Clone, Debug, Default, PartialEq, Eq, Hash)]
struct Budget {
    crashes: u8,
    lost_answers: u8,
    not_acted: u8,
    password_change: bool,
}

/// What the properties judge, recorded when it happens.
#[derive(Clone, Debug, Default, PartialEq, Eq, Hash)]
struct Verdicts {
    two_refreshers: bool,
    dead_token_served: bool,
    unjust_death: bool,
    confused: bool,
    /// For the `sometimes` properties: the model is not vacuous.
    fresh_served: bool,
    taken_over: bool,
    died: bool,
}

#[derive(Clone, Debug, PartialEq, Eq, Hash)]
struct World {
    now: u64,
    record: Record,
    ups: Ups,
    machines: Vec<Machine>,
    /// Local store: the process holding the refresh lock.
    lock: Option<usize>,
    budget: Budget,
    next_nonce: u32,
    verdicts: Verdicts,
}

#[derive(Clone, Debug, PartialEq, Eq, Hash)]
enum Act {
    /// A `token` call starts on this machine.
    Start(usize),
    /// The machine carries out its pending store action.
    Store(usize),
    Wake(usize),
    /// UPS acts on the machine's request.
    UpsActs(usize),
    /// UPS's answer reaches the machine.
    Answer(usize),
    /// The answer is lost (or the client gave up first; UPS may act on it later).
    Lose(usize),
    /// UPS never acted on the request (unreachable, 429, 5xx).
    NotActed(usize),
    /// UPS acts on a request whose client is gone.
    Stray(Pair),
    PasswordChange,
    Crash(usize),
    Tick,
}

fn bit(pair: Pair) -> u32 {
    1 << pair
}

impl Fleet {
    fn clocks(&self, w: &World, m: usize) -> Clocks {
        Clocks {
            wall: EPOCH + w.now as i64 + self.wall_offsets[m],
            // Each machine's monotonic clock has its own origin and restarts at boot.
            mono: 1_000_000 * (m as u64 + 1) + w.now - w.machines[m].boot,
        }
    }

    fn seen(&self, r: &Record) -> Seen {
        Seen {
            version: r.version,
            expires_at: r.expires_at,
            refresh_expires_at: Some(FAR),
            invalid: r.invalid,
            claim: r.claim.as_ref().map(|c| ClaimSeen {
                nonce: c.nonce.to_string(),
                lifetime_ms: c.lifetime_ms,
                since: c.since,
                // A journal record found under the lock: its writer is gone.
                holder_gone: self.store == Store::Local,
            }),
        }
    }

    /// The bound on one run's length, by its own clock.
    fn run_bound(&self) -> u64 {
        self.rules.give_up_ms + self.rules.poll_ms + 2 * self.ups_timeout
    }

    /// Feed `observed` to machine `m`'s transitions, then carry out every action that
    /// touches nothing shared (wait, call UPS, hand out, fail) at once.
    fn observe(&self, w: &mut World, m: usize, observed: Observed) {
        let clocks = self.clocks(w, m);
        let run = w.machines[m].run.as_mut().expect("a run to observe");
        let (refresher, next) = run.refresher.step(clocks, observed);
        run.refresher = refresher;
        run.next = next;
        run.busy = Busy::Ready;
        self.local_actions(w, m);
    }

    fn local_actions(&self, w: &mut World, m: usize) {
        let run = w.machines[m].run.as_mut().expect("a run");
        match run.next.clone() {
            Do::Wait { ms } => run.busy = Busy::Sleeping { until: w.now + ms },
            Do::CallUps => {
                let sent = match self.store {
                    // The Vault port sends the refresh token of the record it holds.
                    Store::Vault => run.record.as_ref().expect("a read before a call").refresh,
                    // The local port reads the keyring under the lock.
                    Store::Local => w.record.refresh,
                };
                run.presented = Some(sent);
                run.busy = Busy::Calling {
                    sent,
                    at: w.now,
                    outcome: None,
                };
                let others_sent = w.machines.iter().enumerate().any(|(o, machine)| {
                    o != m
                        && machine
                            .run
                            .as_ref()
                            .is_some_and(|r| r.presented == Some(sent))
                });
                w.verdicts.two_refreshers |= others_sent;
            }
            Do::Serve => {
                let pair = run.record.as_ref().expect("a read before serving").pair;
                self.hand_out(w, pair);
                self.end(w, m);
            }
            Do::ServeSaved => {
                let (pair, _) = run.fresh.expect("a pair before serving it");
                w.verdicts.fresh_served = true;
                self.hand_out(w, pair);
                self.end(w, m);
            }
            Do::Fail(failure) => {
                match failure {
                    Failure::Dead(_) | Failure::SaveLost => self.judge_death(w, m),
                    Failure::Confused => w.verdicts.confused = true,
                    _ => {}
                }
                self.end(w, m);
            }
            // Store actions wait for their own step: other machines may act first.
            Do::Read
            | Do::Claim { .. }
            | Do::SaveRotated { .. }
            | Do::Release { .. }
            | Do::Condemn { .. } => {}
        }
    }

    fn hand_out(&self, w: &mut World, pair: Pair) {
        let ups = &w.ups;
        let alive = ups.expires[pair as usize] > w.now && ups.revoked & bit(pair) == 0;
        // After a password change no client can know its token is dead until UPS says so.
        w.verdicts.dead_token_served |= !alive && !ups.password_changed;
    }

    /// A death is just when UPS refused the token this run sent and that token had been
    /// spent by a rotation whose pair was lost, or when the password changed.
    fn judge_death(&self, w: &mut World, m: usize) {
        let run = w.machines[m].run.as_ref().expect("a run");
        let ups = &w.ups;
        let just = ups.password_changed
            || run.fresh.is_none()
                && run
                    .presented
                    .is_some_and(|p| ups.refused & bit(p) != 0 && ups.pair_lost & bit(p) != 0);
        w.verdicts.unjust_death |= !just;
        w.verdicts.died = true;
    }

    fn end(&self, w: &mut World, m: usize) {
        w.machines[m].run = None;
        if w.lock == Some(m) {
            w.lock = None;
        }
    }

    /// Carry out machine `m`'s pending store action; the observation it makes, if any.
    fn store_action(&self, w: &mut World, m: usize) -> Option<Observed> {
        let wall = self.clocks(w, m).wall;
        let run = w.machines[m].run.as_ref().expect("a run").clone();
        let cas_holds = |cas: Option<u64>, w: &World| cas.is_none_or(|v| v == w.record.version);
        // A Vault write: the record this run holds, changed, over the stored version.
        let vault_write = |w: &mut World, cas: Option<u64>, change: &dyn Fn(&mut Record)| {
            if !cas_holds(cas, w) {
                return None;
            }
            let mut record = run.record.clone().expect("a read before a write");
            change(&mut record);
            record.version = w.record.version + 1;
            w.record = record.clone();
            Some(record)
        };
        let observed = match (self.store, run.next.clone()) {
            (_, Do::Read) => {
                if self.store == Store::Local {
                    w.lock = Some(m);
                }
                let record = w.record.clone();
                let seen = self.seen(&record);
                w.machines[m].run.as_mut().expect("a run").record = Some(record);
                Observed::Read(seen)
            }
            (Store::Vault, Do::Claim { cas, taken_over }) => {
                let nonce = w.next_nonce;
                let claim = Claim {
                    nonce,
                    lifetime_ms: self.rules.claim_lifetime_ms,
                    since: wall,
                };
                match vault_write(w, cas, &|r| r.claim = Some(claim.clone())) {
                    Some(record) => {
                        w.next_nonce += 1;
                        w.verdicts.taken_over |= taken_over;
                        let version = record.version;
                        w.machines[m].run.as_mut().expect("a run").record = Some(record);
                        Observed::Claimed { version }
                    }
                    None => Observed::ClaimLost,
                }
            }
            (Store::Local, Do::Claim { taken_over, .. }) => {
                if w.record.claim.is_none() && !run.journalled {
                    w.record.claim = Some(Claim {
                        nonce: 0,
                        lifetime_ms: 0,
                        since: wall,
                    });
                    w.machines[m].run.as_mut().expect("a run").journalled = true;
                }
                w.verdicts.taken_over |= taken_over;
                Observed::Claimed { version: 0 }
            }
            (Store::Vault, Do::SaveRotated { cas }) => {
                let (pair, expires_at) = run.fresh.expect("a pair to save");
                let saved = vault_write(w, cas, &|r| {
                    r.pair = pair;
                    r.refresh = pair;
                    r.expires_at = expires_at;
                    r.claim = None;
                });
                self.wrote(w, m, saved)
            }
            (Store::Local, Do::SaveRotated { .. }) => {
                let (pair, expires_at) = run.fresh.expect("a pair to save");
                if run.busy == Busy::HalfSaved {
                    // The access token, then the row and the end of the journal record.
                    w.record.pair = pair;
                    w.record.expires_at = expires_at;
                    w.record.claim = None;
                    Observed::Saved
                } else {
                    // The new refresh token first: the old one is spent.
                    w.record.refresh = pair;
                    w.machines[m].run.as_mut().expect("a run").busy = Busy::HalfSaved;
                    return None;
                }
            }
            (Store::Vault, Do::Release { cas, .. }) => {
                let released = vault_write(w, cas, &|r| r.claim = None);
                self.wrote(w, m, released)
            }
            (Store::Local, Do::Release { cut_short, .. }) => {
                if !cut_short {
                    w.record.claim = None;
                }
                Observed::Saved
            }
            (Store::Vault, Do::Condemn { cas, .. }) => {
                let condemned = vault_write(w, cas, &|r| {
                    r.invalid = true;
                    r.claim = None;
                });
                if condemned.is_some() {
                    self.judge_death(w, m);
                }
                self.wrote(w, m, condemned)
            }
            (Store::Local, Do::Condemn { .. }) => {
                w.record.invalid = true;
                w.record.claim = None;
                self.judge_death(w, m);
                Observed::Saved
            }
            (_, other) => unreachable!("{other:?} is not a store action"),
        };
        Some(observed)
    }

    fn wrote(&self, w: &mut World, m: usize, written: Option<Record>) -> Observed {
        match written {
            Some(record) => {
                w.machines[m].run.as_mut().expect("a run").record = Some(record);
                Observed::Saved
            }
            None => Observed::WriteLost,
        }
    }

    /// UPS handles a refresh with `sent`'s refresh token.
    fn ups_acts(&self, w: &mut World, sent: Pair) -> Outcome {
        let ups = &mut w.ups;
        if ups.live == Some(sent) {
            let pair = ups.expires.len() as Pair;
            ups.expires.push(w.now + self.access_lifetime);
            ups.live = Some(pair);
            if self.revoke_spent_access {
                ups.revoked |= bit(sent);
            }
            Outcome::Rotated(pair)
        } else {
            ups.refused |= bit(sent);
            Outcome::Refused
        }
    }

    fn tick_allowed(&self, w: &World) -> bool {
        if w.now + TICK > self.horizon {
            return false;
        }
        let mut someone_waits = false;
        for machine in &w.machines {
            match &machine.run {
                None => {
                    someone_waits |= machine.calls_left > 0 && w.now + TICK <= self.start_window
                }
                Some(run) => match &run.busy {
                    Busy::Ready | Busy::HalfSaved => return false,
                    Busy::Sleeping { until } if *until <= w.now => return false,
                    Busy::Sleeping { .. } => someone_waits = true,
                    Busy::Calling { at, .. } if w.now + TICK > at + self.ups_timeout => {
                        return false
                    }
                    Busy::Calling { .. } => {}
                },
            }
        }
        someone_waits
    }
}

impl Model for Fleet {
    type State = World;
    type Action = Act;

    fn init_states(&self) -> Vec<World> {
        let machines = self.wall_offsets.len();
        vec![World {
            now: 0,
            record: Record {
                version: 1,
                pair: 0,
                expires_at: EPOCH + self.first_expiry as i64,
                refresh: 0,
                invalid: false,
                claim: None,
            },
            ups: Ups {
                live: Some(0),
                expires: vec![self.first_expiry],
                refused: 0,
                pair_lost: 0,
                revoked: 0,
                strays: Vec::new(),
                password_changed: false,
            },
            machines: vec![
                Machine {
                    boot: 0,
                    calls_left: self.calls,
                    run: None,
                };
                machines
            ],
            lock: None,
            budget: Budget {
                crashes: self.crashes,
                lost_answers: self.lost_answers,
                not_acted: self.not_acted,
                password_change: self.password_change,
            },
            next_nonce: 1,
            verdicts: Verdicts::default(),
        }]
    }

    fn actions(&self, w: &World, actions: &mut Vec<Act>) {
        for (m, machine) in w.machines.iter().enumerate() {
            let Some(run) = &machine.run else {
                if machine.calls_left > 0 && w.now <= self.start_window {
                    actions.push(Act::Start(m));
                }
                continue;
            };
            if w.budget.crashes > 0 {
                actions.push(Act::Crash(m));
            }
            match &run.busy {
                Busy::Ready => {
                    // The local port's first read blocks on the lock another process holds.
                    let blocked = self.store == Store::Local
                        && run.next == Do::Read
                        && w.lock.is_some_and(|holder| holder != m);
                    if !blocked {
                        actions.push(Act::Store(m));
                    }
                }
                Busy::HalfSaved => actions.push(Act::Store(m)),
                Busy::Sleeping { until } => {
                    if *until <= w.now {
                        actions.push(Act::Wake(m));
                    }
                }
                Busy::Calling { outcome, .. } => {
                    if outcome.is_none() {
                        actions.push(Act::UpsActs(m));
                        if w.budget.not_acted > 0 {
                            actions.push(Act::NotActed(m));
                        }
                    } else {
                        actions.push(Act::Answer(m));
                    }
                    if w.budget.lost_answers > 0 {
                        actions.push(Act::Lose(m));
                    }
                }
            }
        }
        let mut strays = w.ups.strays.clone();
        strays.dedup();
        actions.extend(strays.into_iter().map(Act::Stray));
        if w.budget.password_change {
            actions.push(Act::PasswordChange);
        }
        if self.tick_allowed(w) {
            actions.push(Act::Tick);
        }
    }

    fn next_state(&self, last: &World, act: Act) -> Option<World> {
        let mut w = last.clone();
        match act {
            Act::Start(m) => {
                w.machines[m].calls_left -= 1;
                let (refresher, next) =
                    Refresher::start(self.rules.clone(), self.clocks(&w, m).mono);
                w.machines[m].run = Some(Run {
                    refresher,
                    next,
                    busy: Busy::Ready,
                    started: w.now,
                    record: None,
                    fresh: None,
                    presented: None,
                    journalled: false,
                });
            }
            Act::Store(m) => {
                if let Some(observed) = self.store_action(&mut w, m) {
                    self.observe(&mut w, m, observed);
                }
            }
            Act::Wake(m) => self.observe(&mut w, m, Observed::Waited),
            Act::UpsActs(m) => {
                let run = w.machines[m].run.as_ref().expect("a run");
                let Busy::Calling { sent, .. } = run.busy else {
                    unreachable!()
                };
                let outcome = self.ups_acts(&mut w, sent);
                let run = w.machines[m].run.as_mut().expect("a run");
                if let Busy::Calling { outcome: o, .. } = &mut run.busy {
                    *o = Some(outcome);
                }
            }
            Act::Answer(m) => {
                let wall = self.clocks(&w, m).wall;
                let run = w.machines[m].run.as_mut().expect("a run");
                let Busy::Calling {
                    outcome: Some(outcome),
                    ..
                } = run.busy.clone()
                else {
                    unreachable!()
                };
                let answer = match outcome {
                    Outcome::Rotated(pair) => {
                        // The client dates the expiry from when the answer arrived.
                        run.fresh = Some((pair, wall + self.access_lifetime as i64));
                        UpsAnswer::Rotated
                    }
                    Outcome::Refused => UpsAnswer::Refused,
                };
                self.observe(&mut w, m, Observed::Ups(answer));
            }
            Act::Lose(m) => {
                w.budget.lost_answers -= 1;
                let run = w.machines[m].run.as_ref().expect("a run");
                let Busy::Calling { sent, outcome, .. } = run.busy.clone() else {
                    unreachable!()
                };
                self.orphan(&mut w, sent, outcome);
                self.observe(&mut w, m, Observed::Ups(UpsAnswer::Lost));
            }
            Act::NotActed(m) => {
                w.budget.not_acted -= 1;
                self.observe(&mut w, m, Observed::Ups(UpsAnswer::NotActed));
            }
            Act::Stray(sent) => {
                let i = w.ups.strays.iter().position(|s| *s == sent)?;
                w.ups.strays.remove(i);
                if let Outcome::Rotated(_) = self.ups_acts(&mut w, sent) {
                    w.ups.pair_lost |= bit(sent);
                }
            }
            Act::PasswordChange => {
                w.budget.password_change = false;
                w.ups.password_changed = true;
                w.ups.live = None;
            }
            Act::Crash(m) => {
                w.budget.crashes -= 1;
                let run = w.machines[m].run.take().expect("a run to crash");
                match run.busy {
                    Busy::Calling { sent, outcome, .. } => self.orphan(&mut w, sent, outcome),
                    // The new refresh token is stored already.
                    Busy::HalfSaved => {}
                    _ => {
                        if let (Some(_), Some(sent)) = (run.fresh, run.presented) {
                            w.ups.pair_lost |= bit(sent);
                        }
                    }
                }
                if w.lock == Some(m) {
                    w.lock = None;
                }
                w.machines[m].boot = w.now;
                w.machines[m].calls_left += 1;
            }
            Act::Tick => w.now += TICK,
        }
        Some(w)
    }

    fn properties(&self) -> Vec<Property<Self>> {
        let mut properties = vec![
            Property::always(ONE_REFRESHER, |_: &Fleet, w: &World| {
                !w.verdicts.two_refreshers
            }),
            Property::always(TOKENS_ALIVE, |_: &Fleet, w: &World| {
                !w.verdicts.dead_token_served
            }),
            Property::always(JUST_DEATHS, |_: &Fleet, w: &World| !w.verdicts.unjust_death),
            Property::always(NO_CONFUSION, |_: &Fleet, w: &World| !w.verdicts.confused),
            Property::always(NO_DEADLOCK, |fleet: &Fleet, w: &World| {
                let mut actions = Vec::new();
                fleet.actions(w, &mut actions);
                !actions.is_empty() || w.machines.iter().all(|m| m.run.is_none())
            }),
            Property::always(RUNS_END, |fleet: &Fleet, w: &World| {
                w.machines.iter().all(|m| {
                    m.run
                        .as_ref()
                        .is_none_or(|r| w.now - r.started <= fleet.run_bound())
                })
            }),
            Property::sometimes(
                "a refreshed pair is saved and handed out",
                |_: &Fleet, w: &World| w.verdicts.fresh_served,
            ),
        ];
        // The model is not vacuous: the faults it is given do happen.
        if self.crashes > 0 {
            properties.push(Property::sometimes(
                "a lapsed claim is taken over",
                |_: &Fleet, w: &World| w.verdicts.taken_over,
            ));
        }
        if self.crashes > 0 || self.lost_answers > 0 || self.password_change {
            properties.push(Property::sometimes(
                "an opt-in dies",
                |_: &Fleet, w: &World| w.verdicts.died,
            ));
        }
        properties
    }
}

impl Fleet {
    /// A request whose client stopped listening (lost answer, crash): if UPS has not acted
    /// yet it may still do so; if it rotated, that pair is lost.
    fn orphan(&self, w: &mut World, sent: Pair, outcome: Option<Outcome>) {
        match outcome {
            None => {
                w.ups.strays.push(sent);
                w.ups.strays.sort_unstable();
            }
            Some(Outcome::Rotated(_)) => w.ups.pair_lost |= bit(sent),
            Some(Outcome::Refused) => {}
        }
    }
}

const ONE_REFRESHER: &str = "one refresher per refresh token";
const TOKENS_ALIVE: &str = "every token handed out is alive at UPS";
const JUST_DEATHS: &str = "an opt-in dies only of a lost pair or a password change";
const NO_CONFUSION: &str = "every observation has a rule";
const NO_DEADLOCK: &str = "no deadlock";
const RUNS_END: &str = "every run ends in bounded time";

fn env_or(name: &str, default: u64) -> u64 {
    match std::env::var(name) {
        Ok(v) => v
            .parse()
            .unwrap_or_else(|_| panic!("{name}={v} is not a number")),
        Err(_) => default,
    }
}

fn machines() -> usize {
    env_or("IDM_AUTH_MODEL_MACHINES", 3) as usize
}

/// The Vault fleet: claims lapse after 3 ticks, UPS time-out 2 ticks, polls every tick, and
/// the store's give-up of 3 lifetimes + 30 s (without its floor of the longest lifetime a
/// claim gets credit for, 5 minutes, which only a claim written with a huge lifetime needs:
/// the model's refreshers write their own). Machine 1's wall clock runs 160 s behind
/// (more than a claim's lifetime plus the 2 minutes the old rule allowed), machine 2's 20 s
/// ahead; the minimum validity (300 s) exceeds every skew between two machines plus the
/// time-out, so handed-out tokens can be judged by true time.
fn vault_fleet(faults: Budget, flaw: Option<Flaw>) -> Fleet {
    let claim_lifetime_ms = 3 * TICK;
    let rules = Rules {
        claim_lifetime_ms,
        poll_ms: TICK,
        give_up_ms: 3 * claim_lifetime_ms + 30_000,
        save_retry_ms: TICK,
        min_validity_ms: 300_000,
        flaw,
    };
    let n = machines();
    let wall_offsets = (0..n)
        .map(|m| match m % 3 {
            0 => 0,
            1 => -160_000,
            _ => 20_000,
        })
        .collect();
    let start_window = 2 * TICK;
    let horizon = start_window + rules.give_up_ms + 2 * claim_lifetime_ms + 4 * TICK;
    Fleet {
        store: Store::Vault,
        rules,
        wall_offsets,
        calls: env_or("IDM_AUTH_MODEL_CALLS", 1) as u8,
        crashes: env_or("IDM_AUTH_MODEL_CRASHES", faults.crashes.into()) as u8,
        lost_answers: env_or("IDM_AUTH_MODEL_LOST", faults.lost_answers.into()) as u8,
        not_acted: env_or("IDM_AUTH_MODEL_NOT_ACTED", faults.not_acted.into()) as u8,
        password_change: env_or(
            "IDM_AUTH_MODEL_PASSWORD_CHANGE",
            faults.password_change.into(),
        ) != 0,
        revoke_spent_access: false,
        ups_timeout: 2 * TICK,
        access_lifetime: 900_000,
        first_expiry: 100_000,
        start_window,
        horizon,
    }
}

/// Processes of one machine sharing the local store, with the rules `store/local.rs` runs:
/// one wall clock, the lock serializes refreshers, nobody waits on a claim.
fn local_store(calls: u8, faults: Budget) -> Fleet {
    let rules = Rules {
        claim_lifetime_ms: 0,
        poll_ms: 250,
        give_up_ms: 0,
        save_retry_ms: 0,
        min_validity_ms: 60_000,
        flaw: None,
    };
    Fleet {
        store: Store::Local,
        rules,
        wall_offsets: vec![0; machines()],
        calls: env_or("IDM_AUTH_MODEL_CALLS", calls.into()) as u8,
        crashes: env_or("IDM_AUTH_MODEL_CRASHES", faults.crashes.into()) as u8,
        lost_answers: env_or("IDM_AUTH_MODEL_LOST", faults.lost_answers.into()) as u8,
        not_acted: env_or("IDM_AUTH_MODEL_NOT_ACTED", faults.not_acted.into()) as u8,
        password_change: env_or(
            "IDM_AUTH_MODEL_PASSWORD_CHANGE",
            faults.password_change.into(),
        ) != 0,
        // One clock: a token served was judged at the moment it was read, so revoking a
        // spent pair's access token at once is safe here.
        revoke_spent_access: true,
        ups_timeout: 2 * TICK,
        access_lifetime: 3_600_000,
        first_expiry: 30_000,
        start_window: 0,
        horizon: 0,
    }
}

/// Explore every state (breadth first) and report the figures.
fn check(name: &str, fleet: Fleet, finish: Option<HasDiscoveries>) -> impl Checker<Fleet> {
    let started = Instant::now();
    let mut builder = fleet
        .checker()
        .threads(env_or("IDM_AUTH_MODEL_THREADS", 1) as usize);
    if let Ok(depth) = std::env::var("IDM_AUTH_MODEL_DEPTH") {
        builder = builder.target_max_depth(depth.parse().expect("a depth"));
    }
    if let Some(finish) = finish {
        builder = builder.finish_when(finish);
    }
    let checker = builder.spawn_bfs().join();
    eprintln!(
        "{name}: {} states ({} unique), depth {}, {:.1} s",
        checker.state_count(),
        checker.unique_state_count(),
        checker.max_depth(),
        started.elapsed().as_secs_f64()
    );
    checker
}

/// Faults the world may throw at a run: each scenario explores one family, since their
/// product is too large for CI (set the `IDM_AUTH_MODEL_*` variables to combine them).
fn faults(crashes: u8, lost_answers: u8, not_acted: u8) -> Budget {
    Budget {
        crashes,
        lost_answers,
        not_acted,
        password_change: true,
    }
}

#[test]
#[cfg_attr(
    debug_assertions,
    ignore = "millions of states: .ci/run checks them with --release"
)]
fn a_vault_fleet_keeps_every_property_through_a_crash() {
    check(
        "vault fleet, a crash",
        vault_fleet(faults(1, 0, 0), None),
        None,
    )
    .assert_properties();
}

#[test]
#[cfg_attr(
    debug_assertions,
    ignore = "millions of states: .ci/run checks them with --release"
)]
fn a_vault_fleet_keeps_every_property_through_lost_and_unanswered_requests() {
    let fleet = vault_fleet(faults(0, 1, 1), None);
    check(
        "vault fleet, a lost answer and an unanswered request",
        fleet,
        None,
    )
    .assert_properties();
}

#[test]
#[cfg_attr(
    debug_assertions,
    ignore = "millions of states: .ci/run checks them with --release"
)]
fn a_vault_fleet_keeps_every_property_through_two_lost_answers() {
    let fleet = vault_fleet(faults(0, 2, 0), None);
    check("vault fleet, two lost answers", fleet, None).assert_properties();
}

#[test]
fn processes_sharing_the_local_store_keep_every_property() {
    let store = local_store(2, faults(2, 2, 1));
    check("local store", store, None).assert_properties();
}

/// The broken variant must yield a counterexample to `property`.
fn assert_caught(flaw: Flaw, property: &'static str) {
    let checker = check(
        &format!("{flaw:?}"),
        vault_fleet(faults(0, 0, 0), Some(flaw)),
        Some(HasDiscoveries::AnyFailures),
    );
    let path = checker.discovery(property);
    let Some(path) = path else {
        panic!(
            "no counterexample to `{property}` with {flaw:?}; found: {:?}",
            checker.discoveries().keys().collect::<Vec<_>>()
        );
    };
    let steps = path.into_actions();
    eprintln!(
        "{flaw:?} breaks `{property}` in {} steps: {steps:?}",
        steps.len()
    );
}

#[test]
fn a_lapse_judged_by_wall_clocks_is_caught() {
    assert_caught(Flaw::WallClockLapse, ONE_REFRESHER);
}

#[test]
fn a_write_without_check_and_set_is_caught() {
    assert_caught(Flaw::WriteWithoutCas, ONE_REFRESHER);
}

#[test]
fn a_waiter_that_refreshes_instead_of_reading_again_is_caught() {
    assert_caught(Flaw::RefreshInsteadOfReread, ONE_REFRESHER);
}
