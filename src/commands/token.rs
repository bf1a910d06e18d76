//! `idm-auth token [ID]`: a valid access token on stdout and nothing else. The store reads it
//! (the kernel-keyring cache, else the OS keyring), or refreshes it first when it has less
//! than a minute left, one process at a time (store/local.rs), so parallel scripts cause one
//! refresh, not a burnt refresh-token family.

use crate::cli::TokenArgs;
use crate::commands::usable_token;
use crate::context::Ctx;
use crate::error::Result;
use crate::store::ExposeSecret;

pub fn run(ctx: &Ctx, args: &TokenArgs, profile: Option<&str>) -> Result<()> {
    let token = usable_token(ctx, args.id.as_deref(), profile)?;
    ctx.print(&format!("{}\n", token.token.expose_secret()))
}
