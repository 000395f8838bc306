//! The integration suite: the real app on a real database, over HTTP. Every test runs on
//! SQLite by default and on PostgreSQL when `TEST_DATABASE_URL` is set.

mod fixtures;
mod helpers;

mod activations;
mod auth;
mod channels;
mod events;
mod group_commit;
mod platform;
mod schema_parity;
mod sync_changes;
