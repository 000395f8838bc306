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

/// The forms a report is answered in.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Format {
    Json,
    Csv,
    Xlsx,
}

/// The form the client weighs highest in `Accept`, read by actix's typed header: quality
/// values honoured (`q=0` refuses), the more specific first among equals, JSON for `*/*`,
/// `application/*`, anything else or no header (a report never answers 406).
pub fn format(req: &actix_web::HttpRequest) -> Format {
    use actix_web::http::header::{Accept, Header, Quality};
    let Ok(Accept(items)) = Accept::parse(req) else {
        return Format::Json;
    };
    let wanted = Accept(
        items
            .into_iter()
            .filter(|item| item.quality > Quality::ZERO)
            .collect(),
    );
    for media in wanted.ranked() {
        match media.essence_str() {
            "text/csv" => return Format::Csv,
            xlsx::XLSX => return Format::Xlsx,
            "application/json" | "*/*" | "application/*" => return Format::Json,
            _ => {}
        }
    }
    Format::Json
}

#[cfg(test)]
mod tests {
    use super::*;

    fn format_for(accept: &str) -> Format {
        let req = actix_web::test::TestRequest::default()
            .insert_header(("accept", accept))
            .to_http_request();
        format(&req)
    }

    #[test]
    fn the_highest_weighted_form_wins() {
        assert_eq!(format_for("text/csv"), Format::Csv);
        assert_eq!(format_for(xlsx::XLSX), Format::Xlsx);
        assert_eq!(format_for("application/json"), Format::Json);
        assert_eq!(format_for("application/json, text/csv;q=0.5"), Format::Json);
        assert_eq!(format_for("application/json;q=0.5, text/csv"), Format::Csv);
        assert_eq!(format_for("*/*, text/csv"), Format::Csv);
        assert_eq!(format_for("text/csv;q=0"), Format::Json);
        assert_eq!(format_for("text/html, */*;q=0.8"), Format::Json);
        assert_eq!(format_for("not a media type"), Format::Json);
    }
}
