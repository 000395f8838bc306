//! Supervisor reports: per-event yields, channel comparison, progress against targets,
//! daily/weekly/monthly series, staff, offices and failure breakdowns, as JSON or CSV.

mod csv;
pub mod dto;
pub mod repo;
pub mod rollup;
pub mod routes;
pub mod service;
