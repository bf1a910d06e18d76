//! Opening the consent page: `$BROWSER` when set (a colon-separated list of commands, `%s`
//! standing for the URL, else the URL appended), otherwise the platform's opener through the
//! `open` crate. The browser is never waited for: a browser that stays open must not stall
//! the flow. A failed launch is reported and the flow goes on (the URL is always printed).

use std::process::{Command, Stdio};

/// Whether a browser was started, and if not, why.
pub enum Launch {
    Started(String),
    Failed(String),
}

pub fn open(url: &str) -> Launch {
    if let Some(list) = std::env::var_os("BROWSER").filter(|v| !v.is_empty()) {
        let list = list.to_string_lossy().into_owned();
        let mut errors = Vec::new();
        for candidate in list.split(':').filter(|c| !c.trim().is_empty()) {
            match spawn(candidate, url) {
                Ok(()) => return Launch::Started(format!("$BROWSER ({})", program_of(candidate))),
                Err(e) => errors.push(format!("{}: {e}", program_of(candidate))),
            }
        }
        return Launch::Failed(format!(
            "$BROWSER could not be started ({})",
            errors.join("; ")
        ));
    }
    if !has_display() {
        return Launch::Failed(
            "there is no graphical display (DISPLAY and WAYLAND_DISPLAY are unset)".into(),
        );
    }
    // The platform's openers, tried in turn, each started without being waited for.
    let mut errors = Vec::new();
    for mut command in open::commands(url) {
        match start(&mut command) {
            Ok(()) => return Launch::Started("the system browser".into()),
            Err(e) => errors.push(e),
        }
    }
    Launch::Failed(format!(
        "the system browser could not be opened ({})",
        errors.join("; ")
    ))
}

/// Start a browser process detached from our stdio, without the client secret that
/// idm-auth may have been given in its environment: a browser has no business with it.
fn start(command: &mut Command) -> Result<(), String> {
    command
        .env_remove("IDM_AUTH_CLIENT_SECRET")
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .map(|_child| ())
        .map_err(|e| e.to_string())
}

fn program_of(candidate: &str) -> String {
    shlex::split(candidate)
        .and_then(|words| words.into_iter().next())
        .unwrap_or_else(|| candidate.trim().to_string())
}

fn spawn(candidate: &str, url: &str) -> Result<(), String> {
    let mut words = shlex::split(candidate).ok_or("cannot split the command")?;
    if words.is_empty() {
        return Err("empty command".into());
    }
    if words.iter().any(|w| w.contains("%s")) {
        for w in &mut words {
            *w = w.replace("%s", url);
        }
    } else {
        words.push(url.to_string());
    }
    start(Command::new(&words[0]).args(&words[1..]))
}

#[cfg(all(unix, not(target_os = "macos")))]
fn has_display() -> bool {
    ["DISPLAY", "WAYLAND_DISPLAY"]
        .iter()
        .any(|v| std::env::var_os(v).is_some_and(|s| !s.is_empty()))
}

#[cfg(any(not(unix), target_os = "macos"))]
fn has_display() -> bool {
    true
}
