//! HTTPS without a proxy: the rustls server configuration from PEM files, the plain-HTTP
//! redirect, and the local certificate authority of `jemput tls self-signed`.
//!
//! rustls runs on aws-lc-rs, the provider jsonwebtoken already builds, so neither OpenSSL
//! nor ring is linked.

use std::path::{Path, PathBuf};
use std::sync::Arc;

use actix_web::body::{EitherBody, MessageBody};
use actix_web::dev::{ServiceRequest, ServiceResponse};
use actix_web::middleware::Next;
use actix_web::{http::header, web, HttpResponse};
use anyhow::Context;
use rustls::pki_types::pem::PemObject;
use rustls::pki_types::{CertificateDer, PrivateKeyDer};

use crate::error::{AppError, Msg};

/// The rustls server configuration for a certificate chain and its key (PEM files):
/// TLS 1.3 and 1.2 only, HTTP/1.1.
pub fn server_config(cert: &Path, key: &Path) -> anyhow::Result<rustls::ServerConfig> {
    let chain = CertificateDer::pem_file_iter(cert)
        .and_then(|certs| certs.collect::<Result<Vec<_>, _>>())
        .map_err(|e| {
            anyhow::anyhow!(
                "cannot read the certificate {} (JEMPUT_TLS_CERT): {e}",
                cert.display()
            )
        })?;
    if chain.is_empty() {
        anyhow::bail!(
            "no certificate in {} (JEMPUT_TLS_CERT expects PEM)",
            cert.display()
        );
    }
    let key_der = PrivateKeyDer::from_pem_file(key).map_err(|e| {
        anyhow::anyhow!(
            "cannot read the private key {} (JEMPUT_TLS_KEY): {e}",
            key.display()
        )
    })?;
    let provider = Arc::new(rustls::crypto::aws_lc_rs::default_provider());
    let mut config = rustls::ServerConfig::builder_with_provider(provider)
        .with_protocol_versions(&[&rustls::version::TLS13, &rustls::version::TLS12])
        .context("TLS set-up failed")?
        .with_no_client_auth()
        .with_single_cert(chain, key_der)
        .map_err(|e| {
            anyhow::anyhow!(
                "the key {} does not fit the certificate {}: {e}",
                key.display(),
                cert.display()
            )
        })?;
    config.alpn_protocols = vec![b"http/1.1".to_vec()];
    Ok(config)
}

/// The HTTPS port requests on a plain listener are sent to; present in the app's data only
/// when TLS is on (the plain listener is then the redirect bind).
#[derive(Clone, Copy, Debug)]
pub struct HttpsPort(pub u16);

/// With TLS on, a request that came in over plain HTTP gets a 308 to the same path over
/// HTTPS (308 keeps the method and body, so a phone's POST is redirected whole).
pub async fn redirect_plain(
    req: ServiceRequest,
    next: Next<impl MessageBody + 'static>,
) -> Result<ServiceResponse<EitherBody<impl MessageBody>>, actix_web::Error> {
    let https = req.app_data::<web::Data<HttpsPort>>().map(|p| p.0);
    match https {
        Some(port) if !req.app_config().secure() => {
            let location = https_location(&req, port);
            let (http_req, _) = req.into_parts();
            let response = match location {
                Some(loc) => HttpResponse::PermanentRedirect()
                    .insert_header((header::LOCATION, loc))
                    .finish(),
                None => actix_web::ResponseError::error_response(&AppError::Malformed(Msg::new(
                    "This address serves HTTPS only; the request named no valid host.",
                    "Alamat ini hanya melayani HTTPS; permintaan tidak menyebut host yang sah.",
                ))),
            };
            Ok(ServiceResponse::new(http_req, response).map_into_right_body())
        }
        _ => next
            .call(req)
            .await
            .map(ServiceResponse::map_into_left_body),
    }
}

/// `https://<Host without its port>[:port]<path and query>`, or `None` when the Host header
/// is missing or not a plain host name or address (it is echoed into a header).
fn https_location(req: &ServiceRequest, port: u16) -> Option<String> {
    let host = req.headers().get(header::HOST)?.to_str().ok()?;
    let name = if let Some(rest) = host.strip_prefix('[') {
        // [IPv6]:port
        let (inside, _) = rest.split_once(']')?;
        inside.parse::<std::net::Ipv6Addr>().ok()?;
        format!("[{inside}]")
    } else {
        let name = host.split(':').next().unwrap_or("");
        let valid = !name.is_empty()
            && name.len() <= 253
            && name
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || b == b'.' || b == b'-');
        if !valid {
            return None;
        }
        name.to_string()
    };
    let port = if port == 443 {
        String::new()
    } else {
        format!(":{port}")
    };
    let path = req
        .uri()
        .path_and_query()
        .map(|p| p.as_str())
        .unwrap_or("/");
    Some(format!("https://{name}{port}{path}"))
}

/// What `jemput tls self-signed` wrote.
#[derive(Debug)]
pub struct Generated {
    /// The local authority's certificate: what phones and browsers are told to trust.
    pub ca_cert: PathBuf,
    /// The server's certificate chain (server certificate, then the authority's).
    pub cert: PathBuf,
    /// The server's private key (readable by its owner only).
    pub key: PathBuf,
    pub hosts: Vec<String>,
    pub not_after: chrono::NaiveDate,
}

/// How long the server certificate is valid: 825 days, the longest Apple devices accept
/// for a certificate from a locally trusted authority.
const SERVER_DAYS: i64 = 825;
/// The local authority lasts ten years, so phones trust it once.
const CA_DAYS: i64 = 3650;

/// Makes a local certificate authority and a server certificate for `hosts` (names or IP
/// addresses) it signed, as PEM files in `dir/tls/`. Refuses to replace existing files
/// unless `force`.
///
/// A separate authority rather than one self-signed server certificate: Android installs
/// a "CA certificate", and browsers refuse an authority's certificate used as the server's.
pub fn self_signed(dir: &Path, hosts: &[String], force: bool) -> anyhow::Result<Generated> {
    use rcgen::{
        BasicConstraints, CertificateParams, DnType, ExtendedKeyUsagePurpose, IsCa, Issuer,
        KeyPair, KeyUsagePurpose, SanType,
    };

    let hosts = check_hosts(hosts)?;
    let tls_dir = dir.join("tls");
    let files = Generated {
        ca_cert: tls_dir.join("ca.pem"),
        cert: tls_dir.join("cert.pem"),
        key: tls_dir.join("key.pem"),
        hosts: hosts.clone(),
        not_after: (chrono::Utc::now() + chrono::Duration::days(SERVER_DAYS)).date_naive(),
    };
    if !force {
        for f in [&files.ca_cert, &files.cert, &files.key] {
            if f.exists() {
                anyhow::bail!(
                    "{} exists; phones trust the authority it belongs to. Run again with --force \
                     to replace it (and trust the new ca.pem on every phone)",
                    f.display()
                );
            }
        }
    }
    std::fs::create_dir_all(&tls_dir)
        .with_context(|| format!("cannot create {}", tls_dir.display()))?;

    let today = chrono::Utc::now().date_naive();
    let ymd = |d: chrono::NaiveDate| {
        use chrono::Datelike;
        rcgen::date_time_ymd(d.year(), d.month() as u8, d.day() as u8)
    };
    // Starting yesterday keeps a phone whose clock runs a little behind from refusing it.
    let start = ymd(today - chrono::Duration::days(1));

    let ca_key = KeyPair::generate().context("key generation failed")?;
    let mut ca = CertificateParams::default();
    ca.distinguished_name.push(
        DnType::CommonName,
        format!("jemput local CA ({})", hosts[0]),
    );
    ca.distinguished_name
        .push(DnType::OrganizationName, "jemput");
    ca.is_ca = IsCa::Ca(BasicConstraints::Constrained(0));
    ca.key_usages = vec![KeyUsagePurpose::KeyCertSign, KeyUsagePurpose::CrlSign];
    ca.not_before = start;
    ca.not_after = ymd(today + chrono::Duration::days(CA_DAYS));
    let ca_cert = ca
        .self_signed(&ca_key)
        .context("certificate generation failed")?;
    let issuer = Issuer::new(ca, ca_key);

    let key = KeyPair::generate().context("key generation failed")?;
    let mut server = CertificateParams::default();
    server
        .distinguished_name
        .push(DnType::CommonName, hosts[0].clone());
    server.subject_alt_names = hosts
        .iter()
        .map(|h| match h.parse::<std::net::IpAddr>() {
            Ok(ip) => Ok(SanType::IpAddress(ip)),
            Err(_) => h
                .clone()
                .try_into()
                .map(SanType::DnsName)
                .map_err(|e| anyhow::anyhow!("{h}: {e}")),
        })
        .collect::<anyhow::Result<_>>()?;
    server.is_ca = IsCa::ExplicitNoCa;
    server.key_usages = vec![
        KeyUsagePurpose::DigitalSignature,
        KeyUsagePurpose::KeyEncipherment,
    ];
    server.extended_key_usages = vec![ExtendedKeyUsagePurpose::ServerAuth];
    server.use_authority_key_identifier_extension = true;
    server.not_before = start;
    server.not_after = ymd(files.not_after);
    let server_cert = server
        .signed_by(&key, &issuer)
        .context("certificate generation failed")?;

    write_file(&files.ca_cert, ca_cert.pem().as_bytes(), 0o644)?;
    let chain = format!("{}{}", server_cert.pem(), ca_cert.pem());
    write_file(&files.cert, chain.as_bytes(), 0o644)?;
    write_file(&files.key, key.serialize_pem().as_bytes(), 0o600)?;
    Ok(files)
}

/// Host names and addresses a certificate may name: at most 20, each an IP address or a DNS
/// name of letters, digits, `-` and `.` (a leading `*.` allowed), 253 characters at most.
fn check_hosts(hosts: &[String]) -> anyhow::Result<Vec<String>> {
    if hosts.is_empty() || hosts.len() > 20 {
        anyhow::bail!("give one to 20 --host names");
    }
    let mut out = Vec::new();
    for h in hosts {
        let h = h.trim().to_ascii_lowercase();
        let name = h.strip_prefix("*.").unwrap_or(&h);
        let ok = h.parse::<std::net::IpAddr>().is_ok()
            || (!name.is_empty()
                && h.len() <= 253
                && name.split('.').all(|label| {
                    !label.is_empty()
                        && label.len() <= 63
                        && !label.starts_with('-')
                        && !label.ends_with('-')
                        && label
                            .bytes()
                            .all(|b| b.is_ascii_alphanumeric() || b == b'-')
                }));
        if !ok {
            anyhow::bail!("--host {h:?} is not a host name or an IP address");
        }
        if !out.contains(&h) {
            out.push(h);
        }
    }
    Ok(out)
}

/// Writes a new file with these permissions (on Unix), replacing an old one.
fn write_file(path: &Path, data: &[u8], mode: u32) -> anyhow::Result<()> {
    use std::io::Write;
    let _ = std::fs::remove_file(path);
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create_new(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        options.mode(mode);
    }
    #[cfg(not(unix))]
    let _ = mode;
    let mut f = options
        .open(path)
        .with_context(|| format!("cannot write {}", path.display()))?;
    f.write_all(data)
        .and_then(|()| f.sync_all())
        .with_context(|| format!("cannot write {}", path.display()))?;
    Ok(())
}
