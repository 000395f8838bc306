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
    /// Copy the running SQLite database to FILE, consistently, and verify the copy.
    Backup {
        /// The backup file to write; it must not exist yet.
        file: PathBuf,
    },
    /// Restore a backup made by `jemput backup` into an empty data directory.
    Restore {
        /// The backup file to read.
        file: PathBuf,
    },
    /// HTTPS certificates.
    Tls {
        #[command(subcommand)]
        action: TlsAction,
    },
    /// Accounts, from the server's machine (no login needed).
    Users {
        #[command(subcommand)]
        action: UsersAction,
    },
}

#[derive(Debug, Subcommand)]
pub enum TlsAction {
    /// Make a local certificate authority and a certificate for an intranet name, as PEM
    /// files under the data directory.
    SelfSigned {
        /// Name (or IP address) the phones and browsers use to reach the server; repeat for
        /// several.
        #[arg(long = "host", required = true, num_args = 1)]
        hosts: Vec<String>,
        /// Replace certificate files that already exist (phones must trust the new one).
        #[arg(long)]
        force: bool,
    },
}

#[derive(Debug, Subcommand)]
pub enum UsersAction {
    /// List accounts (all offices), optionally of one role.
    List {
        /// admin, supervisor or field_staff.
        #[arg(long)]
        role: Option<String>,
    },
    /// Set a new password: from JEMPUT_NEW_PASSWORD, or generated and printed once. Every
    /// token and session of the account stops; the change is audited.
    ResetPassword {
        /// The account's username (any case).
        username: String,
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
    /// Seconds a request head may take to arrive, and a kept-alive connection may stay idle;
    /// a connection with no request in flight for twice this long is closed.
    #[arg(long, env = "JEMPUT_HEAD_TIMEOUT", global = true, default_value_t = 5,
          value_parser = clap::value_parser!(u64).range(1..=300))]
    pub head_timeout: u64,
    /// Bearer token that `/metrics` requires. Unset: `/metrics` answers only connections
    /// from this machine (loopback), and nobody when JEMPUT_TRUST_PROXY is set.
    #[arg(long, env = "JEMPUT_METRICS_TOKEN", global = true, hide_env_values = true, value_parser = parse_secret)]
    pub metrics_token: Option<SecretString>,
    /// Lifetime of access tokens, in seconds (10 to 86400; short values are for tests).
    #[arg(long, env = "JEMPUT_ACCESS_TOKEN_TTL", global = true, default_value_t = 900,
          value_parser = clap::value_parser!(u64).range(10..=86_400))]
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
    /// PEM certificate chain; with JEMPUT_TLS_KEY the server answers HTTPS only (TLS 1.2+).
    #[arg(long, env = "JEMPUT_TLS_CERT", global = true)]
    pub tls_cert: Option<PathBuf>,
    /// PEM private key of the certificate (PKCS#8, PKCS#1 or SEC1).
    #[arg(long, env = "JEMPUT_TLS_KEY", global = true)]
    pub tls_key: Option<PathBuf>,
    /// With TLS on, also listen here for plain HTTP and redirect every request to HTTPS.
    #[arg(long, env = "JEMPUT_HTTP_REDIRECT_BIND", global = true)]
    pub http_redirect_bind: Option<SocketAddr>,
    /// A label added to the field app's version (`/field/`): changing it makes every phone
    /// offer the new app shell even when the binary is the same build.
    #[arg(long, env = "JEMPUT_FIELD_RELEASE", global = true, value_parser = parse_release)]
    pub field_release: Option<String>,
}

fn parse_release(s: &str) -> Result<String, String> {
    if s.is_empty()
        || s.len() > 32
        || !s
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b"._-".contains(&b))
    {
        return Err("1 to 32 letters, digits, '.', '_' or '-'".into());
    }
    Ok(s.to_string())
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
            head_timeout: 5,
            metrics_token: None,
            access_token_ttl: 900,
            refresh_token_ttl: 30 * 86_400,
            trust_proxy: false,
            shutdown_timeout: 5,
            tls_cert: None,
            tls_key: None,
            http_redirect_bind: None,
            field_release: None,
        }
    }

    /// The certificate and key files when TLS is on; an error when only one is set, or a
    /// redirect bind is asked for without TLS.
    pub fn tls_files(&self) -> anyhow::Result<Option<(PathBuf, PathBuf)>> {
        match (&self.tls_cert, &self.tls_key) {
            (Some(cert), Some(key)) => Ok(Some((cert.clone(), key.clone()))),
            (None, None) if self.http_redirect_bind.is_some() => anyhow::bail!(
                "JEMPUT_HTTP_REDIRECT_BIND redirects to HTTPS: set JEMPUT_TLS_CERT and JEMPUT_TLS_KEY too"
            ),
            (None, None) => Ok(None),
            _ => anyhow::bail!("set both JEMPUT_TLS_CERT and JEMPUT_TLS_KEY, or neither"),
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
