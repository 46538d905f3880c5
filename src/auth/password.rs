//! Passwords as argon2id PHC strings with the OWASP parameters (19 MiB, 2 iterations, 1 lane).
//! Hashing runs on the blocking pool, never on the async workers, and a semaphore bounds how many
//! hashes run at once so a flood of logins cannot exhaust memory.

use std::sync::{
    Arc, OnceLock,
    atomic::{AtomicU64, Ordering},
};

use argon2::{
    Algorithm, Argon2, Params, Version,
    password_hash::{PasswordHasher as _, PasswordVerifier as _},
};
use tokio::sync::Semaphore;

use crate::error::AppError;

const MEMORY_KIB: u32 = 19 * 1024;
const ITERATIONS: u32 = 2;
const LANES: u32 = 1;

fn argon2() -> Argon2<'static> {
    let params = Params::new(MEMORY_KIB, ITERATIONS, LANES, None).expect("valid argon2 parameters");
    Argon2::new(Algorithm::Argon2id, Version::V0x13, params)
}

/// Hashes and verifies passwords off the async runtime.
#[derive(Clone)]
pub struct PasswordHasher {
    permits: Arc<Semaphore>,
    /// Full argon2 verifications run, real or dummy: what a test counts to prove that a login
    /// for an unknown user costs the same work.
    verifications: Arc<AtomicU64>,
}

impl Default for PasswordHasher {
    fn default() -> Self {
        // Each hash works in 19 MiB: mapped on its own and given back (see `memory`).
        crate::memory::tune_allocator();
        let cores = std::thread::available_parallelism()
            .map(|n| n.get())
            .unwrap_or(2);
        Self {
            permits: Arc::new(Semaphore::new(cores * 2)),
            verifications: Arc::new(AtomicU64::new(0)),
        }
    }
}

impl PasswordHasher {
    /// The PHC string of `password` with a fresh random salt.
    pub async fn hash(&self, password: &str) -> Result<String, AppError> {
        let password = password.to_owned();
        self.run(move || {
            argon2()
                .hash_password(password.as_bytes())
                .map(|hash| hash.to_string())
                .map_err(|e| AppError::Internal(format!("password hashing failed: {e}")))
        })
        .await?
    }

    /// Whether `password` matches `phc`. Without a stored hash (unknown user, account not yet
    /// activated) a dummy hash is verified in full instead, so the answer costs the same work
    /// either way; a stored hash that does not parse is treated the same.
    pub async fn verify(&self, password: &str, phc: Option<&str>) -> Result<bool, AppError> {
        let password = password.to_owned();
        let stored = phc
            .filter(|hash| argon2::PasswordHash::new(hash).is_ok())
            .map(str::to_owned);
        let verifications = self.verifications.clone();
        self.run(move || {
            let (hash, real) = match stored {
                Some(hash) => (hash, true),
                None => (dummy_hash().to_owned(), false),
            };
            // Verify first, decide after: `real && verify(..)` would skip the work for the dummy.
            let matches = argon2()
                .verify_password(password.as_bytes(), hash.as_str())
                .is_ok();
            verifications.fetch_add(1, Ordering::Relaxed);
            real && matches
        })
        .await
    }

    /// How many full verifications this hasher has run.
    pub fn verifications(&self) -> u64 {
        self.verifications.load(Ordering::Relaxed)
    }

    /// Computes the dummy hash now, so the first login for an unknown user is not cheaper or
    /// dearer than the others.
    pub async fn warm(&self) -> Result<(), AppError> {
        self.run(|| {
            dummy_hash();
        })
        .await
    }

    async fn run<T: Send + 'static>(
        &self,
        work: impl FnOnce() -> T + Send + 'static,
    ) -> Result<T, AppError> {
        let _permit = self
            .permits
            .acquire()
            .await
            .map_err(|e| AppError::Internal(e.to_string()))?;
        tokio::task::spawn_blocking(work)
            .await
            .map_err(|e| AppError::Internal(format!("hashing task failed: {e}")))
    }
}

/// A hash of a random password, made once, verified against when there is no real hash.
fn dummy_hash() -> &'static str {
    static DUMMY: OnceLock<String> = OnceLock::new();
    DUMMY.get_or_init(|| {
        let random = super::token::new_token();
        argon2()
            .hash_password(random.as_bytes())
            .map(|h| h.to_string())
            .unwrap_or_default()
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn a_hash_is_an_argon2id_phc_string_with_the_owasp_parameters() {
        let hasher = PasswordHasher::default();
        let hash = hasher.hash("correct horse battery").await.unwrap();
        assert!(
            hash.starts_with("$argon2id$v=19$m=19456,t=2,p=1$"),
            "{hash}"
        );
        assert!(
            hasher
                .verify("correct horse battery", Some(&hash))
                .await
                .unwrap()
        );
        assert!(
            !hasher
                .verify("wrong horse battery", Some(&hash))
                .await
                .unwrap()
        );
        let before = hasher.verifications();
        assert!(!hasher.verify("correct horse battery", None).await.unwrap());
        assert_eq!(
            hasher.verifications(),
            before + 1,
            "the dummy path runs a full verification"
        );
        assert!(!hasher.verify("x", Some("not a phc string")).await.unwrap());
        let again = hasher.hash("correct horse battery").await.unwrap();
        assert_ne!(hash, again, "each hash has its own salt");
    }
}
