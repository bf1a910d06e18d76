//! Where an `api` call goes: PATH under the opt-in's own API base (`{base}/api`), or a full
//! URL on that same origin. Nothing else: the opt-in's token is only ever sent to the UPS it
//! came from.

use url::Url;

/// The URL for `path` at the opt-in whose origin is `base_url`, with `query` appended.
/// `Err` says why a target is refused.
pub fn resolve(base_url: &str, path: &str, query: &[(String, String)]) -> Result<Url, String> {
    let base = Url::parse(base_url).map_err(|e| format!("the opt-in's base URL: {e}"))?;
    let path = path.trim();
    let mut url = if has_scheme(path) {
        Url::parse(path).map_err(|e| format!("`{path}` is not a URL: {e}"))?
    } else {
        // Joined as text, never with Url::join: `//host/...` would name another host.
        let path = path.trim_start_matches('/');
        let under = if path.starts_with("api/") || path == "api" {
            ""
        } else {
            "api/"
        };
        let text = format!("{}/{under}{path}", base_url.trim_end_matches('/'));
        Url::parse(&text).map_err(|e| format!("`{path}` is not a path: {e}"))?
    };
    if url.origin() != base.origin() || !url.username().is_empty() || url.password().is_some() {
        return Err(format!(
            "refused to send the opt-in's token to {}: it goes only to the UPS it came from, {}. Give a path such as /track/v1/details/NUMBER",
            shown_origin(&url),
            base.origin().ascii_serialization()
        ));
    }
    url.set_fragment(None);
    if !query.is_empty() {
        url.query_pairs_mut()
            .extend_pairs(query.iter().map(|(k, v)| (k.as_str(), v.as_str())));
    }
    Ok(url)
}

/// `scheme:` before any `/`, `?` or `#`: a URL rather than a path.
fn has_scheme(text: &str) -> bool {
    match text.find(':') {
        Some(colon) => {
            let scheme = &text[..colon];
            !scheme.is_empty()
                && scheme.starts_with(|c: char| c.is_ascii_alphabetic())
                && scheme
                    .chars()
                    .all(|c| c.is_ascii_alphanumeric() || matches!(c, '+' | '-' | '.'))
        }
        None => false,
    }
}

fn shown_origin(url: &Url) -> String {
    match url.host_str() {
        Some(_) => url.origin().ascii_serialization(),
        None => url.scheme().to_string() + ":",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const BASE: &str = "https://wwwcie.ups.com";

    fn ok(path: &str) -> String {
        resolve(BASE, path, &[]).unwrap().to_string()
    }

    #[test]
    fn paths_hang_off_the_api_base() {
        let want = "https://wwwcie.ups.com/api/track/v1/details/1Z12345E0205271688";
        assert_eq!(ok("/track/v1/details/1Z12345E0205271688"), want);
        assert_eq!(ok("track/v1/details/1Z12345E0205271688"), want);
        assert_eq!(ok("/api/track/v1/details/1Z12345E0205271688"), want);
        assert_eq!(ok(want), want);
        assert_eq!(
            ok("/track/v1/details/1Z?locale=en_US#x"),
            "https://wwwcie.ups.com/api/track/v1/details/1Z?locale=en_US"
        );
        let q = [("returnPOD".to_string(), "true".to_string())];
        assert_eq!(
            resolve(BASE, "/t?locale=en_US", &q).unwrap().as_str(),
            "https://wwwcie.ups.com/api/t?locale=en_US&returnPOD=true"
        );
    }

    #[test]
    fn other_origins_are_refused() {
        for bad in [
            "https://evil.example/api/track",
            "http://wwwcie.ups.com/api/track",
            "https://wwwcie.ups.com:444/api/track",
            "https://onlinetools.ups.com/api/track",
            "https://user:pw@wwwcie.ups.com/api/track",
            "//evil.example/api",
            "file:///etc/passwd",
            "javascript:alert(1)",
        ] {
            let e = resolve(BASE, bad, &[]);
            if bad.starts_with("//") {
                // Taken as a path under the base, never as another host.
                assert_eq!(e.unwrap().host_str(), Some("wwwcie.ups.com"), "{bad}");
            } else {
                assert!(e.unwrap_err().contains("refused"), "{bad}");
            }
        }
    }
}
