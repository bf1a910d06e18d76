//! Talking to the person at the terminal on stderr, from any thread of a command: the
//! context hands out a [`Talk`] (`Ctx::talk`), and a part that has no context (a store's
//! note) is given one.

use std::fmt;
use std::io::Write;
use std::sync::{Arc, Mutex};

/// A shared stream.
pub type Output = Arc<Mutex<Box<dyn Write + Send>>>;

/// Stderr, as a thread of a command talks to the person at the terminal.
#[derive(Clone)]
pub struct Talk {
    stderr: Output,
    quiet: bool,
}

impl Talk {
    /// Talk on `stderr`; with `quiet`, only what must be told.
    pub fn on(stderr: Output, quiet: bool) -> Talk {
        Talk { stderr, quiet }
    }

    /// The process's own stderr, for code that runs without a context (library users).
    pub fn stderr() -> Talk {
        Talk {
            stderr: Arc::new(Mutex::new(Box::new(std::io::stderr()))),
            quiet: false,
        }
    }

    pub fn say(&self, text: fmt::Arguments<'_>) {
        if !self.quiet {
            self.tell(text);
        }
    }

    pub fn tell(&self, text: fmt::Arguments<'_>) {
        let text = text.to_string();
        self.write_err(&format!("{}\n", crate::render::terminal_safe(&text)));
    }

    pub fn write_err(&self, text: &str) {
        if let Ok(mut err) = self.stderr.lock() {
            // Nobody left to tell when stderr is gone.
            let _ = err.write_all(text.as_bytes()).and_then(|_| err.flush());
        }
    }
}
