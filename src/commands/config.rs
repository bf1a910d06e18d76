//! `idm-auth config show|path`: what the settings resolve to and where each value came from;
//! the commands that change profiles and their secrets are in profile.rs.

use crate::cli::{ConfigCommand, SettingFlags};
use crate::commands::profile;
use crate::context::Ctx;
use crate::error::Result;
use crate::names::StoreName;
use crate::settings::{self, Source};
use serde::Serialize;

pub fn run(
    ctx: &Ctx,
    command: &ConfigCommand,
    profile: Option<&str>,
    store: Option<StoreName>,
) -> Result<()> {
    match command {
        ConfigCommand::Show { json } => show(ctx, profile, *json),
        ConfigCommand::Init(args) => profile::init(ctx, args, profile, store),
        ConfigCommand::Set { key, value } => profile::set(ctx, profile, key, value),
        ConfigCommand::Unset { key } => profile::unset(ctx, profile, key),
        ConfigCommand::SetSecret => profile::set_secret(ctx, profile),
        ConfigCommand::DeleteSecret => profile::delete_secret(ctx, profile),
        ConfigCommand::Path => ctx.print(&format!("{}\n", ctx.config_path()?.display())),
    }
}

#[derive(Serialize)]
struct Row {
    name: &'static str,
    value: Option<String>,
    source: String,
}

fn show(ctx: &Ctx, profile: Option<&str>, json: bool) -> Result<()> {
    // What `authorize` would use with no flags given.
    let layers = settings::layers(ctx, &SettingFlags::default(), profile)?;
    let row = |name, value: Option<String>, source: Source| Row {
        name,
        value,
        source: source.to_string(),
    };
    let environment = layers.environment();
    let env_name = environment.value.name();
    let base_url = layers.base_url();
    let redirect = layers.redirect_uri();
    let from_keyring = layers.secret_from_keyring(ctx.store()?)?;
    let secret = match (&layers.client_secret, from_keyring) {
        (Some(source), _) => row("client_secret", Some("set".into()), source.clone()),
        (None, Some((_, source))) => row("client_secret", Some("set".into()), source),
        (None, None) => row(
            "client_secret",
            Some("unset (PKCE public client)".into()),
            Source::Default,
        ),
    };
    let sourced = |name, s: Option<settings::Sourced<String>>| match s {
        Some(s) => row(name, Some(s.value), s.source),
        None => row(name, None, Source::Default),
    };
    let (store, store_source) = crate::store_choice::chosen(ctx, ctx.store_choice().0, profile)?;
    let rows = vec![
        sourced("profile", layers.profile.clone()),
        row("store", Some(store.name().into()), store_source),
        row("environment", Some(env_name.into()), environment.source),
        row("base_url", Some(base_url.value), base_url.source),
        sourced("client_id", layers.client_id.clone()),
        secret,
        row("redirect_uri", Some(redirect.value), redirect.source),
        sourced("label", layers.label.clone()),
    ];
    let path = ctx.config_path()?;
    if json {
        #[derive(Serialize)]
        struct Shown {
            config_file: String,
            config_file_exists: bool,
            settings: Vec<Row>,
        }
        return ctx.print_json(&Shown {
            config_file: path.display().to_string(),
            config_file_exists: path.exists(),
            settings: rows,
        });
    }
    let mut out = format!(
        "config file    {}{}\n",
        path.display(),
        if path.exists() { "" } else { " (not present)" }
    );
    for r in rows {
        out.push_str(&format!(
            "{:<14} {:<40} ({})\n",
            r.name,
            r.value.as_deref().unwrap_or("-"),
            r.source
        ));
    }
    ctx.print(&out)
}
