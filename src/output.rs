//! Writing to the terminal. Results go to stdout; talk goes to stderr through `say!`, which
//! `--quiet` silences. A closed pipe (`idm-auth list | head -1`) is a normal end, not an
//! error, so it exits 0 quietly.

use std::io::{IsTerminal, Write};
use std::sync::atomic::{AtomicBool, Ordering};

static QUIET: AtomicBool = AtomicBool::new(false);

pub fn set_quiet(quiet: bool) {
    QUIET.store(quiet, Ordering::Relaxed);
}

pub fn quiet() -> bool {
    QUIET.load(Ordering::Relaxed)
}

/// Talk to the person at the terminal (stderr), unless `--quiet`.
#[macro_export]
macro_rules! say {
    ($($arg:tt)*) => {
        if !$crate::output::quiet() {
            eprintln!("{}", $crate::render::terminal_safe(&format!($($arg)*)));
        }
    };
}

pub fn print(text: &str) -> crate::error::Result<()> {
    let mut out = std::io::stdout().lock();
    match out.write_all(text.as_bytes()).and_then(|_| out.flush()) {
        Ok(()) => Ok(()),
        Err(e) if e.kind() == std::io::ErrorKind::BrokenPipe => std::process::exit(0),
        Err(e) => Err(crate::error::Error::Other(format!(
            "cannot write to stdout: {e}"
        ))),
    }
}

/// Pretty JSON plus a newline on stdout.
pub fn print_json<T: serde::Serialize>(value: &T) -> crate::error::Result<()> {
    let text = serde_json::to_string_pretty(value)
        .map_err(|e| crate::error::Error::Other(format!("cannot encode JSON: {e}")))?;
    print(&format!("{text}\n"))
}

/// Colour on stdout only for a terminal, and never with NO_COLOR set (https://no-color.org).
pub fn stdout_color() -> bool {
    std::env::var_os("NO_COLOR").is_none_or(|v| v.is_empty())
        && std::io::stdout().is_terminal()
        && terminal_takes_colour_codes()
}

/// A Windows console shows colour codes as text unless asked to interpret them, which
/// Windows 10 and later can do (Windows Terminal does it anyway).
#[cfg(windows)]
fn terminal_takes_colour_codes() -> bool {
    anstyle_query::windows::enable_ansi_colors().unwrap_or(false)
}

#[cfg(not(windows))]
fn terminal_takes_colour_codes() -> bool {
    true
}

/// Whether stderr is a terminal a person watches (for the spinner).
pub fn stderr_is_terminal() -> bool {
    std::io::stderr().is_terminal()
}
