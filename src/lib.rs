//! jemput: a backend for tracking jemput-bola outreach for IKD (digital ID) activation.
//!
//! The crate's public face for the binary, the integration tests and the benchmarks.
//!
//! Dependencies point one way (each imports only what is to its left):
//!
//! ```text
//! domain <- db <- tallies <- {offices, events, activations} <- reports <- web
//! ```
//!
//! `db` imports no feature; [`tallies`] (the write-side projection the reports read) is
//! kept current by the repositories of offices, events and activations, in the same
//! transaction as their writes; [`reports`] only reads. `tests/api/layers.rs` checks this
//! from the source.

pub mod activations;
pub mod admin;
pub mod areas;
pub mod audit;
pub mod auth;
pub mod bootstrap;
pub mod channels;
pub mod config;
pub mod connections;
pub mod db;
pub mod docs;
pub mod domain;
pub mod error;
pub mod events;
pub mod extract;
pub mod limits;
pub mod offices;
pub mod openapi;
pub mod ops;
pub mod pagination;
pub mod schema;
pub mod secrets;
pub mod startup;
pub mod state;
pub mod sync;
// The reason-column macros (`with_reason_columns!`) serve the reports' queries too.
#[macro_use]
pub mod tallies;
pub mod reports;
pub mod targets;
pub mod telemetry;
pub mod tls;
pub mod users;
pub mod web;
