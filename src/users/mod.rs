//! Staff accounts: admins, supervisors and field staff, each in one office.

pub mod dto;
pub mod repo;
pub mod routes;
pub mod service;
