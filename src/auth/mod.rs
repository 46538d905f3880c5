//! Authentication and authorisation: password hashing, session tokens, and the one scope check
//! every service uses. No HTTP types here; the bearer-token extractor lives in `api::auth`.

pub mod password;
pub mod scope;
pub mod token;

pub use password::PasswordHasher;
pub use scope::{Caller, Target};

/// Lower-case hex of some bytes.
pub fn hex(bytes: &[u8]) -> String {
    use std::fmt::Write;
    bytes
        .iter()
        .fold(String::with_capacity(bytes.len() * 2), |mut out, b| {
            let _ = write!(out, "{b:02x}");
            out
        })
}
