//! Opaque bearer tokens: 256 random bits, shown to the client once; only their SHA-256 is stored.

use rand::Rng;
use sha2::{Digest, Sha256};

/// A new token: 32 random bytes as 64 hex characters.
pub fn new_token() -> String {
    let bytes: [u8; 32] = rand::rng().random();
    super::hex(&bytes)
}

/// The stored form of a token.
pub fn hash_token(token: &str) -> String {
    super::hex(&Sha256::digest(token.as_bytes()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tokens_are_256_random_bits_stored_as_their_sha256() {
        let token = new_token();
        assert_eq!(token.len(), 64);
        assert_ne!(token, new_token());
        assert_eq!(
            hash_token("abc"),
            "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"
        );
        assert_ne!(hash_token(&token), token);
    }
}
