//! One error type for the whole tool. The exit code and the hint a user sees are decided here
//! and only here, so that scripts can rely on them (the table is in the README).

use std::path::PathBuf;

/// Process exit codes. Stable: scripts branch on them. Each of ours is in [`ExitCode::ALL`];
/// [`ExitCode::Child`] passes on another program's status.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ExitCode {
    Success,
    /// An unexpected failure (a bug, or an OS error with no better class).
    Unexpected,
    /// Bad command line (clap's own code).
    Usage,
    /// Settings that cannot work: bad URL, plain http to a remote host, no client id.
    Settings,
    /// The user pressed Deny on the UPS consent page (or UPS reported another OAuth error).
    Denied,
    /// Nobody completed the consent in time.
    Timeout,
    /// UPS answered with an error (its envelope, a gateway page, or a response we cannot read).
    Ups,
    /// UPS could not be reached (connection refused, DNS, TLS, time-out).
    Unreachable,
    /// The opt-in is no longer valid (refresh refused, refresh token expired): authorize again.
    Invalid,
    /// The OS keyring is missing, locked or failing.
    Keyring,
    /// The metadata index could not be read or written.
    Index,
    /// The loopback port for the redirect is taken or cannot be bound.
    PortTaken,
    /// No opt-in with that id, or none usable.
    NotFound,
    /// The admin declined a confirmation prompt.
    Cancelled,
    /// `check`: an opt-in needs renewing within the given days.
    ExpiresSoon,
    /// `api`: UPS answered the API call with an error (its envelope is shown with the transId).
    ApiError,
    /// `exec`: the command exists but cannot be run (as a shell would say).
    CommandNotExecutable,
    /// `exec`: no such command (as a shell would say).
    CommandNotFound,
    /// `exec` where the command cannot replace idm-auth (Windows): the command's own exit
    /// status, unchanged. Any number: a Windows status is 32 bits (`0xC0000005` reads as a
    /// negative number here), so it is not narrowed to 0..=255.
    Child(i32),
}

impl ExitCode {
    /// Every code of ours (docs/reference.md's table), in the table's order: all but `Child`.
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

    /// The number the process exits with (the table's; a child's status as it was).
    pub fn code(self) -> i32 {
        match self {
            ExitCode::Child(status) => status,
            ExitCode::Success => 0,
            ExitCode::Unexpected => 1,
            ExitCode::Usage => 2,
            ExitCode::Settings => 3,
            ExitCode::Denied => 4,
            ExitCode::Timeout => 5,
            ExitCode::Ups => 6,
            ExitCode::Unreachable => 7,
            ExitCode::Invalid => 8,
            ExitCode::Keyring => 9,
            ExitCode::Index => 10,
            ExitCode::PortTaken => 11,
            ExitCode::NotFound => 12,
            ExitCode::Cancelled => 13,
            ExitCode::ExpiresSoon => 14,
            ExitCode::ApiError => 15,
            ExitCode::CommandNotExecutable => 126,
            ExitCode::CommandNotFound => 127,
        }
    }

    /// The variant for a process's exit status number, if it is one of ours.
    pub fn from_code(code: i32) -> Option<ExitCode> {
        ExitCode::ALL.into_iter().find(|c| c.code() == code)
    }
}

impl ExitCode {
    /// The code as `main` can return it, when it fits: every one of ours does, a Windows
    /// command's status may not (std's `ExitCode` carries 0..=255 only).
    pub fn as_std(self) -> Option<std::process::ExitCode> {
        u8::try_from(self.code())
            .ok()
            .map(std::process::ExitCode::from)
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
