//! The file store's sealed format: XChaCha20-Poly1305 under a key derived with HKDF-SHA256
//! from the operator's key material, a fresh random 192-bit nonce for every write (random
//! nonces are safe at that size), and the entry's name as associated data, so a sealed file
//! copied over another entry's name, or into another store, does not open.
//!
//! A file is `MAGIC | key id (8) | nonce (24) | ciphertext and tag`. The key id is a second,
//! independent HKDF output: it tells "another key" apart from "a changed file" without
//! revealing anything about the AEAD key.

use chacha20poly1305::aead::{Aead, KeyInit, Payload};
use chacha20poly1305::{XChaCha20Poly1305, XNonce};
use hkdf::Hkdf;
use sha2::Sha256;
use zeroize::Zeroizing;

const MAGIC: &[u8; 8] = b"idmauth1";
const KEY_ID_LEN: usize = 8;
const NONCE_LEN: usize = 24;
const HEADER_LEN: usize = MAGIC.len() + KEY_ID_LEN + NONCE_LEN;
/// Fixed, public: HKDF's extract step only needs it to be the same every time.
const SALT: &[u8] = b"idm-auth file store";

/// Why sealed bytes did not open.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Unsealed {
    /// Not a sealed file at all (too short, or no magic).
    NotSealed,
    /// Sealed with another key.
    OtherKey,
    /// Our key, but the bytes or the entry's name differ from what was sealed.
    Changed,
}

pub struct SealingKey {
    aead: XChaCha20Poly1305,
    key_id: [u8; KEY_ID_LEN],
}

impl SealingKey {
    pub fn derive(material: &[u8]) -> SealingKey {
        let hkdf = Hkdf::<Sha256>::new(Some(SALT), material);
        let mut key = Zeroizing::new([0u8; 32]);
        let mut key_id = [0u8; KEY_ID_LEN];
        // Both lengths are far below HKDF-SHA256's 8,160-byte limit.
        hkdf.expand(b"xchacha20poly1305 key v1", key.as_mut_slice())
            .expect("32 bytes is a valid HKDF length");
        hkdf.expand(b"key id v1", &mut key_id)
            .expect("8 bytes is a valid HKDF length");
        SealingKey {
            aead: XChaCha20Poly1305::new(key.as_slice().into()),
            key_id,
        }
    }

    /// Seal `plaintext` for the entry named `name`.
    pub fn seal(&self, name: &str, plaintext: &[u8]) -> Result<Vec<u8>, String> {
        let mut nonce = [0u8; NONCE_LEN];
        getrandom::getrandom(&mut nonce).map_err(|e| format!("no randomness from the OS: {e}"))?;
        let sealed = self
            .aead
            .encrypt(
                XNonce::from_slice(&nonce),
                Payload {
                    msg: plaintext,
                    aad: name.as_bytes(),
                },
            )
            .map_err(|_| "the secret is too large to seal".to_string())?;
        let mut out = Vec::with_capacity(HEADER_LEN + sealed.len());
        out.extend_from_slice(MAGIC);
        out.extend_from_slice(&self.key_id);
        out.extend_from_slice(&nonce);
        out.extend_from_slice(&sealed);
        Ok(out)
    }

    /// Open what `seal` made for the entry named `name`.
    pub fn open(&self, name: &str, bytes: &[u8]) -> Result<Zeroizing<Vec<u8>>, Unsealed> {
        if bytes.len() < HEADER_LEN || !bytes.starts_with(MAGIC) {
            return Err(Unsealed::NotSealed);
        }
        let (key_id, rest) = bytes[MAGIC.len()..].split_at(KEY_ID_LEN);
        if key_id != self.key_id {
            return Err(Unsealed::OtherKey);
        }
        let (nonce, sealed) = rest.split_at(NONCE_LEN);
        self.aead
            .decrypt(
                XNonce::from_slice(nonce),
                Payload {
                    msg: sealed,
                    aad: name.as_bytes(),
                },
            )
            .map(Zeroizing::new)
            .map_err(|_| Unsealed::Changed)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const MATERIAL: &[u8] = b"0123456789abcdef0123456789abcdef";

    #[test]
    fn sealed_bytes_open_only_under_the_same_key_and_name() {
        let key = SealingKey::derive(MATERIAL);
        let sealed = key.seal("a1/refresh-token", b"the token").unwrap();
        assert_eq!(
            key.open("a1/refresh-token", &sealed).unwrap().as_slice(),
            b"the token"
        );
        // Copied over another entry's name.
        assert_eq!(
            key.open("a1/access-token", &sealed).unwrap_err(),
            Unsealed::Changed
        );
        assert_eq!(
            SealingKey::derive(b"another key of at least 32 bytes!!")
                .open("a1/refresh-token", &sealed)
                .unwrap_err(),
            Unsealed::OtherKey
        );
        let mut flipped = sealed.clone();
        *flipped.last_mut().unwrap() ^= 1;
        assert_eq!(
            key.open("a1/refresh-token", &flipped).unwrap_err(),
            Unsealed::Changed
        );
        assert_eq!(
            key.open("a1/refresh-token", b"the token").unwrap_err(),
            Unsealed::NotSealed
        );
    }

    /// Cut-off and foreign files (a crash mid-copy, another program's file) are told apart
    /// from changed ones, and none of them makes `open` index out of range.
    #[test]
    fn short_and_foreign_bytes_are_not_sealed_and_a_bare_header_is_changed() {
        let key = SealingKey::derive(MATERIAL);
        let sealed = key.seal("a1/refresh-token", b"the token").unwrap();
        for len in 0..HEADER_LEN {
            assert_eq!(
                key.open("a1/refresh-token", &sealed[..len]).unwrap_err(),
                Unsealed::NotSealed,
                "cut at {len}"
            );
        }
        assert_eq!(
            key.open("a1/refresh-token", &sealed[..HEADER_LEN])
                .unwrap_err(),
            Unsealed::Changed,
            "our header, nothing sealed after it"
        );
        let mut foreign = sealed.clone();
        foreign[0] ^= 1;
        assert_eq!(
            key.open("a1/refresh-token", &foreign).unwrap_err(),
            Unsealed::NotSealed
        );
    }

    #[test]
    fn every_seal_uses_a_new_nonce_and_hides_the_plaintext() {
        let key = SealingKey::derive(MATERIAL);
        let a = key.seal("n", b"same secret").unwrap();
        let b = key.seal("n", b"same secret").unwrap();
        assert_ne!(a, b);
        assert!(!a.windows(11).any(|w| w == b"same secret"));
    }
}
