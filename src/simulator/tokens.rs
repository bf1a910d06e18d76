//! Secrets the simulator hands out (transaction ids, codes, tokens) and the PKCE S256 check.
//! Everything random comes from the OS generator; a failing generator is an error, never a
//! predictable fallback.

use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;
use serde_json::json;
use sha2::{Digest, Sha256};

/// `n` random bytes, base64url without padding (`n = 16` gives 128 bits).
pub(crate) fn random_id(n: usize) -> Result<String, getrandom::Error> {
    let mut buf = vec![0u8; n];
    getrandom::getrandom(&mut buf)?;
    Ok(URL_SAFE_NO_PAD.encode(buf))
}

/// PKCE S256: `BASE64URL-ENCODE(SHA256(ASCII(code_verifier)))`, no padding.
pub(crate) fn s256(verifier: &str) -> String {
    URL_SAFE_NO_PAD.encode(Sha256::digest(verifier.as_bytes()))
}

/// A code_challenge must be exactly a base64url-encoded SHA-256 digest (43 characters,
/// canonical); catching padded, hex or plain challenges here saves a confusing token failure.
pub(crate) fn is_valid_challenge(challenge: &str) -> bool {
    challenge.len() == 43
        && URL_SAFE_NO_PAD
            .decode(challenge)
            .is_ok_and(|digest| digest.len() == 32)
}

/// RFC 7636 §4.1: 43 to 128 characters from `[A-Z] / [a-z] / [0-9] / "-" / "." / "_" / "~"`.
pub(crate) fn is_valid_verifier(verifier: &str) -> bool {
    (43..=128).contains(&verifier.len())
        && verifier
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'-' | b'.' | b'_' | b'~'))
}

/// What goes into a simulated access token.
pub(crate) struct AccessClaims<'a> {
    pub issuer: &'a str,
    pub client_id: &'a str,
    pub username: &'a str,
    pub scope: &'a str,
    pub issued_at_ms: u64,
    pub ttl_secs: u64,
    /// The token is at least this long (characters), its signature part padded out.
    pub min_len: usize,
}

/// A JWT-shaped access token like UPS's: `{"kid":...}` header (UPS tokens start
/// `eyJraWQiOi`), a claims part and a 4096-bit-sized signature part. The signature is random
/// bytes: nobody verifies it, but it makes every token unique and well over 1,000 characters,
/// which is what storage and header code must cope with.
pub(crate) fn mint_access_token(claims: &AccessClaims<'_>) -> Result<String, getrandom::Error> {
    let header = r#"{"kid":"ups-simulator-key-1","typ":"JWT","alg":"RS384"}"#;
    let iat = claims.issued_at_ms / 1000;
    let payload = json!({
        "sub": claims.username,
        "clientid": claims.client_id,
        "iss": claims.issuer,
        "scope": claims.scope,
        "aud": "ups-api",
        "iat": iat,
        "nbf": iat,
        "auth_time": iat,
        "exp": iat.saturating_add(claims.ttl_secs),
        "uuid": random_id(16)?,
        "jti": random_id(16)?,
        "sid": random_id(16)?,
        "env": "simulator",
    });
    let head = format!(
        "{}.{}.",
        URL_SAFE_NO_PAD.encode(header),
        URL_SAFE_NO_PAD.encode(payload.to_string())
    );
    // base64 turns 3 bytes into 4 characters.
    let wanted = claims.min_len.saturating_sub(head.len()).div_ceil(4) * 3;
    let mut signature = vec![0u8; wanted.max(512)];
    getrandom::getrandom(&mut signature)?;
    Ok(head + &URL_SAFE_NO_PAD.encode(signature))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rfc7636_appendix_b_vector() {
        let verifier = "dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk";
        assert_eq!(
            s256(verifier),
            "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM"
        );
        assert!(is_valid_verifier(verifier));
        assert!(is_valid_challenge(&s256(verifier)));
    }

    #[test]
    fn challenge_and_verifier_shapes() {
        assert!(!is_valid_challenge(
            "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM="
        ));
        assert!(!is_valid_challenge("plain-verifier"));
        // 43 chars but non-canonical trailing bits.
        assert!(!is_valid_challenge(
            "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cN"
        ));
        assert!(!is_valid_verifier("short"));
        assert!(!is_valid_verifier(&"a".repeat(129)));
        assert!(!is_valid_verifier(&format!("{}+", "a".repeat(43))));
        assert!(is_valid_verifier(&"a~._-".repeat(10)));
    }

    #[test]
    fn ids_are_random_and_sized() {
        let a = random_id(16).unwrap();
        let b = random_id(16).unwrap();
        assert_eq!(a.len(), 22);
        assert_ne!(a, b);
    }

    #[test]
    fn access_token_is_jwt_shaped_long_and_unique() {
        let claims = AccessClaims {
            issuer: "http://127.0.0.1:1/security",
            client_id: "c",
            username: "u",
            scope: "",
            issued_at_ms: 1_000_000,
            ttl_secs: 10,
            min_len: 0,
        };
        let t1 = mint_access_token(&claims).unwrap();
        let t2 = mint_access_token(&claims).unwrap();
        assert_ne!(t1, t2);
        assert!(t1.len() > 1000, "{}", t1.len());
        assert!(t1.starts_with("eyJraWQiOi"));
        let parts: Vec<&str> = t1.split('.').collect();
        assert_eq!(parts.len(), 3);
        let payload: serde_json::Value =
            serde_json::from_slice(&URL_SAFE_NO_PAD.decode(parts[1]).unwrap()).unwrap();
        assert_eq!(payload["exp"], 1010);
        assert_eq!(payload["clientid"], "c");

        let long = mint_access_token(&AccessClaims {
            min_len: 4096,
            ..claims
        })
        .unwrap();
        assert!((4096..4100).contains(&long.len()), "{}", long.len());
        assert_eq!(long.split('.').count(), 3);
    }
}
