//! idm-auth: opt a UPS.com user in to UPS Intelligent Data Management from a terminal.
//!
//! The command line is parsed once (cli), validated into settings, and handed to one command
//! (commands/*), which works with the collaborators: the OAuth flow (flow, http, ups), the
//! loopback listener (callback), the browser, and the store (keyring + index). Errors travel
//! up to main, where error.rs turns them into a message and an exit code.

pub mod abort_point;
pub mod browser;
pub mod callback;
pub mod cli;
pub mod client_check;
pub mod clock;
pub mod commands;
pub mod config;
pub mod error;
pub mod flow;
pub mod html;
pub mod http;
pub mod output;
pub mod public_client;
pub mod render;
pub mod settings;
pub mod simulator;
pub mod store;
pub mod ups;

use clap::CommandFactory;
use cli::{Cli, Command};
use error::Result;
use store::Index;

pub fn run(cli: Cli) -> Result<()> {
    output::set_quiet(cli.quiet);
    let profile = cli.profile.as_deref();
    let filter = commands::profile_filter(profile);
    let filter = filter.as_deref();
    match cli.command {
        Command::Authorize(args) => {
            commands::authorize::run(&args, profile, &Index::default_location()?)
        }
        Command::List(args) => commands::list::run(&args, filter, &Index::default_location()?),
        Command::Token(args) => commands::token::run(&args, filter, &Index::default_location()?),
        Command::Exec(args) => commands::exec::run(&args, filter, &Index::default_location()?),
        Command::Check(args) => commands::check::run(&args, filter, &Index::default_location()?),
        Command::Clear(args) => commands::clear::run(&args, filter, &Index::default_location()?),
        Command::Config(command) => commands::config::run(&command, profile),
        Command::Demo(args) => commands::demo::run(&args),
        Command::Simulator(args) => commands::simulator::run(&args),
        Command::Completions { shell } => {
            let mut out = Vec::new();
            clap_complete::generate(shell, &mut Cli::command(), "idm-auth", &mut out);
            output::print(&String::from_utf8_lossy(&out))
        }
    }
}
