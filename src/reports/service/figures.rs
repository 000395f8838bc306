//! The statistics the reports share: rates, medians, the most frequent key, targets and
//! their achievement, and the residence split.

use std::collections::BTreeMap;

use chrono::{Duration, NaiveDate};

use super::super::repo;
use crate::domain::AreaCode;

/// `a / (a + f)`, or `null` with no attempts.
pub fn rate(activated: i64, failed: i64) -> Option<f64> {
    let total = activated + failed;
    (total > 0).then(|| activated as f64 / total as f64)
}

pub(super) fn per_hour(activated: i64, hours: Option<f64>) -> Option<f64> {
    hours.filter(|h| *h > 0.0).map(|h| activated as f64 / h)
}

pub(super) fn per_activation(cost: Option<i64>, activated: i64) -> Option<f64> {
    cost.filter(|_| activated > 0)
        .map(|c| c as f64 / activated as f64)
}

/// The most frequent key (ties: alphabetical), or `None` when all counts are zero.
pub(super) fn top(counts: &BTreeMap<String, i64>) -> Option<String> {
    counts
        .iter()
        .filter(|(_, n)| **n > 0)
        .max_by(|a, b| a.1.cmp(b.1).then_with(|| b.0.cmp(a.0)))
        .map(|(k, _)| k.clone())
}

/// The median of a histogram of (value, how many) pairs.
pub(super) fn histogram_median(mut bins: Vec<(i64, i64)>) -> f64 {
    let total: i64 = bins.iter().map(|b| b.1).sum();
    if total == 0 {
        return 0.0;
    }
    bins.sort_unstable();
    // The values at 0-based ranks (total-1)/2 and total/2; equal when total is odd.
    let value_at = |rank: i64| {
        let mut seen = 0;
        for (v, n) in &bins {
            seen += n;
            if rank < seen {
                return *v;
            }
        }
        bins.last().map(|b| b.0).unwrap_or(0)
    };
    (value_at((total - 1) / 2) + value_at(total / 2)) as f64 / 2.0
}

pub(super) fn top_reason(counts: &[i64; 9]) -> Option<String> {
    let map: BTreeMap<String, i64> = crate::tallies::REASONS
        .iter()
        .zip(counts)
        .map(|(r, n)| (r.to_string(), *n))
        .collect();
    top(&map)
}

/// Target figures for one office and year.
pub(super) struct Achievement {
    pub(super) target_activations: Option<i64>,
    pub(super) baseline: Option<i64>,
    pub(super) total: i64,
    pub(super) achieved_percent: Option<f64>,
    pub(super) remaining: Option<i64>,
    pub(super) projected: Option<NaiveDate>,
}

/// `ceil(eligible * percent / 100)`, computed so that e.g. 7.1 % of 100 is 8 only when it
/// truly exceeds 7.1 (floating-point noise below a millionth is dropped first).
pub(super) fn target_activations(eligible: i64, percent: f64) -> i64 {
    let exact = eligible as f64 * percent / 100.0;
    let cleaned = (exact * 1e6).round() / 1e6;
    cleaned.ceil() as i64
}
pub(super) fn achievement(
    target: Option<&repo::Target>,
    tracked: i64,
    last_28_days: i64,
    as_of: NaiveDate,
) -> Achievement {
    match target {
        None => Achievement {
            target_activations: None,
            baseline: None,
            total: tracked,
            achieved_percent: None,
            remaining: None,
            projected: None,
        },
        Some(t) => {
            let target = target_activations(t.eligible_population, t.target_percent);
            // Saturating: targets are bounded on input, but a row stored before the bounds
            // must not wrap into a negative total.
            let total = t.baseline_activations.saturating_add(tracked);
            let remaining = target.saturating_sub(total).max(0);
            let projected = if remaining == 0 {
                Some(as_of)
            } else if last_28_days > 0 {
                // ceil(remaining / (last_28_days / 28)) in integers, exactly.
                let days = remaining
                    .saturating_mul(28)
                    .saturating_add(last_28_days - 1)
                    / last_28_days;
                Duration::try_days(days).and_then(|d| as_of.checked_add_signed(d))
            } else {
                None
            };
            Achievement {
                target_activations: Some(target),
                baseline: Some(t.baseline_activations),
                total,
                achieved_percent: (t.eligible_population > 0)
                    .then(|| 100.0 * total as f64 / t.eligible_population as f64),
                remaining: Some(remaining),
                projected,
            }
        }
    }
}

/// Counted activations split by residence: (inside `region`, elsewhere, no NIK).
#[derive(Clone, Copy, Debug, Default)]
pub(super) struct Residence {
    pub(super) resident: i64,
    pub(super) non_resident: i64,
    pub(super) unknown: i64,
}

impl Residence {
    /// Adds `n` activations of citizens from `home_district` (`''`: no NIK), compared with the
    /// office's code `region` (`ID`: every district is inside).
    pub(super) fn add(&mut self, region: &str, home_district: &str, n: i64) {
        if home_district.is_empty() {
            self.unknown += n;
        } else if AreaCode::parse("home_district", home_district).is_ok_and(|d| d.is_within(region))
        {
            self.resident += n;
        } else {
            self.non_resident += n;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn target_is_a_ceiling_without_float_noise() {
        assert_eq!(target_activations(100, 7.1), 8);
        assert_eq!(target_activations(100, 7.0), 7);
        assert_eq!(target_activations(1000, 7.1), 71);
        assert_eq!(target_activations(308_309, 25.0), 77_078);
        assert_eq!(target_activations(383_965, 25.0), 95_992);
    }

    #[test]
    fn histogram_median_matches_the_plain_median() {
        assert_eq!(histogram_median(vec![(4, 1), (0, 1)]), 2.0);
        assert_eq!(histogram_median(vec![(1, 1), (3, 1), (2, 1)]), 2.0);
        assert_eq!(histogram_median(vec![(0, 5), (10, 4)]), 0.0);
        assert_eq!(histogram_median(vec![(0, 4), (10, 4)]), 5.0);
        assert_eq!(histogram_median(vec![]), 0.0);
    }
}
