//! Yearly IKD activation targets per office (`/offices/{id}/targets/{year}`).

pub mod dto;
pub mod repo;
pub mod routes;
pub mod service;
