//! Access tokens (short-lived JWTs) and refresh tokens (opaque, stored as a hash, rotated on
//! every use, a reused one revoking its whole family).

use jsonwebtoken::{Algorithm, Header, Validation};
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

use super::keys::KeyRing;
use crate::error::AppError;

pub const ISSUER: &str = "jemput";
pub const AUDIENCE: &str = "jemput-api";
pub const ACCESS_TOKEN_TYP: &str = "at+jwt";

#[derive(Debug, Serialize, Deserialize)]
pub struct AccessClaims {
    pub iss: String,
    pub aud: String,
    pub sub: String,
    pub iat: i64,
    pub nbf: i64,
    pub exp: i64,
    pub jti: String,
    pub role: String,
    pub office: String,
    /// The user's `auth_epoch` when the token was issued.
    pub epoch: i32,
    /// The login (refresh-token family) the token belongs to: logging out, or a reused
    /// refresh token, revokes the family and with it this token at once. Absent only in
    /// tokens issued before it existed (they expire within minutes).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub fam: Option<String>,
}

/// Who an access token is for and when it was issued. The issue time and the token id come
/// from the refresh token issued beside it, so the same pair can be answered again within
/// the refresh grace window (HS256 signs the same claims to the same token).
pub struct AccessGrant<'a> {
    pub user_id: &'a str,
    pub role: &'a str,
    pub office_id: &'a str,
    pub epoch: i32,
    pub family: &'a str,
    pub issued_at: i64,
    pub jti: &'a str,
    pub ttl_secs: u64,
}

pub fn issue_access(keys: &KeyRing, grant: &AccessGrant<'_>) -> Result<String, AppError> {
    let AccessGrant {
        user_id,
        role,
        office_id,
        epoch,
        family,
        issued_at: now,
        jti,
        ttl_secs,
    } = *grant;
    let claims = AccessClaims {
        iss: ISSUER.into(),
        aud: AUDIENCE.into(),
        sub: user_id.into(),
        iat: now,
        nbf: now,
        exp: now + ttl_secs as i64,
        jti: jti.into(),
        role: role.into(),
        office: office_id.into(),
        epoch,
        fam: Some(family.into()),
    };
    keys.with_signing(|kid, key| {
        let mut header = Header::new(Algorithm::HS256);
        header.kid = Some(kid.to_string());
        header.typ = Some(ACCESS_TOKEN_TYP.into());
        jsonwebtoken::encode(&header, &claims, key)
    })?
    .map_err(|e| AppError::internal(anyhow::anyhow!("cannot sign token: {e}")))
}

/// The `kid` of a token's header, if the header parses.
pub fn kid_of(token: &str) -> Option<String> {
    jsonwebtoken::decode_header(token).ok()?.kid
}

/// Verifies an access token: HS256 only, our `typ`, a known `kid`, `iss`, `aud`, `sub`,
/// `exp` and `nbf` required, 5 s of clock leeway.
pub fn verify_access(keys: &KeyRing, token: &str) -> Result<AccessClaims, AppError> {
    let header = jsonwebtoken::decode_header(token).map_err(|_| AppError::Unauthorized)?;
    if header.alg != Algorithm::HS256 || header.typ.as_deref() != Some(ACCESS_TOKEN_TYP) {
        return Err(AppError::Unauthorized);
    }
    let kid = header.kid.ok_or(AppError::Unauthorized)?;
    let mut validation = Validation::new(Algorithm::HS256);
    validation.leeway = 5;
    validation.validate_nbf = true;
    validation.set_issuer(&[ISSUER]);
    validation.set_audience(&[AUDIENCE]);
    validation.set_required_spec_claims(&["exp", "nbf", "iss", "aud", "sub"]);
    keys.with_decoding(&kid, |key| {
        jsonwebtoken::decode::<AccessClaims>(token, key, &validation)
    })
    .ok_or(AppError::Unauthorized)?
    .map(|data| data.claims)
    .map_err(|_| AppError::Unauthorized)
}

/// A new opaque refresh token (256 random bits) for a new login.
pub fn new_refresh_token() -> String {
    crate::secrets::b64(&crate::secrets::random_bytes(32))
}

/// The refresh token that replaces `presented`: a keyed hash of it, so the server can
/// answer the same successor again (the grace window) while storing only hashes. Without
/// the installation's key nobody can compute it.
pub fn successor_token(key: &[u8], presented: &str) -> String {
    use hmac::{Hmac, Mac};
    // HMAC accepts keys of any length, so this never fails.
    let mut mac = match <Hmac<Sha256> as Mac>::new_from_slice(key) {
        Ok(mac) => mac,
        Err(_) => unreachable!("HMAC takes keys of any length"),
    };
    // Domain separation: the same key also hashes NIKs.
    mac.update(b"jemput refresh successor\0");
    mac.update(presented.as_bytes());
    crate::secrets::b64(&mac.finalize().into_bytes())
}

pub fn hash_refresh_token(token: &str) -> String {
    hex::encode(Sha256::digest(token.as_bytes()))
}
