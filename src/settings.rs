//! From flags, environment, the config file's profile and defaults to one validated set of
//! settings for `authorize`, remembering where each value came from (`config show` prints
//! that). Precedence: flags > environment > profile > defaults. Everything that can be
//! checked before a port is bound or a browser opened is checked here.

use crate::cli::{EnvName, SettingFlags};
use crate::config::{self, Profile};
use crate::context::Ctx;
use crate::error::{Error, Result};
use crate::store::{ExposeSecret, Store};
use crate::ups::wire;
use oauth2::ClientSecret;
use std::fmt;
use std::time::Duration;
use url::{Host, Url};

pub const DEFAULT_PORT: u16 = 8765;
pub const DEFAULT_CALLBACK_PATH: &str = "/callback";
pub use crate::cli::DEFAULT_TIMEOUT_SECS;

/// Where a setting's value came from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Source {
    Flag(&'static str),
    Env(&'static str),
    Profile(String),
    /// The profile's client secret in the OS keyring.
    Keyring(String),
    Stdin,
    /// The profile named by the config file's `default_profile`.
    FileDefault,
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
            Source::FileDefault => f.write_str("config file default_profile"),
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
    /// Where the client secret is to be read from (a profile's keyring entry is looked up
    /// when none is named); reading it is a step of its own, [`read_client_secret`].
    pub client_secret_from: Option<Source>,
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
    crate::names::parse_var("IDM_AUTH_ENV", raw).map_err(Error::Config)
}

/// Gather every layer. Reading the profile's secret needs the keyring, so it is only
/// looked up when asked for (`config show` and `authorize` without a flag or env secret).
pub fn layers(ctx: &Ctx, args: &SettingFlags, profile_flag: Option<&str>) -> Result<Layers> {
    let env_var = |name: &str| ctx.var(name);
    let file = config::load(&ctx.config_path()?)?;
    let selected = config::select(&file, profile_flag, env_var("IDM_AUTH_PROFILE"))?;
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
                _ => Source::FileDefault,
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
    /// The environment asked for, else CIE.
    pub fn environment(&self) -> Sourced<EnvName> {
        self.environment.clone().unwrap_or(Sourced {
            value: EnvName::Cie,
            source: Source::Default,
        })
    }

    /// The UPS origin as given, else the one of the environment.
    pub fn base_url(&self) -> Sourced<String> {
        self.base_url.clone().unwrap_or_else(|| Sourced {
            value: match self.environment.as_ref().map(|e| e.value) {
                Some(EnvName::Production) => wire::PRODUCTION_BASE_URL.into(),
                _ => wire::CIE_BASE_URL.into(),
            },
            source: Source::Default,
        })
    }

    /// The redirect URI as given, else the default one on the port given (or the default
    /// port).
    pub fn redirect_uri(&self) -> Sourced<String> {
        match (&self.redirect_uri, &self.port) {
            (Some(r), _) => r.clone(),
            (None, Some(p)) => Sourced {
                value: default_redirect_uri(p.value),
                source: p.source.clone(),
            },
            (None, None) => Sourced {
                value: default_redirect_uri(DEFAULT_PORT),
                source: Source::Default,
            },
        }
    }

    /// The profile's secret in the keyring, if the flag and environment name none.
    pub fn secret_from_keyring(&self, store: &dyn Store) -> Result<Option<(ClientSecret, Source)>> {
        if self.client_secret.is_some() {
            return Ok(None);
        }
        let Some(profile) = &self.profile else {
            return Ok(None);
        };
        Ok(store.profile_secret(&profile.value)?.map(|s| {
            (
                ClientSecret::new(s.expose_secret().to_string()),
                Source::Keyring(profile.value.clone()),
            )
        }))
    }
}

/// `api`'s `transactionSrc` unless a flag, the environment or the profile names another.
pub const DEFAULT_TRANSACTION_SRC: &str = "idm-auth";

/// The `transactionSrc` header `api` sends (UPS: it names the calling application): `--transaction-src`,
/// else IDM_AUTH_TRANSACTION_SRC, else the profile's `transaction_src`, else `idm-auth`.
pub fn transaction_src(
    ctx: &Ctx,
    flag: Option<&str>,
    profile_flag: Option<&str>,
) -> Result<String> {
    let file = config::load(&ctx.config_path()?)?;
    let profile = config::select(&file, profile_flag, ctx.var("IDM_AUTH_PROFILE"))?;
    let chosen = layer(
        flag.map(str::to_owned),
        "--transaction-src",
        ctx.var("IDM_AUTH_TRANSACTION_SRC")
            .map(|v| (v, "IDM_AUTH_TRANSACTION_SRC")),
        profile
            .as_ref()
            .and_then(|(_, p, _)| p.transaction_src.clone()),
        profile.as_ref().map(|(name, _, _)| name.as_str()),
    );
    let Some(chosen) = chosen else {
        return Ok(DEFAULT_TRANSACTION_SRC.into());
    };
    let value = chosen.value.trim();
    if value.is_empty() || value.len() > 64 || !value.bytes().all(|b| b.is_ascii_graphic()) {
        return Err(Error::Config(format!(
            "the transactionSrc from {} must be 1 to 64 printable ASCII characters without spaces",
            chosen.source
        )));
    }
    Ok(value.to_string())
}

pub fn default_redirect_uri(port: u16) -> String {
    format!("http://127.0.0.1:{port}{DEFAULT_CALLBACK_PATH}")
}

fn is_loopback(host: Option<Host<&str>>) -> bool {
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
        Some(env) => env.name().into(),
        None if base_url == wire::CIE_BASE_URL => "cie".into(),
        None if base_url == wire::PRODUCTION_BASE_URL => "production".into(),
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

/// Whether `raw` can be a redirect URI (`config set redirect_uri` checks before writing).
pub fn check_redirect_uri(raw: &str) -> Result<()> {
    parse_redirect_uri(raw, None).map(|_| ())
}

/// The client secret of a sign-in: from stdin, the environment or the profile's keyring
/// entry, as the settings name; None for a public (PKCE) client.
pub fn read_client_secret(
    ctx: &Ctx,
    settings: &AuthorizeSettings,
    store: &dyn Store,
) -> Result<Option<ClientSecret>> {
    match &settings.client_secret_from {
        Some(Source::Stdin) => {
            let line = ctx.read_line().map_err(|e| {
                Error::Config(format!("cannot read the client secret from stdin: {e}"))
            })?;
            if line.is_empty() {
                return Err(Error::Config(
                    "--client-secret-stdin was given but stdin held no secret".into(),
                ));
            }
            Ok(Some(ClientSecret::new(line)))
        }
        Some(_) => Ok(ctx.var("IDM_AUTH_CLIENT_SECRET").map(ClientSecret::new)),
        None => match &settings.profile {
            Some(profile) => Ok(store
                .profile_secret(profile)?
                .map(|s| ClientSecret::new(s.expose_secret().to_string()))),
            None => Ok(None),
        },
    }
}

/// The settings of one `authorize`, validated: `args` over the environment over the profile
/// over the defaults. Reads no secret (see [`read_client_secret`]).
pub fn resolve_authorize(
    ctx: &Ctx,
    args: &SettingFlags,
    profile_flag: Option<&str>,
    timeout_secs: u64,
    open_browser: bool,
) -> Result<AuthorizeSettings> {
    let layers = layers(ctx, args, profile_flag)?;
    let env = layers.environment.as_ref().map(|s| s.value);
    let base_url = parse_base_url(&layers.base_url().value)?;
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
    let (redirect_uri, port, callback_path) =
        parse_redirect_uri(&layers.redirect_uri().value, port)?;
    if port == 0 {
        return Err(Error::Config(
            "port 0 cannot work: UPS checks the registered callback URL exactly, so the port must be fixed".into(),
        ));
    }
    if timeout_secs == 0 {
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
    Ok(AuthorizeSettings {
        profile: layers.profile.map(|p| p.value),
        label,
        environment,
        base_url,
        client_id,
        client_secret_from: layers.client_secret,
        redirect_uri,
        port,
        callback_path,
        timeout: Duration::from_secs(timeout_secs),
        open_browser,
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
        assert_eq!(
            environment_of(None, wire::PRODUCTION_BASE_URL),
            "production"
        );
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
