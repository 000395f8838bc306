//! Supervisor reports: per-event yields, channel comparison, progress against targets,
//! daily/weekly/monthly series, staff, offices and failure breakdowns, as JSON, CSV or XLSX.

pub mod csv;
pub mod dto;
pub mod repo;
pub mod rollup;
pub mod routes;
pub mod service;
pub mod sheets;
pub mod xlsx;
