//! Listing and creating channels.

use crate::audit::{self, AuditEvent};
use crate::auth::AuthUser;
use crate::domain::{required_text, ChannelKey, Role};
use crate::error::{AppError, Msg, Validator};
use crate::pagination;
use crate::state::AppState;

use super::repo::{self, Channel};

/// The built-in channels and those of the caller's office and its ancestors, by key.
pub async fn list(
    state: &AppState,
    user: &AuthUser,
    limit: Option<i64>,
    cursor: Option<String>,
) -> Result<(Vec<Channel>, i64), AppError> {
    let mut v = Validator::new();
    let limit = v.check(pagination::limit(limit));
    let cursor = v.check(pagination::decode_cursor(cursor.as_deref(), 2));
    v.finish()?;
    let (limit, cursor) = (limit.unwrap_or_default(), cursor.flatten());
    let path = user.office.path.clone();
    let rows = state
        .db
        .read(move |c| {
            let after = cursor.as_ref().map(|k| (k[0].as_str(), k[1].as_str()));
            repo::visible(c, &path, after, limit + 1)
        })
        .await?;
    Ok((rows, limit))
}

/// Creates a channel of the caller's office (supervisors and admins).
pub async fn create(
    state: &AppState,
    user: &AuthUser,
    key: Option<String>,
    name: Option<String>,
) -> Result<Channel, AppError> {
    user.require(Role::Supervisor)?;
    let mut v = Validator::new();
    let key = match key {
        Some(k) => v.check(ChannelKey::parse("key", &k)),
        None => {
            v.push(crate::error::FieldError::required("key"));
            None
        }
    };
    let name = v.check(required_text("name", name.as_deref().unwrap_or(""), 100));
    v.finish()?;
    let (Some(key), Some(name)) = (key, name) else {
        return Err(AppError::internal(anyhow::anyhow!(
            "validated fields missing"
        )));
    };
    let office = user.office.clone();
    let actor = user.id.clone();
    state
        .db
        .write(move |c| {
            if repo::key_taken(c, &office.path, key.as_str())? {
                return Err(AppError::Conflict(Msg::new(
                    "A channel with this key already exists for this office, above it or below it.",
                    "Saluran dengan kunci ini sudah ada untuk kantor ini, di atasnya atau di bawahnya.",
                )));
            }
            let now = crate::db::now();
            let channel = Channel {
                id: uuid::Uuid::now_v7().to_string(),
                office_id: Some(office.id.clone()),
                key: key.into_string(),
                name_id: name.clone(),
                name,
                builtin: false,
                created_at: now,
                updated_at: now,
            };
            repo::insert(c, &channel)?;
            audit::record(
                c,
                AuditEvent {
                    actor_id: Some(&actor),
                    office_id: Some(&office.id),
                    action: "channel_created",
                    subject_type: "channel",
                    subject_id: Some(&channel.id),
                    detail: Some(serde_json::json!({ "key": channel.key })),
                    client_addr: None,
                },
            )?;
            Ok(channel)
        })
        .await
}
