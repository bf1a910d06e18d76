//! The terminal side of waiting for a sign-in: the spinner that shows the time left, and the
//! reader of an address pasted from the browser (SSH sessions). Both stay out of the listener:
//! a pasted address is judged by the same pure judge as a redirect (signin/callback.rs) and, once
//! accepted, handed to the wait through a channel.

use crate::context::{Ctx, Input};
use crate::error::Result;
use crate::signin::callback::{parse_callback, refusal, Verdict};
use std::sync::mpsc;
use std::time::{Duration, Instant};

/// Read lines from stdin on their own thread; send the first pasted address that ends the
/// sign-in (a code, or a refusal with the right state). Others get a word on stderr.
pub fn paste_reader(ctx: &Ctx, path: &str, expected_state: &str) -> mpsc::Receiver<Result<String>> {
    let (tx, rx) = mpsc::channel();
    let input: Input = ctx.stdin();
    let path = path.to_string();
    let state = expected_state.to_string();
    let talk = ctx.talk();
    std::thread::spawn(move || loop {
        let line = {
            let Ok(mut stdin) = input.lock() else { return };
            let mut line = String::new();
            match stdin.read_line(&mut line) {
                Ok(0) | Err(_) => return,
                Ok(_) => line,
            }
        };
        match judge_pasted(&line, &path, &state) {
            Pasted::Ends(outcome) => {
                let _ = tx.send(outcome);
                return;
            }
            Pasted::Blank => {}
            Pasted::Rejected(why) => talk.say(format_args!("{why}")),
        }
    });
    rx
}

enum Pasted {
    Ends(Result<String>),
    Blank,
    Rejected(String),
}

/// A pasted address: the end of the sign-in, or why it was not accepted.
fn judge_pasted(line: &str, path: &str, expected_state: &str) -> Pasted {
    let line = line.trim();
    if line.is_empty() {
        return Pasted::Blank;
    }
    let target = match url::Url::parse(line) {
        Ok(url) => match url.query() {
            Some(q) => format!("{}?{q}", url.path()),
            None => url.path().to_string(),
        },
        Err(_) => {
            return Pasted::Rejected(
                "That is not an address. Paste the whole address the browser ended on.".into(),
            )
        }
    };
    match parse_callback("GET", &target, path, expected_state) {
        Verdict::Code(code) => Pasted::Ends(Ok(code)),
        Verdict::Refused { error, description } => Pasted::Ends(Err(refusal(error, description))),
        Verdict::Ignore(_, reason) => Pasted::Rejected(format!(
            "That address was not accepted: {reason} Paste the address the browser ended on."
        )),
    }
}

/// The time left, spinning on stderr; only for a person at a terminal, never with `--quiet`,
/// and not while they are asked to paste (it would overwrite what they type).
pub struct Spinner(Option<indicatif::ProgressBar>);

impl Spinner {
    pub fn start(ctx: &Ctx, wanted: bool, deadline: Instant) -> Spinner {
        if !wanted || ctx.quiet() || !ctx.stderr_is_tty() {
            return Spinner(None);
        }
        let bar = indicatif::ProgressBar::new_spinner();
        if let Ok(style) = indicatif::ProgressStyle::with_template("{spinner} {msg}") {
            bar.set_style(style);
        }
        bar.enable_steady_tick(Duration::from_millis(120));
        // The message follows the clock on its own thread, as the steady tick does.
        let ticker = bar.clone();
        std::thread::spawn(move || {
            while !ticker.is_finished() {
                let secs = deadline.saturating_duration_since(Instant::now()).as_secs();
                ticker.set_message(format!(
                    "Waiting for the consent in the browser ({}:{:02} left)",
                    secs / 60,
                    secs % 60
                ));
                std::thread::sleep(Duration::from_millis(250));
            }
        });
        Spinner(Some(bar))
    }
}

impl Drop for Spinner {
    fn drop(&mut self) {
        if let Some(bar) = &self.0 {
            bar.finish_and_clear();
        }
    }
}
