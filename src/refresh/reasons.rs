//! Every outcome of a refresh as the admin reads it, for every store: the reason a dead
//! opt-in shows in `list`, and the errors and notes `token` prints.

use super::transitions::{Death, Failure};
use crate::error::Error;
use crate::opt_in::OptIn;
use crate::ups::oauth::UpsFailure;
use chrono::{DateTime, SecondsFormat, Utc};

/// A refresh whose claim (or journal record) was taken over: it reached UPS, and its
/// answer was never saved.
#[derive(Debug, Clone)]
pub struct CutShort {
    /// Who ran it, when the store knows ("host (process N)").
    pub holder: Option<String>,
    pub since: DateTime<Utc>,
}

impl CutShort {
    fn by(&self) -> String {
        match &self.holder {
            Some(holder) => format!(" by {holder}"),
            None => String::new(),
        }
    }
}

/// What happened along the way, for the words.
pub struct Story<'a> {
    pub row: &'a OptIn,
    /// When our first call to UPS went out.
    pub started: DateTime<Utc>,
    /// UPS's answers that were not a new pair, in order.
    pub failures: &'a [UpsFailure],
    pub cut_short: Option<&'a CutShort>,
    /// When UPS issued the pair we got, if it did.
    pub rotated_at: Option<DateTime<Utc>>,
    /// Our claim's lifetime (Vault), for the message of a claim overtaken.
    pub claim_lifetime_secs: u64,
}

impl Story<'_> {
    fn last_message(&self) -> &str {
        self.failures.last().map_or("", |f| f.message.as_str())
    }

    /// Why the opt-in is dead, as `list` shows it.
    pub fn death(&self, death: Death) -> String {
        let now_says = self.last_message();
        match death {
            Death::Refused => format!("UPS refused to refresh it: {now_says}"),
            Death::CutShort => {
                let cut = self.cut_short;
                format!(
                    "a refresh{} at {} was cut short after it reached UPS, which spent the stored refresh token, and the new pair was lost (UPS now says: {now_says})",
                    cut.map(CutShort::by).unwrap_or_default(),
                    when(cut.map_or(self.started, |c| c.since)),
                )
            }
            Death::LostThenRefused => format!(
                "the answer to its refresh at {} was lost ({}); tried again with the stored refresh token, UPS refused it ({now_says}), so UPS had rotated the pair and the new one never arrived",
                when(self.started),
                self.failures.first().map_or("", |f| f.message.as_str()),
            ),
            Death::NotStored => format!(
                "UPS rotated its tokens at {} but the {} failed to store the new refresh token, which is lost",
                when(self.rotated_at.unwrap_or(self.started)),
                self.row.secrets_in.describe()
            ),
        }
    }

    /// The error a failed refresh ends with. `store_error`: the store's own failure, when
    /// that is what ended it; `recorded`: whether a death could be written down.
    pub fn error(&self, failure: Failure, store_error: Option<Error>, recorded: bool) -> Error {
        let id = self.row.id.clone();
        match failure {
            // Which "now" does not matter: only an invalid reason changes the words.
            Failure::Unusable => self.row.unusable(self.started),
            Failure::Cleared => Error::NotFound(format!(
                "opt-in {id} was cleared (on this or another machine)"
            )),
            Failure::Store => store_error.unwrap_or_else(|| {
                Error::Keyring(format!("the {} failed", self.row.secrets_in.describe()))
            }),
            Failure::GaveUp => Error::Keyring(format!(
                "gave up waiting for the refresh of opt-in {id} that another process holds in the {}",
                self.row.secrets_in.describe()
            )),
            Failure::NotActed => match self.failures.last() {
                Some(f) => clone_failure(f).into_error(&self.row.base_url),
                None => Error::Other(format!("the refresh of opt-in {id} failed")),
            },
            Failure::LostTwice => Error::Network {
                url: self.row.base_url.clone(),
                reason: format!(
                    "the answers to two refreshes of opt-in {id} were lost ({}); its stored refresh token is kept, and the next run finds out whether UPS had rotated it",
                    self.failures
                        .iter()
                        .map(|f| f.message.as_str())
                        .collect::<Vec<_>>()
                        .join("; ")
                ),
            },
            Failure::SaveLost => Error::Reauthorize {
                id,
                reason: format!(
                    "UPS rotated its tokens at {}, but the refresh took longer than its claim in the {} ({} s) and another machine took over, so the new pair is lost",
                    when(self.rotated_at.unwrap_or(self.started)),
                    self.row.secrets_in.describe(),
                    self.claim_lifetime_secs
                ),
            },
            Failure::Overtaken => Error::Keyring(format!(
                "another process took over the refresh of opt-in {id} while the answer to this one was lost; run the command again"
            )),
            Failure::Dead(death) => {
                let reason = self.death(death);
                Error::Reauthorize {
                    id,
                    reason: match (recorded, store_error) {
                        (false, Some(e)) => {
                            format!("{reason} (this could not be recorded in the store: {e})")
                        }
                        _ => reason,
                    },
                }
            }
            Failure::Confused => Error::Other(format!(
                "the refresh of opt-in {id} reached a state it has no rule for (a bug, please report it)"
            )),
        }
    }

    /// The note of a refresh that went through after taking over one cut short.
    pub fn recovered(&self) -> Option<String> {
        self.cut_short.map(|cut| {
            format!(
                "a refresh of {}{} at {} had been cut short; this one went through, so nothing was lost.",
                self.row.id,
                cut.by(),
                when(cut.since)
            )
        })
    }
}

fn clone_failure(f: &UpsFailure) -> UpsFailure {
    UpsFailure {
        status: f.status,
        message: f.message.clone(),
        unreachable: f.unreachable,
        answer_lost: f.answer_lost,
        refused_grant: f.refused_grant,
        hint: f.hint.clone(),
    }
}

pub fn when(t: DateTime<Utc>) -> String {
    t.to_rfc3339_opts(SecondsFormat::Secs, true)
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    fn row() -> OptIn {
        let t = Utc.with_ymd_and_hms(2027, 1, 15, 8, 0, 0).unwrap();
        OptIn {
            label: "desk".into(),
            ..OptIn::sample("ab12", t)
        }
    }

    fn failure(message: &str) -> UpsFailure {
        UpsFailure {
            status: Some(400),
            message: message.into(),
            unreachable: false,
            answer_lost: false,
            refused_grant: true,
            hint: None,
        }
    }

    #[test]
    fn the_reasons_name_ups_latest_words_who_cut_a_refresh_short_and_when() {
        let row = row();
        let failures = [failure("first"), failure("second")];
        let cut = CutShort {
            holder: Some("host-a (process 7)".into()),
            since: Utc.with_ymd_and_hms(2027, 1, 15, 9, 30, 0).unwrap(),
        };
        let story = Story {
            row: &row,
            started: Utc.with_ymd_and_hms(2027, 1, 15, 9, 31, 0).unwrap(),
            failures: &failures,
            cut_short: Some(&cut),
            rotated_at: None,
            claim_lifetime_secs: 45,
        };
        assert_eq!(
            story.death(Death::Refused),
            "UPS refused to refresh it: second"
        );
        let cut_short = story.death(Death::CutShort);
        assert!(
            cut_short.starts_with(
                "a refresh by host-a (process 7) at 2027-01-15T09:30:00Z was cut short"
            ),
            "{cut_short}"
        );
        assert_eq!(
            story.recovered().as_deref(),
            Some("a refresh of ab12 by host-a (process 7) at 2027-01-15T09:30:00Z had been cut short; this one went through, so nothing was lost.")
        );
        // A death that could not be written down says so.
        match story.error(
            Failure::Dead(Death::Refused),
            Some(Error::Keyring("the disk is full".into())),
            false,
        ) {
            Error::Reauthorize { id, reason } => {
                assert_eq!(id, "ab12");
                assert_eq!(
                    reason,
                    "UPS refused to refresh it: second (this could not be recorded in the store: the disk is full)"
                );
            }
            other => panic!("{other:?}"),
        }
    }
}
