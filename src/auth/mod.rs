//! Authentication and authorisation: passwords, tokens, throttling, the `AuthUser`
//! extractor and the caller's scope.

pub mod cache;
pub mod dto;
pub mod extractor;
pub mod keys;
pub mod password;
pub mod routes;
pub mod service;
pub mod throttle;
pub mod tokens;

pub use extractor::{AuthUser, Scope};
