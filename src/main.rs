//! The `jemput` binary: parse the command line, then hand over to the library.

use clap::Parser;

// The commands, and the demo data set behind `jemput seed demo`: the binary's own, so the
// server's library carries neither (the demo loads through the library's repositories).
mod cli;
mod demo;

/// jemalloc, for Rust and, through the unprefixed `malloc` it exports, for SQLite and libpq
/// too: one allocator that hands freed pages back to the system. On glibc's allocator the
/// sync path (many small strings per item) took about a quarter more CPU per stored row;
/// mimalloc was as fast but kept about twice the memory, and it grew for the whole 10-minute
/// soak (`benches/soak.sh`; figures in the README).
#[cfg(feature = "jemalloc")]
#[global_allocator]
static GLOBAL: tikv_jemallocator::Jemalloc = tikv_jemallocator::Jemalloc;

/// jemalloc's options (read once, at its first allocation; `MALLOC_CONF` in the environment
/// still wins): two arenas for two cores' worth of work, freed pages purged after 1 s by a
/// background thread rather than after jemalloc's default 10 s, so the server's resident
/// memory follows what it uses. A reference to a sized array: jemalloc reads a C string
/// pointer here, and `&[u8]` would be two words.
#[cfg(feature = "jemalloc")]
#[used]
#[export_name = "malloc_conf"]
static MALLOC_CONF: &[u8; 70] =
    b"background_thread:true,narenas:2,dirty_decay_ms:1000,muzzy_decay_ms:0\0";

/// In a build without jemalloc (`--no-default-features`, for heap profilers), glibc's malloc
/// serves everything. Left alone, it gives each thread that calls it an arena of its own (up
/// to 16 on two cores) and keeps freed pages in each: the 200-phone soak's memory climbed for minutes although SQLite's own
/// heap stayed under 120 MB. Two arenas, and freed pages handed back every few seconds,
/// keep the server's memory close to what is in use.
#[cfg(all(target_os = "linux", target_env = "gnu", not(feature = "jemalloc")))]
fn bound_glibc_heap() {
    // glibc reads MALLOC_ARENA_MAX itself: an operator's value wins.
    if std::env::var_os("MALLOC_ARENA_MAX").is_none() {
        // SAFETY: mallopt is called before any other thread exists.
        unsafe { libc::mallopt(libc::M_ARENA_MAX, 2) };
    }
    let _ = std::thread::Builder::new()
        .name("malloc-trim".into())
        .spawn(|| loop {
            std::thread::sleep(std::time::Duration::from_secs(5));
            // SAFETY: malloc_trim is thread-safe.
            unsafe { libc::malloc_trim(0) };
        });
}

#[cfg(not(all(target_os = "linux", target_env = "gnu", not(feature = "jemalloc"))))]
fn bound_glibc_heap() {}

fn main() -> std::process::ExitCode {
    bound_glibc_heap();
    let cli = jemput::config::Cli::parse();
    let result = actix_web::rt::System::new().block_on(cli::run(cli));
    match result {
        Ok(()) => std::process::ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("error: {e:#}");
            std::process::ExitCode::FAILURE
        }
    }
}
