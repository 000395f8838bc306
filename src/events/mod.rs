//! Outreach events: what an office did where and when, through which channel, at what cost
//! and with which staff; their review (`open` → `submitted` → `approved` or `returned`).

pub mod dto;
pub mod repo;
pub mod routes;
pub mod service;
