//! Typed settings from the environment (or the equivalent flags), validated at start.
//! The database URL is a secret: it is wrapped and never logged.

use std::net::SocketAddr;
use std::path::PathBuf;

use clap::{Args, Parser, Subcommand, ValueEnum};
use secrecy::{ExposeSecret, SecretString};

#[derive(Debug, Parser)]
#[command(
    name = "jemput",
    version,
    about = "Track jemput-bola outreach for IKD activation: events, offline sync, yields and reports."
)]
pub struct Cli {
    #[command(flatten)]
    pub settings: Settings,
    #[command(subcommand)]
    pub command: Option<Command>,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Run the HTTP server (the default).
    Serve,
    /// Apply pending database migrations and exit.
    Migrate,
    /// On an empty database, create the root office and its first admin.
    Init(InitArgs),
    /// Load data into the database.
    Seed {
        #[arg(value_enum)]
        what: SeedKind,
    },
    /// Manage the token signing keys.
    Keys {
        #[command(subcommand)]
        action: KeysAction,
    },
}

#[derive(Debug, Clone, Copy, ValueEnum)]
pub enum SeedKind {
    /// The demo regions, their staff and a year of events.
    Demo,
    /// Indonesia's provinces, regencies, districts and villages (Kepmendagri 2025, embedded).
    Wilayah,
}

#[derive(Debug, Subcommand)]
pub enum KeysAction {
    /// Start signing with a new key; tokens signed with the old ones stay valid until they expire.
    Rotate,
    /// List the signing keys (ids and dates, never the secrets).
    List,
}

#[derive(Debug, Clone, Args)]
pub struct InitArgs {
    /// Username of the first admin; the password comes from JEMPUT_ADMIN_PASSWORD or a prompt.
    #[arg(long)]
    pub admin_username: String,
    /// Kemendagri code of the root office.
    #[arg(long, default_value = "ID")]
    pub office_code: String,
    #[arg(long, default_value = "Ditjen Dukcapil (national)")]
    pub office_name: String,
    /// national, province or regency.
    #[arg(long, default_value = "national")]
    pub office_level: String,
    /// IANA time zone of the root office.
    #[arg(long, default_value = "Asia/Jakarta")]
    pub timezone: String,
    #[arg(long, default_value = "Administrator")]
    pub admin_full_name: String,
}

#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, ValueEnum)]
pub enum LogFormat {
    /// Human-readable lines.
    #[default]
    Text,
    /// One JSON object a line, for log collectors.
    Json,
}

#[derive(Debug, Clone, Args)]
pub struct Settings {
    /// postgres://user:pass@host/db selects PostgreSQL; otherwise an SQLite file path.
    #[arg(long, env = "DATABASE_URL", global = true, hide_env_values = true, value_parser = parse_secret)]
    pub database_url: Option<SecretString>,
    /// Address to listen on.
    #[arg(
        long,
        env = "JEMPUT_BIND",
        global = true,
        default_value = "127.0.0.1:8080"
    )]
    pub bind: SocketAddr,
    /// Directory of the embedded SQLite database when DATABASE_URL is unset.
    #[arg(long, env = "JEMPUT_DATA_DIR", global = true, default_value = "data")]
    pub data_dir: PathBuf,
    /// Database connections per server process.
    #[arg(long, env = "JEMPUT_POOL_SIZE", global = true, default_value_t = 8,
          value_parser = clap::value_parser!(u32).range(1..=512))]
    pub pool_size: u32,
    /// HTTP worker threads (default: one per core).
    #[arg(long, env = "JEMPUT_WORKERS", global = true,
          value_parser = clap::value_parser!(u16).range(1..=256))]
    pub workers: Option<u16>,
    #[arg(long, env = "JEMPUT_LOG_FORMAT", global = true, value_enum, default_value_t = LogFormat::Text)]
    pub log_format: LogFormat,
    /// Largest accepted request body, in bytes.
    #[arg(long, env = "JEMPUT_BODY_LIMIT", global = true, default_value_t = 4 * 1024 * 1024,
          value_parser = clap::value_parser!(u64).range(1024..=268_435_456))]
    pub body_limit: u64,
    /// Seconds a request body may take to arrive whole (a slower one answers 408).
    #[arg(long, env = "JEMPUT_BODY_TIMEOUT", global = true, default_value_t = 60,
          value_parser = clap::value_parser!(u64).range(1..=3_600))]
    pub body_timeout: u64,
    /// Bearer token that `/metrics` requires. Unset: `/metrics` answers only connections
    /// from this machine (loopback), and nobody when JEMPUT_TRUST_PROXY is set.
    #[arg(long, env = "JEMPUT_METRICS_TOKEN", global = true, hide_env_values = true, value_parser = parse_secret)]
    pub metrics_token: Option<SecretString>,
    /// Lifetime of access tokens, in seconds.
    #[arg(long, env = "JEMPUT_ACCESS_TOKEN_TTL", global = true, default_value_t = 900,
          value_parser = clap::value_parser!(u64).range(60..=86_400))]
    pub access_token_ttl: u64,
    /// Lifetime of refresh tokens, in seconds (a phone may stay offline this long).
    #[arg(long, env = "JEMPUT_REFRESH_TOKEN_TTL", global = true, default_value_t = 30 * 86_400,
          value_parser = clap::value_parser!(u64).range(3_600..=31_536_000))]
    pub refresh_token_ttl: u64,
    /// Take the client address from X-Forwarded-For (only behind a proxy you run).
    #[arg(
        long,
        env = "JEMPUT_TRUST_PROXY",
        global = true,
        default_value_t = false
    )]
    pub trust_proxy: bool,
    /// Seconds to let in-flight requests finish after SIGTERM.
    #[arg(
        long,
        env = "JEMPUT_SHUTDOWN_TIMEOUT",
        global = true,
        default_value_t = 30
    )]
    pub shutdown_timeout: u64,
}

fn parse_secret(s: &str) -> Result<SecretString, String> {
    Ok(SecretString::from(s.to_string()))
}

impl Settings {
    /// Settings for tests and benchmarks: defaults, bound to an ephemeral port.
    pub fn for_database(database_url: &str) -> Settings {
        Settings {
            database_url: Some(SecretString::from(database_url.to_string())),
            bind: SocketAddr::from(([127, 0, 0, 1], 0)),
            data_dir: PathBuf::from("data"),
            pool_size: 8,
            workers: Some(2),
            log_format: LogFormat::Text,
            body_limit: 4 * 1024 * 1024,
            body_timeout: 60,
            metrics_token: None,
            access_token_ttl: 900,
            refresh_token_ttl: 30 * 86_400,
            trust_proxy: false,
            shutdown_timeout: 5,
        }
    }

    /// The database URL actually used (an SQLite path under `data_dir` by default).
    pub fn resolved_database_url(&self) -> anyhow::Result<String> {
        crate::db::resolve_url(
            self.database_url.as_ref().map(|s| s.expose_secret()),
            &self.data_dir,
        )
    }
}
