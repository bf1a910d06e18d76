//! The command line, as clap derive types only. Doc comments are the help text.

pub use crate::names::{EnvName, StoreName};
use clap::{Args, Parser, Subcommand};

/// How long `authorize` waits for the consent unless `--timeout` says otherwise.
pub const DEFAULT_TIMEOUT_SECS: u64 = 300;

/// Opt a UPS.com user in to UPS Intelligent Data Management (IDM) from the terminal.
///
/// `config init` keeps the app's settings in a profile; `authorize` opens the UPS consent
/// page in the browser and keeps the resulting tokens in the store (the OS keyring by
/// default); `list` and `status` show the opt-ins; `token` and `exec` hand a valid access
/// token to scripts (refreshing it when needed); `check` watches for opt-ins that need
/// renewing; `clear` dissolves an opt-in. `idm-auth demo` tries it all on a built-in UPS
/// simulator.
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
    /// No talk on stderr: only errors, warnings and what needs an answer (a question, the
    /// sign-in address when no browser took it).
    #[arg(long, short = 'q', global = true)]
    pub quiet: bool,
    /// Where the tokens live: the OS keyring (default), sealed files (servers), or
    /// OpenBao/Vault (fleets). Also IDM_AUTH_STORE, or `store` in the profile. Not for
    /// demo, simulator, completions, config path
    #[arg(long, global = true, value_name = "STORE")]
    pub store: Option<StoreName>,
    #[command(subcommand)]
    pub command: Command,
}

const TOP_EXAMPLES: &str = "\
Examples:
  idm-auth demo
  idm-auth config init --client-id AbC123 --client-secret-stdin < secret.txt
  idm-auth authorize --label 'shipping desk'
  idm-auth status
  curl -H \"Authorization: Bearer $(idm-auth token)\" https://wwwcie.ups.com/api/...
  idm-auth api /track/v1/details/1Z12345E0205271688
  idm-auth check --within 14";

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Opt a UPS.com user in: open the UPS consent page, catch the redirect, keep the tokens.
    #[command(after_help = AUTHORIZE_EXAMPLES)]
    Authorize(AuthorizeArgs),
    /// Show the opt-ins on this machine, newest first.
    #[command(after_help = "Examples:\n  idm-auth list\n  idm-auth list --json | jq -r '.[0].id'")]
    List(ListArgs),
    /// Show the opt-in that `token` would use (or ID): its user, UPS, store and lifetimes.
    #[command(
        after_help = "Examples:\n  idm-auth status\n  idm-auth --profile prod status --json\n\nExit codes: 0 usable; 8 ended or invalid; 12 no such opt-in (or none)."
    )]
    Status(StatusArgs),
    /// Print a valid access token (and nothing else) on stdout, refreshing it when needed.
    #[command(
        after_help = "Examples:\n  curl -H \"Authorization: Bearer $(idm-auth token)\" https://wwwcie.ups.com/api/...\n  idm-auth token 3f9c2a1b\n  idm-auth token --json | jq -r .expires_at"
    )]
    Token(TokenArgs),
    /// Run a command with a valid access token in its environment (UPS_ACCESS_TOKEN, UPS_API_BASE).
    ///
    /// The command gets a token, not the keys to every opt-in: VAULT_TOKEN, IDM_AUTH_KEY_FILE
    /// and IDM_AUTH_CLIENT_SECRET are removed from its environment. A command that really
    /// needs one gets it under another name, never in argv:
    /// `JOB_VAULT_TOKEN="$VAULT_TOKEN" idm-auth exec -- sh -c 'VAULT_TOKEN="$JOB_VAULT_TOKEN" exec ./job'`.
    #[command(after_help = EXEC_EXAMPLES)]
    Exec(ExecArgs),
    /// Call a UPS API with an opt-in's token (UPS's headers, its errors explained, 401/429 handled).
    #[command(after_help = API_EXAMPLES)]
    Api(ApiArgs),
    /// Check that every opt-in is usable and none needs renewing soon (for cron and monitoring).
    #[command(after_help = CHECK_EXAMPLES)]
    Check(CheckArgs),
    /// Dissolve opt-ins: delete their tokens from the store and their rows from the index.
    #[command(
        override_usage = "idm-auth clear [OPTIONS] [ID]...\n       idm-auth clear [OPTIONS] --all",
        after_help = "Examples:\n  idm-auth clear 3f9c2a1b\n  idm-auth clear --all --yes\n\nClearing is idempotent: an id that is not here (already cleared) is skipped with a note,\nand the exit code is still 0."
    )]
    Clear(ClearArgs),
    /// Keep settings in profiles of the config file, and a profile's client secret in the
    /// store (the OS keyring, the file store or Vault; never in the file).
    #[command(
        subcommand,
        after_help = "Examples:\n  idm-auth config init\n  idm-auth --profile prod config init --env production --client-id XyZ789\n  idm-auth --profile prod config set-secret\n  idm-auth config show\n  $EDITOR \"$(idm-auth config path)\""
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

const API_EXAMPLES: &str = "\
Examples:
  idm-auth api /track/v1/details/1Z12345E0205271688
  idm-auth api /track/v1/details/1Z12345E0205271688 -X GET -f returnMilestones=true
  idm-auth api 3f9c2a1b /track/v1/details/1Z12345E0205271688 \\
      --jq '.trackResponse.shipment[0].package[0].currentStatus.description'
  idm-auth api /rating/v2409/Rate --input rate-request.json

PATH is relative to the opt-in's own UPS API base ({base}/api); a full URL only on that
origin: the token is never sent anywhere else. Exit codes: 0 a 2xx answer; 15 UPS answered
with an error (shown as `code: message` with the transId); 7 UPS could not be reached.";

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
    /// A JSON array for scripts (schema in docs/reference.md). Never contains a secret.
    #[arg(long)]
    pub json: bool,
}

#[derive(Debug, Args)]
pub struct TokenArgs {
    /// The opt-in's id (from `list`); without it, the newest usable opt-in.
    pub id: Option<String>,
    /// The token with its expiry as JSON (for programs that cache it until then).
    #[arg(long)]
    pub json: bool,
}

#[derive(Debug, Args)]
pub struct StatusArgs {
    /// The opt-in's id (from `list`); without it, the one `token` would use.
    pub id: Option<String>,
    /// As JSON: the `list --json` object of that opt-in.
    #[arg(long)]
    pub json: bool,
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
#[command(override_usage = "idm-auth api [OPTIONS] [ID] <PATH>")]
pub struct ApiArgs {
    /// The opt-in's id (from `list`); given PATH alone, the newest usable opt-in is used.
    #[arg(value_name = "ID")]
    pub id: Option<String>,
    /// The API path under {base}/api, e.g. /track/v1/details/1Z12345E0205271688, or a full
    /// URL on the opt-in's own UPS origin.
    #[arg(value_name = "PATH")]
    pub path: Option<String>,
    /// The HTTP method (default GET, or POST when fields or --input are given).
    #[arg(long, short = 'X', value_name = "METHOD")]
    pub method: Option<String>,
    /// Add a request header, `Name: value` (repeatable); replaces one of idm-auth's own.
    #[arg(long, short = 'H', value_name = "NAME: VALUE")]
    pub header: Vec<String>,
    /// A string field of the JSON body (a query parameter for GET); `key[sub]=v` nests.
    #[arg(long = "raw-field", short = 'f', value_name = "KEY=VALUE")]
    pub raw_field: Vec<String>,
    /// A typed field: numbers, true, false and null as JSON; `@FILE` (or `@-`) the file's text.
    #[arg(long, short = 'F', value_name = "KEY=VALUE")]
    pub field: Vec<String>,
    /// The request body from FILE, or `-` for stdin, sent as it is.
    #[arg(long, value_name = "FILE", conflicts_with_all = ["raw_field", "field"])]
    pub input: Option<String>,
    /// Print the status line and the response headers before the body.
    #[arg(long, short = 'i')]
    pub include: bool,
    /// Filter the JSON answer through a jq expression (no jq needed); strings print raw.
    #[arg(long, value_name = "EXPR", conflicts_with = "silent")]
    pub jq: Option<String>,
    /// Print no response body.
    #[arg(long)]
    pub silent: bool,
    /// Do not wait and retry after a 429 or 503 (otherwise up to 30 s in all, as UPS's
    /// Retry-After asks).
    #[arg(long)]
    pub no_retry: bool,
    /// The `transactionSrc` header naming the calling application (default `idm-auth`; also
    /// IDM_AUTH_TRANSACTION_SRC, or `transaction_src` in the profile).
    #[arg(long, value_name = "NAME")]
    pub transaction_src: Option<String>,
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
    /// The ids of the opt-ins to clear (an id not here is skipped).
    #[arg(value_name = "ID")]
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
    /// Make a profile (--profile NAME, else `default`) from flags, or by asking on a terminal.
    #[command(
        after_help = "Examples:\n  idm-auth config init\n  idm-auth --profile prod config init --env production --client-id XyZ789 --client-secret-stdin < secret.txt\n\nThe first profile made becomes the default profile. The client secret goes to the store\n(the OS keyring by default), never into the file."
    )]
    Init(InitArgs),
    /// Set one key of the profile (--profile NAME, else the default profile; made if missing).
    #[command(
        after_help = "Keys: environment, base_url, client_id, redirect_uri, port, label, transaction_src, store,\nvault_addr, vault_mount, vault_prefix, key_file; and default_profile (the file's default).\n\nExamples:\n  idm-auth config set client_id AbC123\n  idm-auth --profile prod config set environment production\n  idm-auth config set default_profile prod"
    )]
    Set {
        /// The key (see below).
        key: String,
        /// Its value.
        value: String,
    },
    /// Remove one key from the profile (--profile NAME, else the default profile).
    #[command(after_help = "Examples:\n  idm-auth --profile prod config unset label")]
    Unset {
        /// The key.
        key: String,
    },
    /// Keep the profile's client secret in the store: the OS keyring by default, the sealed
    /// files with --store file, Vault with --store vault (read from stdin or a hidden prompt).
    #[command(
        after_help = "Examples:\n  idm-auth --profile prod config set-secret\n  printf '%s\\n' \"$SECRET\" | idm-auth --profile prod config set-secret\n\nWithout any profile, it makes the profile `default` (the default profile) to keep it for."
    )]
    SetSecret,
    /// Delete the profile's client secret from the store (new opt-ins are then made without one).
    #[command(after_help = "Examples:\n  idm-auth --profile prod config delete-secret")]
    DeleteSecret,
    /// Print the path of the config file.
    #[command(after_help = "Examples:\n  $EDITOR \"$(idm-auth config path)\"")]
    Path,
}

#[derive(Debug, Args)]
pub struct InitArgs {
    #[command(flatten)]
    pub settings: SettingFlags,
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
