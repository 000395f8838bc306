//! The integration suite: the real app on a real database, over HTTP. Every test runs on
//! SQLite by default and on PostgreSQL when `TEST_DATABASE_URL` is set.

mod fixtures;
mod helpers;

mod access;
mod activations;
mod areas;
mod audit;
mod auth;
mod channels;
mod coverage;
mod demo;
mod doc_examples;
mod edge;
mod events;
mod field_app;
mod group_commit;
mod layers;
mod logs;
mod offices;
mod openapi_honesty;
mod ops_backup;
mod ops_readme;
mod ops_support;
mod ops_tls;
mod ops_upgrade;
mod ops_users;
mod platform;
mod refresh_grace;
mod reports;
mod schema_parity;
mod security;
mod sessions;
mod sync_changes;
mod targets;
mod throttle;
mod users;
mod web;
