//! `idm-auth authorize`: the opt-in. Resolve the settings, read the client secret they name,
//! sign the user in (signin/: bind → prepare → open → wait → exchange → persist), print
//! the new opt-in.

use crate::cli::AuthorizeArgs;
use crate::context::Ctx;
use crate::error::Result;
use crate::public_client;
use crate::render;
use crate::settings::{self, read_client_secret};
use crate::signin::{sign_in, Opener};

pub fn run(ctx: &Ctx, args: &AuthorizeArgs, profile: Option<&str>) -> Result<()> {
    let settings =
        settings::resolve_authorize(ctx, &args.settings, profile, args.timeout, !args.no_browser)?;
    let store = ctx.store()?;
    let client_secret = read_client_secret(ctx, &settings, store)?;
    let opener = if settings.open_browser {
        Opener::Browser
    } else {
        Opener::Paste
    };
    let row = sign_in(ctx, store, &settings, client_secret, opener)?;
    if args.json {
        ctx.print_json(&render::json_row(&row, public_client::view(ctx)))
    } else {
        ctx.print(&format!("{}\n", row.id))
    }
}
