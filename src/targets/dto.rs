//! Request and response bodies of the target routes.

use chrono::{DateTime, NaiveDate, Utc};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

use super::repo::Target;

/// An office's target for a year. `eligible_population` is the wajib-KTP count the
/// ministry's percentage applies to; the baseline counts activations made before tracking.
#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct SetTargetRequest {
    /// Greater than 0.
    #[schema(value_type = i64, example = 308309)]
    pub eligible_population: Option<i64>,
    /// Greater than 0, at most 100.
    #[schema(value_type = f64, example = 25.0)]
    pub target_percent: Option<f64>,
    /// At least 0; 0 when absent.
    #[schema(example = 1113)]
    pub baseline_activations: Option<i64>,
    /// `YYYY-MM-DD`, the day the baseline was counted; not after the target year. Blank
    /// or null: no date.
    #[schema(schema_with = crate::openapi::date_or_blank)]
    pub baseline_date: Option<String>,
}

#[derive(Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct ListTargetsQuery {
    /// Page size, 1-500 (default 50).
    pub limit: Option<i64>,
    /// `next_cursor` of the previous page.
    pub cursor: Option<String>,
}

#[derive(Serialize, Deserialize, ToSchema, Clone, Debug)]
pub struct TargetResponse {
    pub office_id: String,
    pub year: i32,
    pub eligible_population: i64,
    pub target_percent: f64,
    /// `ceil(eligible_population * target_percent / 100)`.
    pub target_activations: i64,
    pub baseline_activations: i64,
    pub baseline_date: Option<NaiveDate>,
    pub updated_at: DateTime<Utc>,
}

impl From<Target> for TargetResponse {
    fn from(t: Target) -> Self {
        TargetResponse {
            target_activations: target_activations(t.eligible_population, t.target_percent),
            office_id: t.office_id,
            year: t.year,
            eligible_population: t.eligible_population,
            target_percent: t.target_percent,
            baseline_activations: t.baseline_activations,
            baseline_date: t.baseline_date,
            updated_at: t.updated_at.and_utc(),
        }
    }
}

/// `ceil(population * percent / 100)`, without letting binary rounding push an exact
/// product over the next integer (1000 * 14.3 / 100 is 143.00000000000003 in f64).
pub fn target_activations(population: i64, percent: f64) -> i64 {
    let exact = population as f64 * percent / 100.0;
    let nearest = exact.round();
    if (exact - nearest).abs() <= 1e-9 * nearest.abs().max(1.0) {
        nearest as i64
    } else {
        exact.ceil() as i64
    }
}

#[cfg(test)]
mod tests {
    use super::target_activations;

    #[test]
    fn ceil_of_the_product_without_float_noise() {
        assert_eq!(target_activations(1000, 14.3), 143);
        assert_eq!(target_activations(300_110, 25.0), 75_028);
        assert_eq!(target_activations(3, 10.0), 1);
        assert_eq!(target_activations(383_965, 25.0), 95_992);
        assert_eq!(target_activations(100, 100.0), 100);
    }
}
