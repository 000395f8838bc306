//! Indonesia's administrative areas (provinces, regencies and cities, districts, villages)
//! under their Kemendagri codes: reference data loaded from an embedded official data set,
//! read through `/areas`, and looked up by other features (`repo::is_area_within`,
//! `repo::name_of`).

pub mod dto;
pub mod repo;
pub mod routes;
pub mod seed;
pub mod service;
