//! The config file: `$XDG_CONFIG_HOME/idm-auth/config.toml`, with named profiles. A profile
//! holds what an admin would otherwise type on every `authorize` (environment or base URL,
//! client id, redirect URI or port, default label). The client secret never goes in this
//! file: `idm-auth config set-secret` keeps it in the store (the OS keyring by default).
//! `config init`, `config set` and `config unset` write the file through [`edit`], which
//! checks the result by the same rules as reading and replaces the file atomically (the
//! file is written anew, so comments in it are not kept).
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
    /// `api`'s `transactionSrc` header (README: Calling UPS APIs).
    pub transaction_src: Option<String>,
    /// The file store's key, when `IDM_AUTH_KEY_FILE` does not name one.
    pub key_file: Option<PathBuf>,
}

/// The keys a profile holds, as `config set` names them.
pub const PROFILE_KEYS: [&str; 12] = [
    "environment",
    "base_url",
    "client_id",
    "redirect_uri",
    "port",
    "label",
    "transaction_src",
    "store",
    "vault_addr",
    "vault_mount",
    "vault_prefix",
    "key_file",
];

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
            "no profile `{name}` in the config file (from {source}); make it with `idm-auth --profile {name} config init`; known: {}",
            if file.profiles.is_empty() {
                "none".to_string()
            } else {
                file.profiles.keys().cloned().collect::<Vec<_>>().join(", ")
            }
        ))),
    }
}

/// Change the file at `path` as a TOML table (an empty one when there is no file), check the
/// result by the rules [`load`] applies, and replace the file atomically. Nothing is
/// written when `change` or the check fails.
pub fn edit<T>(path: &Path, change: impl FnOnce(&mut toml::Table) -> Result<T>) -> Result<T> {
    let text = match std::fs::read_to_string(path) {
        Ok(t) => t,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => String::new(),
        Err(e) => {
            return Err(Error::Config(format!(
                "cannot read {}: {e}",
                path.display()
            )))
        }
    };
    let mut table: toml::Table = text.parse().map_err(|e: toml::de::Error| {
        Error::Config(format!("{}: {}", path.display(), e.message()))
    })?;
    let result = change(&mut table)?;
    let written = write_toml(&table)?;
    parse(&written).map_err(|why| Error::Config(why.to_string()))?;
    replace_file(path, &written)?;
    Ok(result)
}

/// The profile `name`'s table in `table`, made when missing.
pub fn profile_table<'a>(table: &'a mut toml::Table, name: &str) -> Result<&'a mut toml::Table> {
    let profiles = table
        .entry("profiles")
        .or_insert_with(|| toml::Value::Table(toml::Table::new()))
        .as_table_mut()
        .ok_or_else(|| Error::Config("`profiles` in the config file is not a table".into()))?;
    profiles
        .entry(name)
        .or_insert_with(|| toml::Value::Table(toml::Table::new()))
        .as_table_mut()
        .ok_or_else(|| Error::Config(format!("profile `{name}` is not a table")))
}

/// The file's text: the top-level keys, then one `[profiles."NAME"]` table each. Only the
/// shapes this file has (strings, numbers, booleans) are written.
fn write_toml(table: &toml::Table) -> Result<String> {
    let mut out = String::new();
    let empty = toml::Table::new();
    for (key, value) in table.iter().filter(|(k, _)| *k != "profiles") {
        out.push_str(&format!("{} = {}\n", key_text(key), scalar(key, value)?));
    }
    let profiles = match table.get("profiles") {
        Some(toml::Value::Table(p)) => p,
        Some(_) => return Err(Error::Config("`profiles` is not a table".into())),
        None => &empty,
    };
    for (name, profile) in profiles {
        let profile = profile
            .as_table()
            .ok_or_else(|| Error::Config(format!("profile `{name}` is not a table")))?;
        out.push_str(&format!("\n[profiles.{}]\n", key_text(name)));
        for (key, value) in profile {
            out.push_str(&format!("{} = {}\n", key_text(key), scalar(key, value)?));
        }
    }
    Ok(out)
}

fn scalar(key: &str, value: &toml::Value) -> Result<String> {
    match value {
        toml::Value::String(s) => Ok(quoted(s)),
        toml::Value::Integer(n) => Ok(n.to_string()),
        toml::Value::Boolean(b) => Ok(b.to_string()),
        _ => Err(Error::Config(format!(
            "`{key}` in the config file is not a plain value"
        ))),
    }
}

/// A key bare where TOML allows it (letters, digits, `_`, `-`), else quoted.
fn key_text(key: &str) -> String {
    let bare = !key.is_empty()
        && key
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'_' || b == b'-');
    match bare {
        true => key.to_string(),
        false => quoted(key),
    }
}

/// A TOML basic string.
fn quoted(text: &str) -> String {
    let mut out = String::from("\"");
    for c in text.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            c if c.is_control() => out.push_str(&format!("\\u{:04X}", c as u32)),
            c => out.push(c),
        }
    }
    out.push('"');
    out
}

/// Write `text` next to `path` and rename it over `path`, so a reader sees the old file or
/// the new one, never half of one.
fn replace_file(path: &Path, text: &str) -> Result<()> {
    let fail = |e: std::io::Error| Error::Config(format!("cannot write {}: {e}", path.display()));
    if let Some(dir) = path.parent() {
        std::fs::create_dir_all(dir).map_err(fail)?;
    }
    let mut name = path.as_os_str().to_owned();
    name.push(format!(".{}.tmp", std::process::id()));
    let temporary = PathBuf::from(name);
    let written = std::fs::write(&temporary, text).and_then(|_| std::fs::rename(&temporary, path));
    if let Err(e) = written {
        let _ = std::fs::remove_file(&temporary);
        return Err(fail(e));
    }
    Ok(())
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

    #[test]
    fn what_edit_writes_reads_back_the_same() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("idm-auth/config.toml");
        edit(&path, |t| {
            t.insert("default_profile".into(), "we\"ird\\ name".into());
            let p = profile_table(t, "we\"ird\\ name")?;
            p.insert("client_id".into(), "AbC\u{7}123".into());
            p.insert("port".into(), toml::Value::Integer(9000));
            Ok(())
        })
        .unwrap();
        let file = load(&path).unwrap();
        let (name, profile, _) = select(&file, None, None).unwrap().unwrap();
        assert_eq!(name, "we\"ird\\ name");
        assert_eq!(profile.client_id.as_deref(), Some("AbC\u{7}123"));
        assert_eq!(profile.port, Some(9000));
        // A value the reader would refuse is never written.
        let before = std::fs::read(&path).unwrap();
        let refused = edit(&path, |t| {
            profile_table(t, "x")?.insert("environment".into(), "staging".into());
            Ok(())
        });
        assert!(refused.is_err());
        assert_eq!(std::fs::read(&path).unwrap(), before);
    }
}
