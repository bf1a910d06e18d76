//! The world a command runs in: where opt-ins are kept, the clock, stdin/stdout/stderr with
//! their tty flags, the environment, the browser opener and the HTTP transport to UPS. Commands
//! reach none of these globally, so a test can run any command in-process on a context of its
//! own (an in-memory secret store, captured output, a scripted browser), and `main` builds
//! the real one.
//!
//! The real context is cheap to build: the store is connected on first use, and a secret
//! backend only when a secret is needed, so `token` on a cache hit pays for nothing else.

use crate::cli::StoreName;
use crate::clock::Clock;
use crate::error::{Error, Result};
use crate::signin::browser::{self, Launch};
use crate::store::Store;
use crate::talk::Output;
pub use crate::talk::Talk;
use crate::ups::oauth::UpsFailure;
use crate::ups::transport::{Transport, UpsHttp};
use chrono::{DateTime, Utc};
use std::ffi::OsString;
use std::fmt;
use std::io::{BufRead, IsTerminal, Write};
use std::path::PathBuf;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex, OnceLock};
use std::time::Duration;

/// Reading the environment: a variable's value, if set (as the OS holds it: `PATH` may
/// not be UTF-8).
pub type Env = dyn Fn(&str) -> Option<OsString> + Send + Sync;
/// A shared reader (the paste reader reads stdin on its own thread).
pub type Input = Arc<Mutex<Box<dyn BufRead + Send>>>;
/// The transport to UPS, shared (the network's, or what a test put in its place).
pub type Ups = Arc<dyn Transport + Send + Sync>;
type MakeStore = dyn Fn(&Ctx) -> Result<Box<dyn Store>>;
/// Opens the consent page at a URL (a test's scripted browser).
type Opener = dyn Fn(&str) -> Launch + Send + Sync;

pub struct Ctx {
    env: Box<Env>,
    stdin: Input,
    stdout: Output,
    stderr: Output,
    stdin_tty: bool,
    stdout_tty: bool,
    stderr_tty: bool,
    /// Whether a terminal here shows colour codes as colour (see `terminal_takes_colour_codes`).
    colour_codes: bool,
    clock: Clock,
    /// What opens the consent page; None: the system's browser (browser.rs), which reads
    /// this context's environment.
    browser: Option<Box<Opener>>,
    config_path: Option<PathBuf>,
    /// The transport to UPS a test put in place of the network (`with_transport`).
    transport: Option<Ups>,
    make_store: Box<MakeStore>,
    /// `--store` and `--profile`, which choose the store (store_choice.rs).
    store_choice: OnceLock<(Option<StoreName>, Option<String>)>,
    store: OnceLock<Box<dyn Store>>,
    quiet: AtomicBool,
    /// A refresh may run in a process of its own (commands/refresher.rs): only when this
    /// context is the process's own (its environment and store), so the child sees the same.
    refresh_apart: bool,
}

impl Ctx {
    /// This process's environment, streams, clock and browser; opt-ins in the data dir.
    pub fn real() -> Ctx {
        Ctx {
            env: Box::new(|name| std::env::var_os(name)),
            stdin: Arc::new(Mutex::new(Box::new(std::io::BufReader::new(
                std::io::stdin(),
            )))),
            stdout: Arc::new(Mutex::new(Box::new(std::io::stdout()))),
            stderr: Arc::new(Mutex::new(Box::new(std::io::stderr()))),
            stdin_tty: std::io::stdin().is_terminal(),
            stdout_tty: std::io::stdout().is_terminal(),
            stderr_tty: std::io::stderr().is_terminal(),
            colour_codes: terminal_takes_colour_codes(),
            clock: crate::clock::system(),
            browser: None,
            config_path: None,
            transport: None,
            make_store: Box::new(|_| {
                Err(Error::Other(
                    "no store was given to this context (with_store or with_store_opener)".into(),
                ))
            }),
            store_choice: OnceLock::new(),
            store: OnceLock::new(),
            quiet: AtomicBool::new(false),
            refresh_apart: true,
        }
    }

    /// The environment, as `env` answers.
    pub fn with_env(mut self, env: impl Fn(&str) -> Option<String> + Send + Sync + 'static) -> Ctx {
        self.env = Box::new(move |name| env(name).map(OsString::from));
        self.refresh_apart = false;
        self
    }

    pub fn with_stdin(mut self, input: impl BufRead + Send + 'static, tty: bool) -> Ctx {
        self.stdin = Arc::new(Mutex::new(Box::new(input)));
        self.stdin_tty = tty;
        self
    }

    pub fn with_stdout(mut self, out: impl Write + Send + 'static, tty: bool) -> Ctx {
        self.stdout = Arc::new(Mutex::new(Box::new(out)));
        self.stdout_tty = tty;
        self
    }

    pub fn with_stderr(mut self, out: impl Write + Send + 'static, tty: bool) -> Ctx {
        self.stderr = Arc::new(Mutex::new(Box::new(out)));
        self.stderr_tty = tty;
        self
    }

    pub fn with_clock(mut self, clock: impl Fn() -> DateTime<Utc> + Send + Sync + 'static) -> Ctx {
        self.clock = Arc::new(clock);
        self
    }

    /// What opens the consent page (called with the authorize URL, must not wait for it).
    pub fn with_browser(mut self, open: impl Fn(&str) -> Launch + Send + Sync + 'static) -> Ctx {
        self.browser = Some(Box::new(open));
        self
    }

    /// The OAuth exchanges with UPS go through `transport` instead of the network (a
    /// canned answer, a recording of what was sent).
    pub fn with_transport(mut self, transport: impl Transport + Send + Sync + 'static) -> Ctx {
        self.transport = Some(Arc::new(transport));
        self.refresh_apart = false;
        self
    }

    pub fn with_config_path(mut self, path: PathBuf) -> Ctx {
        self.config_path = Some(path);
        self.refresh_apart = false;
        self
    }

    /// Opt-ins kept in the store `open` makes on first use, from this context once the
    /// command line is read (the binary wires `store_choice::open_chosen`: the context
    /// itself knows no store kind, so it depends on none).
    pub fn with_store_opener(
        mut self,
        open: impl Fn(&Ctx) -> Result<Box<dyn Store>> + 'static,
    ) -> Ctx {
        self.make_store = Box::new(open);
        self
    }

    /// Opt-ins kept in `store` instead of the data dir. A store judges time by its own
    /// clock: give it this context's (`LocalStore::with_clock`, `VaultStore::with_clock`).
    pub fn with_store(mut self, store: impl Store + 'static) -> Ctx {
        let _ = self.store.set(Box::new(store));
        self.refresh_apart = false;
        self
    }

    /// Whether a refresh may run in a detached process of its own (see `refresh_apart`).
    pub fn refreshes_apart(&self) -> bool {
        self.refresh_apart
    }

    /// A variable of the environment, None when unset, blank or not UTF-8.
    pub fn var(&self, name: &str) -> Option<String> {
        (self.env)(name)
            .and_then(|v| v.into_string().ok())
            .filter(|v| !v.trim().is_empty())
    }

    /// A variable of the environment as the OS holds it (a path need not be UTF-8).
    pub fn var_os(&self, name: &str) -> Option<OsString> {
        (self.env)(name)
    }

    pub fn now(&self) -> DateTime<Utc> {
        (self.clock)()
    }

    /// The clock, for what keeps it beyond one call (a store, a refresh).
    pub fn clock(&self) -> Clock {
        self.clock.clone()
    }

    /// The command line's `--store` and `--profile`, before the store is first used.
    pub fn choose_store(&self, flag: Option<StoreName>, profile: Option<&str>) {
        let _ = self.store_choice.set((flag, profile.map(str::to_owned)));
    }

    /// What `choose_store` was given.
    pub fn store_choice(&self) -> (Option<StoreName>, Option<String>) {
        self.store_choice.get().cloned().unwrap_or_default()
    }

    /// Where opt-ins are kept; connected on first use.
    pub fn store(&self) -> Result<&dyn Store> {
        if let Some(store) = self.store.get() {
            return Ok(store.as_ref());
        }
        let made = (self.make_store)(self)?;
        Ok(self.store.get_or_init(|| made).as_ref())
    }

    pub fn config_path(&self) -> Result<PathBuf> {
        match &self.config_path {
            Some(p) => Ok(p.clone()),
            None => crate::config::path(),
        }
    }

    /// Open the consent page at `url` without waiting for the browser.
    pub fn open_browser(&self, url: &str) -> Launch {
        match &self.browser {
            Some(open) => open(url),
            None => browser::open(url, &|name| self.var_os(name)),
        }
    }

    /// How long a keyring call may take: `IDM_AUTH_KEYRING_TIMEOUT` seconds, else 20.
    pub fn keyring_timeout(&self) -> Duration {
        self.var("IDM_AUTH_KEYRING_TIMEOUT")
            .and_then(|s| s.trim().parse::<u64>().ok())
            .map(Duration::from_secs)
            .unwrap_or(crate::store::secrets::DEFAULT_TIMEOUT)
    }

    /// How long one request to UPS may take: `IDM_AUTH_HTTP_TIMEOUT` seconds, else 30.
    pub fn http_timeout(&self) -> Duration {
        crate::ups::oauth::http_timeout_from(self.var("IDM_AUTH_HTTP_TIMEOUT"))
    }

    /// The network transport to UPS, with [`Ctx::http_timeout`] (`api` streams its
    /// answers through it).
    pub fn http(&self) -> Result<UpsHttp, UpsFailure> {
        UpsHttp::new(self.http_timeout())
            .map_err(|e| crate::ups::oauth::config_error("HTTP client", e))
    }

    /// The transport for the OAuth exchanges with UPS: the one given to this context
    /// (`with_transport`), else the network.
    pub fn ups(&self) -> Result<Ups, UpsFailure> {
        self.ups_within(Duration::MAX)
    }

    /// [`Ctx::ups`], a request over the network taking at most `at_most` (a courtesy
    /// check).
    pub fn ups_within(&self, at_most: Duration) -> Result<Ups, UpsFailure> {
        match &self.transport {
            Some(given) => Ok(given.clone()),
            None => UpsHttp::new(self.http_timeout().min(at_most))
                .map(|http| Arc::new(http) as Ups)
                .map_err(|e| crate::ups::oauth::config_error("HTTP client", e)),
        }
    }

    pub fn set_quiet(&self, quiet: bool) {
        self.quiet.store(quiet, Ordering::Relaxed);
    }

    pub fn quiet(&self) -> bool {
        self.quiet.load(Ordering::Relaxed)
    }

    pub fn stdin_is_tty(&self) -> bool {
        self.stdin_tty
    }

    pub fn stdout_is_tty(&self) -> bool {
        self.stdout_tty
    }

    pub fn stderr_is_tty(&self) -> bool {
        self.stderr_tty
    }

    /// Colour on stdout only for a terminal that shows colour codes as colour, and never
    /// with NO_COLOR set (https://no-color.org).
    pub fn stdout_color(&self) -> bool {
        self.stdout_tty && self.colour_codes && (self.env)("NO_COLOR").is_none_or(|v| v.is_empty())
    }

    /// The same rule for stderr.
    pub fn stderr_color(&self) -> bool {
        self.stderr_tty && self.colour_codes && (self.env)("NO_COLOR").is_none_or(|v| v.is_empty())
    }

    /// The shared stdin, for a reader on another thread.
    pub fn stdin(&self) -> Input {
        self.stdin.clone()
    }

    /// One line of stdin, without its line end (empty at the end of input).
    pub fn read_line(&self) -> Result<String> {
        let mut line = String::new();
        self.stdin
            .lock()
            .map_err(|_| Error::Other("stdin is unusable".into()))?
            .read_line(&mut line)
            .map_err(|e| Error::Other(format!("cannot read stdin: {e}")))?;
        Ok(line.trim_end_matches(['\r', '\n']).to_string())
    }

    /// A result on stdout. A closed stdout (`idm-auth list | head -1`) ends the command
    /// through the normal error path, so every clean-up still runs; it exits 0, silently.
    pub fn print(&self, text: &str) -> Result<()> {
        let mut out = self
            .stdout
            .lock()
            .map_err(|_| Error::Other("stdout is unusable".into()))?;
        match out.write_all(text.as_bytes()).and_then(|_| out.flush()) {
            Ok(()) => Ok(()),
            Err(e) if e.kind() == std::io::ErrorKind::BrokenPipe => Err(Error::StdoutClosed),
            Err(e) => Err(Error::Other(format!("cannot write to stdout: {e}"))),
        }
    }

    /// Raw bytes on stdout (an API answer as UPS sent it), with `print`'s closed-pipe rule.
    pub fn print_bytes(&self, bytes: &[u8]) -> Result<()> {
        let mut out = self
            .stdout
            .lock()
            .map_err(|_| Error::Other("stdout is unusable".into()))?;
        match out.write_all(bytes).and_then(|_| out.flush()) {
            Ok(()) => Ok(()),
            Err(e) if e.kind() == std::io::ErrorKind::BrokenPipe => Err(Error::StdoutClosed),
            Err(e) => Err(Error::Other(format!("cannot write to stdout: {e}"))),
        }
    }

    /// Pretty JSON plus a newline on stdout.
    pub fn print_json<T: serde::Serialize>(&self, value: &T) -> Result<()> {
        let text = serde_json::to_string_pretty(value)
            .map_err(|e| Error::Other(format!("cannot encode JSON: {e}")))?;
        self.print(&format!("{text}\n"))
    }

    /// Talk to the person at the terminal (stderr), unless `--quiet`; text that did not come
    /// from this program has its control characters escaped.
    pub fn say(&self, text: fmt::Arguments<'_>) {
        self.talk().say(text)
    }

    /// What must reach stderr even with `--quiet`: a question, the address to open.
    pub fn tell(&self, text: fmt::Arguments<'_>) {
        self.talk().tell(text)
    }

    /// Raw text on stderr (a prompt without a line end, an error already made safe).
    pub fn write_err(&self, text: &str) {
        self.talk().write_err(text)
    }

    /// A handle on stderr for another thread.
    pub fn talk(&self) -> Talk {
        Talk::on(self.stderr.clone(), self.quiet())
    }
}

/// `say!(ctx, "...", args)`: talk on the context's stderr unless `--quiet`.
#[macro_export]
macro_rules! say {
    ($ctx:expr, $($arg:tt)*) => {
        $ctx.say(format_args!($($arg)*))
    };
}

/// A Windows console shows colour codes as text unless asked to interpret them, which
/// Windows 10 and later can do (Windows Terminal does it anyway): asked once, at start-up.
#[cfg(windows)]
fn terminal_takes_colour_codes() -> bool {
    anstyle_query::windows::enable_ansi_colors().unwrap_or(false)
}

/// Unix terminals interpret colour codes.
#[cfg(not(windows))]
fn terminal_takes_colour_codes() -> bool {
    true
}
