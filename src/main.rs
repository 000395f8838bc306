//! The `jemput` binary: parse the command line, then hand over to the library.

use clap::Parser;

// The commands, and the demo data set behind `jemput seed demo`: the binary's own, so the
// server's library carries neither (the demo loads through the library's repositories).
mod cli;
mod demo;

/// mimalloc (version 2, see Cargo.toml): the sync path allocates many small strings per item
/// (ids, bind values); on glibc's allocator the same ingest took about a quarter more CPU per
/// stored row (42-45 against 31-35 ms per 1,000 on SQLite, `benches/sync.sh`).
#[cfg(feature = "mimalloc")]
#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

/// SQLite allocates through glibc's malloc, not through mimalloc. Left alone, glibc gives
/// each thread that calls it an arena of its own (up to 16 on two cores) and keeps freed
/// pages in each: the 200-phone soak's memory climbed for minutes although SQLite's own
/// heap stayed under 120 MB. Two arenas, and freed pages handed back every few seconds,
/// keep the server's memory close to what is in use.
#[cfg(all(target_os = "linux", target_env = "gnu"))]
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

#[cfg(not(all(target_os = "linux", target_env = "gnu")))]
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
