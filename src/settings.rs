//! From raw flags and environment to one validated set of settings for `authorize`.
//! Everything that can be checked before a port is bound or a browser opened is checked here.

use crate::cli::{AuthorizeArgs, EnvName};
use crate::error::{Error, Result};
use crate::ups;
use oauth2::ClientSecret;
use std::io::BufRead;
use std::time::Duration;
use url::{Host, Url};

pub const DEFAULT_PORT: u16 = 8765;
pub const DEFAULT_CALLBACK_PATH: &str = "/callback";

pub struct AuthorizeSettings {
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
        .map_err(|e| Error::Config(format!("--base-url `{raw}` is not a URL: {e}")))?;
    match url.scheme() {
        "https" => {}
        "http" if is_loopback(url.host()) => {}
        "http" => {
            return Err(Error::Config(format!(
                "--base-url `{raw}`: https is required (plain http is accepted only for 127.0.0.1, ::1 and localhost)"
            )))
        }
        other => {
            return Err(Error::Config(format!(
                "--base-url `{raw}`: unsupported scheme `{other}`, https is required"
            )))
        }
    }
    if url.host().is_none() {
        return Err(Error::Config(format!("--base-url `{raw}` has no host")));
    }
    if url.path() != "/" || url.query().is_some() || url.fragment().is_some() {
        return Err(Error::Config(format!(
            "--base-url `{raw}` must be an origin only, like https://wwwcie.ups.com (the paths come from UPS's API)"
        )));
    }
    Ok(url.as_str().trim_end_matches('/').to_string())
}

/// The environment name recorded with the tokens: the one asked for, else the one the host
/// belongs to; a loopback host is the simulator.
fn environment_of(env: Option<EnvName>, base_url: &str) -> String {
    match env {
        Some(EnvName::Cie) => "cie".into(),
        Some(EnvName::Production) => "production".into(),
        None if base_url == ups::CIE_BASE_URL => "cie".into(),
        None if base_url == ups::PRODUCTION_BASE_URL => "production".into(),
        None => match Url::parse(base_url) {
            Ok(u) if is_loopback(u.host()) => "simulator".into(),
            _ => "custom".into(),
        },
    }
}

/// The redirect URI must be a loopback http URL with an explicit port, since the listener
/// binds 127.0.0.1 on that port. Returns (uri as given, port, path).
fn parse_redirect_uri(raw: &str, port_flag: Option<u16>) -> Result<(String, u16, String)> {
    let url = Url::parse(raw)
        .map_err(|e| Error::Config(format!("--redirect-uri `{raw}` is not a URL: {e}")))?;
    if url.scheme() != "http" || !is_loopback(url.host()) {
        return Err(Error::Config(format!(
            "--redirect-uri `{raw}` must be a loopback address such as http://127.0.0.1:{DEFAULT_PORT}{DEFAULT_CALLBACK_PATH}: the listener runs on this machine"
        )));
    }
    let port = url.port().ok_or_else(|| {
        Error::Config(format!(
            "--redirect-uri `{raw}` must name its port explicitly"
        ))
    })?;
    if let Some(p) = port_flag {
        if p != port {
            return Err(Error::Config(format!(
                "--port {p} disagrees with the port {port} of --redirect-uri"
            )));
        }
    }
    if url.query().is_some() || url.fragment().is_some() {
        return Err(Error::Config(format!(
            "--redirect-uri `{raw}` must not carry a query or fragment"
        )));
    }
    Ok((raw.to_string(), port, url.path().to_string()))
}

/// The client secret never comes from argv (world-readable): env or the first stdin line.
fn client_secret(from_stdin: bool) -> Result<Option<ClientSecret>> {
    let secret = if from_stdin {
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
        Some(line)
    } else {
        std::env::var("IDM_AUTH_CLIENT_SECRET")
            .ok()
            .filter(|s| !s.is_empty())
    };
    Ok(secret.map(ClientSecret::new))
}

pub fn resolve_authorize(args: &AuthorizeArgs) -> Result<AuthorizeSettings> {
    let base_url = match (&args.base_url, args.env) {
        (Some(raw), _) => parse_base_url(raw)?,
        (None, Some(EnvName::Production)) => ups::PRODUCTION_BASE_URL.to_string(),
        (None, _) => ups::CIE_BASE_URL.to_string(),
    };
    let environment = environment_of(args.env, &base_url);
    let client_id = args
        .client_id
        .clone()
        .map(|s| s.trim().to_string())
        .filter(|s| !s.is_empty())
        .ok_or_else(|| {
            Error::Config(
                "no client id: set IDM_AUTH_CLIENT_ID or pass --client-id (the app's id from the UPS developer portal)".into(),
            )
        })?;
    let (redirect_uri, port, callback_path) = match &args.redirect_uri {
        Some(raw) => parse_redirect_uri(raw, args.port)?,
        None => {
            let port = args.port.unwrap_or(DEFAULT_PORT);
            (
                default_redirect_uri(port),
                port,
                DEFAULT_CALLBACK_PATH.to_string(),
            )
        }
    };
    if port == 0 {
        return Err(Error::Config(
            "--port 0 cannot work: UPS checks the registered callback URL exactly, so the port must be fixed".into(),
        ));
    }
    if args.timeout == 0 {
        return Err(Error::Config("--timeout must be at least 1 second".into()));
    }
    let label = args.label.clone().unwrap_or_default();
    if label.chars().any(char::is_control) || label.chars().count() > 200 {
        return Err(Error::Config(
            "--label must be at most 200 printable characters".into(),
        ));
    }
    Ok(AuthorizeSettings {
        label,
        environment,
        base_url,
        client_id,
        client_secret: client_secret(args.client_secret_stdin)?,
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
            "cie"
        );
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
}
