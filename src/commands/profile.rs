//! `idm-auth config init|set|unset|set-secret|delete-secret`: make and change profiles
//! without editing the file by hand, and keep or drop a profile's client secret in the store
//! (never in the file). Which profile: `--profile`, else IDM_AUTH_PROFILE, else the file's
//! `default_profile`; with none at all, `default` is made and becomes the default, so a
//! newcomer's first `config init` or `config set-secret` simply works.

use crate::cli::InitArgs;
use crate::config::{self, PROFILE_KEYS};
use crate::context::Ctx;
use crate::error::{Error, Result};
use crate::names::StoreName;
use crate::say;
use crate::settings;
use crate::store::SecretString;
use toml::Value;

/// The profile a first profile gets when none is named.
const FIRST_PROFILE: &str = "default";

/// Which profile a command changes, and whether it must be made first.
struct Target {
    name: String,
    exists: bool,
}

/// The profile named by the flag or IDM_AUTH_PROFILE, else the file's default, else
/// `default` when the file has no profile at all. `make` allows a missing one.
fn target(ctx: &Ctx, flag: Option<&str>, make: bool) -> Result<Target> {
    let path = ctx.config_path()?;
    let file = config::load(&path)?;
    let named = flag
        .map(str::to_owned)
        .or_else(|| ctx.var("IDM_AUTH_PROFILE"))
        .or_else(|| file.default_profile.clone());
    let name = match named {
        Some(name) => name,
        None if file.profiles.is_empty() => FIRST_PROFILE.to_string(),
        None => {
            return Err(Error::Config(format!(
                "no profile chosen and no default_profile in {}: pass --profile NAME (known: {}), or make one the default: `idm-auth config set default_profile NAME`",
                path.display(),
                file.profiles.keys().cloned().collect::<Vec<_>>().join(", ")
            )))
        }
    };
    let exists = file.profiles.contains_key(&name);
    if !exists && !make {
        return Err(Error::Config(format!(
            "no profile `{name}` in {}: make it with `idm-auth --profile {name} config init`",
            path.display()
        )));
    }
    Ok(Target { name, exists })
}

/// Write `values` into profile `name` (made when missing; the default when there is none).
fn write_profile(ctx: &Ctx, name: &str, values: Vec<(&str, Value)>) -> Result<bool> {
    config::edit(&ctx.config_path()?, |table| {
        let first = !table.contains_key("default_profile");
        if first {
            table.insert("default_profile".into(), name.into());
        }
        let profile = config::profile_table(table, name)?;
        for (key, value) in values {
            profile.insert(key.into(), value);
        }
        Ok(first)
    })
}

/// A key's value as the file holds it, checked as `authorize` would check it.
fn value_of(key: &str, raw: &str) -> Result<Value> {
    let bad = |why: String| Error::Config(format!("{key} `{raw}`: {why}"));
    match key {
        "port" => raw
            .trim()
            .parse::<u16>()
            .map(|p| Value::Integer(p.into()))
            .map_err(|_| bad("expected a port number, 1 to 65535".into())),
        "environment" if !matches!(raw, "cie" | "production") => {
            Err(bad("expected `cie` or `production`".into()))
        }
        "store" if !matches!(raw, "keyring" | "file" | "vault") => {
            Err(bad("expected `keyring`, `file` or `vault`".into()))
        }
        "base_url" => Ok(settings::parse_base_url(raw)?.into()),
        "redirect_uri" => {
            settings::check_redirect_uri(raw)?;
            Ok(raw.into())
        }
        _ if PROFILE_KEYS.contains(&key) => Ok(raw.into()),
        _ => Err(Error::Config(format!(
            "no key `{key}`: a profile's keys are {}, and the file's own is default_profile (a client secret goes to `idm-auth config set-secret`)",
            PROFILE_KEYS.join(", ")
        ))),
    }
}

pub fn set(ctx: &Ctx, flag: Option<&str>, key: &str, raw: &str) -> Result<()> {
    let path = ctx.config_path()?;
    if key == "default_profile" {
        config::edit(&path, |table| {
            table.insert(key.into(), raw.into());
            Ok(())
        })?;
        say!(ctx, "default_profile = {raw} in {}.", path.display());
        return Ok(());
    }
    let value = value_of(key, raw)?;
    let target = target(ctx, flag, true)?;
    write_profile(ctx, &target.name, vec![(key, value)])?;
    say!(
        ctx,
        "{key} = {raw} in profile {} ({}).",
        target.name,
        path.display()
    );
    Ok(())
}

pub fn unset(ctx: &Ctx, flag: Option<&str>, key: &str) -> Result<()> {
    let path = ctx.config_path()?;
    if key != "default_profile" && !PROFILE_KEYS.contains(&key) {
        value_of(key, "")?;
    }
    let target = (key != "default_profile")
        .then(|| target(ctx, flag, false))
        .transpose()?;
    let removed = config::edit(&path, |table| match &target {
        None => Ok(table.remove(key).is_some()),
        Some(t) => Ok(config::profile_table(table, &t.name)?.remove(key).is_some()),
    })?;
    let whose = match &target {
        Some(t) => format!("profile {}", t.name),
        None => "the file".into(),
    };
    match removed {
        true => say!(ctx, "{key} removed from {whose} ({}).", path.display()),
        false => say!(ctx, "{whose} had no {key}: nothing changed."),
    }
    Ok(())
}

/// Read a client secret: a hidden prompt on a terminal, else the first line of stdin.
fn read_secret(ctx: &Ctx, prompt: &str) -> Result<String> {
    if ctx.stdin_is_tty() {
        rpassword::prompt_password(prompt)
            .map_err(|e| Error::Config(format!("cannot read the secret: {e}")))
    } else {
        ctx.read_line()
            .map_err(|e| Error::Config(format!("cannot read the secret from stdin: {e}")))
    }
}

/// Keep `secret` for profile `name` in the store; says where it went.
fn keep_secret(ctx: &Ctx, name: &str, secret: &str) -> Result<()> {
    let (kept_in, note) = ctx
        .store()?
        .set_profile_secret(name, &SecretString::from(secret.to_string()))?;
    if let Some(note) = note {
        say!(ctx, "note: {note}");
    }
    say!(
        ctx,
        "The client secret of profile {name} is kept in the {kept_in}."
    );
    Ok(())
}

pub fn set_secret(ctx: &Ctx, flag: Option<&str>) -> Result<()> {
    let target = target(ctx, flag, true)?;
    let secret = read_secret(ctx, &format!("Client secret for profile {}: ", target.name))?;
    if secret.is_empty() {
        return Err(Error::Config("no secret given; nothing was stored".into()));
    }
    if !target.exists {
        write_profile(ctx, &target.name, Vec::new())?;
        say!(
            ctx,
            "Made profile {} in {}.",
            target.name,
            ctx.config_path()?.display()
        );
    }
    keep_secret(ctx, &target.name, &secret)
}

pub fn delete_secret(ctx: &Ctx, flag: Option<&str>) -> Result<()> {
    let target = target(ctx, flag, false)?;
    ctx.store()?.delete_profile_secret(&target.name)?;
    say!(
        ctx,
        "Profile {} has no client secret in the store now; new opt-ins with it are made without one (they end with their access token). Opt-ins made before keep theirs until cleared.",
        target.name
    );
    Ok(())
}

/// Ask on the terminal, with a default shown in brackets.
fn ask(ctx: &Ctx, question: &str, default: &str) -> Result<String> {
    ctx.tell(format_args!("{question} [{default}]: "));
    let answer = ctx.read_line()?;
    Ok(match answer.trim() {
        "" => default.to_string(),
        given => given.to_string(),
    })
}

pub fn init(
    ctx: &Ctx,
    args: &InitArgs,
    flag: Option<&str>,
    store: Option<StoreName>,
) -> Result<()> {
    let target = target(ctx, flag, true)?;
    let name = target.name.as_str();
    let path = ctx.config_path()?;
    if target.exists {
        return Err(Error::Config(format!(
            "profile `{name}` is already in {}: change it with `idm-auth --profile {name} config set KEY VALUE`, or name a new one with --profile",
            path.display()
        )));
    }
    let flags = &args.settings;
    let interactive = ctx.stdin_is_tty() && flags.client_id.is_none();
    let mut values: Vec<(&str, Value)> = Vec::new();
    let mut environment = flags.env.map(|e| e.name().to_string());
    let mut client_id = flags.client_id.clone();
    let mut redirect_uri = flags.redirect_uri.clone();
    if interactive {
        ctx.tell(format_args!(
            "A profile `{name}` for your UPS app (its client id and secret are on the app's page at the UPS developer portal)."
        ));
        if environment.is_none() && flags.base_url.is_none() {
            environment = Some(ask(ctx, "UPS environment, cie or production", "cie")?);
        }
        client_id = Some(ask(ctx, "Client id", "")?).filter(|c| !c.is_empty());
        if redirect_uri.is_none() && flags.port.is_none() {
            let default = settings::default_redirect_uri(settings::DEFAULT_PORT);
            let given = ask(ctx, "Callback URL registered for the app", &default)?;
            redirect_uri = (given != default).then_some(given);
        }
    }
    let client_id = client_id.ok_or_else(|| {
        Error::Config(
            "config init needs the app's client id: pass --client-id ID (from the app's page at the UPS developer portal)".into(),
        )
    })?;
    if let Some(env) = &environment {
        values.push(("environment", value_of("environment", env)?));
    }
    if let Some(url) = &flags.base_url {
        values.push(("base_url", value_of("base_url", url)?));
    }
    values.push(("client_id", value_of("client_id", &client_id)?));
    if let Some(uri) = &redirect_uri {
        values.push(("redirect_uri", value_of("redirect_uri", uri)?));
    }
    if let Some(port) = flags.port {
        values.push(("port", Value::Integer(port.into())));
    }
    if let Some(label) = &flags.label {
        values.push(("label", label.as_str().into()));
    }
    if let Some(store) = store {
        values.push(("store", store.name().into()));
    }
    let secret = match (flags.client_secret_stdin, interactive) {
        (true, _) => Some(ctx.read_line()?)
            .filter(|s| !s.is_empty())
            .ok_or_else(|| {
                Error::Config("--client-secret-stdin was given but stdin held no secret".into())
            })?,
        (false, true) => read_secret(
            ctx,
            "Client secret (hidden; scripts need it for refreshes; Enter for none): ",
        )?,
        (false, false) => String::new(),
    };
    let default = write_profile(ctx, name, values)?;
    if !secret.is_empty() {
        if let Err(e) = keep_secret(ctx, name, &secret) {
            // Nothing half-made: the profile goes again when its secret could not be kept.
            let _ = config::edit(&path, |table| {
                if let Some(Value::Table(p)) = table.get_mut("profiles") {
                    p.remove(name);
                }
                if default {
                    table.remove("default_profile");
                }
                Ok(())
            });
            return Err(e);
        }
    }
    say!(
        ctx,
        "Made profile {name}{} in {}.",
        if default {
            " (the default profile)"
        } else {
            ""
        },
        path.display()
    );
    if secret.is_empty() {
        say!(ctx, "No client secret: opt-ins made with it end when their access token expires (UPS offers no refresh without one). Add it with `idm-auth{} config set-secret`.", profile_flag(name, default));
    }
    say!(
        ctx,
        "Next: idm-auth{} authorize --label \"the UPS.com user's name\"",
        profile_flag(name, default)
    );
    Ok(())
}

/// ` --profile NAME` where the profile is not the default one.
fn profile_flag(name: &str, default: bool) -> String {
    match default {
        true => String::new(),
        false => format!(" --profile {name}"),
    }
}
