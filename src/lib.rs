//! idm-auth: opt a UPS.com user in to UPS Intelligent Data Management from a terminal.
//!
//! [`run`] parses the command line once (cli) and hands it to one command (commands/*) on a
//! context (context.rs: the store, the clock, the terminal, the environment, the browser
//! and the HTTP transport). A command only orchestrates: settings, the sign-in's steps
//! (signin), the store (store/*), rendering. Errors travel up to `run`, where error.rs turns
//! them into a message and an exit code; `main` builds the real context and exits with what
//! `run` returns, and nothing else ends the process.

pub mod abort_point;
pub mod api;
pub mod cli;
pub mod clock;
pub mod commands;
pub mod config;
pub mod context;
pub mod error;
mod fast_path;
pub mod html;
mod http_client;
pub mod names;
pub mod opt_in;
pub mod process_hygiene;
pub mod public_client;
pub mod refresh;
pub mod render;
pub mod settings;
pub mod signin;
pub mod simulator;
pub mod store;
pub mod store_choice;
pub mod talk;
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
    if commands::refresher::invoked_as(&argv) {
        return finish(
            ctx,
            commands::refresher::invoked(ctx, &argv).map(|()| ExitCode::Success),
        );
    }
    // `token`'s and `list`'s plain shapes skip building clap's command tree; anything else
    // is clap's.
    let fast = fast_path::plain_command(argv.get(1..).unwrap_or_default());
    let cli = match fast.map_or_else(|| Cli::try_parse_from(&argv), Ok) {
        Ok(cli) => cli,
        Err(e) if e.use_stderr() && exec_without_dashes(&argv) => {
            report(ctx, &error::Error::Usage(EXEC_NEEDS_DASHES.into()));
            return ExitCode::Usage;
        }
        Err(e) => return usage(ctx, &e),
    };
    finish(ctx, dispatch(cli, ctx))
}

/// The exit code of a command's result, its error said on stderr.
fn finish(ctx: &Ctx, result: Result<ExitCode>) -> ExitCode {
    match result {
        Ok(code) => code,
        Err(e) => {
            let code = e.exit_code();
            // A closed stdout is a normal end: nothing to say. A refresher's own words were
            // relayed already.
            if code != ExitCode::Success && !matches!(e, error::Error::Relayed(_)) {
                report(ctx, &e);
            }
            code
        }
    }
}

/// An error (or `check`'s warning) on stderr in clap's own form, `error: ...` (bold red on a
/// terminal), so the tool speaks with one voice whoever found the fault; then the hint.
fn report(ctx: &Ctx, e: &error::Error) {
    // Errors can quote labels, reasons and UPS's words: no control characters.
    let safe = render::terminal_safe;
    let (word, colour) = match e.is_warning() {
        true => ("warning", anstyle::AnsiColor::Yellow),
        false => ("error", anstyle::AnsiColor::Red),
    };
    let style = anstyle::Style::new().bold().fg_color(Some(colour.into()));
    let word = match ctx.stderr_color() {
        true => format!("{}{word}:{}", style.render(), style.render_reset()),
        false => format!("{word}:"),
    };
    let mut text = format!("{word} {}\n", safe(&e.to_string()));
    if let Some(hint) = e.hint() {
        text.push_str(&format!("hint: {}\n", safe(&hint)));
    }
    ctx.write_err(&text);
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

const EXEC_NEEDS_DASHES: &str = "exec runs what follows `--`: idm-auth exec [ID] -- COMMAND [ARGS]... (e.g. idm-auth exec -- sh -c 'curl ...')";

/// `exec sh -c ...`: clap would suggest `-- -c`, which is not what the admin meant; the
/// command as a whole goes after `--`.
fn exec_without_dashes(argv: &[OsString]) -> bool {
    let words: Vec<&str> = argv.iter().skip(1).filter_map(|a| a.to_str()).collect();
    // `exec` and `exec ID` alone are clap's to answer (the command is missing).
    let after = words.iter().skip_while(|w| **w != "exec").skip(1).count();
    after >= 2 && !words.contains(&"--")
}

/// `--store` and `--profile` are global so they can go anywhere on the line, but some
/// commands have no store or profile to choose: say so rather than ignore them.
fn refuse_idle_globals(cli: &Cli) -> Result<()> {
    let (name, why) = match &cli.command {
        Command::Demo(_) => (
            "demo",
            "it keeps its opt-in in a private temporary index and the OS keyring, and clears it at the end",
        ),
        Command::Simulator(_) => ("simulator", "it keeps nothing"),
        Command::Completions { .. } => ("completions", "it only prints a script"),
        Command::Config(cli::ConfigCommand::Path) => {
            ("config path", "there is one config file for every profile")
        }
        Command::Config(cli::ConfigCommand::Set { .. } | cli::ConfigCommand::Unset { .. })
            if cli.store.is_some() =>
        {
            (
                "config set/unset",
                "the config file is the same for every store (a profile's store is its key `store`)",
            )
        }
        _ => return Ok(()),
    };
    let flag = match (cli.store.is_some(), cli.profile.is_some()) {
        (true, _) => "--store",
        (false, true) => "--profile",
        (false, false) => return Ok(()),
    };
    Err(error::Error::Usage(format!(
        "{flag} does not apply to `{name}`: {why}"
    )))
}

/// Run the command; its exit code (Success, or the status of the command `exec` ran).
fn dispatch(cli: Cli, ctx: &Ctx) -> Result<ExitCode> {
    refuse_idle_globals(&cli)?;
    ctx.set_quiet(cli.quiet);
    let profile = cli.profile.as_deref();
    ctx.choose_store(cli.store, profile);
    let filter = commands::profile_filter(ctx, profile);
    let filter = filter.as_deref();
    // Every command that opens the store may hold tokens or client secrets: the Vault store
    // reads whole records (refresh tokens, client secrets) even to list them.
    if matches!(
        cli.command,
        Command::Authorize(_)
            | Command::Token(_)
            | Command::Exec(_)
            | Command::Api(_)
            | Command::List(_)
            | Command::Check(_)
            | Command::Clear(_)
    ) {
        process_hygiene::keep_secrets_in_this_process();
    }
    let done = match cli.command {
        Command::Exec(args) => return commands::exec::run(ctx, &args, filter),
        Command::Authorize(args) => commands::authorize::run(ctx, &args, profile),
        Command::List(args) => commands::list::run(ctx, &args, filter),
        Command::Token(args) => commands::token::run(ctx, &args, filter),
        Command::Api(args) => commands::api::run(ctx, &args, profile, filter),
        Command::Check(args) => commands::check::run(ctx, &args, filter),
        Command::Clear(args) => commands::clear::run(ctx, &args, filter),
        Command::Config(command) => commands::config::run(ctx, &command, profile, cli.store),
        Command::Status(args) => commands::status::run(ctx, &args, filter),
        Command::Demo(args) => commands::demo::run(ctx, &args),
        Command::Simulator(args) => commands::simulator::run(ctx, &args),
        Command::Completions { shell } => {
            let mut out = Vec::new();
            clap_complete::generate(shell, &mut Cli::command(), "idm-auth", &mut out);
            ctx.print(&String::from_utf8_lossy(&out))
        }
    };
    done.map(|()| ExitCode::Success)
}
