//! One file per subcommand; each only orchestrates the collaborators (settings, flow,
//! callback listener, browser, store, render).

pub mod authorize;
pub mod clear;
pub mod demo;
pub mod list;
pub mod simulator;
pub mod token;

use crate::error::{Error, Result};
use crate::flow::UpsFailure;
use crate::store::OptIn;

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
        Error::Ups(failure.message)
    }
}
