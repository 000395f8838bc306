//! The edge: text a client sends is refused with a 422 naming the field when it carries a
//! control character, before any handler or database sees it. PostgreSQL cannot store a NUL
//! at all (it answered 500 while SQLite stored it), and no field of this API has a use for
//! the others; tab, line feed and carriage return stay allowed for multi-line text.
//!
//! Bodies go through [`Json`], the JSON extractor of every handler; the query string and the
//! path through [`refuse_control_characters`], a middleware. [`Json`] and [`Query`] name the
//! field or parameter a value of the wrong shape sits in.

use std::future::Future;
use std::pin::Pin;

use actix_web::body::{EitherBody, MessageBody};
use actix_web::dev::{Payload, ServiceRequest, ServiceResponse};
use actix_web::middleware::Next;
use actix_web::{web, FromRequest, HttpMessage, HttpRequest};
use serde::de::DeserializeOwned;

use crate::error::{AppError, FieldError, Msg};

/// Longest field name an error repeats (a key is client text too).
const MAX_NAME: usize = 64;

pub use crate::domain::is_refused;

fn control_error(field: &str) -> FieldError {
    let mut name: String = field
        .chars()
        .map(|c| if is_refused(c) { '?' } else { c })
        .take(MAX_NAME)
        .collect();
    if field.chars().count() > MAX_NAME {
        name.push('…');
    }
    crate::domain::control_character(name)
}

/// A JSON body, like `actix_web::web::Json` (the same limit, content type rule and problem
/// answers), whose strings carry no control character.
pub struct Json<T>(pub T);

impl<T> Json<T> {
    pub fn into_inner(self) -> T {
        self.0
    }
}

impl<T> std::ops::Deref for Json<T> {
    type Target = T;
    fn deref(&self) -> &T {
        &self.0
    }
}

impl<T: DeserializeOwned + 'static> FromRequest for Json<T> {
    type Error = actix_web::Error;
    type Future = Pin<Box<dyn Future<Output = Result<Self, Self::Error>>>>;

    fn from_request(req: &HttpRequest, payload: &mut Payload) -> Self::Future {
        let content_type = req.content_type().to_ascii_lowercase();
        let json = content_type == "application/json" || content_type.ends_with("+json");
        // `web::Bytes` reads within the `PayloadConfig` limit and inflates an encoded body.
        let bytes = web::Bytes::from_request(req, payload);
        Box::pin(async move {
            if !json {
                return Err(AppError::UnsupportedMediaType.into());
            }
            let bytes =
                bytes
                    .await
                    .map_err(|e| match e.as_error::<actix_web::error::PayloadError>() {
                        Some(p) => crate::error::payload_error(p),
                        None => AppError::Malformed(Msg::new(
                            "The request body could not be read.",
                            "Isi permintaan tidak dapat dibaca.",
                        )),
                    })?;
            if may_hold_control(&bytes) {
                if let Some(field) = control_field(&bytes) {
                    return Err(AppError::Validation(vec![control_error(&field)]).into());
                }
            }
            serde_json::from_slice(&bytes).map(Json).map_err(|e| {
                let replay = &mut serde_json::Deserializer::from_slice(&bytes);
                crate::error::json_shape_error::<T, _>(&e, replay).into()
            })
        })
    }
}

/// A cheap first look at a JSON text: false when no string in it can hold a refused
/// character, which is every ordinary body (so they are parsed once, as before). In JSON a
/// C0 control can only appear escaped (`\u00XX`, `\b`, `\f`); DEL and C1 may also appear raw.
fn may_hold_control(bytes: &[u8]) -> bool {
    let mut i = 0;
    while i < bytes.len() {
        match bytes[i] {
            b'\\' => match bytes.get(i + 1) {
                Some(b'u' | b'b' | b'f') => return true,
                _ => i += 2,
            },
            0x7f => return true,
            0xc2 if bytes.get(i + 1).is_some_and(|b| (0x80..=0x9f).contains(b)) => return true,
            _ => i += 1,
        }
    }
    false
}

/// A query string, like `actix_web::web::Query`, whose errors name the parameter (never its
/// value). Control characters were refused before, by [`refuse_control_characters`].
pub struct Query<T>(pub T);

impl<T> Query<T> {
    pub fn into_inner(self) -> T {
        self.0
    }
}

impl<T> std::ops::Deref for Query<T> {
    type Target = T;
    fn deref(&self) -> &T {
        &self.0
    }
}

impl<T: DeserializeOwned> FromRequest for Query<T> {
    type Error = actix_web::Error;
    type Future = std::future::Ready<Result<Self, Self::Error>>;

    fn from_request(req: &HttpRequest, _: &mut Payload) -> Self::Future {
        let query = req.query_string();
        std::future::ready(
            serde_urlencoded::from_str::<T>(query)
                .map(Query)
                .map_err(|_| crate::error::query_shape_error::<T>(query).into()),
        )
    }
}

/// The path of the first string (or key) with a refused character, as `items[3].area_code`.
fn control_field(bytes: &[u8]) -> Option<String> {
    let value: serde_json::Value = serde_json::from_slice(bytes).ok()?;
    find_control(&value, String::new())
}

fn find_control(value: &serde_json::Value, path: String) -> Option<String> {
    use serde_json::Value;
    match value {
        Value::String(s) if s.chars().any(is_refused) => {
            Some(if path.is_empty() { "body".into() } else { path })
        }
        Value::Array(items) => items
            .iter()
            .enumerate()
            .find_map(|(i, v)| find_control(v, format!("{path}[{i}]"))),
        Value::Object(map) => map.iter().find_map(|(k, v)| {
            let here = if path.is_empty() {
                k.clone()
            } else {
                format!("{path}.{k}")
            };
            if k.chars().any(is_refused) {
                Some(here)
            } else {
                find_control(v, here)
            }
        }),
        _ => None,
    }
}

/// Middleware: a query parameter (name or value) with a refused character answers 422 naming
/// it; a path with one answers 404 (no resource has such a name). The answer carries the
/// error, so the request middleware renders it in the caller's language.
pub async fn refuse_control_characters(
    req: ServiceRequest,
    next: Next<impl MessageBody + 'static>,
) -> Result<ServiceResponse<EitherBody<impl MessageBody>>, actix_web::Error> {
    match refused(&req) {
        Some(error) => Ok(req.error_response(error).map_into_right_body()),
        None => next
            .call(req)
            .await
            .map(ServiceResponse::map_into_left_body),
    }
}

fn refused(req: &ServiceRequest) -> Option<AppError> {
    let query = req.query_string();
    if !query.is_empty() {
        let errors: Vec<FieldError> = form_urlencoded::parse(query.as_bytes())
            .filter(|(k, v)| k.chars().any(is_refused) || v.chars().any(is_refused))
            .map(|(k, _)| control_error(&k))
            .collect();
        if !errors.is_empty() {
            return Some(AppError::Validation(errors));
        }
    }
    let path = req.path();
    let bad_path = path.contains('%')
        && percent_encoding::percent_decode_str(path)
            .decode_utf8_lossy()
            .chars()
            .any(is_refused);
    bad_path.then_some(AppError::NotFound)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ordinary_bodies_skip_the_second_parse() {
        assert!(!may_hold_control(
            br#"{"name":"Kota Bandung","note":"a\nb \"q\" \\"}"#
        ));
        assert!(may_hold_control(br#"{"name":"a\u0000b"}"#));
        assert!(may_hold_control("{\"name\":\"a\u{85}b\"}".as_bytes()));
    }

    #[test]
    fn the_field_is_named_by_its_path() {
        let body = br#"{"items":[{"id":"x"},{"area_code":"1\u0000"}]}"#;
        assert_eq!(control_field(body).as_deref(), Some("items[1].area_code"));
        assert_eq!(control_field(br#"{"note":"a\nb\tc"}"#), None);
        // An escaped NUL-looking text is no NUL.
        assert_eq!(control_field(br#"{"note":"\\u0000"}"#), None);
    }
}
