//! Which store a command works on: `--store`, else `IDM_AUTH_STORE`, else `store` in the
//! profile, else the OS keyring; and opening it. The keyring and file stores share the
//! index (store/local.rs); the Vault store keeps its rows in Vault (store/vault/).

use crate::config;
use crate::context::Ctx;
use crate::error::{Error, Result};
use crate::names::{self, StoreName};
use crate::settings::Source;
use crate::store::secrets::file_key;
use crate::store::vault::kv::{Kv, VaultProfile, VaultSettings};
use crate::store::vault::{host_name, VaultStore};
use crate::store::{Index, LocalStore, Store};

/// The store new opt-ins go to and where that choice came from: the flag, the environment
/// of `ctx`, the profile `profile_flag` selects, or the default.
pub fn chosen(
    ctx: &Ctx,
    flag: Option<StoreName>,
    profile_flag: Option<&str>,
) -> Result<(StoreName, Source)> {
    chosen_from(ctx, flag, selected_profile(ctx, profile_flag)?.as_ref())
}

/// [`chosen`], with the profile already read.
fn chosen_from(
    ctx: &Ctx,
    flag: Option<StoreName>,
    selected: Option<&(String, config::Profile)>,
) -> Result<(StoreName, Source)> {
    if let Some(kind) = flag {
        return Ok((kind, Source::Flag("--store")));
    }
    if let Some(raw) = ctx.var("IDM_AUTH_STORE") {
        return Ok((parse(&raw)?, Source::Env("IDM_AUTH_STORE")));
    }
    Ok(match selected {
        Some((
            name,
            config::Profile {
                store: Some(kind), ..
            },
        )) => (*kind, Source::Profile(name.clone())),
        _ => (StoreName::Keyring, Source::Default),
    })
}

fn selected_profile(
    ctx: &Ctx,
    profile_flag: Option<&str>,
) -> Result<Option<(String, config::Profile)>> {
    let file = config::load(&ctx.config_path()?)?;
    Ok(
        config::select(&file, profile_flag, ctx.var("IDM_AUTH_PROFILE"))?
            .map(|(name, profile, _)| (name, profile)),
    )
}

/// The store the context's command line chose (`Ctx::choose_store`), opened.
pub fn open_chosen(ctx: &Ctx) -> Result<Box<dyn Store>> {
    let (flag, profile) = ctx.store_choice();
    open(ctx, flag, profile.as_deref())
}

/// The chosen store, opened (connecting to nothing yet but Vault's client).
pub fn open(
    ctx: &Ctx,
    flag: Option<StoreName>,
    profile_flag: Option<&str>,
) -> Result<Box<dyn Store>> {
    let index = Index::default_location()?;
    let timeout = ctx.keyring_timeout();
    // The config file is read once, for the store's kind, the file store's key and Vault.
    let selected = selected_profile(ctx, profile_flag)?;
    let (kind, _) = chosen_from(ctx, flag, selected.as_ref())?;
    let profile = selected.map(|(_, profile)| profile).unwrap_or_default();
    // Rows of the file store can be reached from any local store, so its key is located
    // for both: IDM_AUTH_KEY_FILE, else the profile's key_file, else systemd's credential.
    let key = file_key::locate(
        |name| ctx.var(name).map(Into::into),
        profile.key_file.as_deref(),
    )
    .ok();
    match kind {
        StoreName::Keyring => Ok(Box::new(
            LocalStore::new(index, timeout)
                .with_key(key)
                .with_clock(ctx.clock()),
        )),
        StoreName::File => Ok(Box::new(
            LocalStore::with_file_store(index, timeout)
                .with_key(key)
                .with_clock(ctx.clock()),
        )),
        StoreName::Vault => {
            let vault = VaultProfile {
                addr: profile.vault_addr,
                mount: profile.vault_mount,
                prefix: profile.vault_prefix,
            };
            let settings = VaultSettings::resolve(&vault, |name| ctx.var(name), dirs::home_dir())?;
            Ok(Box::new(
                VaultStore::new(Kv::connect(settings)?, &index, ctx.talk())
                    .with_clock(ctx.clock())
                    .with_ups_timeout(ctx.http_timeout())
                    .with_host(host_name(|name| ctx.var(name))),
            ))
        }
    }
}

fn parse(raw: &str) -> Result<StoreName> {
    names::parse_var("IDM_AUTH_STORE", raw).map_err(Error::Config)
}
