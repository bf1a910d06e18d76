//! The command line, as clap derive types only. Doc comments are the help text.

pub use crate::names::{EnvName, StoreName};
use clap::{Args, Parser, Subcommand};

/// How long `authorize` waits for the consent unless `--timeout` says otherwise.
pub const DEFAULT_TIMEOUT_SECS: u64 = 300;

/// Opt a UPS.com user in to UPS Intelligent Data Management (IDM) from the terminal.
///
/// `authorize` opens the UPS consent page in the browser and keeps the resulting tokens in
/// the OS keyring; `list` shows the opt-ins on this machine; `token` and `exec` hand a valid
/// access token to scripts (refreshing it when needed); `check` watches for opt-ins that
/// need renewing; `clear` dissolves an opt-in.
#[derive(Debug, Parser)]
#[command(
    name = "idm-auth",
    version,
    propagate_version = true,
    max_term_width = 100
)]
#[command(after_help = TOP_EXAMPLES)]
pub struct Cli {
    /// Use this profile from the config file (also IDM_AUTH_PROFILE).
    #[arg(long, global = true, value_name = "NAME")]
    pub profile: Option<String>,
    /// No talk on stderr: only errors, and the sign-in address when no browser could open.
    #[arg(long, short = 'q', global = true)]
    pub quiet: bool,
    /// Where the tokens live: the OS keyring (default), sealed files (servers), or
    /// OpenBao/Vault (fleets). Also IDM_AUTH_STORE, or `store` in the profile
    #[arg(long, global = true, value_name = "STORE")]
    pub store: Option<StoreName>,
    #[command(subcommand)]
    pub command: Command,
}

const TOP_EXAMPLES: &str = "\
Examples:
  idm-auth authorize --label 'shipping desk'
  idm-auth list
  curl -H \"Authorization: Bearer $(idm-auth token)\" https://wwwcie.ups.com/api/...
  idm-auth check --within 14";

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
    /// Run a command with a valid access token in its environment (UPS_ACCESS_TOKEN, UPS_API_BASE).
    #[command(after_help = EXEC_EXAMPLES)]
    Exec(ExecArgs),
    /// Check that every opt-in is usable and none needs renewing soon (for cron and monitoring).
    #[command(after_help = CHECK_EXAMPLES)]
    Check(CheckArgs),
    /// Dissolve opt-ins: delete their tokens from the keyring and their rows from the index.
    #[command(after_help = "Examples:\n  idm-auth clear 3f9c2a1b\n  idm-auth clear --all --yes")]
    Clear(ClearArgs),
    /// Show the resolved settings, or keep a profile's client secret in the keyring.
    #[command(
        subcommand,
        after_help = "Examples:\n  idm-auth config show\n  idm-auth --profile prod config set-secret\n  $EDITOR \"$(idm-auth config path)\""
    )]
    Config(ConfigCommand),
    /// Run the whole opt-in against the built-in UPS simulator and show the grid.
    #[command(after_help = "Examples:\n  idm-auth demo\n  idm-auth demo --no-browser")]
    Demo(DemoArgs),
    /// Serve a UPS OAuth simulator on 127.0.0.1 (true to UPS's published API) for trials and tests.
    #[command(
        after_help = "Examples:\n  idm-auth simulator --port 9100 &\n  IDM_AUTH_CLIENT_ID=idm-auth-demo idm-auth authorize --base-url http://127.0.0.1:9100"
    )]
    Simulator(SimulatorArgs),
    /// Print shell completions for SHELL on stdout.
    #[command(
        after_help = "Examples:\n  idm-auth completions bash > /etc/bash_completion.d/idm-auth\n  idm-auth completions zsh > \"${fpath[1]}/_idm-auth\""
    )]
    Completions {
        #[arg(value_enum)]
        shell: clap_complete::Shell,
    },
}

const AUTHORIZE_EXAMPLES: &str = "\
Examples:
  IDM_AUTH_CLIENT_ID=... idm-auth authorize --label 'shipping desk'
  idm-auth --profile prod authorize
  printf '%s\\n' \"$SECRET\" | idm-auth authorize --client-secret-stdin

Over SSH (the browser is on your own computer):
  idm-auth authorize --no-browser
  Open the printed address in your browser. When it ends on an address that fails to load
  (http://127.0.0.1:8765/callback?code=...), paste that address here. Or forward the port
  first, `ssh -L 8765:127.0.0.1:8765 server`, and the redirect reaches the listener itself.

The redirect URI registered for the app at UPS must be exactly the one used here
(default http://127.0.0.1:8765/callback).";

const EXEC_EXAMPLES: &str = "\
Examples:
  idm-auth exec -- sh -c 'curl -H \"Authorization: Bearer $UPS_ACCESS_TOKEN\" \"$UPS_API_BASE/api/...\"'
  idm-auth exec 3f9c2a1b -- python3 fetch_invoices.py";

const CHECK_EXAMPLES: &str = "\
Examples:
  idm-auth check                 # exit 0 when all is well
  idm-auth check --within 14 --json

Exit codes: 0 all usable; 14 one needs renewing within --within days; 8 one has expired or
is invalid; 12 there are no opt-ins.";

#[derive(Debug, Args)]
pub struct AuthorizeArgs {
    #[command(flatten)]
    pub settings: SettingFlags,
    /// Seconds to wait for the consent to complete.
    #[arg(long, value_name = "SECS", default_value_t = DEFAULT_TIMEOUT_SECS)]
    pub timeout: u64,
    /// Do not open a browser: print the address, and accept the address the browser ended on
    /// pasted on stdin (for SSH sessions).
    #[arg(long)]
    pub no_browser: bool,
    /// Print the new opt-in as JSON (the `list --json` object) instead of its id.
    #[arg(long)]
    pub json: bool,
}

/// The flags that are settings of an opt-in (also given by the environment or a profile;
/// `config show` resolves them with none given).
#[derive(Debug, Default, Args)]
pub struct SettingFlags {
    /// A name for this opt-in, shown by `list` (e.g. the UPS.com user's name).
    #[arg(long, value_name = "TEXT")]
    pub label: Option<String>,
    /// The UPS environment to opt in to (also IDM_AUTH_ENV).
    #[arg(long = "env", value_enum)]
    pub env: Option<EnvName>,
    /// The UPS origin, e.g. https://wwwcie.ups.com; overrides --env's host. Plain http is
    /// accepted only for loopback hosts (the simulator). Also IDM_AUTH_BASE_URL.
    #[arg(long, value_name = "URL")]
    pub base_url: Option<String>,
    /// The app's client id at UPS (also IDM_AUTH_CLIENT_ID).
    #[arg(long, value_name = "ID")]
    pub client_id: Option<String>,
    /// Read the client secret from the first line of stdin (otherwise IDM_AUTH_CLIENT_SECRET,
    /// then the profile's secret in the keyring; without any, the PKCE public-client form).
    #[arg(long)]
    pub client_secret_stdin: bool,
    /// The loopback port of the redirect URI (must match the callback URL registered at UPS).
    #[arg(long, value_name = "N")]
    pub port: Option<u16>,
    /// The full redirect URI registered at UPS, e.g. http://127.0.0.1:8765/callback.
    #[arg(long, value_name = "URI")]
    pub redirect_uri: Option<String>,
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
pub struct ExecArgs {
    /// The opt-in's id (from `list`); without it, the newest usable opt-in.
    pub id: Option<String>,
    /// The command and its arguments, after `--`.
    #[arg(last = true, required = true, value_name = "COMMAND")]
    pub command: Vec<String>,
}

#[derive(Debug, Args)]
pub struct CheckArgs {
    /// Warn when a refresh token (the opt-in itself) expires within this many days.
    #[arg(long, value_name = "DAYS", default_value_t = 7)]
    pub within: u32,
    /// The details as JSON on stdout.
    #[arg(long)]
    pub json: bool,
}

#[derive(Debug, Args)]
#[command(group = clap::ArgGroup::new("which").required(true).args(["ids", "all"]))]
pub struct ClearArgs {
    /// The ids of the opt-ins to clear.
    pub ids: Vec<String>,
    /// Clear every opt-in on this machine (of the --profile, when one is given).
    #[arg(long)]
    pub all: bool,
    /// Do not ask for confirmation.
    #[arg(long, short = 'y')]
    pub yes: bool,
    /// Print what was removed as JSON.
    #[arg(long)]
    pub json: bool,
}

#[derive(Debug, Subcommand)]
pub enum ConfigCommand {
    /// Print the resolved settings and where each value came from (secrets as set/unset).
    #[command(
        after_help = "Examples:\n  idm-auth config show\n  idm-auth --profile prod config show --json"
    )]
    Show {
        /// As JSON.
        #[arg(long)]
        json: bool,
    },
    /// Keep the profile's client secret in the OS keyring (read from stdin or a hidden prompt).
    #[command(
        after_help = "Examples:\n  idm-auth --profile prod config set-secret\n  printf '%s\\n' \"$SECRET\" | idm-auth --profile prod config set-secret"
    )]
    SetSecret,
    /// Print the path of the config file.
    #[command(after_help = "Examples:\n  $EDITOR \"$(idm-auth config path)\"")]
    Path,
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
