//! The command line, as clap derive types only. Doc comments are the help text.

use clap::{Args, Parser, Subcommand, ValueEnum};

/// Opt a UPS.com user in to UPS Intelligent Data Management (IDM) from the terminal.
///
/// `authorize` opens the UPS consent page in the browser and keeps the resulting tokens in
/// the OS keyring; `list` shows the opt-ins on this machine; `token` prints a valid access
/// token for scripts (refreshing it when needed); `clear` dissolves an opt-in.
#[derive(Debug, Parser)]
#[command(name = "idm-auth", version, propagate_version = true)]
pub struct Cli {
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Opt a UPS.com user in: open the UPS consent page, catch the redirect, keep the tokens.
    #[command(after_help = AUTHORIZE_EXAMPLES)]
    Authorize(AuthorizeArgs),
    /// Show the opt-ins on this machine, newest first.
    #[command(after_help = "Examples:\n  idm-auth list\n  idm-auth list --json | jq -r '.[0].id'")]
    List(ListArgs),
    /// Print a valid access token (and nothing else) on stdout, refreshing it when needed.
    #[command(
        after_help = "Examples:\n  curl -H \"Authorization: Bearer $(idm-auth token)\" https://wwwcie.ups.com/api/...\n  idm-auth token 3f9c2a1b"
    )]
    Token(TokenArgs),
    /// Dissolve opt-ins: delete their tokens from the keyring and their rows from the index.
    #[command(after_help = "Examples:\n  idm-auth clear 3f9c2a1b\n  idm-auth clear --all --yes")]
    Clear(ClearArgs),
    /// Run the whole opt-in against the built-in UPS simulator and show the grid.
    Demo(DemoArgs),
    /// Serve a UPS OAuth simulator on 127.0.0.1 (true to UPS's published API) for trials and tests.
    Simulator(SimulatorArgs),
    /// Print shell completions for SHELL on stdout.
    Completions {
        #[arg(value_enum)]
        shell: clap_complete::Shell,
    },
}

const AUTHORIZE_EXAMPLES: &str = "\
Examples:
  IDM_AUTH_CLIENT_ID=... idm-auth authorize --label 'shipping desk'
  idm-auth authorize --env production --port 8765
  printf '%s' \"$SECRET\" | idm-auth authorize --client-secret-stdin

The redirect URI registered for the app at UPS must be exactly the one used here
(default http://127.0.0.1:8765/callback).";

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum EnvName {
    /// UPS's Customer Integration Environment (https://wwwcie.ups.com)
    Cie,
    /// UPS production (https://onlinetools.ups.com)
    Production,
}

#[derive(Debug, Args)]
pub struct AuthorizeArgs {
    /// A name for this opt-in, shown by `list` (e.g. the UPS.com user's name).
    #[arg(long, value_name = "TEXT")]
    pub label: Option<String>,
    /// The UPS environment to opt in to.
    #[arg(long = "env", value_enum, env = "IDM_AUTH_ENV")]
    pub env: Option<EnvName>,
    /// The UPS origin, e.g. https://wwwcie.ups.com; overrides --env's host. Plain http is
    /// accepted only for loopback hosts (the simulator).
    #[arg(long, value_name = "URL", env = "IDM_AUTH_BASE_URL")]
    pub base_url: Option<String>,
    /// The app's client id at UPS.
    #[arg(long, value_name = "ID", env = "IDM_AUTH_CLIENT_ID")]
    pub client_id: Option<String>,
    /// Read the client secret from the first line of stdin (otherwise IDM_AUTH_CLIENT_SECRET;
    /// without either, the PKCE public-client form is used).
    #[arg(long)]
    pub client_secret_stdin: bool,
    /// The loopback port of the redirect URI (must match the callback URL registered at UPS).
    #[arg(long, value_name = "N")]
    pub port: Option<u16>,
    /// The full redirect URI registered at UPS, e.g. http://127.0.0.1:8765/callback.
    #[arg(long, value_name = "URI")]
    pub redirect_uri: Option<String>,
    /// Seconds to wait for the consent to complete.
    #[arg(long, value_name = "SECS", default_value_t = 300)]
    pub timeout: u64,
    /// Do not open a browser; print the address to open instead.
    #[arg(long)]
    pub no_browser: bool,
}

#[derive(Debug, Args)]
pub struct ListArgs {
    /// A JSON array for scripts (schema in the README). Never contains a secret.
    #[arg(long)]
    pub json: bool,
}

#[derive(Debug, Args)]
pub struct TokenArgs {
    /// The opt-in's id (from `list`); without it, the newest usable opt-in.
    pub id: Option<String>,
}

#[derive(Debug, Args)]
#[command(group = clap::ArgGroup::new("which").required(true).args(["ids", "all"]))]
pub struct ClearArgs {
    /// The ids of the opt-ins to clear.
    pub ids: Vec<String>,
    /// Clear every opt-in on this machine.
    #[arg(long)]
    pub all: bool,
    /// Do not ask for confirmation.
    #[arg(long, short = 'y')]
    pub yes: bool,
}

#[derive(Debug, Args)]
pub struct DemoArgs {
    /// Never open a browser: approve the simulated consent automatically.
    #[arg(long)]
    pub no_browser: bool,
}

#[derive(Debug, Args)]
pub struct SimulatorArgs {
    /// Port on 127.0.0.1 (0 picks a free one). The base URL is printed on stdout.
    #[arg(long, default_value_t = 0)]
    pub port: u16,
    /// The client id the simulator accepts. A client secret, if any, is read from
    /// IDM_AUTH_CLIENT_SECRET (never from the command line).
    #[arg(long, value_name = "ID", default_value = "idm-auth-demo")]
    pub client_id: String,
    /// The one callback URL to accept (UPS checks it exactly); default: any loopback URL.
    #[arg(long, value_name = "URI")]
    pub redirect_uri: Option<String>,
    /// Lifetime of access tokens, in seconds.
    #[arg(long, value_name = "SECS", default_value_t = 14399)]
    pub access_ttl: u64,
    /// Lifetime of refresh tokens, in seconds.
    #[arg(long, value_name = "SECS", default_value_t = 5183999)]
    pub refresh_ttl: u64,
}
