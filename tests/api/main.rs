//! The integration suite: the real app on a real database, over HTTP. Every test runs on
//! SQLite by default and on PostgreSQL when `TEST_DATABASE_URL` is set.

mod helpers;

mod auth;
mod platform;
mod reports;
mod schema_parity;
