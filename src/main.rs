//! The `jemput` binary: parse the command line, then hand over to the library.

use clap::Parser;

// The commands, and the demo data set behind `jemput seed demo`: the binary's own, so the
// server's library carries neither (the demo loads through the library's repositories).
mod cli;
mod demo;

/// mimalloc: the sync path allocates many small strings per item (ids, bind values), and
/// glibc's allocator spent about 5 % of the server's CPU there (merging free chunks).
#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

/// SQLite allocates through glibc's malloc, not through mimalloc. Left alone, glibc gives
/// each thread that calls it an arena of its own (up to 16 on two cores) and keeps freed
/// pages in each: the 200-phone soak's memory climbed for minutes although SQLite's own
/// heap stayed under 120 MB. Two arenas, and freed pages handed back every few seconds,
/// keep the server's memory close to what is in use.
#[cfg(all(target_os = "linux", target_env = "gnu"))]
fn bound_glibc_heap() {
    // SAFETY: mallopt is called before any other thread exists; malloc_trim is thread-safe.
    unsafe { libc::mallopt(libc::M_ARENA_MAX, 2) };
    let _ = std::thread::Builder::new()
        .name("malloc-trim".into())
        .spawn(|| loop {
            std::thread::sleep(std::time::Duration::from_secs(5));
            // SAFETY: see above.
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
