//! How a body, query or path that does not parse becomes a problem: the error handlers of
//! actix's extractor configurations, and the classification of serde's errors, which never
//! echoes a value the client sent (a NIK could sit in a mistyped field).

use super::{AppError, Msg};

/// A JSON body error from actix's own `web::Json` (the API's handlers take
/// `crate::extract::Json`, which names the field), described without echoing any value.
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

/// A JSON text that did not parse as a whole: not JSON at all (a syntax error, located by
/// line and column), or JSON of the wrong shape when no replay can say where (see
/// [`json_shape_error`], which every body and sync item goes through).
pub fn serde_error(e: &serde_json::Error) -> AppError {
    use serde_json::error::Category;
    let (line, col) = (e.line(), e.column());
    match e.classify() {
        Category::Syntax | Category::Eof | Category::Io => AppError::Malformed(Msg::new(
            format!("The body is not valid JSON (line {line}, column {col})."),
            format!("Isi permintaan bukan JSON yang valid (baris {line}, kolom {col})."),
        )),
        Category::Data => AppError::Malformed(Msg::new(
            format!("A value has the wrong type or shape (line {line}, column {col})."),
            format!("Ada nilai dengan tipe atau bentuk yang salah (baris {line}, kolom {col})."),
        )),
    }
}

/// A JSON body (or one sync item) that `T` refused, its field named: `e` is the error of the
/// plain parse; only then is it parsed again, tracking the path, so a good body is read once.
pub fn json_shape_error<'de, T, D>(e: &serde_json::Error, replay: D) -> AppError
where
    T: serde::Deserialize<'de>,
    D: serde::Deserializer<'de, Error = serde_json::Error>,
{
    if e.classify() != serde_json::error::Category::Data {
        return serde_error(e);
    }
    match serde_path_to_error::deserialize::<D, T>(replay) {
        Err(located) => shape_error(Source::Body, located.path(), &located.inner().to_string()),
        Ok(_) => serde_error(e),
    }
}

/// A query string that `T` refused, the parameter named (never its value).
pub fn query_shape_error<T: serde::de::DeserializeOwned>(query: &str) -> AppError {
    let replay = serde_urlencoded::Deserializer::new(form_urlencoded::parse(query.as_bytes()));
    match serde_path_to_error::deserialize::<_, T>(replay) {
        Err(located) => shape_error(Source::Query, located.path(), &located.inner().to_string()),
        Ok(_) => AppError::Malformed(Msg::new(
            "The query string is not valid.",
            "Parameter kueri tidak valid.",
        )),
    }
}

#[derive(Clone, Copy, PartialEq)]
enum Source {
    Body,
    Query,
}

/// Longest field path an error repeats (an unknown key is client text).
const MAX_PATH: usize = 100;

/// The problem for a value of the wrong shape at `path`. Where is structural (the path
/// serde_path_to_error tracked); what kind of wrong is in the message only: serde's
/// `de::Error::unknown_field` and `missing_field` write a fixed wording and the formats'
/// error types (serde_json's, serde_urlencoded's) keep that text and nothing else, so its
/// first words are read, and the missing field's name, which no path holds, after them. The
/// rest of the message is never repeated: it can quote the client's value (a NIK).
fn shape_error(source: Source, path: &serde_path_to_error::Path, message: &str) -> AppError {
    let mut at = path.to_string();
    if at == "." {
        at.clear();
    }
    let missing = message
        .strip_prefix("missing field `")
        .and_then(|rest| rest.split('`').next());
    let (kind, field) = if message.starts_with("unknown field `") {
        (Kind::Unknown, at)
    } else if let Some(name) = missing {
        let field = if at.is_empty() {
            name.to_string()
        } else {
            format!("{at}.{name}")
        };
        (Kind::Missing, field)
    } else {
        (Kind::Invalid, at)
    };
    let field = bounded(&field);
    let msg = match (source, kind) {
        (Source::Body, Kind::Unknown) => Msg::new(
            format!("Unknown field `{field}`."),
            format!("Kolom `{field}` tidak dikenal."),
        ),
        (Source::Body, Kind::Missing) => Msg::new(
            format!("Missing field `{field}`."),
            format!("Kolom `{field}` tidak ada."),
        ),
        (Source::Body, Kind::Invalid) if field.is_empty() => Msg::new(
            "The body has the wrong type or shape.",
            "Isi permintaan bertipe atau berbentuk salah.",
        ),
        (Source::Body, Kind::Invalid) => Msg::new(
            format!("The value of `{field}` has the wrong type or shape."),
            format!("Nilai `{field}` bertipe atau berbentuk salah."),
        ),
        (Source::Query, Kind::Unknown) => Msg::new(
            format!("The query string is not valid: unknown parameter `{field}`."),
            format!("Parameter kueri tidak valid: parameter `{field}` tidak dikenal."),
        ),
        (Source::Query, Kind::Missing) => Msg::new(
            format!("The query string is not valid: missing parameter `{field}`."),
            format!("Parameter kueri tidak valid: parameter `{field}` tidak ada."),
        ),
        (Source::Query, Kind::Invalid) if field.is_empty() => Msg::new(
            "The query string is not valid.",
            "Parameter kueri tidak valid.",
        ),
        (Source::Query, Kind::Invalid) => Msg::new(
            format!("The query string is not valid: `{field}` has the wrong type or form."),
            format!("Parameter kueri tidak valid: `{field}` bertipe atau berbentuk salah."),
        ),
    };
    AppError::Malformed(msg)
}

enum Kind {
    Unknown,
    Missing,
    Invalid,
}

/// At most [`MAX_PATH`] characters of a path, control characters shown as `?`.
fn bounded(path: &str) -> String {
    let mut out: String = path
        .chars()
        .take(MAX_PATH)
        .map(|c| if c.is_control() { '?' } else { c })
        .collect();
    if path.chars().count() > MAX_PATH {
        out.push('…');
    }
    out
}

/// Extractor configs: malformed bodies, queries and paths answer problem+json.
pub fn json_config(limit: usize) -> actix_web::web::JsonConfig {
    actix_web::web::JsonConfig::default()
        .limit(limit)
        .content_type_required(true)
        .error_handler(|err, _req| json_error(&err).into())
}

pub fn query_config() -> actix_web::web::QueryConfig {
    // Only a `web::Query` answers through this; the API's handlers take
    // `crate::extract::Query`, which names the parameter. serde_urlencoded's text is not
    // repeated: it can quote a value the client sent.
    actix_web::web::QueryConfig::default().error_handler(|_err, _req| {
        AppError::Malformed(Msg::new(
            "The query string is not valid.",
            "Parameter kueri tidak valid.",
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
