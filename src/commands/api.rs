//! `idm-auth api [ID] PATH`: one call to a UPS API with an opt-in's token, as `gh api` calls
//! GitHub's. The pieces live in api/ (target, fields, exchange, answer); this only joins them.

use crate::api::{self, Tokens};
use crate::cli::ApiArgs;
use crate::commands::{refreshed_token, usable_token};
use crate::context::Ctx;
use crate::error::{Error, Result};
use crate::store::Token;

pub fn run(
    ctx: &Ctx,
    args: &ApiArgs,
    profile_flag: Option<&str>,
    filter: Option<&str>,
) -> Result<()> {
    let transaction_src =
        crate::settings::transaction_src(ctx, args.transaction_src.as_deref(), profile_flag)?;
    // clap cannot have an optional positional before a required one: PATH alone comes as ID.
    let (id, path) = match (&args.id, &args.path) {
        (Some(id), Some(path)) => (Some(id.as_str()), path.as_str()),
        (Some(path), None) => (None, path.as_str()),
        (None, _) => {
            return Err(Error::Usage(
                "give the API PATH, e.g. `idm-auth api /track/v1/details/1Z12345E0205271688`"
                    .into(),
            ))
        }
    };
    let request = api::Request::from_args(ctx, args, path, transaction_src)?;
    let tokens = OptInTokens { ctx, id, filter };
    let answer = api::call(ctx, &request, &tokens)?;
    api::answer::show(ctx, answer, &request.output)
}

/// Tokens as `token` hands them out, and `api`'s one forced refresh.
struct OptInTokens<'a> {
    ctx: &'a Ctx,
    id: Option<&'a str>,
    filter: Option<&'a str>,
}

impl Tokens for OptInTokens<'_> {
    fn token(&self) -> Result<Token> {
        usable_token(self.ctx, self.id, self.filter)
    }

    fn refreshed(&self, refused: &Token) -> Result<Token> {
        refreshed_token(self.ctx, refused)
    }
}
