//! Offices: the administrative tree (national > province > regency) that scopes everything.

pub mod dto;
pub mod repo;
pub mod routes;
pub mod service;
