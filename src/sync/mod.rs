//! The phone's pull: what a field staff member needs offline (channels, their office's
//! events still being worked on with review comments, staff assignments), incrementally
//! from an opaque cursor. The upload side is `activations` (`POST /sync/activations`).

pub mod dto;
pub mod routes;
pub mod service;
