//! `idm-auth config show|set-secret|path`: what the settings resolve to and where each value
//! came from; the profile's client secret into the OS keyring (never into the file).

use crate::cli::{AuthorizeArgs, ConfigCommand, EnvName};
use crate::config;
use crate::error::{Error, Result};
use crate::output::{print, print_json};
use crate::say;
use crate::settings::{self, default_redirect_uri, Source, DEFAULT_PORT};
use crate::store::{SecretString, Store};
use crate::ups;
use serde::Serialize;
use std::io::{BufRead, IsTerminal};

pub fn run(command: &ConfigCommand, profile: Option<&str>, store: &dyn Store) -> Result<()> {
    match command {
        ConfigCommand::Show { json } => show(profile, *json, store),
        ConfigCommand::SetSecret => set_secret(profile, store),
        ConfigCommand::Path => print(&format!("{}\n", config::path()?.display())),
    }
}

#[derive(Serialize)]
struct Row {
    name: &'static str,
    value: Option<String>,
    source: String,
}

fn no_flags() -> AuthorizeArgs {
    AuthorizeArgs {
        label: None,
        env: None,
        base_url: None,
        client_id: None,
        client_secret_stdin: false,
        port: None,
        redirect_uri: None,
        timeout: 300,
        no_browser: false,
        json: false,
    }
}

fn show(profile: Option<&str>, json: bool, store: &dyn Store) -> Result<()> {
    let layers = settings::layers(&no_flags(), profile)?;
    let row = |name, value: Option<String>, source: Source| Row {
        name,
        value,
        source: source.to_string(),
    };
    let env = layers.environment.clone();
    let env_name = |e: EnvName| match e {
        EnvName::Cie => "cie",
        EnvName::Production => "production",
    };
    let base_url = match &layers.base_url {
        Some(b) => row("base_url", Some(b.value.clone()), b.source.clone()),
        None => {
            let url = match env.as_ref().map(|e| e.value) {
                Some(EnvName::Production) => ups::PRODUCTION_BASE_URL,
                _ => ups::CIE_BASE_URL,
            };
            row("base_url", Some(url.into()), Source::Default)
        }
    };
    let redirect = match (&layers.redirect_uri, &layers.port) {
        (Some(r), _) => row("redirect_uri", Some(r.value.clone()), r.source.clone()),
        (None, Some(p)) => row(
            "redirect_uri",
            Some(default_redirect_uri(p.value)),
            p.source.clone(),
        ),
        (None, None) => row(
            "redirect_uri",
            Some(default_redirect_uri(DEFAULT_PORT)),
            Source::Default,
        ),
    };
    let secret = match (&layers.client_secret, layers.secret_from_keyring(store)?) {
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
    let rows = vec![
        sourced("profile", layers.profile.clone()),
        match env {
            Some(e) => row("environment", Some(env_name(e.value).into()), e.source),
            None => row("environment", Some("cie".into()), Source::Default),
        },
        base_url,
        sourced("client_id", layers.client_id.clone()),
        secret,
        redirect,
        sourced("label", layers.label.clone()),
    ];
    let path = config::path()?;
    if json {
        #[derive(Serialize)]
        struct Shown {
            config_file: String,
            config_file_exists: bool,
            settings: Vec<Row>,
        }
        return print_json(&Shown {
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
    print(&out)
}

fn set_secret(profile: Option<&str>, store: &dyn Store) -> Result<()> {
    let file = config::load()?;
    let (name, _, _) = config::select(&file, profile)?.ok_or_else(|| {
        Error::Config(format!(
            "set-secret needs a profile: pass --profile NAME (profiles live in {})",
            config::path()
                .map(|p| p.display().to_string())
                .unwrap_or_default()
        ))
    })?;
    let secret = if std::io::stdin().is_terminal() {
        rpassword::prompt_password(format!("Client secret for profile {name}: "))
            .map_err(|e| Error::Config(format!("cannot read the secret: {e}")))?
    } else {
        let mut line = String::new();
        std::io::stdin()
            .lock()
            .read_line(&mut line)
            .map_err(|e| Error::Config(format!("cannot read the secret from stdin: {e}")))?;
        line.trim_end_matches(['\r', '\n']).to_string()
    };
    if secret.is_empty() {
        return Err(Error::Config("no secret given; nothing was stored".into()));
    }
    let (kept_in, note) = store.set_profile_secret(&name, &SecretString::from(secret))?;
    if let Some(note) = note {
        say!("note: {note}");
    }
    say!("The client secret of profile {name} is kept in the {kept_in}.");
    Ok(())
}
