//! `Accept: text/csv` for every report: a header row, one row per item, numbers unformatted
//! (full precision, `.` decimal point, empty for null), streamed in chunks.

use actix_web::http::header;
use actix_web::{HttpRequest, HttpResponse};
use bytes::Bytes;

use super::dto::*;

/// Does the client prefer CSV? (see [`super::format`])
pub fn wants_csv(req: &HttpRequest) -> bool {
    super::format(req) == super::Format::Csv
}

/// A report as CSV rows.
pub trait CsvRows {
    fn header(&self) -> Vec<&'static str>;
    fn rows(&self) -> Vec<Vec<String>>;
}

fn num<T: ToString>(v: Option<T>) -> String {
    v.map(|x| x.to_string()).unwrap_or_default()
}

/// A cell a spreadsheet would run as a formula (it starts with `=`, `+`, `-`, `@`, a tab
/// or a carriage return, and is not a plain number) gets a leading `'`, so Excel and
/// LibreOffice show it as text: a name like `=HYPERLINK(...)` typed on a phone must not
/// become a live formula on a supervisor's computer (OWASP, "CSV injection").
pub fn defuse(cell: &str) -> std::borrow::Cow<'_, str> {
    let risky = cell
        .chars()
        .next()
        .is_some_and(|c| matches!(c, '=' | '+' | '-' | '@' | '\t' | '\r'));
    let number = cell.parse::<f64>().is_ok()
        && cell
            .bytes()
            .all(|b| b.is_ascii_digit() || matches!(b, b'.' | b'e' | b'E' | b'+' | b'-'));
    if risky && !number {
        std::borrow::Cow::Owned(format!("'{cell}"))
    } else {
        std::borrow::Cow::Borrowed(cell)
    }
}

/// Rows per streamed chunk.
const CHUNK_ROWS: usize = 500;

/// Streams a report as `text/csv`, `filename` naming the download.
pub fn respond(report: &impl CsvRows, filename: &str) -> HttpResponse {
    let header_row = report.header();
    let rows = report.rows();
    let mut chunks: Vec<Vec<Vec<String>>> = Vec::new();
    chunks.push(vec![header_row.iter().map(|s| s.to_string()).collect()]);
    let mut rest = rows.into_iter().peekable();
    while rest.peek().is_some() {
        chunks.push(rest.by_ref().take(CHUNK_ROWS).collect());
    }
    let stream = futures_util::stream::iter(chunks.into_iter().map(|chunk| {
        let mut w = csv::Writer::from_writer(Vec::new());
        for row in chunk {
            w.write_record(row.iter().map(|cell| defuse(cell).into_owned()))
                .map_err(|e| actix_web::error::ErrorInternalServerError(e.to_string()))?;
        }
        let bytes = w
            .into_inner()
            .map_err(|e| actix_web::error::ErrorInternalServerError(e.to_string()))?;
        Ok::<Bytes, actix_web::Error>(Bytes::from(bytes))
    }));
    HttpResponse::Ok()
        .content_type("text/csv; charset=utf-8")
        .insert_header((
            header::CONTENT_DISPOSITION,
            format!("attachment; filename=\"{filename}.csv\""),
        ))
        .streaming(stream)
}

impl CsvRows for YieldResponse {
    fn header(&self) -> Vec<&'static str> {
        vec![
            "row",
            "user_id",
            "activated",
            "failed",
            "hours",
            "success_rate",
            "activations_per_staff_hour",
            "cost_per_activation_idr",
        ]
    }
    fn rows(&self) -> Vec<Vec<String>> {
        let mut rows = vec![vec![
            "event".into(),
            String::new(),
            self.activated.to_string(),
            self.failed.to_string(),
            num(self.staff_hours),
            num(self.success_rate),
            num(self.activations_per_staff_hour),
            num(self.cost_per_activation_idr),
        ]];
        for s in &self.staff {
            rows.push(vec![
                "staff".into(),
                s.user_id.clone(),
                s.activated.to_string(),
                s.failed.to_string(),
                num(s.hours),
                num(super::service::rate(s.activated, s.failed)),
                num(s.hours.filter(|h| *h > 0.0).map(|h| s.activated as f64 / h)),
                String::new(),
            ]);
        }
        rows
    }
}

impl CsvRows for ChannelsReport {
    fn header(&self) -> Vec<&'static str> {
        vec![
            "channel_key",
            "events",
            "activated",
            "failed",
            "success_rate",
            "median_activated_per_event",
            "staff_hours",
            "activations_per_staff_hour",
            "cost_per_activation_idr",
            "top_failure_reason",
        ]
    }
    fn rows(&self) -> Vec<Vec<String>> {
        self.rows
            .iter()
            .map(|r| {
                vec![
                    r.channel_key.clone(),
                    r.events.to_string(),
                    r.activated.to_string(),
                    r.failed.to_string(),
                    num(r.success_rate),
                    r.median_activated_per_event.to_string(),
                    num(r.staff_hours),
                    num(r.activations_per_staff_hour),
                    num(r.cost_per_activation_idr),
                    r.top_failure_reason.clone().unwrap_or_default(),
                ]
            })
            .collect()
    }
}

impl CsvRows for ProgressReport {
    fn header(&self) -> Vec<&'static str> {
        vec![
            "office_id",
            "year",
            "as_of",
            "eligible_population",
            "target_percent",
            "target_activations",
            "baseline_activations",
            "tracked_activations",
            "resident_activations",
            "non_resident_activations",
            "unknown_residence_activations",
            "total_activations",
            "achieved_percent",
            "remaining",
            "daily_rate_28d",
            "projected_target_date",
        ]
    }
    fn rows(&self) -> Vec<Vec<String>> {
        vec![vec![
            self.office_id.clone(),
            self.year.to_string(),
            self.as_of.to_string(),
            num(self.eligible_population),
            num(self.target_percent),
            num(self.target_activations),
            num(self.baseline_activations),
            self.tracked_activations.to_string(),
            self.resident_activations.to_string(),
            self.non_resident_activations.to_string(),
            self.unknown_residence_activations.to_string(),
            self.total_activations.to_string(),
            num(self.achieved_percent),
            num(self.remaining),
            self.daily_rate_28d.to_string(),
            num(self.projected_target_date),
        ]]
    }
}

impl CsvRows for DailyReport {
    fn header(&self) -> Vec<&'static str> {
        vec!["date", "activated", "failed"]
    }
    fn rows(&self) -> Vec<Vec<String>> {
        self.days
            .iter()
            .map(|d| {
                vec![
                    d.date.to_string(),
                    d.activated.to_string(),
                    d.failed.to_string(),
                ]
            })
            .collect()
    }
}

impl CsvRows for StaffReport {
    fn header(&self) -> Vec<&'static str> {
        vec![
            "user_id",
            "username",
            "full_name",
            "office_id",
            "events",
            "hours",
            "activated",
            "failed",
            "success_rate",
            "activations_per_staff_hour",
            "top_failure_reason",
        ]
    }
    fn rows(&self) -> Vec<Vec<String>> {
        self.rows
            .iter()
            .map(|r| {
                vec![
                    r.user_id.clone(),
                    r.username.clone().unwrap_or_default(),
                    r.full_name.clone().unwrap_or_default(),
                    r.office_id.clone().unwrap_or_default(),
                    r.events.to_string(),
                    num(r.hours),
                    r.activated.to_string(),
                    r.failed.to_string(),
                    num(r.success_rate),
                    num(r.activations_per_staff_hour),
                    r.top_failure_reason.clone().unwrap_or_default(),
                ]
            })
            .collect()
    }
}

impl CsvRows for OfficesReport {
    fn header(&self) -> Vec<&'static str> {
        vec![
            "rank",
            "office_id",
            "code",
            "name",
            "level",
            "events",
            "activated",
            "failed",
            "success_rate",
            "staff_hours",
            "activations_per_staff_hour",
            "target_activations",
            "total_activations",
            "achieved_percent",
            "projected_target_date",
            "resident_activations",
            "non_resident_activations",
            "unknown_residence_activations",
        ]
    }
    fn rows(&self) -> Vec<Vec<String>> {
        self.rows
            .iter()
            .map(|r| {
                vec![
                    r.rank.to_string(),
                    r.office_id.clone(),
                    r.code.clone(),
                    r.name.clone(),
                    r.level.clone(),
                    r.events.to_string(),
                    r.activated.to_string(),
                    r.failed.to_string(),
                    num(r.success_rate),
                    num(r.staff_hours),
                    num(r.activations_per_staff_hour),
                    num(r.target_activations),
                    num(r.total_activations),
                    num(r.achieved_percent),
                    num(r.projected_target_date),
                    r.resident_activations.to_string(),
                    r.non_resident_activations.to_string(),
                    r.unknown_residence_activations.to_string(),
                ]
            })
            .collect()
    }
}

impl CsvRows for FailuresReport {
    fn header(&self) -> Vec<&'static str> {
        vec!["dimension", "key", "failure_reason", "failed", "attempts"]
    }
    fn rows(&self) -> Vec<Vec<String>> {
        let mut rows = Vec::new();
        for r in &self.by_reason {
            rows.push(vec![
                "reason".into(),
                r.reason.clone(),
                r.reason.clone(),
                r.failed.to_string(),
                String::new(),
            ]);
        }
        for (dimension, list) in [
            ("channel", &self.by_channel),
            ("age_band", &self.by_age_band),
        ] {
            for b in list {
                for (reason, n) in &b.reasons {
                    rows.push(vec![
                        dimension.into(),
                        b.key.clone(),
                        reason.clone(),
                        n.to_string(),
                        b.attempts.to_string(),
                    ]);
                }
            }
        }
        rows
    }
}

impl CsvRows for CoverageReport {
    fn header(&self) -> Vec<&'static str> {
        vec![
            "level",
            "code",
            "name",
            "parent_code",
            "events",
            "activated",
            "failed",
            "last_visit",
            "villages",
            "villages_visited",
        ]
    }
    /// Districts and villages in code order: each district right before its villages.
    fn rows(&self) -> Vec<Vec<String>> {
        let mut rows = Vec::with_capacity(self.districts.len() + self.villages.len());
        let mut villages = self.villages.iter().peekable();
        let village_row = |v: &VillageCoverage| {
            vec![
                "village".into(),
                v.code.clone(),
                v.name.clone(),
                v.district_code.clone(),
                v.events.to_string(),
                v.activated.to_string(),
                v.failed.to_string(),
                num(v.last_visit),
                String::new(),
                String::new(),
            ]
        };
        for d in &self.districts {
            while let Some(v) = villages.next_if(|v| v.code < d.code) {
                rows.push(village_row(v));
            }
            rows.push(vec![
                "district".into(),
                d.code.clone(),
                d.name.clone(),
                d.regency_code.clone(),
                d.events.to_string(),
                d.activated.to_string(),
                d.failed.to_string(),
                num(d.last_visit),
                d.villages.to_string(),
                d.villages_visited.to_string(),
            ]);
        }
        rows.extend(villages.map(village_row));
        rows
    }
}

#[cfg(test)]
mod tests {
    use super::defuse;

    #[test]
    fn formulas_become_text_and_numbers_stay_numbers() {
        for risky in [
            "=HYPERLINK(\"x\")",
            "+1+1",
            "-2+3",
            "@SUM(A1)",
            "\tx",
            "\rx",
            "-",
            "-inf",
        ] {
            assert_eq!(defuse(risky), format!("'{risky}"));
        }
        for plain in ["Siti", "", "-3.8", "12", "0.25", "1e3", "a=b"] {
            assert_eq!(defuse(plain), plain);
        }
    }
}
