//! Drives [`super::transitions`] against one store and UPS: each action is carried out
//! through the store's [`Port`] (or UPS, or a sleep), and what it found goes back in as the
//! next observation, with this process's clocks. The stores implement only the port.

use super::reasons::{CutShort, Story};
use super::transitions::{Action, Clocks, Observed, Refresher, Rules, Seen, UpsAnswer};
use crate::error::{Error, Result};
use crate::opt_in::{Credentials, Grant, OptIn, Token};
use crate::ups::oauth::UpsFailure;
use chrono::{DateTime, Utc};
use std::time::{Duration, Instant};

/// Rotates the pair at UPS: called by a store's `rotate` at the one moment it may be.
pub type Refresh<'a> = &'a dyn Fn(&OptIn, &Credentials) -> Result<Grant, UpsFailure>;

/// The outcome of a write that needs no more than "stored or not".
pub enum Wrote {
    Stored,
    /// The check-and-set was refused: someone else wrote first.
    Lost,
    /// The store could not take it (nothing of it was stored).
    Failed(Error),
}

/// What a store does for a refresh: the parts that differ between stores. `cas: None`
/// asks for a write without check-and-set, which only a deliberately broken model variant
/// does; a store may refuse it.
pub trait Port {
    /// Read the record (None: cleared). The local store takes its refresh lock first and
    /// holds it until the port is dropped.
    fn read(&mut self) -> Result<Option<Seen>>;
    /// The row as last read.
    fn row(&self) -> &OptIn;
    /// The refresh that our claim took over, as last read.
    fn cut_short(&self) -> Option<CutShort>;
    /// Write our claim over `cas`; the new version, or None when another writer won.
    fn claim(&mut self, cas: Option<u64>, taken_over: bool) -> Result<Option<u64>>;
    fn credentials(&self) -> Result<Credentials>;
    /// The stored access token of the record last read.
    fn serve(&mut self) -> Result<Token>;
    /// Save the rotated pair, dropping our claim; the row as saved when stored. An `Err`
    /// ends the run with it (something was stored, and the journal knows).
    fn save_rotated(&mut self, cas: Option<u64>, grant: &Grant) -> Result<(Wrote, Option<OptIn>)>;
    /// Drop our claim; `cut_short`: keep the record that a refresh was cut short.
    fn release(&mut self, cas: Option<u64>, cut_short: bool) -> Wrote;
    /// Mark the opt-in dead with `reason`, dropping our claim.
    fn condemn(&mut self, cas: Option<u64>, reason: &str) -> Wrote;
}

/// How UPS's answer leaves the stored refresh token. This sorting lives here only.
pub fn sort(failure: &UpsFailure) -> UpsAnswer {
    if failure.answer_lost {
        UpsAnswer::Lost
    } else if failure.is_rejection() {
        UpsAnswer::Refused
    } else {
        UpsAnswer::NotActed
    }
}

/// Refresh the opt-in behind `port` by `rules`, rotating at UPS through `refresh`. With
/// `refused` (the row of an access token UPS has just answered with 401: `api`'s one forced
/// refresh), that generation of tokens counts as expired however long it looks valid; a
/// newer one (another process refreshed meanwhile) is served as usual. `clock` is the wall
/// clock the expiries and claims are judged by (the context's).
pub fn run(
    port: &mut dyn Port,
    rules: Rules,
    claim_lifetime_secs: u64,
    refresh: Refresh<'_>,
    refused: Option<&OptIn>,
    clock: &dyn Fn() -> DateTime<Utc>,
) -> Result<Token> {
    let origin = Instant::now();
    let clocks = || Clocks {
        wall: clock().timestamp_millis(),
        mono: u64::try_from(origin.elapsed().as_millis()).unwrap_or(u64::MAX),
    };
    let (mut refresher, mut action) = Refresher::start(rules, clocks().mono);
    let mut store_error: Option<Error> = None;
    let mut recorded = true;
    let mut failures: Vec<UpsFailure> = Vec::new();
    let mut grant: Option<Grant> = None;
    let mut started = None;
    let mut cut_short = None;
    let mut saved_row = None;
    loop {
        let observed = match action {
            Action::Read => match port.read() {
                Ok(Some(mut seen)) => {
                    if refused.is_some_and(|r| r.same_generation(port.row())) {
                        seen.expires_at = seen.expires_at.min(clocks().wall);
                    }
                    Observed::Read(seen)
                }
                Ok(None) => Observed::Gone,
                Err(e) => {
                    store_error = Some(e);
                    Observed::ReadFailed
                }
            },
            Action::Wait { ms } => {
                std::thread::sleep(Duration::from_millis(ms));
                Observed::Waited
            }
            Action::Serve => return port.serve(),
            Action::Claim { cas, taken_over } => {
                if taken_over && cut_short.is_none() {
                    cut_short = port.cut_short();
                }
                match port.claim(cas, taken_over) {
                    Ok(Some(version)) => Observed::Claimed { version },
                    Ok(None) => Observed::ClaimLost,
                    Err(e) => {
                        store_error = Some(e);
                        Observed::WriteFailed
                    }
                }
            }
            Action::CallUps => {
                let credentials = port.credentials()?;
                started.get_or_insert_with(clock);
                match refresh(port.row(), &credentials) {
                    Ok(fresh) => {
                        grant = Some(fresh);
                        Observed::Ups(UpsAnswer::Rotated)
                    }
                    Err(failure) => {
                        let answer = sort(&failure);
                        failures.push(failure);
                        Observed::Ups(answer)
                    }
                }
            }
            Action::SaveRotated { cas } => {
                let Some(fresh) = &grant else {
                    return Err(Error::Other("a save without a new pair (a bug)".into()));
                };
                let (w, row) = port.save_rotated(cas, fresh)?;
                saved_row = row;
                wrote(w, &mut store_error)
            }
            Action::Release { cas, cut_short } => {
                wrote(port.release(cas, cut_short), &mut store_error)
            }
            Action::Condemn { cas, death } => {
                let reason = story(
                    port.row(),
                    started.unwrap_or_else(clock),
                    &failures,
                    &cut_short,
                    &grant,
                    claim_lifetime_secs,
                )
                .death(death);
                let w = port.condemn(cas, &reason);
                recorded = matches!(w, Wrote::Stored);
                wrote(w, &mut store_error)
            }
            Action::ServeSaved => {
                let (Some(fresh), Some(row)) = (grant.take(), saved_row.take()) else {
                    return Err(Error::Other(
                        "a saved pair that is not there (a bug)".into(),
                    ));
                };
                let note = story(
                    &row,
                    started.unwrap_or_else(clock),
                    &[],
                    &cut_short,
                    &None,
                    0,
                )
                .recovered();
                return Ok(Token {
                    row,
                    token: fresh.access_token,
                    note,
                });
            }
            Action::Fail(failure) => {
                return Err(story(
                    port.row(),
                    started.unwrap_or_else(clock),
                    &failures,
                    &cut_short,
                    &grant,
                    claim_lifetime_secs,
                )
                .error(failure, store_error, recorded));
            }
        };
        (refresher, action) = refresher.step(clocks(), observed);
    }
}

/// What a write found, keeping the store's error for the message.
fn wrote(w: Wrote, store_error: &mut Option<Error>) -> Observed {
    match w {
        Wrote::Stored => Observed::Saved,
        Wrote::Lost => Observed::WriteLost,
        Wrote::Failed(e) => {
            *store_error = Some(e);
            Observed::WriteFailed
        }
    }
}

fn story<'a>(
    row: &'a OptIn,
    started: DateTime<Utc>,
    failures: &'a [UpsFailure],
    cut_short: &'a Option<CutShort>,
    grant: &Option<Grant>,
    claim_lifetime_secs: u64,
) -> Story<'a> {
    Story {
        row,
        started,
        failures,
        cut_short: cut_short.as_ref(),
        rotated_at: grant.as_ref().map(|g| g.issued_at),
        claim_lifetime_secs,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::refresh::transitions::ClaimSeen;
    use chrono::{DateTime, TimeZone};
    use secrecy::{ExposeSecret, SecretString};
    use std::cell::RefCell;
    use std::collections::VecDeque;

    /// A store that keeps the claim in the record, as Vault does: `cut_short` reports the
    /// claim the record holds as last read or written, which is our own once we claim. The
    /// claim found is marked as its holder's gone (as the local journal's is), so it is
    /// taken over at once.
    struct ClaimInRecord {
        row: OptIn,
        version: u64,
        claim: Option<CutShort>,
    }

    impl Port for ClaimInRecord {
        fn read(&mut self) -> Result<Option<Seen>> {
            Ok(Some(Seen {
                version: self.version,
                expires_at: self.row.expires_at.timestamp_millis(),
                refresh_expires_at: Some(i64::MAX),
                invalid: false,
                claim: self.claim.as_ref().map(|c| ClaimSeen {
                    nonce: c.since.to_rfc3339(),
                    lifetime_ms: 45_000,
                    since: c.since.timestamp_millis(),
                    holder_gone: true,
                }),
            }))
        }
        fn row(&self) -> &OptIn {
            &self.row
        }
        fn cut_short(&self) -> Option<CutShort> {
            self.claim.clone()
        }
        fn claim(&mut self, _cas: Option<u64>, _taken_over: bool) -> Result<Option<u64>> {
            self.version += 1;
            self.claim = Some(CutShort {
                holder: Some("this host (process 1)".into()),
                since: crate::clock::now(),
            });
            Ok(Some(self.version))
        }
        fn credentials(&self) -> Result<Credentials> {
            Ok(Credentials {
                refresh_token: SecretString::from("refresh-1"),
                client_secret: None,
            })
        }
        fn serve(&mut self) -> Result<Token> {
            Err(Error::Other("no valid token was stored".into()))
        }
        fn save_rotated(&mut self, _cas: Option<u64>, _: &Grant) -> Result<(Wrote, Option<OptIn>)> {
            self.claim = None;
            Ok((Wrote::Stored, Some(self.row.clone())))
        }
        fn release(&mut self, _cas: Option<u64>, _cut_short: bool) -> Wrote {
            Wrote::Stored
        }
        fn condemn(&mut self, _cas: Option<u64>, _reason: &str) -> Wrote {
            Wrote::Stored
        }
    }

    /// A moment of a day long past, so the row's access token has expired.
    fn at(hour: u32, minute: u32) -> DateTime<Utc> {
        Utc.with_ymd_and_hms(2026, 1, 15, hour, minute, 0).unwrap()
    }

    /// Refresh through `port` while UPS loses its first answer and rotates on the second
    /// call; the note the token comes with.
    fn refresh_after_a_lost_answer(port: &mut ClaimInRecord) -> Option<String> {
        let answers = RefCell::new(VecDeque::from([
            Err(UpsFailure {
                answer_lost: true,
                ..UpsFailure::new(None, "the connection was reset".into())
            }),
            Ok(Grant {
                access_token: SecretString::from("access-2"),
                refresh_token: Some(SecretString::from("refresh-2")),
                issued_at: at(10, 0),
                expires_at: at(14, 0),
                refresh_expires_at: None,
                refresh_count: 1,
            }),
        ]));
        let ups = |_: &OptIn, _: &Credentials| answers.borrow_mut().pop_front().unwrap();
        let rules = Rules {
            claim_lifetime_ms: 45_000,
            poll_ms: 10,
            give_up_ms: 10_000,
            save_retry_ms: 0,
            min_validity_ms: 60_000,
            flaw: None,
        };
        let token =
            run(port, rules, 45, &ups, None, &crate::clock::now).expect("the second call rotated");
        assert_eq!(token.token.expose_secret(), "access-2");
        assert!(answers.borrow().is_empty(), "UPS was called twice");
        token.note
    }

    /// Renewing our claim after a lost answer puts our own claim in the record: the
    /// refresh named as cut short stays the one taken over (or none), never our own.
    #[test]
    fn a_renewed_claim_is_never_reported_as_a_refresh_cut_short() {
        let row = OptIn::sample("ab12", at(8, 0));
        let mut taken_over = ClaimInRecord {
            row: row.clone(),
            version: 4,
            claim: Some(CutShort {
                holder: Some("host-a (process 7)".into()),
                since: at(9, 30),
            }),
        };
        assert_eq!(
            refresh_after_a_lost_answer(&mut taken_over).as_deref(),
            Some("a refresh of ab12 by host-a (process 7) at 2026-01-15T09:30:00Z had been cut short; this one went through, so nothing was lost.")
        );
        let mut unclaimed = ClaimInRecord {
            row,
            version: 4,
            claim: None,
        };
        assert_eq!(refresh_after_a_lost_answer(&mut unclaimed), None);
    }
}
