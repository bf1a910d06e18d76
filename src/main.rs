//! Thin entry point: parse, run, and turn an error into a message and an exit code.

use clap::Parser;
use idm_auth::cli::Cli;
use std::process::ExitCode;

mod fast_path;

fn main() -> ExitCode {
    // A bug must still end as a plain message and the documented "unexpected failure" code,
    // not a backtrace dump.
    std::panic::set_hook(Box::new(|info| {
        eprintln!("idm-auth: internal error (a bug, please report it): {info}");
        std::process::exit(1);
    }));
    let args: Vec<_> = std::env::args_os().skip(1).collect();
    let parsed = fast_path::token_command(&args).map_or_else(Cli::try_parse, Ok);
    let cli = match parsed {
        Ok(cli) => cli,
        Err(e) => {
            let _ = e.print();
            return ExitCode::from(e.exit_code().clamp(0, 255) as u8);
        }
    };
    match idm_auth::run(cli) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            // Errors can quote labels, reasons and UPS's words: no control characters.
            let safe = idm_auth::render::terminal_safe;
            eprintln!("idm-auth: error: {}", safe(&e.to_string()));
            if let Some(hint) = e.hint() {
                eprintln!("hint: {}", safe(&hint));
            }
            e.exit_code().into()
        }
    }
}
