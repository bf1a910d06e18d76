//! `idm-auth list [--json]`: reads the index only; never the keyring, never the network.

use crate::cli::ListArgs;
use crate::commands::of_profile;
use crate::context::Ctx;
use crate::error::Result;
use crate::public_client;
use crate::render;
use crate::say;

pub fn run(ctx: &Ctx, args: &ListArgs, profile: Option<&str>) -> Result<()> {
    let rows = of_profile(ctx.store()?.rows()?, profile);
    let view = public_client::view(ctx);
    if args.json {
        return ctx.print(&render::json(&rows, view));
    }
    if rows.is_empty() {
        // Talk, not a result: stdout stays empty, and --quiet silences it.
        say!(
            ctx,
            "No opt-ins on this machine yet. Run `idm-auth authorize` to make one."
        );
        return Ok(());
    }
    ctx.print(&render::grid(&rows, view, ctx.stdout_color()))
}
