//! Password hashing: argon2id with OWASP's minimum parameters (m = 19 MiB, t = 2, p = 1),
//! off the async workers and at most one hash per core at a time, so a login flood queues
//! instead of starving every other request.

use std::sync::Arc;
use std::time::Duration;

use argon2::password_hash::{
    rand_core::OsRng, PasswordHash, PasswordHasher, PasswordVerifier, SaltString,
};
use argon2::Argon2;
use tokio::sync::Semaphore;

use crate::error::AppError;

#[derive(Clone)]
pub struct Passwords {
    permits: Arc<Semaphore>,
    /// Verified against when the username is unknown, so timing does not tell who exists.
    dummy_hash: Arc<String>,
}

pub fn hash_blocking(password: &str) -> Result<String, AppError> {
    let salt = SaltString::generate(&mut OsRng);
    Argon2::default()
        .hash_password(password.as_bytes(), &salt)
        .map(|h| h.to_string())
        .map_err(|e| AppError::internal(anyhow::anyhow!("argon2 hash failed: {e}")))
}

pub fn verify_blocking(password: &str, hash: &str) -> bool {
    match PasswordHash::new(hash) {
        Ok(parsed) => Argon2::default()
            .verify_password(password.as_bytes(), &parsed)
            .is_ok(),
        Err(_) => false,
    }
}

impl Passwords {
    pub fn new(concurrency: usize) -> Result<Passwords, AppError> {
        let dummy = hash_blocking(&crate::secrets::b64(&crate::secrets::random_bytes(16)))?;
        Ok(Passwords {
            permits: Arc::new(Semaphore::new(concurrency.max(1))),
            dummy_hash: Arc::new(dummy),
        })
    }

    async fn run<T: Send + 'static>(
        &self,
        f: impl FnOnce() -> T + Send + 'static,
    ) -> Result<T, AppError> {
        let permit = tokio::time::timeout(
            Duration::from_secs(10),
            self.permits.clone().acquire_owned(),
        )
        .await
        .map_err(|_| AppError::Unavailable)?
        .map_err(|_| AppError::Unavailable)?;
        let out = actix_web::web::block(f)
            .await
            .map_err(|e| AppError::internal(anyhow::anyhow!("hash task failed: {e}")));
        drop(permit);
        out
    }

    pub async fn hash(&self, password: String) -> Result<String, AppError> {
        self.run(move || hash_blocking(&password)).await?
    }

    /// Checks `password` against `hash`, or against the dummy hash when there is none; only
    /// a real hash can answer true.
    pub async fn verify(&self, password: String, hash: Option<String>) -> Result<bool, AppError> {
        let real = hash.is_some();
        let hash = hash.unwrap_or_else(|| self.dummy_hash.as_str().to_string());
        let ok = self.run(move || verify_blocking(&password, &hash)).await?;
        Ok(real && ok)
    }
}
