//! The baseline of `benches/sync.sh`: activation rows inserted straight into the database
//! through diesel, in 50-row transactions (one multi-row INSERT each), by N threads for a
//! fixed time. No HTTP, no JSON, no checks: what the database alone can take.
//!
//!   cargo bench --bench raw_insert -- insert <database_url> <event_id> <office_id> <staff_id> <threads> <seconds>
//!   cargo bench --bench raw_insert -- count <database_url>
//!
//! Prints `rows=<n> seconds=<s> cpu_ms=<own CPU time> rows_per_sec=<r>` (or `count=<n>`).

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use diesel::prelude::*;
use jemput::activations::repo::Activation;
use jemput::db::Db;
use jemput::schema::activations;

const BATCH: usize = 50;

fn rows(event_id: &str, office_id: &str, staff_id: &str, n: usize) -> Vec<Activation> {
    let now = jemput::db::now();
    (0..n)
        .map(|i| {
            let activated = i % 4 != 0;
            Activation {
                id: uuid::Uuid::now_v7().to_string(),
                event_id: event_id.to_string(),
                office_id: office_id.to_string(),
                channel_key: "village_visit".to_string(),
                staff_id: staff_id.to_string(),
                recorded_at: now,
                local_date: now.date(),
                outcome: if activated {
                    jemput::domain::Outcome::Activated
                } else {
                    jemput::domain::Outcome::Failed
                },
                failure_reason: (!activated).then(|| "no_smartphone".to_string()),
                age_band: Some("25-39".to_string()),
                sex: Some("female".to_string()),
                area_code: None,
                // Same shape as the API's rows: half of them carry a NIK hash.
                nik_hash: (i % 2 == 1).then(|| format!("{:064x}", rand::random::<u128>())),
                home_district: (i % 2 == 1).then(|| "63.01.01".to_string()),
                repeat_citizen: false,
                content_hash: format!("{:064x}", rand::random::<u128>()),
                voided_at: None,
                voided_by: None,
                void_reason: None,
                created_by: staff_id.to_string(),
                created_at: now,
            }
        })
        .collect()
}

/// CPU time (user + system) this process used so far, in milliseconds (Linux).
fn own_cpu_ms() -> u64 {
    std::fs::read_to_string("/proc/self/stat")
        .ok()
        .and_then(|s| {
            // Fields after the parenthesised command name; utime and stime are 14 and 15.
            let rest = s.rsplit_once(')')?.1;
            let f: Vec<&str> = rest.split_whitespace().collect();
            let ticks = f.get(11)?.parse::<u64>().ok()? + f.get(12)?.parse::<u64>().ok()?;
            Some(ticks * 10)
        })
        .unwrap_or(0)
}

fn main() -> anyhow::Result<()> {
    // `cargo bench` passes `--bench`; ignore flags.
    let args: Vec<String> = std::env::args()
        .skip(1)
        .filter(|a| !a.starts_with("--"))
        .collect();
    match args.first().map(String::as_str) {
        Some("count") => {
            let db = Db::connect(&args[1], 1)?;
            let mut conn = db.conn().map_err(|e| anyhow::anyhow!("{e}"))?;
            let n: i64 = activations::table.count().get_result(&mut **conn)?;
            println!("count={n}");
            Ok(())
        }
        Some("insert") if args.len() == 7 => {
            let (url, event, office, staff) = (&args[1], &args[2], &args[3], &args[4]);
            let threads: usize = args[5].parse()?;
            let seconds: u64 = args[6].parse()?;
            let db = Db::connect(url, threads as u32)?;
            let total = Arc::new(AtomicU64::new(0));
            let deadline = Instant::now() + Duration::from_secs(seconds);
            let started = Instant::now();
            let handles: Vec<_> = (0..threads)
                .map(|_| {
                    let (db, total) = (db.clone(), total.clone());
                    let (event, office, staff) = (event.clone(), office.clone(), staff.clone());
                    std::thread::spawn(move || -> anyhow::Result<()> {
                        while Instant::now() < deadline {
                            let batch = rows(&event, &office, &staff, BATCH);
                            db.write_blocking(|c| {
                                jemput::with_conn!(c, |c| diesel::insert_into(
                                    activations::table
                                )
                                .values(&batch)
                                .execute(c))?;
                                Ok(())
                            })
                            .map_err(|e| anyhow::anyhow!("{e:?}"))?;
                            total.fetch_add(BATCH as u64, Ordering::Relaxed);
                        }
                        Ok(())
                    })
                })
                .collect();
            for h in handles {
                h.join().map_err(|_| anyhow::anyhow!("thread panicked"))??;
            }
            let secs = started.elapsed().as_secs_f64();
            let n = total.load(Ordering::Relaxed);
            println!(
                "rows={n} seconds={secs:.2} cpu_ms={} rows_per_sec={:.0}",
                own_cpu_ms(),
                n as f64 / secs
            );
            Ok(())
        }
        _ => anyhow::bail!(
            "usage: raw_insert insert <url> <event_id> <office_id> <staff_id> <threads> <seconds> | count <url>"
        ),
    }
}
