//! Activation attempts: the offline sync that stores each exactly once (`POST
//! /sync/activations`), an event's list, and voiding.

pub mod dto;
pub mod repo;
pub mod routes;
pub mod service;
