//! The config file: `$XDG_CONFIG_HOME/idm-auth/config.toml`, with named profiles. A profile
//! holds what an admin would otherwise type on every `authorize` (environment or base URL,
//! client id, redirect URI or port, default label). The client secret never goes in this
//! file: `idm-auth config set-secret` keeps it in the OS keyring.
//!
//! ```toml
//! default_profile = "cie"
//!
//! [profiles.cie]
//! environment = "cie"
//! client_id = "AbC123"
//! port = 8765
//!
//! [profiles.prod]
//! environment = "production"
//! client_id = "XyZ789"
//! redirect_uri = "http://127.0.0.1:9000/callback"
//! label = "production desk"
//! ```

use crate::error::{Error, Result};
use crate::names::{EnvName, StoreName};
use serde::Deserialize;
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ConfigFile {
    pub default_profile: Option<String>,
    #[serde(default)]
    pub profiles: BTreeMap<String, Profile>,
}

#[derive(Debug, Default, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Profile {
    pub environment: Option<EnvName>,
    pub base_url: Option<String>,
    pub client_id: Option<String>,
    pub redirect_uri: Option<String>,
    pub port: Option<u16>,
    pub label: Option<String>,
    /// `keyring`, `file` or `vault` (README: Stores).
    pub store: Option<StoreName>,
    pub vault_addr: Option<String>,
    pub vault_mount: Option<String>,
    pub vault_prefix: Option<String>,
}

pub fn path() -> Result<PathBuf> {
    dirs::config_dir()
        .map(|d| d.join("idm-auth").join("config.toml"))
        .ok_or_else(|| {
            Error::Config("cannot find a config directory: set HOME or XDG_CONFIG_HOME".into())
        })
}

/// The file at `path`, or an empty configuration when there is none.
pub fn load(path: &Path) -> Result<ConfigFile> {
    let text = match std::fs::read_to_string(path) {
        Ok(t) => t,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(ConfigFile::default()),
        Err(e) => {
            return Err(Error::Config(format!(
                "cannot read {}: {e}",
                path.display()
            )))
        }
    };
    parse(&text).map_err(|why| Error::Config(format!("{}: {why}", path.display())))
}

fn parse(text: &str) -> std::result::Result<ConfigFile, String> {
    // Say plainly why a secret is refused, rather than "unknown field".
    if let Ok(raw) = text.parse::<toml::Table>() {
        let has_secret = |t: &toml::Table| t.contains_key("client_secret");
        let in_profile = raw
            .get("profiles")
            .and_then(|p| p.as_table())
            .is_some_and(|ps| ps.values().filter_map(|p| p.as_table()).any(has_secret));
        if has_secret(&raw) || in_profile {
            return Err(
                "a client secret must not be kept in the config file; remove it and run `idm-auth config set-secret` (it goes to the OS keyring)".into(),
            );
        }
    }
    toml::from_str(text).map_err(|e| e.message().to_string())
}

/// The profile in force: `--profile`, else IDM_AUTH_PROFILE (`env`), else the file's
/// default. Returns its name (if any) and where the name came from.
pub fn select(
    file: &ConfigFile,
    flag: Option<&str>,
    env: Option<String>,
) -> Result<Option<(String, Profile, &'static str)>> {
    let (name, source) = match (flag, env, &file.default_profile) {
        (Some(f), _, _) => (f.to_string(), "--profile"),
        (None, Some(e), _) => (e, "IDM_AUTH_PROFILE"),
        (None, None, Some(d)) => (d.clone(), "config file default_profile"),
        (None, None, None) => return Ok(None),
    };
    match file.profiles.get(&name) {
        Some(profile) => Ok(Some((name, profile.clone(), source))),
        None => Err(Error::Config(format!(
            "no profile `{name}` in the config file (from {source}); known: {}",
            if file.profiles.is_empty() {
                "none".to_string()
            } else {
                file.profiles.keys().cloned().collect::<Vec<_>>().join(", ")
            }
        ))),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_profiles() {
        let file = parse(
            "default_profile = \"a\"\n[profiles.a]\nenvironment = \"production\"\nclient_id = \"x\"\nport = 9000\n",
        )
        .unwrap();
        let (name, profile, source) = select(&file, None, None).unwrap().unwrap();
        assert_eq!(
            (name.as_str(), source),
            ("a", "config file default_profile")
        );
        assert_eq!(profile.environment, Some(EnvName::Production));
        assert_eq!(profile.port, Some(9000));
        assert!(select(&file, Some("b"), None).is_err());
    }

    #[test]
    fn refuses_a_secret_and_unknown_keys() {
        let e = parse("[profiles.a]\nclient_secret = \"s\"\n").unwrap_err();
        assert!(e.contains("config set-secret"), "{e}");
        assert!(!e.contains("\"s\""));
        assert!(parse("[profiles.a]\nclient_idd = \"x\"\n").is_err());
    }
}
