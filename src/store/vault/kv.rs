//! A small client for OpenBao / HashiCorp Vault's KV version 2 engine, on the reqwest already
//! linked (a Vault crate would bring a second one). Only what the Vault store needs: read a
//! record with its version, write with check-and-set, list, destroy every version, and keep
//! the version history short (every old version holds tokens).
//!
//! Settings come the Vault way (`VAULT_ADDR`, `VAULT_TOKEN` else `~/.vault-token`,
//! `VAULT_NAMESPACE`, `VAULT_CACERT`), with the profile's `vault_addr`, `vault_mount`,
//! `vault_prefix`. The token is taken as given (the operator's, or Vault Agent's token sink):
//! no auth method is spoken here. The token never appears in a message: every text that
//! leaves this file goes through `Kv::scrub`.
//!
//! Every failure is exit 9 and comes in seconds: a short connect time-out, a short request
//! time-out and no retries, so a script on a machine whose Vault is down learns it at once.
//!
//! What Vault answers is untrusted: a key (ours or one Vault listed) becomes a request path
//! only when every segment is plain letters, digits, `-` and `_` (URL parsing turns `..` and
//! `%2e%2e` into "go up", which would send the Vault token elsewhere), and an answer that is
//! not Vault's JSON (a proxy's maintenance page, answered 200) is an outage, never "nothing
//! there".

use crate::error::{Error, Result};
use oauth2::reqwest;
use serde_json::{json, Value};
use std::io::Read;
use std::path::PathBuf;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;
use url::Url;
use zeroize::Zeroizing;

const CONNECT_TIMEOUT: Duration = Duration::from_secs(3);
const REQUEST_TIMEOUT: Duration = Duration::from_secs(10);
const MAX_BODY_BYTES: u64 = 1024 * 1024;
pub const DEFAULT_MOUNT: &str = "secret";
pub const DEFAULT_PREFIX: &str = "idm-auth";

/// The profile's Vault keys (config.toml), each optional.
#[derive(Debug, Default, Clone)]
pub struct VaultProfile {
    pub addr: Option<String>,
    pub mount: Option<String>,
    pub prefix: Option<String>,
}

/// Where the Vault store lives and how to reach it, resolved.
#[derive(Clone)]
pub struct VaultSettings {
    pub addr: Url,
    pub mount: String,
    pub prefix: String,
    pub namespace: Option<String>,
    pub ca_cert: Option<PathBuf>,
    token: Zeroizing<String>,
}

impl std::fmt::Debug for VaultSettings {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("VaultSettings")
            .field("addr", &self.addr.as_str())
            .field("mount", &self.mount)
            .field("prefix", &self.prefix)
            .field("namespace", &self.namespace)
            .finish_non_exhaustive()
    }
}

impl VaultSettings {
    /// Environment over profile over defaults. `var` reads the environment; `home` is where
    /// `~/.vault-token` is looked for.
    pub fn resolve(
        profile: &VaultProfile,
        var: impl Fn(&str) -> Option<String>,
        home: Option<PathBuf>,
    ) -> Result<VaultSettings> {
        let set = |v: Option<String>| v.filter(|s| !s.trim().is_empty());
        let raw_addr = set(var("VAULT_ADDR"))
            .or_else(|| set(profile.addr.clone()))
            // A setting, like a VAULT_ADDR that cannot work (exit 3 both), not a store fault.
            .ok_or_else(|| {
                Error::Config(
                    "the vault store has no address: set VAULT_ADDR (or `vault_addr` in the profile)"
                        .into(),
                )
            })?;
        let addr = parse_addr(&raw_addr)?;
        let segment = |value: Option<String>, default: &str, key: &str| -> Result<String> {
            let value = set(value).unwrap_or_else(|| default.to_string());
            let value = value.trim_matches('/').to_string();
            if value.is_empty()
                || value
                    .split('/')
                    .any(|s| s.is_empty() || s == "." || s == "..")
                || value.contains(['?', '#', '%', ' '])
            {
                return Err(Error::Config(format!(
                    "`{key}` = `{value}` is not a Vault path"
                )));
            }
            Ok(value)
        };
        let mount = segment(profile.mount.clone(), DEFAULT_MOUNT, "vault_mount")?;
        let prefix = segment(profile.prefix.clone(), DEFAULT_PREFIX, "vault_prefix")?;
        let token = match set(var("VAULT_TOKEN")) {
            Some(t) => Zeroizing::new(t.trim().to_string()),
            None => read_token_file(home)?,
        };
        Ok(VaultSettings {
            addr,
            mount,
            prefix,
            namespace: set(var("VAULT_NAMESPACE")),
            ca_cert: set(var("VAULT_CACERT")).map(PathBuf::from),
            token,
        })
    }
}

fn read_token_file(home: Option<PathBuf>) -> Result<Zeroizing<String>> {
    let missing = || {
        Error::Keyring(
            "the vault store has no Vault token: set VAULT_TOKEN, or let `vault login` or Vault Agent's token sink write ~/.vault-token".into(),
        )
    };
    let path = home.ok_or_else(missing)?.join(".vault-token");
    match std::fs::read_to_string(&path) {
        Ok(text) if !text.trim().is_empty() => Ok(Zeroizing::new(text.trim().to_string())),
        Ok(_) => Err(missing()),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Err(missing()),
        Err(e) => Err(Error::Keyring(format!(
            "the vault store cannot read {}: {e}",
            path.display()
        ))),
    }
}

/// https, or http to a loopback host only (a dev server), as for UPS.
fn parse_addr(raw: &str) -> Result<Url> {
    let url = Url::parse(raw.trim())
        .map_err(|e| Error::Config(format!("VAULT_ADDR `{raw}` is not a URL: {e}")))?;
    crate::http_client::check_destination(&url)
        .map_err(|why| Error::Config(format!("VAULT_ADDR `{raw}`: {why}")))?;
    if !url.username().is_empty() || url.password().is_some() {
        return Err(Error::Config(
            "VAULT_ADDR must not carry a user name or password".into(),
        ));
    }
    Ok(url)
}

/// The record at a key, with the version a check-and-set write must name.
#[derive(Debug, Clone, PartialEq)]
pub struct Versioned {
    pub version: u64,
    pub data: Value,
}

/// How a check-and-set write ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Written {
    /// Stored as this version.
    Stored(u64),
    /// Someone else wrote first: the version named is no longer the current one.
    Lost,
}

pub struct Kv {
    client: reqwest::blocking::Client,
    settings: VaultSettings,
    /// Set once a request got no answer at all (down, not listening, silent).
    unreachable: AtomicBool,
}

impl Kv {
    pub fn connect(settings: VaultSettings) -> Result<Kv> {
        let mut builder =
            crate::http_client::builder_for(&settings.addr, CONNECT_TIMEOUT, REQUEST_TIMEOUT);
        if let Some(path) = &settings.ca_cert {
            let pem = std::fs::read(path)
                .map_err(|e| Error::Keyring(format!("VAULT_CACERT {}: {e}", path.display())))?;
            let cert = reqwest::Certificate::from_pem(&pem).map_err(|e| {
                Error::Keyring(format!(
                    "VAULT_CACERT {}: not a PEM certificate: {e}",
                    path.display()
                ))
            })?;
            builder = builder.add_root_certificate(cert);
        }
        let client = builder
            .build()
            .map_err(|e| Error::Keyring(format!("could not set up HTTPS for Vault: {e}")))?;
        Ok(Kv {
            client,
            settings,
            unreachable: AtomicBool::new(false),
        })
    }

    pub fn settings(&self) -> &VaultSettings {
        &self.settings
    }

    /// Whether a request failed because Vault could not be reached (rather than refused).
    pub fn was_unreachable(&self) -> bool {
        self.unreachable.load(Ordering::Relaxed)
    }

    /// The record at `key` (under the prefix), or None when there is none.
    pub fn read(&self, key: &str) -> Result<Option<Versioned>> {
        let (status, body) = self.send(reqwest::Method::GET, &self.data_path(key)?, None)?;
        match status {
            200 => {
                let version = body
                    .pointer("/data/metadata/version")
                    .and_then(Value::as_u64);
                match (version, body.pointer("/data/data")) {
                    // The latest version was deleted: nothing to read.
                    (Some(_), Some(Value::Null)) => Ok(None),
                    (Some(version), Some(data)) => Ok(Some(Versioned {
                        version,
                        data: data.clone(),
                    })),
                    _ => Err(self.not_vault(status, "no record in it")),
                }
            }
            404 => Ok(None),
            _ => Err(self.refused("reading", key, status, &body)),
        }
    }

    /// Write `data` at `key` if its current version is still `cas` (0: only if absent).
    pub fn write(&self, key: &str, data: &Value, cas: u64) -> Result<Written> {
        let request = json!({"options": {"cas": cas}, "data": data});
        let (status, body) =
            self.send(reqwest::Method::POST, &self.data_path(key)?, Some(&request))?;
        match status {
            200 | 204 => body
                .pointer("/data/version")
                .and_then(Value::as_u64)
                .map(Written::Stored)
                .ok_or_else(|| self.refused("writing", key, status, &body)),
            400 if errors_text(&body).contains("check-and-set") => Ok(Written::Lost),
            _ => Err(self.refused("writing", key, status, &body)),
        }
    }

    /// Keep at most `max_versions` versions of `key` and make every write name a version.
    pub fn limit_history(&self, key: &str, max_versions: u32) -> Result<()> {
        let request = json!({"max_versions": max_versions, "cas_required": true});
        let (status, body) = self.send(
            reqwest::Method::POST,
            &self.metadata_path(key)?,
            Some(&request),
        )?;
        match status {
            200 | 204 => Ok(()),
            _ => Err(self.refused("setting the history of", key, status, &body)),
        }
    }

    /// Remove `key` with every version it had. Removing what is not there is no error.
    pub fn destroy(&self, key: &str) -> Result<()> {
        let (status, body) = self.send(reqwest::Method::DELETE, &self.metadata_path(key)?, None)?;
        match status {
            200 | 204 | 404 => Ok(()),
            _ => Err(self.refused("deleting", key, status, &body)),
        }
    }

    /// The keys directly under `dir` (under the prefix); empty when there are none.
    pub fn list(&self, dir: &str) -> Result<Vec<String>> {
        let path = format!("{}?list=true", self.metadata_path(dir)?);
        let (status, body) = self.send(reqwest::Method::GET, &path, None)?;
        match status {
            200 => body
                .pointer("/data/keys")
                .and_then(Value::as_array)
                .map(|keys| {
                    keys.iter()
                        .filter_map(Value::as_str)
                        .map(str::to_string)
                        .collect()
                })
                .ok_or_else(|| self.not_vault(status, "no list of keys in it")),
            404 => Ok(Vec::new()),
            _ => Err(self.refused("listing", dir, status, &body)),
        }
    }

    fn data_path(&self, key: &str) -> Result<String> {
        Ok(format!(
            "{}/data/{}/{}",
            self.settings.mount,
            self.settings.prefix,
            checked_key(key)?
        ))
    }

    fn metadata_path(&self, key: &str) -> Result<String> {
        Ok(format!(
            "{}/metadata/{}/{}",
            self.settings.mount,
            self.settings.prefix,
            checked_key(key)?.trim_end_matches('/')
        ))
    }

    fn send(
        &self,
        method: reqwest::Method,
        path: &str,
        body: Option<&Value>,
    ) -> Result<(u16, Value)> {
        let url = self
            .settings
            .addr
            .join(&format!("v1/{path}"))
            .map_err(|e| Error::Config(format!("a Vault path is not valid: {e}")))?;
        let mut token =
            reqwest::header::HeaderValue::from_str(&self.settings.token).map_err(|_| {
                Error::Keyring("the Vault token holds characters no HTTP header can carry".into())
            })?;
        token.set_sensitive(true);
        let mut request = self
            .client
            .request(method, url)
            .header("X-Vault-Token", token)
            .header("X-Vault-Request", "true");
        if let Some(ns) = &self.settings.namespace {
            request = request.header("X-Vault-Namespace", ns.as_str());
        }
        if let Some(body) = body {
            request = request
                .header("Content-Type", "application/json")
                .body(body.to_string());
        }
        let response = request.send().map_err(|e| self.unreachable(&e))?;
        let status = response.status().as_u16();
        let content_type = response
            .headers()
            .get(reqwest::header::CONTENT_TYPE)
            .and_then(|v| v.to_str().ok())
            .unwrap_or("")
            .to_string();
        let mut bytes = Vec::new();
        response
            .take(MAX_BODY_BYTES)
            .read_to_end(&mut bytes)
            .map_err(|e| {
                Error::Keyring(self.scrub(&format!(
                    "the vault store at {}: the answer broke off ({e})",
                    self.settings.addr
                )))
            })?;
        // Vault answers every request in JSON, but for an empty 204.
        match serde_json::from_slice::<Value>(&bytes) {
            Ok(value) if value.is_object() => Ok((status, value)),
            _ if bytes.is_empty() && status == 204 => Ok((status, Value::Null)),
            _ => Err(self.not_vault(status, &content_type)),
        }
    }

    /// An answer that is not Vault's (a proxy's page, a captive portal): Vault is not there
    /// for us, so the outage rules apply, as when it cannot be reached at all.
    fn not_vault(&self, status: u16, what: &str) -> Error {
        self.unreachable.store(true, Ordering::Relaxed);
        let what: String = what.chars().take(80).collect();
        Error::Keyring(self.scrub(&format!(
            "the vault store at {} answered with something that is not Vault's JSON (HTTP {status}{}): \
is a proxy or a maintenance page in front of Vault? Check VAULT_ADDR",
            self.settings.addr,
            if what.is_empty() {
                String::new()
            } else {
                format!(", {what}")
            }
        )))
    }

    fn unreachable(&self, e: &reqwest::Error) -> Error {
        self.unreachable.store(true, Ordering::Relaxed);
        Error::Keyring(self.scrub(&format!(
            "the vault store at {} cannot be reached: {}. Check VAULT_ADDR and that Vault is running and unsealed",
            self.settings.addr,
            crate::http_client::describe(e, self.settings.addr.host_str().unwrap_or("?"))
        )))
    }

    fn refused(&self, doing: &str, key: &str, status: u16, body: &Value) -> Error {
        let why = errors_text(body);
        let what = format!("{}/{}/{key}", self.settings.mount, self.settings.prefix);
        let fix = match status {
            403 => ". The Vault token is invalid, expired, or its policy does not allow this path (see the README's Fleets section for the policy)",
            503 => ". Vault is sealed or in standby",
            404 => ". Is a KV version 2 engine mounted there (`vault_mount`)?",
            _ => "",
        };
        Error::Keyring(self.scrub(&format!(
            "the vault store at {} refused {doing} {what} (HTTP {status}{}){fix}",
            self.settings.addr,
            if why.is_empty() {
                String::new()
            } else {
                format!(": {why}")
            }
        )))
    }

    /// Whatever Vault said, without the token in it.
    fn scrub(&self, text: &str) -> String {
        let token = self.settings.token.as_str();
        let text = if token.is_empty() {
            text.to_string()
        } else {
            text.replace(token, "[the Vault token]")
        };
        text.chars().filter(|c| !c.is_control()).collect()
    }
}

/// `key` when it can become part of a request path as it is: segments of letters, digits,
/// `-` and `_` (a trailing `/` names a directory). Anything else (`..`, `%2e%2e`, `?`) could
/// make the URL point outside the prefix, so it is refused before any request.
fn checked_key(key: &str) -> Result<&str> {
    let plain = |segment: &str| {
        !segment.is_empty()
            && segment
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
    };
    if key.trim_end_matches('/').split('/').all(plain) {
        Ok(key)
    } else {
        Err(Error::Keyring(format!(
            "the vault store refuses the key `{}`: a key is letters, digits, `-` and `_`",
            crate::render::one_line(&key.chars().take(80).collect::<String>())
        )))
    }
}

/// Vault's `{"errors": [...]}`, joined.
fn errors_text(body: &Value) -> String {
    body.get("errors")
        .and_then(Value::as_array)
        .map(|errors| {
            errors
                .iter()
                .filter_map(Value::as_str)
                .map(|s| s.chars().take(300).collect::<String>())
                .collect::<Vec<_>>()
                .join("; ")
        })
        .unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::error::ExitCode;

    fn env<'a>(pairs: &'a [(&'a str, &'a str)]) -> impl Fn(&str) -> Option<String> + 'a {
        move |name| {
            pairs
                .iter()
                .find(|(k, _)| *k == name)
                .map(|(_, v)| v.to_string())
        }
    }

    #[test]
    fn the_environment_wins_over_the_profile_and_defaults_fill_the_rest() {
        let profile = VaultProfile {
            addr: Some("https://vault.example:8200".into()),
            mount: None,
            prefix: Some("/team/idm/".into()),
        };
        let s = VaultSettings::resolve(
            &profile,
            env(&[("VAULT_ADDR", "https://bao.example"), ("VAULT_TOKEN", "t")]),
            None,
        )
        .unwrap();
        assert_eq!(s.addr.as_str(), "https://bao.example/");
        assert_eq!(s.mount, "secret");
        assert_eq!(s.prefix, "team/idm");
        let s = VaultSettings::resolve(&profile, env(&[("VAULT_TOKEN", "t")]), None).unwrap();
        assert_eq!(s.addr.as_str(), "https://vault.example:8200/");
    }

    #[test]
    fn plain_http_is_for_loopback_only() {
        let none = VaultProfile::default();
        let at = |addr| {
            VaultSettings::resolve(
                &none,
                env(&[("VAULT_ADDR", addr), ("VAULT_TOKEN", "t")]),
                None,
            )
        };
        assert!(at("http://127.0.0.1:8200").is_ok());
        let error = at("http://vault.example:8200").unwrap_err();
        assert_eq!(error.exit_code(), ExitCode::Settings);
        assert!(error.to_string().contains("https is required"));
    }

    #[test]
    fn the_token_comes_from_the_token_file_when_the_variable_is_unset() {
        let home = tempfile::tempdir().unwrap();
        let none = VaultProfile::default();
        let vars = env(&[("VAULT_ADDR", "https://bao.example")]);
        let error = VaultSettings::resolve(&none, &vars, Some(home.path().into())).unwrap_err();
        assert_eq!(error.exit_code(), ExitCode::Keyring);
        assert!(error.to_string().contains("VAULT_TOKEN"));
        std::fs::write(home.path().join(".vault-token"), "s.fromfile\n").unwrap();
        let s = VaultSettings::resolve(&none, &vars, Some(home.path().into())).unwrap();
        assert_eq!(s.token.as_str(), "s.fromfile");
        assert!(!format!("{s:?}").contains("fromfile"));
    }

    #[test]
    fn keys_that_could_leave_the_prefix_never_become_paths() {
        for key in [
            "optins/../../sys/mounts",
            "optins/%2e%2e",
            "optins/.%2E",
            "optins/..",
            "optins/a?list=true",
            "optins/a#b",
            "optins//a",
            "optins/a\\b",
            "",
        ] {
            assert!(checked_key(key).is_err(), "{key:?} was accepted");
        }
        for key in ["optins/ab12cd34", "optins", "profiles/6465", "optins/"] {
            assert_eq!(checked_key(key).unwrap(), key);
        }
    }

    #[test]
    fn paths_that_could_leave_the_prefix_are_refused() {
        let profile = VaultProfile {
            prefix: Some("a/../b".into()),
            ..VaultProfile::default()
        };
        let vars = env(&[("VAULT_ADDR", "https://bao.example"), ("VAULT_TOKEN", "t")]);
        assert!(VaultSettings::resolve(&profile, vars, None).is_err());
    }
}
