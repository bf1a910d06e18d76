//! One file per subcommand; each only orchestrates the collaborators (settings, flow,
//! callback listener, browser, store, render).

pub mod authorize;
pub mod check;
pub mod clear;
pub mod config;
pub mod demo;
pub mod exec;
pub mod list;
pub mod simulator;
pub mod token;

use crate::error::{Error, Result};
use crate::flow::UpsFailure;
use crate::store::OptIn;

/// The profile that narrows `list`, `token`, `exec`, `check` and `clear --all`: the flag, else
/// IDM_AUTH_PROFILE. (The config file's default profile does not hide other opt-ins.)
pub fn profile_filter(flag: Option<&str>) -> Option<String> {
    flag.map(str::to_owned).or_else(|| {
        std::env::var("IDM_AUTH_PROFILE")
            .ok()
            .filter(|s| !s.is_empty())
    })
}

/// The rows of that profile (all rows without one).
pub fn of_profile(rows: Vec<OptIn>, profile: Option<&str>) -> Vec<OptIn> {
    match profile {
        Some(p) => rows
            .into_iter()
            .filter(|r| r.profile.as_deref() == Some(p))
            .collect(),
        None => rows,
    }
}

/// Find one opt-in by its id or an unambiguous prefix of it.
pub fn find<'a>(rows: &'a [OptIn], wanted: &str) -> Result<&'a OptIn> {
    if let Some(exact) = rows.iter().find(|r| r.id == wanted) {
        return Ok(exact);
    }
    let matches: Vec<&OptIn> = rows
        .iter()
        .filter(|r| !wanted.is_empty() && r.id.starts_with(wanted))
        .collect();
    match matches.as_slice() {
        [one] => Ok(one),
        [] => Err(Error::NotFound(format!(
            "no opt-in with id `{wanted}` on this machine"
        ))),
        many => Err(Error::Config(format!(
            "`{wanted}` matches {} opt-ins ({}); give more of the id",
            many.len(),
            many.iter()
                .map(|r| r.id.as_str())
                .collect::<Vec<_>>()
                .join(", ")
        ))),
    }
}

/// A failed exchange with UPS as the admin should see it.
pub fn ups_error(failure: UpsFailure, base_url: &str) -> Error {
    if failure.unreachable {
        Error::Network {
            url: base_url.to_string(),
            reason: failure.message,
        }
    } else {
        Error::Ups {
            message: failure.message,
            hint: failure.hint,
        }
    }
}
