//! `idm-auth list [--json]`: reads the index only; never the keyring, never the network.

use crate::cli::ListArgs;
use crate::error::Result;
use crate::output::print;
use crate::render;
use crate::store::Index;
use chrono::Utc;

pub fn run(args: &ListArgs, index: &Index) -> Result<()> {
    let rows = index.load()?;
    let now = Utc::now();
    if args.json {
        return print(&render::json(&rows, now));
    }
    if rows.is_empty() {
        return print("No opt-ins on this machine yet. Run `idm-auth authorize` to make one.\n");
    }
    print(&render::grid(&rows, now))
}
