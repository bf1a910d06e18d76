//! The refresh protocol's decisions, pure: state + what was just observed -> the next state
//! and the one thing to do next. No I/O, no clock read, no randomness: every input (the
//! record as read, this refresher's monotonic time, its wall-clock time, UPS's answer) is
//! plain data handed in, so the same code runs in the stores ([`super::run`]) and in a model
//! checker that plays Vault, UPS, clocks and crashes against it.
//!
//! # The protocol
//!
//! One stored record per opt-in: the pair, the row (expiries, invalid reason), a version,
//! and at most one *claim* ("I am refreshing this"). Vault keeps all of it in one KV v2
//! record written with check-and-set (`cas` = the version read); the local store's claim is
//! its refresh lock plus the journal's refresh record, and its writes cannot be overtaken
//! (the lock serializes them), so its `cas` is never refused.
//!
//! 1. [`Action::Read`]. The access token has more than `min_validity` left: [`Action::Serve`].
//!    The row is invalid or its refresh token expired: [`Failure::Unusable`].
//! 2. No claim: [`Action::Claim`] at the version read. Another writer wins the race:
//!    [`Observed::ClaimLost`], read again (never refresh on a lost claim: the winner is
//!    spending the stored refresh token).
//! 3. A claim by someone else: wait and read again. It lapses only when the record's
//!    version and the claim's nonce have not moved for the claim's lifetime (clamped to
//!    [`MIN_CLAIM_LIFETIME_MS`]..=[`MAX_CLAIM_LIFETIME_MS`]) as timed by *this refresher's
//!    own monotonic clock* since it first saw that claim. No wall clock of another machine
//!    is ever compared with ours, and a read that fails for a while (a Vault restart) keeps
//!    the watch running. A claim whose holder is known to be gone (the local journal's
//!    record, found under the lock) lapses at once. A lapsed claim is taken over with a
//!    claim of our own (check-and-set on the version watched).
//! 4. Holding the claim: [`Action::CallUps`] with the stored refresh token.
//!    - rotated: [`Action::SaveRotated`] (cas = our claim's version; the claim goes);
//!    - refused: [`Action::Condemn`] with the [`Death`] that explains it;
//!    - answer lost in transit (UPS may or may not have acted): renew our claim (a new
//!      version, so waiters restart their watch) and call once more with the *same* stored
//!      refresh token. If UPS had rotated, it now refuses ([`Death::LostThenRefused`]); a
//!      second lost answer releases the claim and keeps the record of the cut-short
//!      refresh, so the next run finds out. Nothing is declared dead on a lost answer.
//!    - not acted on (unreachable, 429, 5xx): [`Action::Release`], the stored token holds.
//! 5. A save the store could not take is retried for `save_retry_ms` (Vault restarting);
//!    then the pair is lost and the opt-in condemned ([`Death::NotStored`]).
//! 6. A condemnation whose check-and-set is refused means another machine wrote meanwhile
//!    (our claim lapsed and was taken over): its result stands, we read it and serve it if
//!    valid, and condemn nothing.
//!
//! # Invariants (what the model checks)
//!
//! - A refresh token is sent to UPS only by the holder of the record's current claim, and
//!   at most twice per claim (the retry after a lost answer, with the same stored token).
//! - Every write after the claim carries `cas` = the claim's version: a refresher whose
//!   claim was taken over can neither store an old pair nor condemn a newer one.
//! - The opt-in is condemned only after UPS refused the stored refresh token, or after UPS
//!   rotated and the new pair could not be saved.
//! - A waiter never refreshes; it waits, reads, or takes over a lapsed claim.
//! - Every run ends: waiting is bounded by `give_up_ms` of this refresher's own time.

/// A moment on this machine's wall clock, in milliseconds since the Unix epoch. Used only
/// to judge the stored expiries, never to judge another machine's claim.
pub type WallMs = i64;
/// A moment on this refresher's own monotonic clock, in milliseconds from any origin.
pub type MonoMs = u64;

/// The shortest lifetime a claim is given credit for.
pub const MIN_CLAIM_LIFETIME_MS: u64 = 1_000;
/// The longest: a claim written with a larger lifetime (a bad neighbour, a bug) stalls the
/// fleet no longer than this.
pub const MAX_CLAIM_LIFETIME_MS: u64 = 300_000;

/// The numbers a refresher works by.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Rules {
    /// The lifetime written into our own claims: the UPS time-out plus time to save.
    pub claim_lifetime_ms: u64,
    /// How long a waiter sleeps between reads.
    pub poll_ms: u64,
    /// The longest a refresher waits in all before it gives up.
    pub give_up_ms: u64,
    /// How long a save the store could not take is tried again.
    pub save_retry_ms: u64,
    /// An access token with less than this left is refreshed first.
    pub min_validity_ms: i64,
    /// A deliberately broken variant, for the model checker only; the stores pass `None`.
    #[doc(hidden)]
    pub flaw: Option<Flaw>,
}

/// Broken variants the model checker must catch (never used by the stores).
#[doc(hidden)]
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Flaw {
    /// The old rule: a claim lapses once our wall clock is past its `since` + lifetime + 2
    /// minutes (so a holder whose clock runs behind is taken over while alive).
    WallClockLapse,
    /// Writes carry no check-and-set.
    WriteWithoutCas,
    /// A refresher that lost the claim race calls UPS anyway instead of reading again.
    RefreshInsteadOfReread,
}

/// A claim as read from the record.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct ClaimSeen {
    /// Random per claim: a renewed or new claim never looks like the one watched.
    pub nonce: String,
    /// What the holder wrote; clamped before use.
    pub lifetime_ms: u64,
    /// The holder's wall clock when it claimed: for messages (and the wall-clock flaw) only.
    pub since: WallMs,
    /// The holder is known to be gone (the local journal's record, found under the lock).
    pub holder_gone: bool,
}

/// The record as one read found it.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Seen {
    pub version: u64,
    pub expires_at: WallMs,
    pub refresh_expires_at: Option<WallMs>,
    pub invalid: bool,
    pub claim: Option<ClaimSeen>,
}

/// What UPS's answer to a refresh means for the stored refresh token.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum UpsAnswer {
    /// A new pair: the stored refresh token is spent, the new one must be saved.
    Rotated,
    /// Refused (4xx other than 408/429, or a 200 that is not "approved"): spent or revoked.
    Refused,
    /// The request went out but no usable answer came back: UPS may have rotated.
    Lost,
    /// UPS did not act on it (not reached, rate-limited, failing): the stored token holds.
    NotActed,
}

/// What the last action found.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum Observed {
    /// The record (answer to [`Action::Read`]).
    Read(Seen),
    /// The record is gone (cleared).
    Gone,
    /// The store could not be read.
    ReadFailed,
    /// Our claim is stored; the record is now at `version`.
    Claimed { version: u64 },
    /// The claim's check-and-set was refused: someone else wrote first.
    ClaimLost,
    /// UPS's answer to [`Action::CallUps`].
    Ups(UpsAnswer),
    /// The write (save, release, condemnation) is stored.
    Saved,
    /// The write's check-and-set was refused.
    WriteLost,
    /// The store could not take the write.
    WriteFailed,
    /// The [`Action::Wait`] is over.
    Waited,
}

/// This refresher's clocks at the moment of a step.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Clocks {
    pub wall: WallMs,
    pub mono: MonoMs,
}

/// Why the opt-in is dead; the reason texts live in [`super::reasons`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Death {
    /// UPS refused the stored refresh token.
    Refused,
    /// UPS refused it after an earlier refresh (whose claim or journal record we took over)
    /// was cut short: that one reached UPS and its answer was never saved.
    CutShort,
    /// The answer to our refresh was lost, and UPS refused the same token when tried again:
    /// UPS had rotated, and the new pair never arrived.
    LostThenRefused,
    /// UPS rotated, and the store could not save the new refresh token.
    NotStored,
}

/// How a refresh ends without a token.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Failure {
    /// The row is invalid or its refresh token expired.
    Unusable,
    /// The opt-in was cleared.
    Cleared,
    /// The store failed (the error is the store's).
    Store,
    /// Waited `give_up_ms` for another refresher.
    GaveUp,
    /// UPS did not act on the refresh; nothing changed.
    NotActed,
    /// Both answers were lost; the stored token is kept and the next run finds out.
    LostTwice,
    /// UPS rotated, but our claim had been taken over, so the new pair could not be saved.
    SaveLost,
    /// A renewal of our claim was refused: another refresher took it over.
    Overtaken,
    /// The opt-in is dead (and, unless the store failed, marked so).
    Dead(Death),
    /// An observation that does not fit the phase: a bug in the caller.
    Confused,
}

/// The one thing to do next.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum Action {
    Read,
    /// Sleep this long, then report [`Observed::Waited`].
    Wait {
        ms: u64,
    },
    /// Hand out the stored access token of the record last read.
    Serve,
    /// Write our claim (a new nonce, our lifetime) over version `cas` (`None`: no check).
    /// `taken_over`: the claim replaces a lapsed one, whose refresh was cut short.
    Claim {
        cas: Option<u64>,
        taken_over: bool,
    },
    /// Send the stored refresh token to UPS.
    CallUps,
    /// Save the pair UPS gave, dropping our claim.
    SaveRotated {
        cas: Option<u64>,
    },
    /// Drop our claim; `cut_short`: keep the record that a refresh was cut short (local
    /// journal), because whether UPS rotated is still unknown.
    Release {
        cas: Option<u64>,
        cut_short: bool,
    },
    /// Mark the opt-in dead for `death`, dropping our claim.
    Condemn {
        cas: Option<u64>,
        death: Death,
    },
    /// Hand out the access token UPS just gave (now saved).
    ServeSaved,
    Fail(Failure),
}

/// Where a refresher is.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum Phase {
    Reading,
    Polling,
    Claiming,
    Renewing,
    Calling,
    Saving,
    SavePending,
    Releasing(Failure),
    Condemning(Death),
    Rechecking(Death),
    Done,
}

/// A claim being watched: the version and nonce first seen, and when (our own clock).
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Watch {
    pub version: u64,
    pub nonce: String,
    pub since: MonoMs,
}

/// One refresher's state.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Refresher {
    pub rules: Rules,
    pub phase: Phase,
    /// When this refresher began (its own clock).
    pub began: MonoMs,
    pub watch: Option<Watch>,
    /// The version our claim is at, once we hold one.
    pub cas: u64,
    /// Our claim replaced a lapsed one.
    pub taken_over: bool,
    /// One answer was lost already.
    pub lost_once: bool,
    /// When UPS's rotated pair arrived (for the save retries).
    pub rotated_at: Option<MonoMs>,
}

impl Refresher {
    /// A refresher starting at `mono`, and its first action ([`Action::Read`]).
    pub fn start(rules: Rules, mono: MonoMs) -> (Refresher, Action) {
        let refresher = Refresher {
            rules,
            phase: Phase::Reading,
            began: mono,
            watch: None,
            cas: 0,
            taken_over: false,
            lost_once: false,
            rotated_at: None,
        };
        (refresher, Action::Read)
    }

    /// The next state and action after `observed`, at `now`. Pure and deterministic.
    pub fn step(&self, now: Clocks, observed: Observed) -> (Refresher, Action) {
        let mut next = self.clone();
        let action = next.advance(now, observed);
        if matches!(action, Action::Serve | Action::ServeSaved | Action::Fail(_)) {
            next.phase = Phase::Done;
        }
        (next, action)
    }

    fn cas(&self, version: u64) -> Option<u64> {
        (self.rules.flaw != Some(Flaw::WriteWithoutCas)).then_some(version)
    }

    fn advance(&mut self, now: Clocks, observed: Observed) -> Action {
        use Observed as O;
        match (self.phase.clone(), observed) {
            (Phase::Reading, O::Read(seen)) => self.judge(now, seen),
            (Phase::Reading, O::Gone) => Action::Fail(Failure::Cleared),
            (Phase::Reading, O::ReadFailed) => {
                // A waiter keeps its watch through a failing store, so a restart of Vault
                // does not restart the lapse of a dead claim.
                if self.watch.is_some() && !self.waited_too_long(now) {
                    self.phase = Phase::Polling;
                    Action::Wait {
                        ms: self.rules.poll_ms,
                    }
                } else {
                    Action::Fail(Failure::Store)
                }
            }
            (Phase::Polling, O::Waited) => {
                self.phase = Phase::Reading;
                Action::Read
            }
            (Phase::Claiming, O::Claimed { version }) => {
                self.cas = version;
                self.phase = Phase::Calling;
                Action::CallUps
            }
            (Phase::Claiming, O::ClaimLost) => {
                if self.rules.flaw == Some(Flaw::RefreshInsteadOfReread) {
                    self.phase = Phase::Calling;
                    return Action::CallUps;
                }
                self.phase = Phase::Reading;
                Action::Read
            }
            (Phase::Renewing, O::Claimed { version }) => {
                self.cas = version;
                self.phase = Phase::Calling;
                Action::CallUps
            }
            (Phase::Renewing, O::ClaimLost) => Action::Fail(Failure::Overtaken),
            (Phase::Claiming | Phase::Renewing, O::WriteFailed) => Action::Fail(Failure::Store),
            (Phase::Calling, O::Ups(answer)) => self.judge_answer(now, answer),
            (Phase::Saving, O::Saved) => Action::ServeSaved,
            (Phase::Saving, O::WriteLost) => Action::Fail(Failure::SaveLost),
            (Phase::Saving, O::WriteFailed) => {
                let rotated_at = self.rotated_at.unwrap_or(now.mono);
                if now.mono.saturating_sub(rotated_at) < self.rules.save_retry_ms {
                    self.phase = Phase::SavePending;
                    Action::Wait {
                        ms: self.rules.poll_ms,
                    }
                } else {
                    self.condemn(Death::NotStored)
                }
            }
            (Phase::SavePending, O::Waited) => {
                self.phase = Phase::Saving;
                Action::SaveRotated {
                    cas: self.cas(self.cas),
                }
            }
            (Phase::Releasing(why), O::Saved | O::WriteLost | O::WriteFailed) => Action::Fail(why),
            (Phase::Condemning(death), O::Saved | O::WriteFailed) => {
                Action::Fail(Failure::Dead(death))
            }
            (Phase::Condemning(death), O::WriteLost) => {
                // Someone else wrote meanwhile: their result stands.
                self.phase = Phase::Rechecking(death);
                Action::Read
            }
            (Phase::Rechecking(death), O::Read(seen)) => {
                if self.access_valid(now, &seen) {
                    Action::Serve
                } else {
                    Action::Fail(Failure::Dead(death))
                }
            }
            (Phase::Rechecking(death), O::Gone | O::ReadFailed) => {
                Action::Fail(Failure::Dead(death))
            }
            _ => Action::Fail(Failure::Confused),
        }
    }

    fn access_valid(&self, now: Clocks, seen: &Seen) -> bool {
        !seen.invalid && seen.expires_at.saturating_sub(self.rules.min_validity_ms) > now.wall
    }

    fn waited_too_long(&self, now: Clocks) -> bool {
        now.mono.saturating_sub(self.began) >= self.rules.give_up_ms
    }

    /// The record as read: serve, fail, claim, or wait for another refresher.
    fn judge(&mut self, now: Clocks, seen: Seen) -> Action {
        if self.access_valid(now, &seen) {
            return Action::Serve;
        }
        let refreshable = seen.refresh_expires_at.is_some_and(|t| t > now.wall);
        if seen.invalid || (seen.expires_at <= now.wall && !refreshable) {
            return Action::Fail(Failure::Unusable);
        }
        let Some(claim) = &seen.claim else {
            self.taken_over = false;
            return self.claim(seen.version, false);
        };
        if claim.holder_gone || self.lapsed(now, seen.version, claim) {
            return self.claim(seen.version, true);
        }
        if self.waited_too_long(now) {
            return Action::Fail(Failure::GaveUp);
        }
        self.phase = Phase::Polling;
        Action::Wait {
            ms: self.rules.poll_ms,
        }
    }

    fn claim(&mut self, version: u64, taken_over: bool) -> Action {
        self.taken_over = taken_over;
        self.phase = Phase::Claiming;
        Action::Claim {
            cas: self.cas(version),
            taken_over,
        }
    }

    /// Whether another's claim has lapsed: the record has not moved for the claim's
    /// (clamped) lifetime since this refresher first saw it, on its own monotonic clock.
    fn lapsed(&mut self, now: Clocks, version: u64, claim: &ClaimSeen) -> bool {
        let lifetime = claim
            .lifetime_ms
            .clamp(MIN_CLAIM_LIFETIME_MS, MAX_CLAIM_LIFETIME_MS);
        if self.rules.flaw == Some(Flaw::WallClockLapse) {
            const SKEW_MS: i64 = 120_000;
            let lifetime = i64::try_from(lifetime).unwrap_or(i64::MAX);
            if claim.since.saturating_add(lifetime).saturating_add(SKEW_MS) < now.wall {
                return true;
            }
        }
        match &self.watch {
            Some(w) if w.version == version && w.nonce == claim.nonce => {
                now.mono.saturating_sub(w.since) >= lifetime
            }
            _ => {
                self.watch = Some(Watch {
                    version,
                    nonce: claim.nonce.clone(),
                    since: now.mono,
                });
                false
            }
        }
    }

    fn judge_answer(&mut self, now: Clocks, answer: UpsAnswer) -> Action {
        match answer {
            UpsAnswer::Rotated => {
                self.rotated_at = Some(now.mono);
                self.phase = Phase::Saving;
                Action::SaveRotated {
                    cas: self.cas(self.cas),
                }
            }
            UpsAnswer::Refused => self.condemn(if self.lost_once {
                Death::LostThenRefused
            } else if self.taken_over {
                Death::CutShort
            } else {
                Death::Refused
            }),
            UpsAnswer::Lost if !self.lost_once => {
                // Renew the claim first (a new version restarts every waiter's watch), then
                // try the same stored refresh token once more.
                self.lost_once = true;
                self.phase = Phase::Renewing;
                Action::Claim {
                    cas: self.cas(self.cas),
                    taken_over: self.taken_over,
                }
            }
            UpsAnswer::Lost => self.release(Failure::LostTwice, true),
            UpsAnswer::NotActed => {
                // Whether an earlier cut-short refresh (or our own lost answer) spent the
                // stored token is still unknown: keep its record for the next run.
                let cut_short = self.taken_over || self.lost_once;
                self.release(Failure::NotActed, cut_short)
            }
        }
    }

    fn release(&mut self, why: Failure, cut_short: bool) -> Action {
        self.phase = Phase::Releasing(why);
        Action::Release {
            cas: self.cas(self.cas),
            cut_short,
        }
    }

    fn condemn(&mut self, death: Death) -> Action {
        self.phase = Phase::Condemning(death);
        Action::Condemn {
            cas: self.cas(self.cas),
            death,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn rules() -> Rules {
        Rules {
            claim_lifetime_ms: 45_000,
            poll_ms: 250,
            give_up_ms: 165_000,
            save_retry_ms: 10_000,
            min_validity_ms: 60_000,
            flaw: None,
        }
    }

    fn at(wall: WallMs, mono: MonoMs) -> Clocks {
        Clocks { wall, mono }
    }

    fn seen(version: u64, claim: Option<ClaimSeen>) -> Seen {
        Seen {
            version,
            expires_at: 0,
            refresh_expires_at: Some(10_000_000),
            invalid: false,
            claim,
        }
    }

    fn claim(nonce: &str, lifetime_ms: u64, since: WallMs) -> ClaimSeen {
        ClaimSeen {
            nonce: nonce.into(),
            lifetime_ms,
            since,
            holder_gone: false,
        }
    }

    #[test]
    fn a_valid_token_is_served_and_an_expired_one_claimed() {
        let (r, _) = Refresher::start(rules(), 0);
        let mut valid = seen(3, None);
        valid.expires_at = 1_000_000;
        assert_eq!(r.step(at(0, 0), Observed::Read(valid)).1, Action::Serve);
        assert_eq!(
            r.step(at(0, 0), Observed::Read(seen(3, None))).1,
            Action::Claim {
                cas: Some(3),
                taken_over: false
            }
        );
    }

    #[test]
    fn a_claim_written_by_a_clock_minutes_behind_is_waited_for_its_lifetime() {
        let (r, _) = Refresher::start(rules(), 0);
        // The holder's wall clock says 10 minutes ago; ours must not care.
        let c = claim("n", 45_000, -600_000);
        let (r, a) = r.step(at(0, 0), Observed::Read(seen(4, Some(c.clone()))));
        assert_eq!(a, Action::Wait { ms: 250 });
        let (r, _) = r.step(at(0, 250), Observed::Waited);
        let (r, a) = r.step(at(0, 44_000), Observed::Read(seen(4, Some(c.clone()))));
        assert_eq!(a, Action::Wait { ms: 250 });
        let (r, _) = r.step(at(0, 44_250), Observed::Waited);
        let (_, a) = r.step(at(0, 45_000), Observed::Read(seen(4, Some(c))));
        assert_eq!(
            a,
            Action::Claim {
                cas: Some(4),
                taken_over: true
            }
        );
    }

    #[test]
    fn a_huge_lifetime_is_clamped_and_a_failing_store_keeps_the_watch() {
        let (r, _) = Refresher::start(rules(), 0);
        let c = claim("n", u64::MAX, i64::MAX);
        let (r, _) = r.step(at(0, 0), Observed::Read(seen(4, Some(c.clone()))));
        let (r, _) = r.step(at(0, 1), Observed::Waited);
        let (r, a) = r.step(at(0, 1_000), Observed::ReadFailed);
        assert_eq!(a, Action::Wait { ms: 250 });
        let (r, _) = r.step(at(0, 1_250), Observed::Waited);
        let (_, a) = r.step(
            at(0, MAX_CLAIM_LIFETIME_MS),
            Observed::Read(seen(4, Some(c))),
        );
        assert!(matches!(a, Action::Claim { .. }), "{a:?}");
    }

    #[test]
    fn a_moved_version_restarts_the_watch() {
        let (r, _) = Refresher::start(rules(), 0);
        let (r, _) = r.step(
            at(0, 0),
            Observed::Read(seen(4, Some(claim("n", 2_000, 0)))),
        );
        let (r, _) = r.step(at(0, 1_900), Observed::Waited);
        let (r, a) = r.step(
            at(0, 1_900),
            Observed::Read(seen(5, Some(claim("m", 2_000, 0)))),
        );
        assert_eq!(a, Action::Wait { ms: 250 });
        let (_, a) = r.step(at(0, 2_100), Observed::Waited).0.step(
            at(0, 2_100),
            Observed::Read(seen(5, Some(claim("m", 2_000, 0)))),
        );
        assert_eq!(a, Action::Wait { ms: 250 });
    }

    /// The claim watched is the same only while neither the record's version nor the
    /// claim's nonce moves: either one moving (another write to the record, a renewed claim)
    /// starts the lifetime again.
    #[test]
    fn a_moved_version_or_a_new_nonce_alone_restarts_the_watch() {
        for (version, nonce) in [(5, "n"), (4, "m")] {
            let (r, _) = Refresher::start(rules(), 0);
            let (r, _) = r.step(
                at(0, 0),
                Observed::Read(seen(4, Some(claim("n", 2_000, 0)))),
            );
            let (r, _) = r.step(at(0, 1_900), Observed::Waited);
            let moved = seen(version, Some(claim(nonce, 2_000, 0)));
            let (r, a) = r.step(at(0, 1_900), Observed::Read(moved.clone()));
            assert_eq!(a, Action::Wait { ms: 250 }, "{version} {nonce}");
            let (r, _) = r.step(at(0, 2_100), Observed::Waited);
            let (_, a) = r.step(at(0, 2_100), Observed::Read(moved));
            assert_eq!(
                a,
                Action::Wait { ms: 250 },
                "version {version}, nonce {nonce}: lapsed 2 s after the first sight, not after the move"
            );
        }
    }

    /// The model checker's broken variant (tests/refresh_model.rs shows it is caught) is the
    /// old rule itself: a claim lapses once our wall clock is past the holder's `since` +
    /// lifetime + 2 minutes, and not at that very millisecond.
    #[test]
    fn the_wall_clock_flaw_lapses_a_claim_just_past_its_wall_clock_end() {
        let flawed = Rules {
            flaw: Some(Flaw::WallClockLapse),
            ..rules()
        };
        let held = seen(4, Some(claim("n", 45_000, 1_000)));
        let end = 1_000 + 45_000 + 120_000;
        let (r, _) = Refresher::start(flawed, 0);
        assert_eq!(
            r.step(at(end, 0), Observed::Read(held.clone())).1,
            Action::Wait { ms: 250 }
        );
        assert_eq!(
            r.step(at(end + 1, 0), Observed::Read(held)).1,
            Action::Claim {
                cas: Some(4),
                taken_over: true
            }
        );
    }

    /// UPS not acting leaves unknown whether an earlier refresh spent the stored token: one
    /// we took over, or our own whose answer was lost. Either alone keeps the record of the
    /// cut-short refresh for the next run; with neither there is none to keep.
    #[test]
    fn an_unanswered_refresh_keeps_the_cut_short_record_after_a_takeover_or_a_lost_answer() {
        for (taken_over, lost_once, kept) in [
            (true, false, true),
            (false, true, true),
            (false, false, false),
        ] {
            let (mut r, _) = Refresher::start(rules(), 0);
            r.phase = Phase::Calling;
            r.cas = 7;
            r.taken_over = taken_over;
            r.lost_once = lost_once;
            assert_eq!(
                r.step(at(0, 0), Observed::Ups(UpsAnswer::NotActed)).1,
                Action::Release {
                    cas: Some(7),
                    cut_short: kept
                },
                "taken over {taken_over}, lost once {lost_once}"
            );
        }
    }

    #[test]
    fn a_lost_answer_is_tried_once_more_after_renewing_the_claim() {
        let (r, _) = Refresher::start(rules(), 0);
        let (r, _) = r.step(at(0, 0), Observed::Read(seen(1, None)));
        let (r, a) = r.step(at(0, 0), Observed::Claimed { version: 2 });
        assert_eq!(a, Action::CallUps);
        let (r, a) = r.step(at(0, 0), Observed::Ups(UpsAnswer::Lost));
        assert_eq!(
            a,
            Action::Claim {
                cas: Some(2),
                taken_over: false
            }
        );
        let (r, a) = r.step(at(0, 0), Observed::Claimed { version: 3 });
        assert_eq!(a, Action::CallUps);
        let (_, refused) = r.step(at(0, 0), Observed::Ups(UpsAnswer::Refused));
        assert_eq!(
            refused,
            Action::Condemn {
                cas: Some(3),
                death: Death::LostThenRefused
            }
        );
        let (_, lost) = r.step(at(0, 0), Observed::Ups(UpsAnswer::Lost));
        assert_eq!(
            lost,
            Action::Release {
                cas: Some(3),
                cut_short: true
            }
        );
    }

    #[test]
    fn a_refresher_that_loses_the_claim_race_reads_again() {
        let (r, _) = Refresher::start(rules(), 0);
        let (r, _) = r.step(at(0, 0), Observed::Read(seen(1, None)));
        assert_eq!(r.step(at(0, 0), Observed::ClaimLost).1, Action::Read);
    }

    #[test]
    fn an_overtaken_condemnation_serves_the_newer_pair() {
        let (r, _) = Refresher::start(rules(), 0);
        let (r, _) = r.step(at(0, 0), Observed::Read(seen(1, None)));
        let (r, _) = r.step(at(0, 0), Observed::Claimed { version: 2 });
        let (r, _) = r.step(at(0, 0), Observed::Ups(UpsAnswer::Refused));
        let (r, a) = r.step(at(0, 0), Observed::WriteLost);
        assert_eq!(a, Action::Read);
        let mut newer = seen(4, None);
        newer.expires_at = 10_000_000;
        assert_eq!(r.step(at(0, 0), Observed::Read(newer)).1, Action::Serve);
    }

    /// Every phase answers each outcome it can meet as written, none by the catch-all
    /// "confused" arm (each row was a surviving mutant of scripts/mutants).
    #[test]
    fn each_phase_meets_its_outcomes_with_its_own_action() {
        use Observed as O;
        let in_phase = |phase: Phase| {
            let (mut r, _) = Refresher::start(rules(), 0);
            r.phase = phase;
            r.cas = 7;
            r
        };
        let fail = |why: Failure| Action::Fail(why);
        let cases = [
            (Phase::Reading, O::Gone, fail(Failure::Cleared)),
            // No claim watched: a failing store is a failure at once, not a wait.
            (Phase::Reading, O::ReadFailed, fail(Failure::Store)),
            (Phase::Renewing, O::ClaimLost, fail(Failure::Overtaken)),
            (Phase::Claiming, O::WriteFailed, fail(Failure::Store)),
            (Phase::Renewing, O::WriteFailed, fail(Failure::Store)),
            (Phase::Saving, O::Saved, Action::ServeSaved),
            (Phase::Saving, O::WriteLost, fail(Failure::SaveLost)),
            (
                Phase::SavePending,
                O::Waited,
                Action::SaveRotated { cas: Some(7) },
            ),
            (
                Phase::Rechecking(Death::Refused),
                O::Gone,
                fail(Failure::Dead(Death::Refused)),
            ),
            (
                Phase::Rechecking(Death::Refused),
                O::ReadFailed,
                fail(Failure::Dead(Death::Refused)),
            ),
        ];
        for (phase, observed, expected) in cases {
            let what = format!("{phase:?} + {observed:?}");
            assert_eq!(
                in_phase(phase).step(at(0, 0), observed).1,
                expected,
                "{what}"
            );
        }
        for observed in [O::Saved, O::WriteLost, O::WriteFailed] {
            let r = in_phase(Phase::Releasing(Failure::GaveUp));
            assert_eq!(r.step(at(0, 0), observed).1, fail(Failure::GaveUp));
        }
        for observed in [O::Saved, O::WriteFailed] {
            let r = in_phase(Phase::Condemning(Death::CutShort));
            assert_eq!(
                r.step(at(0, 0), observed).1,
                fail(Failure::Dead(Death::CutShort))
            );
        }
    }

    /// A token is served only while it has more than `min_validity_ms` left: at exactly that
    /// much it is refreshed.
    #[test]
    fn a_token_with_exactly_the_minimum_validity_left_is_refreshed() {
        let (r, _) = Refresher::start(rules(), 0);
        let mut edge = seen(3, None);
        edge.expires_at = 1_000 + 60_000;
        assert!(matches!(
            r.step(at(1_000, 0), Observed::Read(edge.clone())).1,
            Action::Claim { .. }
        ));
        edge.expires_at += 1;
        assert_eq!(r.step(at(1_000, 0), Observed::Read(edge)).1, Action::Serve);
    }

    /// An opt-in marked invalid, or whose refresh token ends now, is unusable, refreshable
    /// or not by its access token's clock; a watcher gives up after `give_up_ms`.
    #[test]
    fn unusable_records_fail_and_a_watch_ends_at_the_give_up_time() {
        let (r, _) = Refresher::start(rules(), 0);
        let mut invalid = seen(3, None);
        invalid.invalid = true;
        let ending = Seen {
            refresh_expires_at: Some(1_000),
            ..seen(3, None)
        };
        for record in [invalid, ending] {
            assert_eq!(
                r.step(at(1_000, 0), Observed::Read(record)).1,
                Action::Fail(Failure::Unusable)
            );
        }
        // Still valid, though too near its end to serve: refreshed while it lasts, even with
        // its refresh token ended.
        let nearly = Seen {
            expires_at: 30_000,
            refresh_expires_at: Some(1_000),
            ..seen(3, None)
        };
        assert!(matches!(
            r.step(at(1_000, 0), Observed::Read(nearly)).1,
            Action::Claim { .. }
        ));
        let held = seen(5, Some(claim("m", 45_000, 0)));
        assert_eq!(
            r.step(at(0, 165_000), Observed::Read(held)).1,
            Action::Fail(Failure::GaveUp)
        );
    }

    /// A rotated pair that cannot be saved is retried for `save_retry_ms` after it arrived,
    /// and condemned as not stored from then on.
    #[test]
    fn a_failed_save_is_retried_until_the_retry_time_is_up() {
        let (mut r, _) = Refresher::start(rules(), 0);
        r.phase = Phase::Saving;
        r.cas = 7;
        r.rotated_at = Some(1_000);
        let (_, a) = r.step(at(0, 1_000), Observed::WriteFailed);
        assert_eq!(a, Action::Wait { ms: 250 });
        let (_, a) = r.step(at(0, 10_999), Observed::WriteFailed);
        assert_eq!(a, Action::Wait { ms: 250 });
        let (_, a) = r.step(at(0, 11_000), Observed::WriteFailed);
        assert_eq!(
            a,
            Action::Condemn {
                cas: Some(7),
                death: Death::NotStored
            }
        );
    }
}
