//! One error type for the whole tool. The exit code and the hint a user sees are decided here
//! and only here, so that scripts can rely on them (the table is in the README).

use std::path::PathBuf;

/// Process exit codes. Stable: scripts branch on them.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[repr(u8)]
pub enum ExitCode {
    Success = 0,
    /// An unexpected failure (a bug, or an OS error with no better class).
    Unexpected = 1,
    /// Bad command line (clap's own code).
    Usage = 2,
    /// Settings that cannot work: bad URL, plain http to a remote host, no client id.
    Settings = 3,
    /// The user pressed Deny on the UPS consent page (or UPS reported another OAuth error).
    Denied = 4,
    /// Nobody completed the consent in time.
    Timeout = 5,
    /// UPS answered with an error (its envelope, a gateway page, or a response we cannot read).
    Ups = 6,
    /// UPS could not be reached (connection refused, DNS, TLS, time-out).
    Unreachable = 7,
    /// The opt-in is no longer valid (refresh refused, refresh token expired): authorize again.
    Invalid = 8,
    /// The OS keyring is missing, locked or failing.
    Keyring = 9,
    /// The metadata index could not be read or written.
    Index = 10,
    /// The loopback port for the redirect is taken or cannot be bound.
    PortTaken = 11,
    /// No opt-in with that id, or none usable.
    NotFound = 12,
    /// The admin declined a confirmation prompt.
    Cancelled = 13,
    /// `check`: an opt-in needs renewing within the given days.
    ExpiresSoon = 14,
    /// `api`: UPS answered the API call with an error (its envelope is shown with the transId).
    ApiError = 15,
    /// `exec`: the command exists but cannot be run (as a shell would say).
    CommandNotExecutable = 126,
    /// `exec`: no such command (as a shell would say).
    CommandNotFound = 127,
}

impl ExitCode {
    /// Every code, in the README table's order.
    pub const ALL: [ExitCode; 18] = [
        ExitCode::Success,
        ExitCode::Unexpected,
        ExitCode::Usage,
        ExitCode::Settings,
        ExitCode::Denied,
        ExitCode::Timeout,
        ExitCode::Ups,
        ExitCode::Unreachable,
        ExitCode::Invalid,
        ExitCode::Keyring,
        ExitCode::Index,
        ExitCode::PortTaken,
        ExitCode::NotFound,
        ExitCode::Cancelled,
        ExitCode::ExpiresSoon,
        ExitCode::ApiError,
        ExitCode::CommandNotExecutable,
        ExitCode::CommandNotFound,
    ];

    /// The number the process exits with.
    pub fn code(self) -> i32 {
        self as i32
    }

    /// The variant for a process's exit status number, if it is one of ours.
    pub fn from_code(code: i32) -> Option<ExitCode> {
        ExitCode::ALL.into_iter().find(|c| c.code() == code)
    }
}

impl From<ExitCode> for std::process::ExitCode {
    fn from(code: ExitCode) -> Self {
        std::process::ExitCode::from(code as u8)
    }
}

#[derive(Debug, thiserror::Error)]
pub enum Error {
    #[error("{0}")]
    Config(String),
    #[error("the consent was denied on the UPS page{}", detail(.0))]
    Denied(Option<String>),
    #[error("UPS returned an OAuth error `{error}`{}", detail(.description))]
    OAuthCallback {
        error: String,
        description: Option<String>,
    },
    #[error("timed out after {0} s waiting for the UPS consent to complete")]
    Timeout(u64),
    /// UPS refused or answered badly; the hint (from ups::Refusal) says what to do.
    #[error("{message}")]
    Ups {
        message: String,
        hint: Option<String>,
    },
    #[error("could not reach UPS at {url}: {reason}")]
    Network { url: String, reason: String },
    #[error("the opt-in {id} is no longer valid: {reason}")]
    Reauthorize { id: String, reason: String },
    #[error("{0}")]
    Keyring(String),
    #[error("{message} ({})", path.display())]
    Index { path: PathBuf, message: String },
    #[error("cannot listen on loopback port {port}: {reason}")]
    Port { port: u16, reason: String },
    #[error("{0}")]
    NotFound(String),
    #[error("cancelled")]
    Cancelled,
    #[error("{0}")]
    RenewSoon(String),
    #[error("cannot run `{program}`: {reason}")]
    Exec {
        program: String,
        reason: String,
        not_found: bool,
    },
    #[error("{0}")]
    Unusable(String),
    #[error("{0}")]
    Other(String),
    /// The detached refresher failed with this code; its message was relayed as it said it.
    #[error("the refresher failed")]
    Relayed(ExitCode),
    /// A command line that clap accepts but that cannot be meant (exit 2, as clap's own).
    #[error("{0}")]
    Usage(String),
    /// `api`: UPS answered the call with an error status.
    #[error("{message}")]
    Api {
        message: String,
        hint: Option<String>,
    },
    /// Whoever read stdout went away (`idm-auth list | head -1`): a normal end, exit 0.
    #[error("stdout was closed")]
    StdoutClosed,
}

fn detail(text: &Option<String>) -> String {
    match text {
        Some(t) if !t.is_empty() => format!(": {t}"),
        _ => String::new(),
    }
}

impl Error {
    pub fn exit_code(&self) -> ExitCode {
        match self {
            Error::Config(_) => ExitCode::Settings,
            Error::Denied(_) | Error::OAuthCallback { .. } => ExitCode::Denied,
            Error::Timeout(_) => ExitCode::Timeout,
            Error::Ups { .. } => ExitCode::Ups,
            Error::Network { .. } => ExitCode::Unreachable,
            Error::Reauthorize { .. } => ExitCode::Invalid,
            Error::Keyring(_) => ExitCode::Keyring,
            Error::Index { .. } => ExitCode::Index,
            Error::Port { .. } => ExitCode::PortTaken,
            Error::NotFound(_) => ExitCode::NotFound,
            Error::Cancelled => ExitCode::Cancelled,
            Error::RenewSoon(_) => ExitCode::ExpiresSoon,
            Error::Exec {
                not_found: true, ..
            } => ExitCode::CommandNotFound,
            Error::Exec { .. } => ExitCode::CommandNotExecutable,
            Error::Unusable(_) => ExitCode::Invalid,
            Error::Other(_) => ExitCode::Unexpected,
            Error::Usage(_) => ExitCode::Usage,
            Error::Api { .. } => ExitCode::ApiError,
            Error::StdoutClosed => ExitCode::Success,
            Error::Relayed(code) => *code,
        }
    }

    /// A warning rather than an error: the command did its job and found something to act
    /// on soon (`check`'s 14). Printed as `warning:`, not `error:`.
    pub fn is_warning(&self) -> bool {
        matches!(self, Error::RenewSoon(_))
    }

    /// What the admin should do next, when there is something useful to say.
    pub fn hint(&self) -> Option<String> {
        match self {
            Error::Reauthorize { .. } => Some(
                "run `idm-auth authorize` again to opt the user in anew (a UPS.com password change ends every earlier opt-in)".into(),
            ),
            Error::Port { port, .. } => Some(format!(
                "another program holds port {port}; stop it, or pass --port/--redirect-uri matching another callback URL registered with UPS"
            )),
            Error::Timeout(_) => Some(
                "run it again and finish the sign-in sooner, or raise --timeout".into(),
            ),
            Error::NotFound(_) => Some("`idm-auth list` shows the opt-ins on this machine".into()),
            Error::Ups { hint, .. } | Error::Api { hint, .. } => hint.clone(),
            Error::RenewSoon(_) | Error::Unusable(_) => Some(
                "run `idm-auth authorize` for those users (`idm-auth clear` the old opt-ins afterwards)".into(),
            ),
            _ => None,
        }
    }

    pub fn index(path: impl Into<PathBuf>, message: impl Into<String>) -> Error {
        Error::Index {
            path: path.into(),
            message: message.into(),
        }
    }
}

pub type Result<T, E = Error> = std::result::Result<T, E>;
