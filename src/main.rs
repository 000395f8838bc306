//! The `jemput` binary: parse the command line, then hand over to the library.

use clap::Parser;

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
