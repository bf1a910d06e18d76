//! What the browser is handed, seen by another local user: while `authorize` runs and the
//! scripted browser holds what it was given until the test has tried it, uid 12345 reads every
//! process's command line and tries to read or fetch everything named there. The sign-in's
//! `state` (which completes or aborts it) must appear nowhere, and the sign-in must complete.
use crate::support;

use std::io::{BufRead, BufReader, Read};
use support::attacker::{as_other_user, require_root};
use support::*;

/// The other user's watcher: every command line of every process until its stdin closes
/// (two minutes at most), and what it can read or fetch of each file: or http(s) URL and
/// each .html path in them (the first 64 KiB). Says `watching` once its first sweep is
/// done, and prints JSON at the end.
const WATCHER: &str = r#"
import json, os, select, sys, time, urllib.parse, urllib.request
seen, got = set(), {}
def grab(word):
    if word in got:
        return
    try:
        if word.startswith("file:"):
            word_path = urllib.parse.unquote(urllib.parse.urlsplit(word).path)
            got[word] = open(word_path, errors="replace").read(65536)
        elif word.startswith("/") and word.endswith(".html"):
            got[word] = open(word, errors="replace").read(65536)
        elif word.startswith("http://") or word.startswith("https://"):
            got[word] = urllib.request.urlopen(word, timeout=2).read(65536).decode(errors="replace")
        else:
            return
    except Exception as e:
        got[word] = "refused: %s" % type(e).__name__
end = time.time() + 120
swept = False
while time.time() < end:
    if select.select([sys.stdin], [], [], 0)[0] and not sys.stdin.read(1):
        break
    for pid in os.listdir("/proc"):
        if not pid.isdigit():
            continue
        try:
            words = open("/proc/%s/cmdline" % pid, "rb").read().decode(errors="replace").split("\0")
        except Exception:
            continue
        line = " ".join(words)
        if line not in seen:
            seen.add(line)
            for word in words:
                for piece in [word] + word.split("="):
                    grab(piece)
    if not swept:
        swept = True
        print("watching", flush=True)
    time.sleep(0.02)
print(json.dumps({"cmdlines": sorted(seen), "got": got}))
"#;

#[test]
fn another_user_learns_nothing_from_what_the_browser_is_handed() {
    require_root();
    let sandbox = Sandbox::new();
    let sim = Sim::start(&[]);
    let port = free_port();

    let mut watcher = as_other_user("/usr/bin/python3")
        .args(["-c", WATCHER])
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .expect("start the other user's watcher");
    let mut watcher_out = BufReader::new(watcher.stdout.take().unwrap());
    let mut first = String::new();
    watcher_out.read_line(&mut first).unwrap();
    assert_eq!(first.trim(), "watching", "the watcher did not start");

    // The browser holds what it was given until the test has tried to read it.
    let go_ahead = sandbox.path("go-ahead");
    let browser = format!(
        "{} --wait-for {}",
        sandbox.browser("approve", "browser.json"),
        go_ahead.display()
    );
    let waiting = Waiting::start(
        sandbox
            .authorize(&sim, port, 60)
            .env("BROWSER", browser)
            .env_remove("XDG_RUNTIME_DIR"),
    );
    let state = waiting.state();

    // While the browser holds it, the other user tries to read the page it was handed.
    let log = sandbox.path("browser.json").display().to_string();
    let handed = handed_page(&log, std::time::Duration::from_secs(20));
    let page = url::Url::parse(&handed).unwrap().to_file_path().unwrap();
    let read = as_other_user("/bin/cat").arg(&page).exec();
    assert!(
        page.exists(),
        "the page is still there while the browser holds it"
    );
    assert_ne!(read.code, ExitCode::Success, "the other user read the page");
    assert!(read.stderr.contains("Permission denied"), "{read:?}");
    assert!(!read.stdout.contains(&state));
    std::fs::write(&go_ahead, "").unwrap();

    let run = waiting.finish();
    assert_eq!(
        run.code,
        ExitCode::Success,
        "the sign-in completed: {run:?}"
    );
    assert_eq!(sandbox.list_json().len(), 1);

    drop(watcher.stdin.take());
    let mut report = String::new();
    watcher_out.read_to_string(&mut report).unwrap();
    let out = watcher.wait_with_output().unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let seen: serde_json::Value = serde_json::from_str(&report).unwrap();
    let cmdlines: Vec<&str> = seen["cmdlines"]
        .as_array()
        .unwrap()
        .iter()
        .map(|v| v.as_str().unwrap())
        .collect();
    let browser_line = cmdlines
        .iter()
        // This test's browser (other tests may run browsers of their own meanwhile).
        .find(|l| l.contains("browser.py") && l.contains(&log))
        .unwrap_or_else(|| panic!("the watcher never saw the browser: {cmdlines:?}"));
    for line in &cmdlines {
        assert!(
            !line.contains(&state),
            "the state is in a command line: {line}"
        );
    }
    let got = seen["got"].as_object().unwrap();
    for (what, content) in got {
        let content = content.as_str().unwrap();
        assert!(
            !content.contains(&state),
            "the other user read the state from {what}"
        );
    }
    // The watcher tried what the browser was handed, too, and was refused (while the page
    // was there, or after it was removed on a machine too busy to let it look sooner).
    assert_eq!(
        browser_line.split_whitespace().last(),
        Some(handed.as_str())
    );
    let tried = got.get(&handed).unwrap_or_else(|| {
        panic!(
            "the watcher did not try {handed}: {:?}",
            got.keys().collect::<Vec<_>>()
        )
    });
    assert!(tried.as_str().unwrap().starts_with("refused"), "{handed}");
    // And it is gone now that the sign-in has ended.
    assert!(!page.exists(), "{} was left behind", page.display());
    assert!(!page.parent().unwrap().exists());
}

/// The `file:` URL the scripted browser (the one logging to `log`) was handed, read off its
/// command line.
fn handed_page(log: &str, within: std::time::Duration) -> String {
    let deadline = std::time::Instant::now() + within;
    while std::time::Instant::now() < deadline {
        for entry in std::fs::read_dir("/proc").unwrap().flatten() {
            let Ok(line) = std::fs::read(entry.path().join("cmdline")) else {
                continue;
            };
            let words: Vec<String> = line
                .split(|b| *b == 0)
                .map(|w| String::from_utf8_lossy(w).into_owned())
                .collect();
            if words.iter().any(|w| w == log) {
                if let Some(url) = words.iter().find(|w| w.starts_with("file:///")) {
                    return url.clone();
                }
            }
        }
        std::thread::sleep(std::time::Duration::from_millis(20));
    }
    panic!("no scripted browser with a file: URL appeared");
}

/// A Flatpak browser (its launcher under `.../flatpak/exports/bin/`) cannot read /tmp or
/// `$XDG_RUNTIME_DIR`: the page goes into the Downloads folder, else the home folder, still
/// private (0600 in a 0700 directory) and removed when the sign-in ends, and the sign-in
/// completes through it.
#[test]
fn a_confined_browser_gets_its_page_in_downloads_else_home_still_private() {
    let sandbox = Sandbox::new();
    let sim = Sim::start(&[]);
    let home = sandbox.path("home");
    let launcher_dir = sandbox.path("flatpak/exports/bin");
    std::fs::create_dir_all(&launcher_dir).unwrap();
    let launcher = launcher_dir.join("org.example.Browser");
    let seen = sandbox.path("seen.txt");
    // What the confined browser was handed, and the modes of the page and its directory,
    // recorded before the scripted browser opens it.
    std::fs::write(
        &launcher,
        format!(
            "#!/bin/sh\npage=${{1#file://}}\nstat -c '%n %a' \"$page\" \"$(dirname \"$page\")\" >> {seen}\nexec {browser} \"$1\"\n",
            seen = seen.display(),
            browser = sandbox.browser("approve", "browser.json"),
        ),
    )
    .unwrap();
    std::fs::set_permissions(
        &launcher,
        std::os::unix::fs::PermissionsExt::from_mode(0o755),
    )
    .unwrap();

    let downloads = home.join("Downloads");
    std::fs::create_dir_all(&downloads).unwrap();
    std::fs::write(
        sandbox.path("config/user-dirs.dirs"),
        "XDG_DOWNLOAD_DIR=\"$HOME/Downloads\"\n",
    )
    .unwrap();
    for (case, expected_base) in [("downloads", &downloads), ("home", &home)] {
        if case == "home" {
            std::fs::remove_file(sandbox.path("config/user-dirs.dirs")).unwrap();
        }
        let _ = std::fs::remove_file(&seen);
        let run = sandbox
            .authorize(&sim, free_port(), 60)
            .env("BROWSER", &launcher)
            .exec();
        assert_eq!(run.code, ExitCode::Success, "{case}: {run:?}");
        let seen = std::fs::read_to_string(&seen).unwrap();
        let lines: Vec<(&str, &str)> = seen.lines().map(|l| l.rsplit_once(' ').unwrap()).collect();
        let [(page, page_mode), (dir, dir_mode)] = lines[..] else {
            panic!("{case}: {seen}")
        };
        let dir = std::path::Path::new(dir);
        assert_eq!(
            dir.parent(),
            Some(expected_base.as_path()),
            "{case}: {seen}"
        );
        assert!(page.starts_with(&dir.display().to_string()), "{seen}");
        assert_eq!((page_mode, dir_mode), ("600", "700"), "{case}: {seen}");
        assert!(!dir.exists(), "{case}: {} was left behind", dir.display());
    }
    assert_eq!(sandbox.list_json().len(), 2);
}
