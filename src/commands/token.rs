//! `idm-auth token [ID]`: a valid access token on stdout and nothing else. The store reads it
//! (the kernel-keyring cache, else the OS keyring), or refreshes it first when it has less
//! than a minute left, one process at a time (store/local.rs), so parallel scripts cause one
//! refresh, not a burnt refresh-token family.

use crate::cli::TokenArgs;
use crate::commands::usable_token;
use crate::context::Ctx;
use crate::error::Result;
use crate::store::ExposeSecret;
use chrono::SecondsFormat;
use serde::Serialize;

/// `token --json`: what a program that caches the token needs to know when to ask again.
#[derive(Serialize)]
struct Json<'a> {
    access_token: &'a str,
    token_type: &'static str,
    /// RFC 3339 in UTC: the expiry UPS gave.
    expires_at: String,
    /// Seconds from now to `expires_at`.
    expires_in: i64,
    id: &'a str,
    base_url: &'a str,
}

pub fn run(ctx: &Ctx, args: &TokenArgs, profile: Option<&str>) -> Result<()> {
    let token = usable_token(ctx, args.id.as_deref(), profile)?;
    if !args.json {
        return ctx.print(&format!("{}\n", token.token.expose_secret()));
    }
    let expires_at = token.row.expires_at;
    ctx.print_json(&Json {
        access_token: token.token.expose_secret(),
        token_type: "Bearer",
        expires_at: expires_at.to_rfc3339_opts(SecondsFormat::Secs, true),
        expires_in: (expires_at - ctx.now()).num_seconds().max(0),
        id: &token.row.id,
        base_url: &token.row.base_url,
    })
}
