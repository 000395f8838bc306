//! Reading the areas: public reference data, the same for every logged-in caller, so there
//! is no role or scope to check.

use std::collections::HashMap;

use super::dto::{AreaResponse, ListAreas};
use super::repo;
use crate::error::{AppError, AppResult};
use crate::pagination::Page;
use crate::state::AppState;

/// One page of the areas matching the request, by code.
pub async fn list(state: &AppState, request: ListAreas) -> AppResult<Page<AreaResponse>> {
    let limit = request.limit;
    let rows = state
        .db
        .read(move |c| repo::list(c, &request.filter, request.after.as_deref(), limit + 1))
        .await?;
    let items = rows
        .into_iter()
        .map(AreaResponse::try_from)
        .collect::<Result<Vec<_>, _>>()?;
    Ok(Page::from_rows(items, limit, |a| vec![a.code.clone()]))
}

/// The area with this code, or 404.
pub async fn get(state: &AppState, code: String) -> AppResult<AreaResponse> {
    let area = state.db.read(move |c| repo::find(c, &code)).await?;
    area.ok_or(AppError::NotFound)?.try_into()
}

/// The names of the known codes among `codes` (code to name), to show beside the codes of
/// events and activations; no database call when there is no code.
pub async fn names_of(state: &AppState, codes: Vec<String>) -> AppResult<HashMap<String, String>> {
    if codes.is_empty() {
        return Ok(HashMap::new());
    }
    state.db.read(move |c| repo::name_of(c, &codes)).await
}
