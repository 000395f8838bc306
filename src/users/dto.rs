//! Request and response bodies of the user routes. Requests carry passwords, so they
//! derive no `Debug`; responses never carry the hash.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

use super::repo::User;
use crate::domain::Role;

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CreateUserRequest {
    /// 3-64 letters, digits, `.`, `_`, `-`; unique without regard to case.
    #[schema(value_type = String, example = "siti.rahma")]
    pub username: Option<String>,
    #[schema(value_type = String, example = "Siti Rahma")]
    pub full_name: Option<String>,
    /// At least 10 characters and not among the most common passwords.
    #[schema(value_type = String, example = "a long passphrase")]
    pub password: Option<String>,
    /// Not above the caller's own role.
    #[schema(value_type = Role, example = "field_staff")]
    pub role: Option<String>,
    /// An office in the caller's scope.
    #[schema(value_type = String, format = Uuid)]
    pub office_id: Option<String>,
}

/// Changes to an account; absent fields stay as they are. A user may change their own
/// `full_name` and `password`, never their own `role` or `active` (403).
#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct UpdateUserRequest {
    #[schema(value_type = Option<Role>)]
    pub role: Option<String>,
    pub full_name: Option<String>,
    /// `false` deactivates: every token of the account stops at once.
    pub active: Option<bool>,
    /// A new password stops every token of the account at once (log in again).
    pub password: Option<String>,
}

#[derive(Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct ListUsersQuery {
    /// Only users of this office (exactly; not the offices below it).
    pub office_id: Option<String>,
    #[param(value_type = Option<Role>)]
    pub role: Option<String>,
    pub active: Option<bool>,
    /// Page size, 1-500 (default 50).
    pub limit: Option<i64>,
    /// `next_cursor` of the previous page.
    pub cursor: Option<String>,
}

#[derive(Serialize, Deserialize, ToSchema, Clone, Debug)]
pub struct UserResponse {
    pub id: String,
    pub username: String,
    pub full_name: String,
    pub role: Role,
    pub office_id: String,
    pub active: bool,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

impl From<User> for UserResponse {
    fn from(u: User) -> Self {
        UserResponse {
            // Written by this code, so always a known role; never widen on a bad value.
            role: Role::from_db(&u.role).unwrap_or(Role::FieldStaff),
            id: u.id,
            username: u.username,
            full_name: u.full_name,
            office_id: u.office_id,
            active: u.active,
            created_at: u.created_at.and_utc(),
            updated_at: u.updated_at.and_utc(),
        }
    }
}
