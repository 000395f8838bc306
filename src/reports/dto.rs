//! Report queries and answers. Figures are not rounded; a figure that cannot be computed is
//! `null`, never 0.

use std::collections::BTreeMap;

use chrono::NaiveDate;
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

/// `office_id` (default: the caller's office) and a period of local dates, both inclusive
/// (default: 1 January of the office's current year to today, in its time zone).
#[derive(Debug, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
pub struct PeriodQuery {
    pub office_id: Option<String>,
    /// First local date (YYYY-MM-DD), inclusive.
    pub from: Option<String>,
    /// Last local date (YYYY-MM-DD), inclusive.
    pub to: Option<String>,
}

#[derive(Debug, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
pub struct DailyQuery {
    pub office_id: Option<String>,
    pub from: Option<String>,
    pub to: Option<String>,
    /// `day` (default), `week` (weeks start on Monday; `date` is the Monday) or `month`
    /// (`date` is the first of the month). Partial buckets at the period's edges count only
    /// the days inside it.
    pub bucket: Option<String>,
}

#[derive(Debug, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
pub struct ProgressQuery {
    pub office_id: Option<String>,
    /// Target year (default: the office's current year).
    pub year: Option<i32>,
    /// The day the figures are taken at: activations recorded after it are not counted, and
    /// the 28-day rate ends on it (default: today in the office's time zone, or the year's last
    /// day for a past year).
    pub as_of: Option<String>,
}

#[derive(Debug, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
pub struct OfficesQuery {
    pub office_id: Option<String>,
    pub from: Option<String>,
    pub to: Option<String>,
    /// Target year for achievement and projection (default: the year of `to`).
    pub year: Option<i32>,
    /// The day achievement is taken at: activations recorded after it are not counted, and the
    /// 28-day rate ends on it (default: today, or the year's last day for a past year).
    pub as_of: Option<String>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct StaffYield {
    pub user_id: String,
    pub activated: i64,
    pub failed: i64,
    /// Hours logged for this staff member at the event; `null` when none.
    pub hours: Option<f64>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct YieldResponse {
    pub event_id: String,
    /// Counted activations: not voided, not a repeat citizen.
    pub activated: i64,
    /// Failed attempts, not voided.
    pub failed: i64,
    /// activated / (activated + failed); `null` with no attempts.
    pub success_rate: Option<f64>,
    pub failure_reasons: BTreeMap<String, i64>,
    /// Sum of the staff's hours; `null` when no hours are logged.
    pub staff_hours: Option<f64>,
    pub activations_per_staff_hour: Option<f64>,
    /// cost_idr / activated; `null` without a cost or without activations.
    pub cost_per_activation_idr: Option<f64>,
    pub staff: Vec<StaffYield>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct ChannelRow {
    pub channel_key: String,
    pub events: i64,
    pub activated: i64,
    pub failed: i64,
    pub success_rate: Option<f64>,
    /// Median of counted activations over the channel's events, events with none included.
    pub median_activated_per_event: f64,
    pub staff_hours: Option<f64>,
    /// activated / staff_hours over the channel's events.
    pub activations_per_staff_hour: Option<f64>,
    /// Sum of the events' cost_idr / activated; `null` when no event has a cost.
    pub cost_per_activation_idr: Option<f64>,
    /// The most frequent failure reason (ties: alphabetical); `null` without failures.
    pub top_failure_reason: Option<String>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct ChannelsReport {
    pub office_id: String,
    pub from: NaiveDate,
    pub to: NaiveDate,
    /// One row per channel with at least one event in the period, best
    /// `activations_per_staff_hour` first (channels without hours last).
    pub rows: Vec<ChannelRow>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct ProgressReport {
    pub office_id: String,
    pub year: i32,
    pub as_of: NaiveDate,
    pub eligible_population: Option<i64>,
    pub target_percent: Option<f64>,
    /// ceil(eligible_population * target_percent / 100).
    pub target_activations: Option<i64>,
    pub baseline_activations: Option<i64>,
    /// Counted activations of the office and its sub-offices recorded (local day) in `year`
    /// up to and including `as_of`.
    pub tracked_activations: i64,
    /// Of `tracked_activations`: citizens whose NIK names a district inside the office's
    /// region (the NIK's first six digits; for the national office, every NIK).
    pub resident_activations: i64,
    /// Of `tracked_activations`: citizens whose NIK names a district outside the region.
    pub non_resident_activations: i64,
    /// Of `tracked_activations`: recorded without a NIK, so their residence is unknown.
    pub unknown_residence_activations: i64,
    /// baseline + tracked (tracked alone without a target).
    pub total_activations: i64,
    pub achieved_percent: Option<f64>,
    /// max(0, target - total).
    pub remaining: Option<i64>,
    /// Counted activations of the 28 local days ending on `as_of`, divided by 28.
    pub daily_rate_28d: f64,
    /// as_of + ceil(remaining / daily_rate_28d) days; `null` without a target or a rate.
    pub projected_target_date: Option<NaiveDate>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct DayRow {
    pub date: NaiveDate,
    pub activated: i64,
    pub failed: i64,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct DailyReport {
    pub office_id: String,
    pub from: NaiveDate,
    pub to: NaiveDate,
    pub bucket: String,
    /// Every bucket of the period, zeros included, in date order.
    pub days: Vec<DayRow>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct StaffRow {
    pub user_id: String,
    pub username: Option<String>,
    pub full_name: Option<String>,
    pub office_id: Option<String>,
    /// Events of the period where they logged hours or recorded an attempt.
    pub events: i64,
    pub hours: Option<f64>,
    pub activated: i64,
    pub failed: i64,
    pub success_rate: Option<f64>,
    pub activations_per_staff_hour: Option<f64>,
    pub top_failure_reason: Option<String>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct StaffReport {
    pub office_id: String,
    pub from: NaiveDate,
    pub to: NaiveDate,
    /// Most activations first.
    pub rows: Vec<StaffRow>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct OfficeRow {
    pub rank: i64,
    pub office_id: String,
    pub code: String,
    pub name: String,
    pub level: String,
    pub events: i64,
    pub activated: i64,
    pub failed: i64,
    pub success_rate: Option<f64>,
    pub staff_hours: Option<f64>,
    pub activations_per_staff_hour: Option<f64>,
    pub target_activations: Option<i64>,
    pub total_activations: Option<i64>,
    pub achieved_percent: Option<f64>,
    pub projected_target_date: Option<NaiveDate>,
    /// Counted activations of the office and its sub-offices recorded (local day) in `year`
    /// (the tracked part of `total_activations`), split by where the citizens live: inside
    /// this office's region by their NIK, ...
    pub resident_activations: i64,
    /// ... outside it, ...
    pub non_resident_activations: i64,
    /// ... or unknown (no NIK).
    pub unknown_residence_activations: i64,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct OfficesReport {
    pub office_id: String,
    pub from: NaiveDate,
    pub to: NaiveDate,
    pub year: i32,
    pub as_of: NaiveDate,
    /// The offices directly below, ranked by achieved_percent (then activated); offices
    /// without a target rank after those with one.
    pub rows: Vec<OfficeRow>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct ReasonCount {
    pub reason: String,
    pub failed: i64,
    /// Share of all failed attempts of the period.
    pub share: f64,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct FailureBreakdown {
    /// The channel key or the age band.
    pub key: String,
    /// Counted activations plus failed attempts.
    pub attempts: i64,
    pub failed: i64,
    pub failure_rate: Option<f64>,
    pub reasons: BTreeMap<String, i64>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct FailuresReport {
    pub office_id: String,
    pub from: NaiveDate,
    pub to: NaiveDate,
    pub failed: i64,
    /// Most frequent first.
    pub by_reason: Vec<ReasonCount>,
    pub by_channel: Vec<FailureBreakdown>,
    /// `17-24`, `25-39`, `40-59`, `60+`, `unknown`.
    pub by_age_band: Vec<FailureBreakdown>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct CoverageSummary {
    /// Districts (kecamatan) of the region.
    pub districts: i64,
    /// Districts with at least one event in the period (in the district or in one of its
    /// villages).
    pub districts_visited: i64,
    /// Villages (desa/kelurahan) of the region.
    pub villages: i64,
    /// Villages with at least one event in the period.
    pub villages_visited: i64,
    /// villages - villages_visited.
    pub villages_never_visited: i64,
    /// villages_visited / villages; `null` for a region without villages.
    pub village_coverage: Option<f64>,
    /// Events of the office and the offices below it in the period.
    pub events: i64,
    /// Of `events`, those whose `area_code` is one of the region's districts or villages (the
    /// rest have no area code, or one the reference data no longer lists).
    pub events_with_area: i64,
}

/// A district and its events in the period: its own (area_code the district) and its
/// villages'.
#[derive(Debug, Serialize, ToSchema)]
pub struct DistrictCoverage {
    pub code: String,
    pub name: String,
    /// The regency or city it belongs to.
    pub regency_code: String,
    pub events: i64,
    /// Counted activations at those events.
    pub activated: i64,
    /// Failed attempts at those events.
    pub failed: i64,
    /// Local date of the latest of those events; `null` when none.
    pub last_visit: Option<NaiveDate>,
    pub villages: i64,
    pub villages_visited: i64,
}

/// A village and its events in the period.
#[derive(Debug, Serialize, ToSchema)]
pub struct VillageCoverage {
    pub code: String,
    pub name: String,
    pub district_code: String,
    pub events: i64,
    pub activated: i64,
    pub failed: i64,
    /// Local date of the latest event; `null` when the village was not visited.
    pub last_visit: Option<NaiveDate>,
}

/// A village without an event in the period: where the next Tilik Desa could go.
#[derive(Debug, Serialize, ToSchema)]
pub struct UnvisitedVillage {
    pub code: String,
    pub name: String,
    pub district_code: String,
    pub district_name: String,
}

/// Which districts and villages of the office's region its events reached in the period.
#[derive(Debug, Serialize, ToSchema)]
pub struct CoverageReport {
    pub office_id: String,
    /// The office's code: the region covered (`ID`: the whole country).
    pub region_code: String,
    /// The region's name from the reference data; `null` for the nation or an unknown code.
    pub region_name: Option<String>,
    pub from: NaiveDate,
    pub to: NaiveDate,
    pub summary: CoverageSummary,
    /// Every district of the region, by code.
    pub districts: Vec<DistrictCoverage>,
    /// Every village of the region, by code.
    pub villages: Vec<VillageCoverage>,
    /// The villages without an event in the period, by code.
    pub never_visited: Vec<UnvisitedVillage>,
}
