//! `idm-auth clear ID... | --all [--yes]`: dissolve opt-ins. UPS has no revocation endpoint,
//! so this deletes the tokens from this machine; the last access token lapses at UPS on its
//! own expiry, and with the refresh token gone nothing here can act for the user again.
//! Like `authorize` and `token`, it first finishes what interrupted runs left behind.

use crate::cli::ClearArgs;
use crate::commands::{find, of_profile};
use crate::error::{Error, Result};
use crate::output::print_json;
use crate::render;
use crate::say;
use crate::store::{self, Index, OptIn};
use chrono::Utc;
use std::io::{BufRead, IsTerminal, Write};

pub fn run(args: &ClearArgs, profile: Option<&str>, index: &Index) -> Result<()> {
    let contents = index.load_all()?;
    for note in store::repair(index, &contents) {
        say!("note: {note}");
    }
    let rows = contents.rows;
    let mut chosen: Vec<OptIn> = Vec::new();
    if args.all {
        chosen = of_profile(rows, profile);
    } else {
        for wanted in &args.ids {
            match find(&rows, wanted) {
                Ok(row) if !chosen.iter().any(|c| c.id == row.id) => chosen.push(row.clone()),
                Ok(_) => {}
                // Clearing is idempotent: what is already gone is not an error.
                Err(Error::NotFound(_)) => say!("No opt-in `{wanted}` here (already cleared?)."),
                Err(e) => return Err(e),
            }
        }
    }
    if chosen.is_empty() {
        say!("Nothing to clear.");
        return finish(args, &[]);
    }
    if !args.yes && std::io::stdin().is_terminal() && !confirm(&chosen)? {
        return Err(Error::Cancelled);
    }
    for row in &chosen {
        store::remove(index, row)?;
        say!(
            "Cleared {}{}: its tokens are deleted from the {}.",
            row.id,
            if row.label.is_empty() {
                String::new()
            } else {
                format!(" ({})", row.label)
            },
            row.keyring.describe()
        );
    }
    say!(
        "UPS offers no revocation endpoint: the tokens are gone from this machine, and an access token already handed out stays valid at UPS until it expires (the time UPS gave, `expires_at` in `idm-auth list --json` before the clear)."
    );
    finish(args, &chosen)
}

fn finish(args: &ClearArgs, removed: &[OptIn]) -> Result<()> {
    if !args.json {
        return Ok(());
    }
    let now = Utc::now();
    let rows: Vec<_> = removed.iter().map(|r| render::json_row(r, now)).collect();
    print_json(&rows)
}

fn confirm(rows: &[OptIn]) -> Result<bool> {
    let ids: Vec<&str> = rows.iter().map(|r| r.id.as_str()).collect();
    // The question is asked even with --quiet: it needs an answer.
    eprint!(
        "Clear {} opt-in{} ({})? Nothing on this machine will be able to act for {} afterwards. [y/N] ",
        rows.len(),
        if rows.len() == 1 { "" } else { "s" },
        ids.join(", "),
        if rows.len() == 1 { "that user" } else { "those users" },
    );
    let _ = std::io::stderr().flush();
    let mut answer = String::new();
    std::io::stdin()
        .lock()
        .read_line(&mut answer)
        .map_err(|e| Error::Other(format!("cannot read the answer: {e}")))?;
    Ok(matches!(
        answer.trim().to_ascii_lowercase().as_str(),
        "y" | "yes"
    ))
}
