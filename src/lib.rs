//! jemput: a backend for tracking jemput-bola outreach for IKD (digital ID) activation.
//!
//! The crate's public face for the binary, the integration tests and the benchmarks.

pub mod activations;
pub mod admin;
pub mod areas;
pub mod audit;
pub mod auth;
pub mod bootstrap;
pub mod channels;
pub mod cli;
pub mod config;
pub mod db;
pub mod demo;
pub mod docs;
pub mod domain;
pub mod error;
pub mod events;
pub mod extract;
pub mod limits;
pub mod offices;
pub mod ops;
pub mod pagination;
pub mod reports;
pub mod schema;
pub mod secrets;
pub mod startup;
pub mod state;
pub mod sync;
pub mod tallies;
pub mod targets;
pub mod telemetry;
pub mod tls;
pub mod users;
pub mod web;
