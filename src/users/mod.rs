//! Staff accounts: admins, supervisors and field staff, each in one office.

pub mod repo;
