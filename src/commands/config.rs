//! `idm-auth config show|set-secret|path`: what the settings resolve to and where each value
//! came from; the profile's client secret into the OS keyring (never into the file).

use crate::cli::{ConfigCommand, SettingFlags};
use crate::config;
use crate::context::Ctx;
use crate::error::{Error, Result};
use crate::say;
use crate::settings::{self, Source};
use crate::store::SecretString;
use serde::Serialize;

pub fn run(ctx: &Ctx, command: &ConfigCommand, profile: Option<&str>) -> Result<()> {
    match command {
        ConfigCommand::Show { json } => show(ctx, profile, *json),
        ConfigCommand::SetSecret => set_secret(ctx, profile),
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
    let (store, store_source) = crate::store::choice::chosen(ctx, ctx.store_choice().0, profile)?;
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

fn set_secret(ctx: &Ctx, profile: Option<&str>) -> Result<()> {
    let path = ctx.config_path()?;
    let file = config::load(&path)?;
    let (name, _, _) =
        config::select(&file, profile, ctx.var("IDM_AUTH_PROFILE"))?.ok_or_else(|| {
            Error::Config(format!(
                "set-secret needs a profile: pass --profile NAME (profiles live in {})",
                path.display()
            ))
        })?;
    let secret = if ctx.stdin_is_tty() {
        rpassword::prompt_password(format!("Client secret for profile {name}: "))
            .map_err(|e| Error::Config(format!("cannot read the secret: {e}")))?
    } else {
        ctx.read_line()
            .map_err(|e| Error::Config(format!("cannot read the secret from stdin: {e}")))?
    };
    if secret.is_empty() {
        return Err(Error::Config("no secret given; nothing was stored".into()));
    }
    let (kept_in, note) = ctx
        .store()?
        .set_profile_secret(&name, &SecretString::from(secret))?;
    if let Some(note) = note {
        say!(ctx, "note: {note}");
    }
    say!(
        ctx,
        "The client secret of profile {name} is kept in the {kept_in}."
    );
    Ok(())
}
