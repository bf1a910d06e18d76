//! `idm-auth clear ID... | --all [--yes]`: dissolve opt-ins. UPS has no revocation endpoint,
//! so this deletes the tokens from this machine; the last access token lapses at UPS on its
//! own expiry, and with the refresh token gone nothing here can act for the user again.
//! Like `authorize` and `token`, it first finishes what interrupted runs left behind.

use crate::cli::ClearArgs;
use crate::commands::{find, of_profile};
use crate::context::Ctx;
use crate::error::{Error, Result};
use crate::opt_in::OptIn;
use crate::public_client;
use crate::render;
use crate::say;

pub fn run(ctx: &Ctx, args: &ClearArgs, profile: Option<&str>) -> Result<()> {
    let store = ctx.store()?;
    let (rows, notes) = store.repaired_rows()?;
    for note in notes {
        say!(ctx, "note: {note}");
    }
    let mut chosen: Vec<OptIn> = Vec::new();
    if args.all {
        chosen = of_profile(rows, profile);
    } else {
        for wanted in &args.ids {
            match find(&rows, wanted) {
                Ok(row) if !chosen.iter().any(|c| c.id == row.id) => chosen.push(row.clone()),
                Ok(_) => {}
                // Clearing is idempotent: what is already gone is not an error.
                Err(Error::NotFound(_)) => {
                    say!(ctx, "No opt-in `{wanted}` here (already cleared?).")
                }
                Err(e) => return Err(e),
            }
        }
    }
    if chosen.is_empty() {
        say!(ctx, "Nothing to clear.");
        return finish(ctx, args, &[]);
    }
    if !args.yes && ctx.stdin_is_tty() && !confirm(ctx, &chosen)? {
        return Err(Error::Cancelled);
    }
    for row in &chosen {
        store.remove(row)?;
        say!(
            ctx,
            "Cleared {}{}: its tokens are deleted from the {}.",
            row.id,
            if row.label.is_empty() {
                String::new()
            } else {
                format!(" ({})", row.label)
            },
            row.secrets_in.describe()
        );
    }
    say!(ctx,
        "UPS offers no revocation endpoint: the tokens are gone from this machine, and an access token already handed out stays valid at UPS until it expires (the time UPS gave, `expires_at` in `idm-auth list --json` before the clear)."
    );
    finish(ctx, args, &chosen)
}

fn finish(ctx: &Ctx, args: &ClearArgs, removed: &[OptIn]) -> Result<()> {
    if !args.json {
        return Ok(());
    }
    let view = public_client::view(ctx);
    let rows: Vec<_> = removed.iter().map(|r| render::json_row(r, view)).collect();
    ctx.print_json(&rows)
}

fn confirm(ctx: &Ctx, rows: &[OptIn]) -> Result<bool> {
    let ids: Vec<&str> = rows.iter().map(|r| r.id.as_str()).collect();
    // The question is asked even with --quiet: it needs an answer.
    ctx.write_err(&format!(
        "Clear {} opt-in{} ({})? Nothing on this machine will be able to act for {} afterwards. [y/N] ",
        rows.len(),
        if rows.len() == 1 { "" } else { "s" },
        ids.join(", "),
        if rows.len() == 1 { "that user" } else { "those users" },
    ));
    let answer = ctx.read_line()?;
    Ok(matches!(
        answer.trim().to_ascii_lowercase().as_str(),
        "y" | "yes"
    ))
}
