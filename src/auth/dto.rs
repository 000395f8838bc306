//! Request and response bodies of the auth routes. Requests derive no `Debug`, so a
//! password can never reach a log line.

use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use crate::domain::Role;

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct LoginRequest {
    #[schema(example = "admin")]
    pub username: String,
    #[schema(example = "a long passphrase")]
    pub password: String,
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct RefreshRequest {
    pub refresh_token: String,
}

#[derive(Serialize, Deserialize, ToSchema, Clone, Debug)]
pub struct MeResponse {
    pub id: String,
    pub username: String,
    pub full_name: String,
    pub role: Role,
    pub office_id: String,
}

#[derive(Serialize, ToSchema)]
pub struct TokenResponse {
    /// JWT for `Authorization: Bearer`, valid `expires_in` seconds.
    pub access_token: String,
    /// Opaque; exchange it at `/auth/refresh` for new tokens. Single use.
    pub refresh_token: String,
    #[schema(example = "Bearer")]
    pub token_type: &'static str,
    pub expires_in: u64,
    pub user: MeResponse,
}
