//! idm-auth: opt a UPS.com user in to UPS Intelligent Data Management from a terminal.
//!
//! [`run`] parses the command line once (cli) and hands it to one command (commands/*) on a
//! context (context.rs: the store, the clock, the terminal, the environment, the browser
//! and the HTTP transport). A command only orchestrates: settings, the sign-in's steps
//! (signin), the store (store/*), rendering. Errors travel up to `run`, where error.rs turns
//! them into a message and an exit code; `main` builds the real context and exits with what
//! `run` returns, and nothing else ends the process.

pub mod abort_point;
pub mod browser;
pub mod callback;
pub mod cli;
pub mod client_check;
pub mod clock;
pub mod commands;
pub mod config;
pub mod context;
mod dns;
pub mod error;
mod fast_path;
pub mod flow;
pub mod html;
pub mod http;
pub mod loopback_http;
pub mod process_hygiene;
pub mod public_client;
pub mod render;
pub mod settings;
pub mod signin;
pub mod simulator;
pub mod store;
pub mod tty;
pub mod ups;

use clap::{CommandFactory, Parser};
use cli::{Cli, Command};
pub use context::Ctx;
use error::{ExitCode, Result};
use std::ffi::OsString;

/// Run the command line `argv` (program name first) on `ctx`; the exit code to end with.
pub fn run<I, T>(argv: I, ctx: &Ctx) -> ExitCode
where
    I: IntoIterator<Item = T>,
    T: Into<OsString> + Clone,
{
    let argv: Vec<OsString> = argv.into_iter().map(Into::into).collect();
    // `token`'s and `list`'s plain shapes skip building clap's command tree; anything else
    // is clap's.
    let fast = fast_path::plain_command(argv.get(1..).unwrap_or_default());
    let cli = match fast.map_or_else(|| Cli::try_parse_from(argv), Ok) {
        Ok(cli) => cli,
        Err(e) => return usage(ctx, &e),
    };
    match dispatch(cli, ctx) {
        Ok(()) => ExitCode::Success,
        Err(e) => {
            let code = e.exit_code();
            // A closed stdout is a normal end: nothing to say.
            if code != ExitCode::Success {
                // Errors can quote labels, reasons and UPS's words: no control characters.
                let safe = render::terminal_safe;
                let mut text = format!("idm-auth: error: {}\n", safe(&e.to_string()));
                if let Some(hint) = e.hint() {
                    text.push_str(&format!("hint: {}\n", safe(&hint)));
                }
                ctx.write_err(&text);
            }
            code
        }
    }
}

/// `--help`, `--version` or a bad command line, as clap words it.
fn usage(ctx: &Ctx, e: &clap::Error) -> ExitCode {
    let rendered = e.render();
    let text = |colour: bool| match colour {
        true => rendered.ansi().to_string(),
        false => rendered.to_string(),
    };
    if e.use_stderr() {
        ctx.write_err(&text(ctx.stderr_color()));
        ExitCode::Usage
    } else {
        let _ = ctx.print(&text(ctx.stdout_color()));
        ExitCode::Success
    }
}

fn dispatch(cli: Cli, ctx: &Ctx) -> Result<()> {
    ctx.set_quiet(cli.quiet);
    let profile = cli.profile.as_deref();
    ctx.choose_store(cli.store, profile);
    let filter = commands::profile_filter(ctx, profile);
    let filter = filter.as_deref();
    match cli.command {
        Command::Authorize(args) => {
            process_hygiene::keep_secrets_in_this_process();
            commands::authorize::run(ctx, &args, profile)
        }
        Command::List(args) => commands::list::run(ctx, &args, filter),
        Command::Token(args) => {
            process_hygiene::keep_secrets_in_this_process();
            commands::token::run(ctx, &args, filter)
        }
        Command::Exec(args) => {
            process_hygiene::keep_secrets_in_this_process();
            commands::exec::run(ctx, &args, filter)
        }
        Command::Check(args) => commands::check::run(ctx, &args, filter),
        Command::Clear(args) => commands::clear::run(ctx, &args, filter),
        Command::Config(command) => commands::config::run(ctx, &command, profile),
        Command::Demo(args) => commands::demo::run(ctx, &args),
        Command::Simulator(args) => commands::simulator::run(ctx, &args),
        Command::Completions { shell } => {
            let mut out = Vec::new();
            clap_complete::generate(shell, &mut Cli::command(), "idm-auth", &mut out);
            ctx.print(&String::from_utf8_lossy(&out))
        }
    }
}
