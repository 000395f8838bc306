//! The commands an office's IT person runs on the server's machine: backups and restores,
//! accounts (password resets), and HTTPS certificates (`crate::tls`).

pub mod backup;
pub mod users;
