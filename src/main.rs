//! The `jemput` binary: parse the command line, then hand over to the library.

use clap::Parser;

/// mimalloc: the sync path allocates many small strings per item (ids, bind values), and
/// glibc's allocator spent about 5 % of the server's CPU there (merging free chunks).
#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

fn main() -> std::process::ExitCode {
    let cli = jemput::config::Cli::parse();
    let result = actix_web::rt::System::new().block_on(jemput::cli::run(cli));
    match result {
        Ok(()) => std::process::ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("error: {e:#}");
            std::process::ExitCode::FAILURE
        }
    }
}
