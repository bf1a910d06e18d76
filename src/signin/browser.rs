//! Opening the consent page: `$BROWSER` when set (a colon-separated list of commands, `%s`
//! standing for what to open, else it is appended), otherwise the platform's opener through
//! the `open` crate. The browser is never waited for: a browser that stays open must not
//! stall the flow. A failed launch is reported and the flow goes on (the URL is printed).
//!
//! The browser is never given the authorize URL itself: a process's command line is readable
//! by every local user, and the URL's `state` is what completes or aborts the sign-in. It is
//! given a small page instead (a 0600 file in a fresh 0700 directory of the user's), which
//! forwards to UPS and is removed when the sign-in ends (see [`HandOff`]).

use crate::html::escape;
use std::ffi::OsString;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

/// The environment as the context gives it (`Ctx::var_os`): `BROWSER`, `PATH`, the display
/// and `XDG_RUNTIME_DIR` are read through it, never from the process directly.
pub type Vars<'a> = &'a dyn Fn(&str) -> Option<OsString>;

/// Whether a browser was started (and the page it was given, kept until the sign-in ends),
/// and if not, why.
pub enum Launch {
    Started(String, HandOff),
    Failed(String),
}

/// The forwarding page handed to the browser; its directory is removed on drop.
pub struct HandOff {
    dir: PathBuf,
    page: PathBuf,
}

impl HandOff {
    /// Write the page that sends the browser on to `url`, in a place the browser can read
    /// (`confined`: a snap's or a Flatpak's).
    pub fn write(url: &str, confined: bool, vars: Vars<'_>) -> std::io::Result<HandOff> {
        let base = if confined {
            confined_base()
        } else {
            private_base(vars)
        };
        let mut random = [0u8; 12];
        getrandom::getrandom(&mut random).map_err(|e| std::io::Error::other(e.to_string()))?;
        let tag: String = random.iter().map(|b| format!("{b:02x}")).collect();
        let dir = base.join(format!("idm-auth-sign-in-{tag}"));
        // Only Unix has a mode to set; elsewhere the user profile's ACL keeps it private.
        #[cfg_attr(not(unix), allow(unused_mut))]
        let mut builder = std::fs::DirBuilder::new();
        #[cfg(unix)]
        std::os::unix::fs::DirBuilderExt::mode(&mut builder, 0o700);
        builder.create(&dir)?;
        let handoff = HandOff {
            page: dir.join("ups-sign-in.html"),
            dir,
        };
        let mut file = crate::store::private_fs::options()
            .write(true)
            .create_new(true)
            .open(&handoff.page)?;
        std::io::Write::write_all(&mut file, forwarding_page(url).as_bytes())?;
        Ok(handoff)
    }

    /// What the browser is given: a file: URL of the page.
    pub fn target(&self) -> String {
        url::Url::from_file_path(&self.page)
            .map(String::from)
            .unwrap_or_else(|()| self.page.display().to_string())
    }

    pub fn page(&self) -> &Path {
        &self.page
    }
}

impl Drop for HandOff {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}

/// A page that loads nothing and forwards at once, sending no Referer.
fn forwarding_page(url: &str) -> String {
    let url = escape(url);
    format!(
        "<!doctype html><html lang=\"en\"><head><meta charset=\"utf-8\">\
<meta name=\"referrer\" content=\"no-referrer\">\
<meta http-equiv=\"refresh\" content=\"0;url={url}\">\
<title>UPS sign-in - idm-auth</title></head><body>\
<p>Opening the UPS sign-in... If nothing happens, <a href=\"{url}\" rel=\"noreferrer\">continue to UPS</a>.</p>\
</body></html>\n"
    )
}

/// `$XDG_RUNTIME_DIR` when it is the user's own private directory (memory-backed, gone at
/// log-out), else the temporary directory (the page's own directory is private either way).
fn private_base(vars: Vars<'_>) -> PathBuf {
    if let Some(run) = vars("XDG_RUNTIME_DIR").map(PathBuf::from) {
        if run.is_absolute() && crate::store::private_fs::check_dir(&run).is_ok() && run.is_dir() {
            #[cfg(unix)]
            {
                use std::os::unix::fs::PermissionsExt;
                if std::fs::metadata(&run).is_ok_and(|m| m.permissions().mode() & 0o077 == 0) {
                    return run;
                }
            }
        }
    }
    std::env::temp_dir()
}

/// Snap and Flatpak browsers see neither /tmp nor `$XDG_RUNTIME_DIR` of the host; they can
/// read the Downloads folder (Flatpak's browsers are granted it, a snap sees the visible
/// files of the home folder). The page's own directory there is still 0700.
fn confined_base() -> PathBuf {
    dirs::download_dir()
        .filter(|d| d.is_dir())
        .or_else(dirs::home_dir)
        .unwrap_or_else(std::env::temp_dir)
}

/// Whether the browser that will open runs confined (a snap or a Flatpak).
fn is_confined(program: Option<&str>, vars: Vars<'_>) -> bool {
    match program {
        Some(program) => {
            let path = which(program, vars).unwrap_or_else(|| PathBuf::from(program));
            let text = path.to_string_lossy();
            program == "flatpak" || text.starts_with("/snap/") || text.contains("/flatpak/exports/")
        }
        None => default_browser_is_confined(),
    }
}

fn which(program: &str, vars: Vars<'_>) -> Option<PathBuf> {
    if program.contains('/') {
        return Some(PathBuf::from(program));
    }
    std::env::split_paths(&vars("PATH")?)
        .map(|dir| dir.join(program))
        .find(|p| p.is_file())
}

/// The desktop's default browser is a snap or a Flatpak when its desktop file lives where
/// snapd or Flatpak export theirs.
#[cfg(all(unix, not(target_os = "macos")))]
fn default_browser_is_confined() -> bool {
    let Ok(out) = Command::new("xdg-settings")
        .args(["get", "default-web-browser"])
        .stdin(Stdio::null())
        .stderr(Stdio::null())
        .output()
    else {
        return false;
    };
    let name = String::from_utf8_lossy(&out.stdout).trim().to_string();
    if name.is_empty() || name.contains('/') {
        return false;
    }
    let mut places = vec![
        PathBuf::from("/var/lib/snapd/desktop/applications"),
        PathBuf::from("/var/lib/flatpak/exports/share/applications"),
    ];
    if let Some(data) = dirs::data_dir() {
        places.push(data.join("flatpak/exports/share/applications"));
    }
    places.iter().any(|dir| dir.join(&name).is_file())
}

#[cfg(any(not(unix), target_os = "macos"))]
fn default_browser_is_confined() -> bool {
    false
}

/// Start the browser on a page that forwards to `url`.
pub fn open(url: &str, vars: Vars<'_>) -> Launch {
    if let Some(list) = vars("BROWSER").filter(|v| !v.is_empty()) {
        let list = list.to_string_lossy().into_owned();
        let mut errors = Vec::new();
        for candidate in list.split(':').filter(|c| !c.trim().is_empty()) {
            let program = program_of(candidate);
            let handoff = match HandOff::write(url, is_confined(Some(&program), vars), vars) {
                Ok(h) => h,
                Err(e) => {
                    return Launch::Failed(format!("cannot write the page for the browser: {e}"))
                }
            };
            match spawn(candidate, &handoff.target()) {
                Ok(()) => return Launch::Started(format!("$BROWSER ({program})"), handoff),
                Err(e) => errors.push(format!("{program}: {e}")),
            }
        }
        return Launch::Failed(format!(
            "$BROWSER could not be started ({})",
            errors.join("; ")
        ));
    }
    if !has_display(vars) {
        return Launch::Failed(
            "there is no graphical display (DISPLAY and WAYLAND_DISPLAY are unset)".into(),
        );
    }
    // The platform's openers, tried in turn, each started without being waited for.
    let handoff = match HandOff::write(url, is_confined(None, vars), vars) {
        Ok(h) => h,
        Err(e) => return Launch::Failed(format!("cannot write the page for the browser: {e}")),
    };
    let mut errors = Vec::new();
    for mut command in open::commands(handoff.target()) {
        match start(&mut command) {
            Ok(()) => return Launch::Started("the system browser".into(), handoff),
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

fn spawn(candidate: &str, target: &str) -> Result<(), String> {
    let mut words = shlex::split(candidate).ok_or("cannot split the command")?;
    if words.is_empty() {
        return Err("empty command".into());
    }
    if words.iter().any(|w| w.contains("%s")) {
        for w in &mut words {
            *w = w.replace("%s", target);
        }
    } else {
        words.push(target.to_string());
    }
    start(Command::new(&words[0]).args(&words[1..]))
}

#[cfg(all(unix, not(target_os = "macos")))]
fn has_display(vars: Vars<'_>) -> bool {
    ["DISPLAY", "WAYLAND_DISPLAY"]
        .iter()
        .any(|v| vars(v).is_some_and(|s| !s.is_empty()))
}

#[cfg(any(not(unix), target_os = "macos"))]
fn has_display(_: Vars<'_>) -> bool {
    true
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_page_forwards_to_the_url_escaped_and_is_private_and_removed_on_drop() {
        let url = "https://wwwcie.ups.com/security/v1/oauth/authorize?a=1&state=\"><script>";
        let handoff = HandOff::write(url, false, &|_| None).unwrap();
        let page = std::fs::read_to_string(handoff.page()).unwrap();
        assert!(page.contains("content=\"0;url=https://wwwcie.ups.com/security/v1/oauth/authorize?a=1&amp;state=&quot;&gt;&lt;script&gt;\""), "{page}");
        assert!(page.contains("no-referrer"));
        assert!(handoff.target().starts_with("file:///"));
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            let mode = |p: &Path| std::fs::metadata(p).unwrap().permissions().mode() & 0o777;
            assert_eq!(mode(handoff.page()), 0o600);
            assert_eq!(mode(handoff.page().parent().unwrap()), 0o700);
        }
        let dir = handoff.page().parent().unwrap().to_path_buf();
        drop(handoff);
        assert!(!dir.exists());
    }

    #[test]
    fn snap_and_flatpak_launchers_count_as_confined_others_do_not() {
        for confined in [
            "/snap/bin/firefox",
            "flatpak",
            "/var/lib/flatpak/exports/bin/org.mozilla.firefox",
        ] {
            assert!(is_confined(Some(confined), &|_| None), "{confined}");
        }
        for free in ["/usr/bin/firefox", "/opt/google/chrome/chrome"] {
            assert!(!is_confined(Some(free), &|_| None), "{free}");
        }
    }
}
