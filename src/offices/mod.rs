//! Offices: the administrative tree (national > province > regency) that scopes everything.

pub mod repo;
