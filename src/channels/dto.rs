//! Request and response bodies of the channel routes.

use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

use super::repo::Channel;
use crate::error::Lang;

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CreateChannelRequest {
    /// snake_case, unique among the channels the office sees.
    #[schema(example = "market_day")]
    pub key: Option<String>,
    #[schema(example = "Market day stand")]
    pub name: Option<String>,
}

#[derive(Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct ListChannelsQuery {
    /// Page size, 1 to 500 (default 50).
    pub limit: Option<i64>,
    /// `next_cursor` of the previous page.
    pub cursor: Option<String>,
}

/// An outreach channel. `name` is Indonesian when the request says `Accept-Language: id`.
#[derive(Clone, Debug, Serialize, Deserialize, ToSchema)]
pub struct ChannelResponse {
    pub id: String,
    #[schema(example = "village_visit")]
    pub key: String,
    #[schema(example = "Village visit")]
    pub name: String,
    /// Built-in channels are shared by every office and cannot be changed.
    pub builtin: bool,
}

impl ChannelResponse {
    pub fn from_row(row: Channel, lang: Lang) -> ChannelResponse {
        ChannelResponse {
            id: row.id,
            key: row.key,
            name: match lang {
                Lang::En => row.name,
                Lang::Id => row.name_id,
            },
            builtin: row.builtin,
        }
    }
}
