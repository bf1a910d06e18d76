//! Every HTTP client idm-auth makes, UPS's (ups/transport.rs) and Vault's
//! (store/vault/kv.rs), is made here the one way: no redirects followed, the time-outs
//! given, our user agent, names resolved in-process, and a loopback host never reached
//! through a proxy; secrets go over https, or plain http to this machine only; and a
//! failure is put in words that name the host and carry no URL query or body.

use std::time::Duration;

type Client = oauth2::reqwest::blocking::Client;

/// A client for `url` made as every client here is: no redirects, these time-outs, our user
/// agent, and loopback never through a proxy (the Vault store's client too).
pub fn builder_for(
    url: &url::Url,
    connect_timeout: Duration,
    timeout: Duration,
) -> oauth2::reqwest::blocking::ClientBuilder {
    let builder = Client::builder()
        .redirect(oauth2::reqwest::redirect::Policy::none())
        .connect_timeout(connect_timeout)
        .timeout(timeout)
        .dns_resolver(std::sync::Arc::new(
            crate::ups::dns::SystemResolver::default(),
        ))
        .user_agent(concat!("idm-auth/", env!("CARGO_PKG_VERSION")));
    if is_loopback(url) {
        builder.no_proxy()
    } else {
        builder
    }
}

/// Secrets go to UPS over https only; plain http only to this machine (the simulator). Checked
/// on every request, not only when the settings are read: the origin of a refresh comes from
/// the index file, and a forged index must not send a refresh token in the clear.
pub fn check_destination(url: &url::Url) -> Result<(), String> {
    match url.scheme() {
        "https" => Ok(()),
        "http" if is_loopback(url) => Ok(()),
        scheme => Err(format!(
            "refused to send a request to {}://{}: https is required for any host but this machine's loopback",
            scheme,
            url.host_str().unwrap_or("?")
        )),
    }
}

pub fn is_loopback(url: &url::Url) -> bool {
    match url.host() {
        Some(url::Host::Domain(d)) => d.eq_ignore_ascii_case("localhost"),
        Some(url::Host::Ipv4(ip)) => ip.is_loopback(),
        Some(url::Host::Ipv6(ip)) => ip.is_loopback(),
        None => false,
    }
}

/// rustls's error reaches us wrapped in io::Errors, whose source() skips what they wrap.
fn tls_error<'a>(mut error: &'a (dyn std::error::Error + 'static)) -> Option<&'a rustls::Error> {
    loop {
        if let Some(tls) = error.downcast_ref::<rustls::Error>() {
            return Some(tls);
        }
        error = error.downcast_ref::<std::io::Error>()?.get_ref()?;
    }
}

/// Why a request failed, in words that carry no URL query or body. A certificate that is
/// not trusted names the host and says how to trust a company's CA.
pub fn describe(e: &oauth2::reqwest::Error, host: &str) -> String {
    let kind = if e.is_timeout() {
        "no answer in time"
    } else if e.is_connect() {
        "connection failed"
    } else if e.is_body() || e.is_decode() {
        "the connection broke while reading the answer"
    } else {
        "request failed"
    };
    // The source chain says e.g. "Connection refused"; the URL is stripped so no query leaks.
    let mut cause = String::new();
    let mut source = std::error::Error::source(e);
    while let Some(s) = source {
        cause = s.to_string();
        source = s.source();
    }
    let mut chain = std::error::Error::source(e);
    while let Some(s) = chain {
        let tls = tls_error(s);
        if tls.is_some_and(|t| {
            matches!(
                t,
                rustls::Error::InvalidCertificate(_) | rustls::Error::NoCertificatesPresented
            )
        }) {
            return format!(
                "the TLS certificate of {host} is not trusted ({cause}). If a company proxy \
inspects TLS, add its CA certificate to the system's trust store, or point SSL_CERT_FILE at a \
PEM file that holds it"
            );
        }
        chain = s.source();
    }
    if let Some(sentence) = resolver_sentence(&cause, host) {
        return sentence;
    }
    if cause.is_empty() {
        kind.to_string()
    } else {
        format!("{kind} ({cause})")
    }
}

/// The in-process resolver words its failures as debug dumps ("proto error: no records
/// found for Query { name: Name(\"wwwcie.ups.com.\"), query_type: A, ... }"): a sentence
/// instead, naming the host.
fn resolver_sentence(cause: &str, host: &str) -> Option<String> {
    let lower = cause.to_ascii_lowercase();
    let what = if lower.contains("no records found") || lower.contains("nxdomain") {
        "has no address in DNS (check the name, and this machine's DNS settings)"
    } else if lower.contains("proto error")
        || lower.contains("resolve")
        || lower.contains("query {")
    {
        "could not be looked up in DNS (is this machine's network and /etc/resolv.conf set up?)"
    } else {
        return None;
    };
    Some(format!("the name {host} {what}"))
}

#[cfg(test)]
mod tests {
    use super::resolver_sentence;

    #[test]
    fn resolver_dumps_become_a_sentence() {
        let dump = r#"proto error: no records found for Query { name: Name("wwwcie.ups.com."), query_type: A, query_class: IN }"#;
        let said = resolver_sentence(dump, "wwwcie.ups.com").unwrap();
        assert_eq!(
            said,
            "the name wwwcie.ups.com has no address in DNS (check the name, and this machine's DNS settings)"
        );
        assert!(!said.contains('{'));
        assert!(resolver_sentence("Connection refused (os error 111)", "x").is_none());
    }
}
