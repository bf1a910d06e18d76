//! Which store a command works on: `--store`, else `IDM_AUTH_STORE`, else `store` in the
//! profile, else the OS keyring; and opening it. The keyring and file stores share the
//! index (store/local.rs); the Vault store keeps its rows in Vault (store/vault.rs).

use super::vault::VaultStore;
use super::vault_kv::{Kv, VaultProfile, VaultSettings};
use super::{Index, LocalStore, Store};
use crate::cli::StoreName;
use crate::config;
use crate::context::Ctx;
use crate::error::{Error, Result};

/// The store chosen by the flag, the environment of `ctx` and the profile `profile_flag`
/// selects.
pub fn open(
    ctx: &Ctx,
    flag: Option<StoreName>,
    profile_flag: Option<&str>,
) -> Result<Box<dyn Store>> {
    // The config file is read only when the flag and the environment leave it open, or the
    // Vault store needs its keys.
    let profile = || -> Result<config::Profile> {
        let file = config::load(&ctx.config_path()?)?;
        Ok(
            config::select(&file, profile_flag, ctx.var("IDM_AUTH_PROFILE"))?
                .map(|(_, profile, _)| profile)
                .unwrap_or_default(),
        )
    };
    let kind = match (flag, ctx.var("IDM_AUTH_STORE")) {
        (Some(kind), _) => kind,
        (None, Some(raw)) => parse(&raw)?,
        (None, None) => profile()?.store.unwrap_or(StoreName::Keyring),
    };
    let index = Index::default_location()?;
    let timeout = ctx.keyring_timeout();
    match kind {
        StoreName::Keyring => Ok(Box::new(LocalStore::new(index, timeout))),
        StoreName::File => Ok(Box::new(LocalStore::with_file_store(index, timeout))),
        StoreName::Vault => {
            let profile = profile()?;
            let vault = VaultProfile {
                addr: profile.vault_addr,
                mount: profile.vault_mount,
                prefix: profile.vault_prefix,
            };
            let settings = VaultSettings::resolve(&vault, |name| ctx.var(name), dirs::home_dir())?;
            let path = index.path();
            let data_dir = path.parent().unwrap_or(&path);
            Ok(Box::new(VaultStore::new(Kv::connect(settings)?, data_dir)))
        }
    }
}

fn parse(raw: &str) -> Result<StoreName> {
    match raw.trim().to_ascii_lowercase().as_str() {
        "keyring" => Ok(StoreName::Keyring),
        "file" => Ok(StoreName::File),
        "vault" => Ok(StoreName::Vault),
        other => Err(Error::Config(format!(
            "IDM_AUTH_STORE=`{other}`: expected `keyring`, `file` or `vault`"
        ))),
    }
}
