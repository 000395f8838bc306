//! Soak client for `benches/soak.sh`: simulated phones against a running server.
//!
//! ```text
//! SOAK_TOKEN=<access token> cargo bench --bench soak -- <base url> <server pid> <seconds> <phones> <event id>...
//! ```
//! Each phone loops: uploads a batch of fresh activations (`POST /sync/activations`), pulls
//! changes from its saved cursor (`GET /sync/changes`), reads its event's yield and the
//! channel report, then waits 0.5-1.5 s as a phone between two records would. Prints, per
//! endpoint, requests, errors (anything but 2xx, or no answer), p50, p99 and max; and the
//! server's resident memory after the first minute and at the end.

use std::collections::BTreeMap;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use rand::Rng;
use serde_json::{json, Value};

const BATCH: usize = 10;

#[derive(Default)]
struct Endpoint {
    latencies_ms: Vec<f64>,
    errors: u64,
    /// What went wrong ("503", "timeout", "items not stored", ...) and how often.
    causes: BTreeMap<String, u64>,
}

type Stats = Arc<Mutex<BTreeMap<&'static str, Endpoint>>>;

fn record(stats: &Stats, name: &'static str, started: Instant, outcome: Result<(), String>) {
    let ms = started.elapsed().as_secs_f64() * 1000.0;
    let mut stats = stats.lock().expect("stats lock");
    let e = stats.entry(name).or_default();
    e.latencies_ms.push(ms);
    if let Err(cause) = outcome {
        e.errors += 1;
        *e.causes.entry(cause).or_default() += 1;
    }
}

/// One `/proc/<pid>/status` field of a process in KiB (Linux).
fn status_kib(pid: u32, field: &str) -> Option<u64> {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).ok()?;
    status
        .lines()
        .find(|l| l.starts_with(field))?
        .split_whitespace()
        .nth(1)?
        .parse()
        .ok()
}

/// Resident memory of a process in KiB.
fn rss_kib(pid: u32) -> Option<u64> {
    status_kib(pid, "VmRSS:")
}

fn items(event_id: &str) -> Value {
    let mut rng = rand::thread_rng();
    let items: Vec<Value> = (0..BATCH)
        .map(|i| {
            if i % 4 == 0 {
                json!({"id": uuid::Uuid::now_v7().to_string(), "event_id": event_id,
                       "recorded_at": "2024-03-18T11:00:00+08:00", "outcome": "failed",
                       "failure_reason": "no_smartphone", "age_band": "60+"})
            } else {
                json!({"id": uuid::Uuid::now_v7().to_string(), "event_id": event_id,
                       "recorded_at": "2024-03-18T10:15:00+08:00", "outcome": "activated",
                       "age_band": "25-39", "sex": if rng.gen_bool(0.5) { "female" } else { "male" }})
            }
        })
        .collect();
    json!({ "items": items })
}

async fn phone(
    client: reqwest::Client,
    base: String,
    token: String,
    event_id: String,
    until: Instant,
    stats: Stats,
) {
    let mut cursor: Option<String> = None;
    // Phones do not start in step.
    let offset = rand::thread_rng().gen_range(0..1500);
    tokio::time::sleep(Duration::from_millis(offset)).await;
    while Instant::now() < until {
        let t = Instant::now();
        let outcome = match client
            .post(format!("{base}/api/v1/sync/activations"))
            .bearer_auth(&token)
            .json(&items(&event_id))
            .send()
            .await
        {
            Ok(r) if r.status().is_success() => {
                let body: Value = r.json().await.unwrap_or(Value::Null);
                let stored = body["results"].as_array().is_some_and(|results| {
                    results
                        .iter()
                        .all(|x| x["status"] == "created" || x["status"] == "duplicate")
                });
                if stored {
                    Ok(())
                } else {
                    Err(format!("items not stored: {body}"))
                }
            }
            other => Err(cause(other)),
        };
        record(&stats, "POST /sync/activations", t, outcome);

        let t = Instant::now();
        let mut url = format!("{base}/api/v1/sync/changes?limit=50");
        if let Some(c) = &cursor {
            url.push_str("&cursor=");
            url.push_str(c);
        }
        let outcome = match client.get(url).bearer_auth(&token).send().await {
            Ok(r) if r.status().is_success() => {
                let body: Value = r.json().await.unwrap_or(Value::Null);
                if let Some(c) = body["next_cursor"].as_str() {
                    cursor = Some(c.to_string());
                }
                if body["next_cursor"].is_string() {
                    Ok(())
                } else {
                    Err("no next_cursor".to_string())
                }
            }
            other => Err(cause(other)),
        };
        record(&stats, "GET /sync/changes", t, outcome);

        for (name, path) in [
            (
                "GET /events/{id}/yield",
                format!("/api/v1/events/{event_id}/yield"),
            ),
            (
                "GET /reports/channels",
                "/api/v1/reports/channels?from=2024-01-01&to=2024-12-31".to_string(),
            ),
        ] {
            let t = Instant::now();
            let outcome = match client
                .get(format!("{base}{path}"))
                .bearer_auth(&token)
                .send()
                .await
            {
                Ok(r) if r.status().is_success() => {
                    r.bytes().await.map(drop).map_err(|e| format!("body: {e}"))
                }
                other => Err(cause(other)),
            };
            record(&stats, name, t, outcome);
        }
        let pause = rand::thread_rng().gen_range(500..1500);
        tokio::time::sleep(Duration::from_millis(pause)).await;
    }
}

/// Why an answer is not a success: its status (with the problem's code), or the
/// transport's error.
fn cause(answer: Result<reqwest::Response, reqwest::Error>) -> String {
    match answer {
        Ok(r) => {
            let status = r.status().as_u16();
            let retry = r.headers().contains_key("retry-after");
            format!("{status}{}", if retry { " with Retry-After" } else { "" })
        }
        Err(e) if e.is_timeout() => "no answer in 30 s".to_string(),
        Err(e) if e.is_connect() => "connection refused".to_string(),
        Err(e) => format!("transport: {e}"),
    }
}

fn percentile(sorted: &[f64], p: f64) -> f64 {
    if sorted.is_empty() {
        return 0.0;
    }
    let rank = ((p / 100.0) * sorted.len() as f64).ceil() as usize;
    sorted[rank.clamp(1, sorted.len()) - 1]
}

#[tokio::main(flavor = "multi_thread", worker_threads = 2)]
async fn main() {
    let args: Vec<String> = std::env::args()
        .skip(1)
        .filter(|a| a != "--bench")
        .collect();
    // The token comes from the environment: an argument would show in `ps` and in cargo's
    // message when the run fails.
    let token = std::env::var("SOAK_TOKEN").unwrap_or_default();
    if args.len() < 5 || token.is_empty() {
        eprintln!("usage: SOAK_TOKEN=<token> soak <base url> <server pid> <seconds> <phones> <event id>...");
        std::process::exit(2);
    }
    let base = args[0].clone();
    let pid: u32 = args[1].parse().expect("server pid");
    let seconds: u64 = args[2].parse().expect("seconds");
    let phones: usize = args[3].parse().expect("phones");
    let events: Vec<String> = args[4..].to_vec();

    // reqwest is built without a default TLS provider (the crate's is aws-lc-rs).
    let _ = rustls::crypto::aws_lc_rs::default_provider().install_default();
    let client = reqwest::Client::builder()
        .pool_max_idle_per_host(phones)
        // The server closes a connection idle for its keep-alive (JEMPUT_HEAD_TIMEOUT, 5 s);
        // one reused at that very moment fails in transport. Like a phone's HTTP stack,
        // drop idle connections before the server does.
        .pool_idle_timeout(Duration::from_secs(4))
        .timeout(Duration::from_secs(30))
        .build()
        .expect("client");
    let stats: Stats = Arc::default();
    let started = Instant::now();
    let until = started + Duration::from_secs(seconds);
    let tasks: Vec<_> = (0..phones)
        .map(|i| {
            tokio::spawn(phone(
                client.clone(),
                base.clone(),
                token.clone(),
                events[i % events.len()].clone(),
                until,
                stats.clone(),
            ))
        })
        .collect();

    let rss_start = rss_kib(pid);
    let mut rss_first_minute = None;
    let mut rss_peak = rss_start.unwrap_or(0);
    while Instant::now() < until {
        tokio::time::sleep(Duration::from_secs(10)).await;
        let rss = rss_kib(pid);
        rss_peak = rss_peak.max(rss.unwrap_or(0));
        let elapsed = started.elapsed().as_secs();
        if rss_first_minute.is_none() && elapsed >= 60 {
            rss_first_minute = rss;
        }
        let done: usize = stats
            .lock()
            .expect("stats lock")
            .values()
            .map(|e| e.latencies_ms.len())
            .sum();
        // The heap (anonymous) apart from mapped files and shared memory (SQLite's WAL
        // index): tells a leak from a cache warming up.
        let mib = |field| status_kib(pid, field).unwrap_or(0) / 1024;
        // SQLite's part of the heap, and the allocator's live and resident bytes, as the
        // server's /metrics says (loopback needs no token).
        let metrics = match client.get(format!("{base}/metrics")).send().await {
            Ok(r) => r.text().await.unwrap_or_default(),
            Err(_) => String::new(),
        };
        let gauge = |name: &str| {
            metrics
                .lines()
                .find_map(|l| l.strip_prefix(name)?.strip_prefix(' '))
                .and_then(|v| v.trim().parse::<f64>().ok())
                .map_or("-".to_string(), |b| format!("{:.0}", b / 1_048_576.0))
        };
        eprintln!(
            "{elapsed:>4} s: {done} requests, server RSS {} MiB (anon {}, of it SQLite {}; file {}, shmem {}; heap live {}, resident {}), {} threads",
            rss.unwrap_or(0) / 1024,
            mib("RssAnon:"),
            gauge("sqlite_heap_bytes"),
            mib("RssFile:"),
            mib("RssShmem:"),
            gauge("heap_allocated_bytes"),
            gauge("heap_resident_bytes"),
            status_kib(pid, "Threads:").unwrap_or(0)
        );
    }
    for t in tasks {
        let _ = t.await;
    }
    let rss_end = rss_kib(pid);

    let stats = stats.lock().expect("stats lock");
    println!(
        "soak: {phones} phones, {seconds} s, batches of {BATCH}, {} events",
        events.len()
    );
    println!(
        "{:<26} {:>9} {:>7} {:>9} {:>9} {:>9}",
        "endpoint", "requests", "errors", "p50 ms", "p99 ms", "max ms"
    );
    let mut total_errors = 0;
    for (name, e) in stats.iter() {
        let mut sorted = e.latencies_ms.clone();
        sorted.sort_by(f64::total_cmp);
        total_errors += e.errors;
        println!(
            "{:<26} {:>9} {:>7} {:>9.1} {:>9.1} {:>9.1}",
            name,
            sorted.len(),
            e.errors,
            percentile(&sorted, 50.0),
            percentile(&sorted, 99.0),
            sorted.last().copied().unwrap_or(0.0)
        );
    }
    for (name, e) in stats.iter() {
        for (cause, n) in &e.causes {
            println!("  {name}: {n} x {cause}");
        }
    }
    let mib = |k: Option<u64>| k.map_or("?".to_string(), |k| format!("{:.1}", k as f64 / 1024.0));
    let growth = match (rss_first_minute, rss_end) {
        (Some(a), Some(b)) if a > 0 => {
            format!("{:+.1} %", 100.0 * (b as f64 - a as f64) / a as f64)
        }
        _ => "?".to_string(),
    };
    println!(
        "server RSS MiB: start {}, after 1 min {}, peak {}, end {} (end vs 1 min: {growth})",
        mib(rss_start),
        mib(rss_first_minute),
        mib(Some(rss_peak)),
        mib(rss_end)
    );
    let total: usize = stats.values().map(|e| e.latencies_ms.len()).sum();
    println!("errors: {total_errors} of {total} requests");
    if total_errors > 0 || total == 0 {
        std::process::exit(1);
    }
}
