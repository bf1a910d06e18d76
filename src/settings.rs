//! From flags, environment, the config file's profile and defaults to one validated set of
//! settings for `authorize`, remembering where each value came from (`config show` prints
//! that). Precedence: flags > environment > profile > defaults. Everything that can be
//! checked before a port is bound or a browser opened is checked here.

use crate::cli::{AuthorizeArgs, EnvName};
use crate::config::{self, Profile};
use crate::error::{Error, Result};
use crate::store::{Keyring, SecretKind};
use crate::ups;
use oauth2::ClientSecret;
use std::fmt;
use std::io::BufRead;
use std::time::Duration;
use url::{Host, Url};

pub const DEFAULT_PORT: u16 = 8765;
pub const DEFAULT_CALLBACK_PATH: &str = "/callback";

/// Where a setting's value came from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Source {
    Flag(&'static str),
    Env(&'static str),
    Profile(String),
    /// The profile's client secret in the OS keyring.
    Keyring(String),
    Stdin,
    Default,
}

impl fmt::Display for Source {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Source::Flag(name) => write!(f, "flag {name}"),
            Source::Env(name) => write!(f, "environment {name}"),
            Source::Profile(name) => write!(f, "profile {name}"),
            Source::Keyring(name) => write!(f, "keyring (profile {name})"),
            Source::Stdin => f.write_str("stdin"),
            Source::Default => f.write_str("default"),
        }
    }
}

#[derive(Debug, Clone)]
pub struct Sourced<T> {
    pub value: T,
    pub source: Source,
}

pub struct AuthorizeSettings {
    pub profile: Option<String>,
    pub label: String,
    pub environment: String,
    /// The UPS origin without a trailing slash, e.g. `https://wwwcie.ups.com`.
    pub base_url: String,
    pub client_id: String,
    pub client_secret: Option<ClientSecret>,
    /// Exactly as it is sent to UPS, in both the authorize and the token request.
    pub redirect_uri: String,
    pub port: u16,
    pub callback_path: String,
    pub timeout: Duration,
    pub open_browser: bool,
}

/// Every setting with its source, before validation: what `config show` prints.
pub struct Layers {
    pub profile: Option<Sourced<String>>,
    pub environment: Option<Sourced<EnvName>>,
    pub base_url: Option<Sourced<String>>,
    pub client_id: Option<Sourced<String>>,
    pub redirect_uri: Option<Sourced<String>>,
    pub port: Option<Sourced<u16>>,
    pub label: Option<Sourced<String>>,
    pub client_secret: Option<Source>,
}

fn env_var(name: &str) -> Option<String> {
    std::env::var(name).ok().filter(|s| !s.trim().is_empty())
}

/// The first of flag, environment, profile that has a value.
fn layer<T>(
    flag: Option<T>,
    flag_name: &'static str,
    env: Option<(T, &'static str)>,
    profile: Option<T>,
    profile_name: Option<&str>,
) -> Option<Sourced<T>> {
    if let Some(value) = flag {
        return Some(Sourced {
            value,
            source: Source::Flag(flag_name),
        });
    }
    if let Some((value, name)) = env {
        return Some(Sourced {
            value,
            source: Source::Env(name),
        });
    }
    profile.map(|value| Sourced {
        value,
        source: Source::Profile(profile_name.unwrap_or_default().to_string()),
    })
}

fn parse_env_name(raw: &str) -> Result<EnvName> {
    match raw.trim().to_ascii_lowercase().as_str() {
        "cie" => Ok(EnvName::Cie),
        "production" => Ok(EnvName::Production),
        other => Err(Error::Config(format!(
            "IDM_AUTH_ENV=`{other}`: expected `cie` or `production`"
        ))),
    }
}

/// The keyring user under which a profile's client secret is kept.
pub fn profile_secret_id(profile: &str) -> String {
    format!("profile:{profile}")
}

/// Gather every layer. Reading the profile's secret needs the keyring, so it is only
/// looked up when asked for (`config show` and `authorize` without a flag or env secret).
pub fn layers(args: &AuthorizeArgs, profile_flag: Option<&str>) -> Result<Layers> {
    let file = config::load()?;
    let selected = config::select(&file, profile_flag)?;
    let (profile_name, profile, profile_source) = match selected {
        Some((name, profile, source)) => (Some(name), profile, Some(source)),
        None => (None, Profile::default(), None),
    };
    let pn = profile_name.as_deref();
    let env_env = match env_var("IDM_AUTH_ENV") {
        Some(raw) => Some((parse_env_name(&raw)?, "IDM_AUTH_ENV")),
        None => None,
    };
    let secret_source = if args.client_secret_stdin {
        Some(Source::Stdin)
    } else if env_var("IDM_AUTH_CLIENT_SECRET").is_some() {
        Some(Source::Env("IDM_AUTH_CLIENT_SECRET"))
    } else {
        None
    };
    Ok(Layers {
        profile: profile_name.clone().map(|value| Sourced {
            value,
            source: match profile_source {
                Some("--profile") => Source::Flag("--profile"),
                Some("IDM_AUTH_PROFILE") => Source::Env("IDM_AUTH_PROFILE"),
                _ => Source::Default,
            },
        }),
        environment: layer(args.env, "--env", env_env, profile.environment, pn),
        base_url: layer(
            args.base_url.clone(),
            "--base-url",
            env_var("IDM_AUTH_BASE_URL").map(|v| (v, "IDM_AUTH_BASE_URL")),
            profile.base_url,
            pn,
        ),
        client_id: layer(
            args.client_id.clone(),
            "--client-id",
            env_var("IDM_AUTH_CLIENT_ID").map(|v| (v, "IDM_AUTH_CLIENT_ID")),
            profile.client_id,
            pn,
        ),
        redirect_uri: layer(
            args.redirect_uri.clone(),
            "--redirect-uri",
            None,
            profile.redirect_uri,
            pn,
        ),
        port: layer(args.port, "--port", None, profile.port, pn),
        label: layer(args.label.clone(), "--label", None, profile.label, pn),
        client_secret: secret_source,
    })
}

impl Layers {
    /// The profile's secret in the keyring, if the flag and environment gave none.
    pub fn secret_from_keyring(&self) -> Result<Option<(ClientSecret, Source)>> {
        if self.client_secret.is_some() {
            return Ok(None);
        }
        let Some(profile) = &self.profile else {
            return Ok(None);
        };
        let (keyring, _) = Keyring::open_default()?;
        Ok(keyring
            .get(&profile_secret_id(&profile.value), SecretKind::ClientSecret)?
            .map(|s| (ClientSecret::new(s), Source::Keyring(profile.value.clone()))))
    }
}

pub fn default_redirect_uri(port: u16) -> String {
    format!("http://127.0.0.1:{port}{DEFAULT_CALLBACK_PATH}")
}

pub(crate) fn is_loopback(host: Option<Host<&str>>) -> bool {
    match host {
        Some(Host::Domain(d)) => d.eq_ignore_ascii_case("localhost"),
        Some(Host::Ipv4(ip)) => ip.is_loopback(),
        Some(Host::Ipv6(ip)) => ip.is_loopback(),
        None => false,
    }
}

/// A UPS origin: https, or http on a loopback host (the simulator). Paths are not allowed:
/// they come from UPS's document.
pub fn parse_base_url(raw: &str) -> Result<String> {
    let url = Url::parse(raw.trim())
        .map_err(|e| Error::Config(format!("base URL `{raw}` is not a URL: {e}")))?;
    match url.scheme() {
        "https" => {}
        "http" if is_loopback(url.host()) => {}
        "http" => {
            return Err(Error::Config(format!(
                "base URL `{raw}`: https is required (plain http is accepted only for 127.0.0.1, ::1 and localhost)"
            )))
        }
        other => {
            return Err(Error::Config(format!(
                "base URL `{raw}`: unsupported scheme `{other}`, https is required"
            )))
        }
    }
    if url.host().is_none() {
        return Err(Error::Config(format!("base URL `{raw}` has no host")));
    }
    refuse_userinfo(&url, "base URL")?;
    if url.path() != "/" || url.query().is_some() || url.fragment().is_some() {
        return Err(Error::Config(format!(
            "base URL `{raw}` must be an origin only, like https://wwwcie.ups.com (the paths come from UPS's API)"
        )));
    }
    Ok(url.as_str().trim_end_matches('/').to_string())
}

/// A `user:password@` part would be handed on to UPS and to a shell-style `$BROWSER`, and
/// neither UPS's origin nor a loopback callback has any use for one.
fn refuse_userinfo(url: &Url, what: &str) -> Result<()> {
    if !url.username().is_empty() || url.password().is_some() {
        return Err(Error::Config(format!(
            "the {what} must not carry a user name or password (`user:password@`): leave that part out"
        )));
    }
    Ok(())
}

/// The environment name recorded with the tokens. A loopback host is the simulator whatever
/// was asked for (a token from this machine is never a CIE or production token); otherwise
/// the one asked for, else the one the host belongs to.
fn environment_of(env: Option<EnvName>, base_url: &str) -> String {
    if matches!(Url::parse(base_url), Ok(u) if is_loopback(u.host())) {
        return "simulator".into();
    }
    match env {
        Some(EnvName::Cie) => "cie".into(),
        Some(EnvName::Production) => "production".into(),
        None if base_url == ups::CIE_BASE_URL => "cie".into(),
        None if base_url == ups::PRODUCTION_BASE_URL => "production".into(),
        None => "custom".into(),
    }
}

/// The redirect URI must be a loopback http URL with an explicit port, since the listener
/// binds 127.0.0.1 on that port. Returns (uri as given, port, path).
fn parse_redirect_uri(raw: &str, port: Option<u16>) -> Result<(String, u16, String)> {
    let url = Url::parse(raw)
        .map_err(|e| Error::Config(format!("redirect URI `{raw}` is not a URL: {e}")))?;
    if url.scheme() != "http" || !is_loopback(url.host()) {
        return Err(Error::Config(format!(
            "redirect URI `{raw}` must be a loopback address such as http://127.0.0.1:{DEFAULT_PORT}{DEFAULT_CALLBACK_PATH}: the listener runs on this machine"
        )));
    }
    refuse_userinfo(&url, "redirect URI")?;
    let uri_port = url.port().ok_or_else(|| {
        Error::Config(format!(
            "redirect URI `{raw}` must name its port explicitly"
        ))
    })?;
    if let Some(p) = port {
        if p != uri_port {
            return Err(Error::Config(format!(
                "port {p} disagrees with the port {uri_port} of the redirect URI"
            )));
        }
    }
    if url.query().is_some() || url.fragment().is_some() {
        return Err(Error::Config(format!(
            "redirect URI `{raw}` must not carry a query or fragment"
        )));
    }
    Ok((raw.to_string(), uri_port, url.path().to_string()))
}

/// The client secret from the first stdin line.
fn secret_from_stdin() -> Result<ClientSecret> {
    let mut line = String::new();
    std::io::stdin()
        .lock()
        .read_line(&mut line)
        .map_err(|e| Error::Config(format!("cannot read the client secret from stdin: {e}")))?;
    let line = line.trim_end_matches(['\r', '\n']).to_string();
    if line.is_empty() {
        return Err(Error::Config(
            "--client-secret-stdin was given but stdin held no secret".into(),
        ));
    }
    Ok(ClientSecret::new(line))
}

pub fn resolve_authorize(
    args: &AuthorizeArgs,
    profile_flag: Option<&str>,
) -> Result<AuthorizeSettings> {
    let layers = layers(args, profile_flag)?;
    let env = layers.environment.as_ref().map(|s| s.value);
    let base_url = match (&layers.base_url, env) {
        (Some(raw), _) => parse_base_url(&raw.value)?,
        (None, Some(EnvName::Production)) => ups::PRODUCTION_BASE_URL.to_string(),
        (None, _) => ups::CIE_BASE_URL.to_string(),
    };
    let environment = environment_of(env, &base_url);
    let client_id = layers
        .client_id
        .as_ref()
        .map(|s| s.value.trim().to_string())
        .filter(|s| !s.is_empty())
        .ok_or_else(|| {
            Error::Config(
                "no client id: set IDM_AUTH_CLIENT_ID, pass --client-id, or put client_id in a profile (the app's id from the UPS developer portal)".into(),
            )
        })?;
    let port = layers.port.as_ref().map(|s| s.value);
    let (redirect_uri, port, callback_path) = match &layers.redirect_uri {
        Some(raw) => parse_redirect_uri(&raw.value, port)?,
        None => {
            let port = port.unwrap_or(DEFAULT_PORT);
            (
                default_redirect_uri(port),
                port,
                DEFAULT_CALLBACK_PATH.to_string(),
            )
        }
    };
    if port == 0 {
        return Err(Error::Config(
            "port 0 cannot work: UPS checks the registered callback URL exactly, so the port must be fixed".into(),
        ));
    }
    if args.timeout == 0 {
        return Err(Error::Config("--timeout must be at least 1 second".into()));
    }
    let label = layers
        .label
        .as_ref()
        .map(|s| s.value.clone())
        .unwrap_or_default();
    if label.chars().any(char::is_control) || label.chars().count() > 200 {
        return Err(Error::Config(
            "the label must be at most 200 printable characters".into(),
        ));
    }
    let client_secret = match &layers.client_secret {
        Some(Source::Stdin) => Some(secret_from_stdin()?),
        Some(_) => env_var("IDM_AUTH_CLIENT_SECRET").map(ClientSecret::new),
        None => layers.secret_from_keyring()?.map(|(secret, _)| secret),
    };
    Ok(AuthorizeSettings {
        profile: layers.profile.map(|p| p.value),
        label,
        environment,
        base_url,
        client_id,
        client_secret,
        redirect_uri,
        port,
        callback_path,
        timeout: Duration::from_secs(args.timeout),
        open_browser: !args.no_browser,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn base_url_rules() {
        assert_eq!(
            parse_base_url("https://wwwcie.ups.com/").unwrap(),
            "https://wwwcie.ups.com"
        );
        assert_eq!(
            parse_base_url("http://127.0.0.1:9000").unwrap(),
            "http://127.0.0.1:9000"
        );
        assert_eq!(
            parse_base_url("http://[::1]:9000").unwrap(),
            "http://[::1]:9000"
        );
        assert_eq!(
            parse_base_url("http://localhost:9000").unwrap(),
            "http://localhost:9000"
        );
        let e = parse_base_url("http://wwwcie.ups.com")
            .unwrap_err()
            .to_string();
        assert!(e.contains("https is required"), "{e}");
        assert!(parse_base_url("ftp://x").is_err());
        assert!(parse_base_url("https://wwwcie.ups.com/security").is_err());
        assert!(parse_base_url("not a url").is_err());
    }

    #[test]
    fn environment_follows_flag_then_host() {
        assert_eq!(environment_of(None, ups::PRODUCTION_BASE_URL), "production");
        assert_eq!(environment_of(None, "http://127.0.0.1:1"), "simulator");
        assert_eq!(
            environment_of(Some(EnvName::Cie), "http://127.0.0.1:1"),
            "simulator"
        );
        assert_eq!(
            environment_of(Some(EnvName::Production), "http://localhost:1"),
            "simulator"
        );
        assert_eq!(environment_of(Some(EnvName::Cie), "https://x.test"), "cie");
    }

    #[test]
    fn redirect_uri_rules() {
        let (uri, port, path) = parse_redirect_uri("http://localhost:9001/cb", None).unwrap();
        assert_eq!(
            (uri.as_str(), port, path.as_str()),
            ("http://localhost:9001/cb", 9001, "/cb")
        );
        assert!(parse_redirect_uri("http://localhost/cb", None).is_err());
        assert!(parse_redirect_uri("https://example.com:9001/cb", None).is_err());
        assert!(parse_redirect_uri("http://127.0.0.1:9001/cb", Some(9002)).is_err());
    }

    #[test]
    fn the_first_layer_with_a_value_wins() {
        let got = layer(Some(1), "--x", Some((2, "X")), Some(3), Some("p")).unwrap();
        assert_eq!((got.value, got.source), (1, Source::Flag("--x")));
        let got = layer(None, "--x", Some((2, "X")), Some(3), Some("p")).unwrap();
        assert_eq!((got.value, got.source), (2, Source::Env("X")));
        let got = layer(None, "--x", None, Some(3), Some("p")).unwrap();
        assert_eq!((got.value, got.source), (3, Source::Profile("p".into())));
        assert!(layer::<u8>(None, "--x", None, None, None).is_none());
    }
}
