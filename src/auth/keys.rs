//! HMAC signing keys by `kid`, kept in the database so every server signs and verifies alike.
//! Rotation adds a key and makes it current; older keys keep verifying until dropped, so
//! nobody is logged out (access tokens live minutes; refresh tokens are opaque, not JWTs).

use std::collections::HashMap;
use std::sync::RwLock;
use std::time::{Duration, Instant};

use base64::Engine;
use jsonwebtoken::{DecodingKey, EncodingKey};
use serde::{Deserialize, Serialize};

use crate::db::{Db, DbConn};
use crate::error::AppError;
use crate::secrets;

/// How many keys stay valid for verification after rotations.
const KEEP_KEYS: usize = 3;
/// How often a server looks for a rotation made by another server.
const RELOAD_EVERY: Duration = Duration::from_secs(60);

#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct StoredKey {
    pub kid: String,
    secret: String,
    pub created_at: String,
}

#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct StoredKeys {
    pub current: String,
    pub keys: Vec<StoredKey>,
}

fn new_key() -> StoredKey {
    StoredKey {
        kid: uuid::Uuid::new_v4().simple().to_string()[..12].to_string(),
        secret: secrets::b64(&secrets::random_bytes(32)),
        created_at: chrono::Utc::now().to_rfc3339(),
    }
}

/// Reads the stored keys, creating the first on a new installation.
pub fn load_or_create(conn: &mut DbConn) -> Result<StoredKeys, AppError> {
    let first = new_key();
    let initial = StoredKeys {
        current: first.kid.clone(),
        keys: vec![first],
    };
    let json = serde_json::to_string(&initial).map_err(AppError::internal)?;
    let stored = secrets::get_or_insert(conn, secrets::JWT_KEYS, &json)?;
    serde_json::from_str(&stored).map_err(|e| AppError::internal(anyhow::anyhow!("bad keys: {e}")))
}

/// Adds a new current key (run inside a write transaction).
pub fn rotate(conn: &mut DbConn) -> Result<StoredKeys, AppError> {
    let mut keys = load_or_create(conn)?;
    let key = new_key();
    keys.current = key.kid.clone();
    keys.keys.insert(0, key);
    keys.keys.truncate(KEEP_KEYS);
    let json = serde_json::to_string(&keys).map_err(AppError::internal)?;
    secrets::set(conn, secrets::JWT_KEYS, &json)?;
    Ok(keys)
}

struct Ring {
    current_kid: String,
    encoding: EncodingKey,
    decoding: HashMap<String, DecodingKey>,
    loaded_at: Instant,
}

impl Ring {
    fn from_stored(stored: &StoredKeys) -> Result<Ring, AppError> {
        let mut decoding = HashMap::new();
        let mut encoding = None;
        for k in &stored.keys {
            let secret = base64::engine::general_purpose::URL_SAFE_NO_PAD
                .decode(&k.secret)
                .map_err(|e| AppError::internal(anyhow::anyhow!("bad key {}: {e}", k.kid)))?;
            if secret.len() < 32 {
                return Err(AppError::internal(anyhow::anyhow!(
                    "key {} is too short",
                    k.kid
                )));
            }
            if k.kid == stored.current {
                encoding = Some(EncodingKey::from_secret(&secret));
            }
            decoding.insert(k.kid.clone(), DecodingKey::from_secret(&secret));
        }
        let encoding =
            encoding.ok_or_else(|| AppError::internal(anyhow::anyhow!("current key missing")))?;
        Ok(Ring {
            current_kid: stored.current.clone(),
            encoding,
            decoding,
            loaded_at: Instant::now(),
        })
    }
}

pub struct KeyRing {
    ring: RwLock<Ring>,
}

impl KeyRing {
    pub fn new(stored: &StoredKeys) -> Result<KeyRing, AppError> {
        Ok(KeyRing {
            ring: RwLock::new(Ring::from_stored(stored)?),
        })
    }

    fn stale(&self) -> bool {
        self.ring
            .read()
            .map(|r| r.loaded_at.elapsed() > RELOAD_EVERY)
            .unwrap_or(true)
    }

    /// Reloads from the database when the ring is older than a minute, or when asked for an
    /// unknown `kid` (another server rotated). Cheap to call on every request.
    pub async fn refresh_if_needed(
        &self,
        db: &Db,
        unknown_kid: Option<&str>,
    ) -> Result<(), AppError> {
        let needs = self.stale()
            || unknown_kid.is_some_and(|kid| {
                self.ring
                    .read()
                    .map(|r| {
                        !r.decoding.contains_key(kid)
                            && r.loaded_at.elapsed() > Duration::from_secs(2)
                    })
                    .unwrap_or(true)
            });
        if !needs {
            return Ok(());
        }
        let stored = db.read(load_or_create).await?;
        let ring = Ring::from_stored(&stored)?;
        if let Ok(mut guard) = self.ring.write() {
            *guard = ring;
        }
        Ok(())
    }

    pub fn with_signing<T>(&self, f: impl FnOnce(&str, &EncodingKey) -> T) -> Result<T, AppError> {
        let ring = self
            .ring
            .read()
            .map_err(|_| AppError::internal(anyhow::anyhow!("key ring poisoned")))?;
        Ok(f(&ring.current_kid, &ring.encoding))
    }

    pub fn with_decoding<T>(&self, kid: &str, f: impl FnOnce(&DecodingKey) -> T) -> Option<T> {
        let ring = self.ring.read().ok()?;
        ring.decoding.get(kid).map(f)
    }
}
