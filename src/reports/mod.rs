//! Supervisor reports: per-event yields, channel comparison, progress against targets,
//! daily/weekly/monthly series, staff, offices and failure breakdowns, as JSON, CSV or XLSX.
//!
//! Reports only read: the roll-ups they read are kept by `crate::tallies`, which the
//! features' repositories keep current; nothing here writes.

pub mod csv;
pub mod dto;
pub mod repo;
pub mod routes;
pub mod service;
pub mod sheets;
pub mod xlsx;

/// Does the client ask for `media` (in `Accept`, with a non-zero weight)? The CSV and XLSX
/// answers of every report are chosen by this.
pub fn accepts(req: &actix_web::HttpRequest, media: &str) -> bool {
    req.headers()
        .get(actix_web::http::header::ACCEPT)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|accept| {
            accept.split(',').any(|part| {
                let mut it = part.split(';');
                let asked = it.next().unwrap_or("").trim();
                let zero = it.any(|p| {
                    p.trim()
                        .strip_prefix("q=")
                        .and_then(|q| q.trim().parse::<f32>().ok())
                        .is_some_and(|q| q <= 0.0)
                });
                asked.eq_ignore_ascii_case(media) && !zero
            })
        })
}
