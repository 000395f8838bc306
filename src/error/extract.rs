//! How a body, query or path that does not parse becomes a problem: the error handlers of
//! actix's extractor configurations, and the classification of serde's errors, which never
//! echoes a value the client sent (a NIK could sit in a mistyped field).

use super::{AppError, Msg};

/// A JSON body error, described without echoing any value the client sent (a NIK could sit in
/// a mistyped field): serde's messages for unknown or missing fields name only the field.
pub fn json_error(err: &actix_web::error::JsonPayloadError) -> AppError {
    use actix_web::error::JsonPayloadError as E;
    match err {
        E::OverflowKnownLength { .. } | E::Overflow { .. } => AppError::PayloadTooLarge,
        E::ContentType => AppError::UnsupportedMediaType,
        E::Deserialize(e) => serde_error(e),
        E::Payload(e) => payload_error(e),
        _ => unreadable_body(),
    }
}

/// A body that could not be read: too large (413), too slow (408), or broken (400).
pub fn payload_error(err: &actix_web::error::PayloadError) -> AppError {
    use actix_web::error::PayloadError as P;
    match err {
        P::Overflow => AppError::PayloadTooLarge,
        P::Io(e) if e.kind() == std::io::ErrorKind::TimedOut => AppError::RequestTimeout,
        _ => unreadable_body(),
    }
}

fn unreadable_body() -> AppError {
    AppError::Malformed(Msg::new(
        "The request body could not be read.",
        "Isi permintaan tidak dapat dibaca.",
    ))
}

pub fn serde_error(e: &serde_json::Error) -> AppError {
    use serde_json::error::Category;
    let (line, col) = (e.line(), e.column());
    let msg = match e.classify() {
        Category::Syntax | Category::Eof | Category::Io => Msg::new(
            format!("The body is not valid JSON (line {line}, column {col})."),
            format!("Isi permintaan bukan JSON yang valid (baris {line}, kolom {col})."),
        ),
        Category::Data => {
            let text = e.to_string();
            if let Some(field) = backticked_after(&text, "unknown field `") {
                Msg::new(
                    format!("Unknown field `{field}`."),
                    format!("Kolom `{field}` tidak dikenal."),
                )
            } else if let Some(field) = backticked_after(&text, "missing field `") {
                Msg::new(
                    format!("Missing field `{field}`."),
                    format!("Kolom `{field}` tidak ada."),
                )
            } else {
                Msg::new(
                    format!("A value has the wrong type or shape (line {line}, column {col})."),
                    format!(
                        "Ada nilai dengan tipe atau bentuk yang salah (baris {line}, kolom {col})."
                    ),
                )
            }
        }
    };
    AppError::Malformed(msg)
}

fn backticked_after<'a>(text: &'a str, prefix: &str) -> Option<&'a str> {
    let start = text.find(prefix)? + prefix.len();
    let rest = &text[start..];
    let end = rest.find('`')?;
    Some(&rest[..end])
}

/// Extractor configs: malformed bodies, queries and paths answer problem+json.
pub fn json_config(limit: usize) -> actix_web::web::JsonConfig {
    actix_web::web::JsonConfig::default()
        .limit(limit)
        .content_type_required(true)
        .error_handler(|err, _req| json_error(&err).into())
}

pub fn query_config() -> actix_web::web::QueryConfig {
    actix_web::web::QueryConfig::default().error_handler(|err, _req| {
        let text = err.to_string();
        let detail = text
            .strip_prefix("Query deserialize error: ")
            .unwrap_or(&text)
            .to_string();
        AppError::Malformed(Msg::new(
            format!("The query string is not valid: {detail}"),
            format!("Parameter kueri tidak valid: {detail}"),
        ))
        .into()
    })
}

pub fn path_config() -> actix_web::web::PathConfig {
    actix_web::web::PathConfig::default().error_handler(|_err, _req| {
        AppError::Malformed(Msg::new(
            "A path parameter is not valid (ids are UUIDs).",
            "Parameter path tidak valid (id berupa UUID).",
        ))
        .into()
    })
}
