//! `idm-auth list [--json]`: reads the index only; never the keyring, never the network.

use crate::cli::ListArgs;
use crate::commands::of_profile;
use crate::error::Result;
use crate::output::{print, stdout_color};
use crate::render;
use crate::store::Store;

pub fn run(args: &ListArgs, profile: Option<&str>, store: &dyn Store) -> Result<()> {
    let rows = of_profile(store.rows()?, profile);
    let now = crate::clock::now();
    if args.json {
        return print(&render::json(&rows, now));
    }
    if rows.is_empty() {
        return print("No opt-ins on this machine yet. Run `idm-auth authorize` to make one.\n");
    }
    print(&render::grid(&rows, now, stdout_color()))
}
