//! Bodies of the pull route.

use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

use crate::channels::dto::ChannelResponse;
use crate::events::dto::{EventResponse, StaffResponse};

#[derive(Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct SyncChangesQuery {
    /// `next_cursor` of the previous answer; absent on a phone's first pull.
    pub cursor: Option<String>,
    /// Events per answer, 1 to 500 (default 50).
    pub limit: Option<i64>,
}

/// Changes since the cursor. Clients upsert everything by id; items may repeat across
/// answers (the cursor overlaps on purpose), never go missing.
#[derive(Clone, Debug, Serialize, Deserialize, ToSchema)]
pub struct SyncChangesResponse {
    /// Channels the office may use that changed (all of them on a first pull). Sent with
    /// the first answer of each pass, empty on the answers that continue it.
    pub channels: Vec<ChannelResponse>,
    /// The office's events: on a first pull those `open` or `returned`; afterwards every
    /// event that changed, whatever its status (a `submitted` or `approved` one may be
    /// dropped from the phone; a `returned` one carries the reviewer's comment).
    pub events: Vec<EventResponse>,
    /// The complete staff list of each event in `events`: replace the phone's list for
    /// those events with it (an event whose staff changed is sent again).
    pub staff: Vec<StaffResponse>,
    /// Pass it on the next pull. Keep it only after applying this answer.
    pub next_cursor: String,
    /// More changes are waiting: pull again at once with `next_cursor`.
    pub has_more: bool,
}
