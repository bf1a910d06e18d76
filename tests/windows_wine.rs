//! The Windows suite: the Windows release build (`idm-auth.exe`) driven under Wine as the
//! Linux suite drives the Linux binary, with its tokens in Wine's Credential Manager and its
//! index in `%APPDATA%\idm-auth`. The UPS simulator runs as the Linux binary: it stands in
//! for UPS, which is not on the admin's Windows machine either.
//!
//! Built only with the `wine-suite` feature; `scripts/platforms` takes the `.exe` out of the
//! release's Windows zip (made by `scripts/package`), prepares a Wine prefix and runs this with `IDM_AUTH_WINE` (wine64), `IDM_AUTH_WINE_EXE` and
//! `IDM_AUTH_WINE_PREFIX` set. Without any of them every test fails, saying why. The tests
//! share that prefix (one user profile, one Credential Manager), so they take turns.
// A Linux program itself: it drives wine64.
#![cfg(target_os = "linux")]

mod support;
use std::fs::File;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::{Mutex, MutexGuard, OnceLock};
use std::time::{Duration, Instant};
use support::*;

/// Told to idm-auth.exe in every run (see [`Windows::cmd`]).
const PUBLIC_REFRESH: &str = "IDM_AUTH_PUBLIC_REFRESH";

/// Where the Credential Manager keeps its entries in a Wine prefix.
const CREDENTIALS_KEY: &str = r"HKCU\Software\Wine\Credential Manager";

struct Wine {
    wine: PathBuf,
    exe: PathBuf,
    prefix: PathBuf,
}

fn wine() -> &'static Wine {
    static WINE: OnceLock<Wine> = OnceLock::new();
    WINE.get_or_init(|| {
        let path = |var: &str| {
            let value = std::env::var_os(var).unwrap_or_else(|| {
                panic!("{var} is not set: the Windows suite runs from scripts/platforms, which builds the .exe and the Wine prefix")
            });
            let path = PathBuf::from(value);
            assert!(
                path.exists(),
                "{var}={} does not exist (is wine64 installed, the .exe built?)",
                path.display()
            );
            path
        };
        Wine {
            wine: path("IDM_AUTH_WINE"),
            exe: path("IDM_AUTH_WINE_EXE"),
            prefix: path("IDM_AUTH_WINE_PREFIX"),
        }
    })
}

/// `wine64 PROGRAM ARGS...` in the suite's prefix, ended after two minutes whatever happens.
fn wine_cmd(program: &Path, args: &[&str]) -> Command {
    let w = wine();
    let mut cmd = Command::new("timeout");
    cmd.arg("120")
        .arg(&w.wine)
        .arg(program)
        .args(args)
        .env("WINEPREFIX", &w.prefix)
        .env("WINEDEBUG", "-all")
        .env("WINEDLLOVERRIDES", "mscoree,mshtml=")
        .env_remove("BROWSER")
        .env_remove("DISPLAY")
        .env_remove("WAYLAND_DISPLAY")
        .stdin(Stdio::null());
    for (key, _) in std::env::vars() {
        if key.starts_with("IDM_AUTH_") {
            cmd.env_remove(key);
        }
    }
    cmd
}

/// `path` (a Linux one) as Windows programs in the prefix name it: Wine's drive Z: is `/`.
fn windows_path(path: &Path) -> String {
    format!("Z:{}", path.display()).replace('/', "\\")
}

/// A Wine program's output goes to files, never pipes: Wine's background services (started
/// with the first program when the wineserver starts) inherit its handles and would hold a
/// pipe open long after the program ended.
struct Started {
    child: Child,
    out: tempfile::TempDir,
}

fn start(cmd: &mut Command) -> Started {
    let out = tempfile::tempdir().unwrap();
    let child = cmd
        .stdout(File::create(out.path().join("stdout")).unwrap())
        .stderr(File::create(out.path().join("stderr")).unwrap())
        .spawn()
        .expect("start wine64");
    Started { child, out }
}

impl Started {
    fn stderr_so_far(&self) -> String {
        std::fs::read_to_string(self.out.path().join("stderr")).unwrap_or_default()
    }

    /// Wait until stderr has a line containing `needle`; returns that line.
    fn wait_for(&self, needle: &str) -> String {
        let deadline = Instant::now() + Duration::from_secs(60);
        loop {
            let stderr = self.stderr_so_far();
            if let Some(line) = stderr.lines().find(|l| l.contains(needle)) {
                return line.to_string();
            }
            assert!(
                Instant::now() < deadline,
                "stderr never said {needle:?}: {stderr}"
            );
            std::thread::sleep(Duration::from_millis(100));
        }
    }

    fn finish(mut self) -> Run {
        drop(self.child.stdin.take());
        let status = self.child.wait().unwrap();
        let read = |name: &str| {
            String::from_utf8_lossy(&std::fs::read(self.out.path().join(name)).unwrap())
                .into_owned()
        };
        Run {
            code: Exit::of(status),
            stdout: read("stdout"),
            stderr: read("stderr"),
        }
    }
}

fn run(cmd: &mut Command) -> Run {
    start(cmd).finish()
}

/// The prefix's one Windows user, with a fresh `%APPDATA%\idm-auth` and an empty Credential
/// Manager; held by one test at a time.
struct Windows {
    _turn: MutexGuard<'static, ()>,
    scratch: tempfile::TempDir,
}

impl Windows {
    fn new() -> Windows {
        static TURN: Mutex<()> = Mutex::new(());
        let turn = TURN.lock().unwrap_or_else(|poisoned| poisoned.into_inner());
        let windows = Windows {
            _turn: turn,
            scratch: tempfile::tempdir().unwrap(),
        };
        let _ = std::fs::remove_dir_all(windows.data_dir());
        // Fails when the key is not there yet, which is just as good.
        run(&mut wine_cmd(
            Path::new("reg"),
            &["delete", CREDENTIALS_KEY, "/f"],
        ));
        // An empty key, so that `reg query` on it must succeed (see `credentials`). Wine's
        // `reg add` once failed here (exit 1, no output) as the first command on a new prefix
        // of a loaded machine, and never in six runs since: it gets one more try.
        let add_key = || {
            run(&mut wine_cmd(
                Path::new("reg"),
                &["add", CREDENTIALS_KEY, "/f"],
            ))
        };
        let mut add = add_key();
        if add.code != ExitCode::Success {
            eprintln!("reg add failed once ({add:?}): trying again");
            add = add_key();
        }
        assert_eq!(add.code, ExitCode::Success, "reg add: {add:?}");
        assert!(
            windows.credentials().is_empty(),
            "the Credential Manager could not be emptied"
        );
        windows
    }

    /// `%APPDATA%\idm-auth` seen from Linux.
    fn data_dir(&self) -> PathBuf {
        let users = wine().prefix.join("drive_c/users");
        let user = std::fs::read_dir(&users)
            .unwrap()
            .map(|e| e.unwrap().file_name())
            .find(|name| name != "Public")
            .expect("the prefix has a user profile");
        users.join(user).join("AppData/Roaming/idm-auth")
    }

    fn index_path(&self) -> PathBuf {
        self.data_dir().join("index.json")
    }

    fn scratch(&self, rel: &str) -> PathBuf {
        self.scratch.path().join(rel)
    }

    /// The suite's app is a public one (no client secret, as the pasted sign-in makes it)
    /// that the simulated UPS refreshes where a test allows it (`public_refresh`), so
    /// idm-auth is told the same: without it, a public opt-in ends with its access token
    /// (UPS documents refreshes with a secret only; the Linux suite covers that behaviour).
    fn cmd(&self, args: &[&str]) -> Command {
        let mut cmd = wine_cmd(&wine().exe, args);
        cmd.env(PUBLIC_REFRESH, "1");
        cmd
    }

    fn run(&self, args: &[&str]) -> Run {
        run(&mut self.cmd(args))
    }

    /// A batch file of `lines` in the scratch directory, by its Windows path: for what a
    /// Windows shell sees of idm-auth.exe (`%ERRORLEVEL%`, its console).
    fn batch(&self, name: &str, lines: &[String]) -> String {
        let path = self.scratch(name);
        std::fs::write(&path, lines.join("\r\n") + "\r\n").unwrap();
        windows_path(&path)
    }

    /// `cmd /c BATCH`, in the environment of [`Windows::cmd`].
    fn run_batch(&self, batch: &str) -> Run {
        run(wine_cmd(Path::new("cmd"), &["/c", batch]).env(PUBLIC_REFRESH, "1"))
    }

    fn list_json(&self) -> Vec<serde_json::Value> {
        let run = self.run(&["list", "--json"]);
        assert_eq!(run.code, ExitCode::Success, "list --json failed: {run:?}");
        serde_json::from_str(&run.stdout).expect("list --json is a JSON array")
    }

    /// The names of the Credential Manager's idm-auth entries, as `reg query` shows them.
    fn credentials(&self) -> Vec<String> {
        let run = run(&mut wine_cmd(
            Path::new("reg"),
            &["query", CREDENTIALS_KEY, "/s"],
        ));
        // A failed query lists nothing: it must not read as "no credentials".
        assert_eq!(run.code, ExitCode::Success, "reg query: {run:?}");
        run.stdout
            .lines()
            .map(str::trim)
            .filter(|l| l.starts_with("HKEY_") && l.contains("idm-auth"))
            .map(|l| l.rsplit('\\').next().unwrap().to_string())
            .collect()
    }

    fn credentials_of(&self, id: &str) -> Vec<String> {
        self.credentials()
            .into_iter()
            .filter(|c| c.contains(id))
            .collect()
    }

    fn authorize(&self, sim: &Sim, port: u16) -> Command {
        let port = port.to_string();
        self.cmd(&[
            "authorize",
            "--base-url",
            &sim.base_url,
            "--client-id",
            CLIENT_ID,
            "--port",
            &port,
            "--timeout",
            "60",
        ])
    }

    /// An opt-in made over "SSH": `authorize --no-browser`, consent given at the simulator
    /// as a browser elsewhere would, the address it ended on pasted into the terminal.
    fn opt_in_by_pasting(&self, sim: &Sim, label: &str) -> String {
        let port = free_port();
        let mut started = start(
            self.authorize(sim, port)
                .args(["--no-browser", "--label", label])
                .stdin(Stdio::piped()),
        );
        let line = started.wait_for("/security/v1/oauth/authorize?");
        let url = line[line.find("http://").unwrap()..].trim();
        started.wait_for("paste that address here");
        let callback = approve_at_simulator(url);
        writeln!(started.child.stdin.take().unwrap(), "{callback}").unwrap();
        let run = started.finish();
        assert_eq!(run.code, ExitCode::Success, "authorize under Wine: {run:?}");
        let id = run.stdout.trim().to_string();
        assert_eq!(id.len(), 8, "authorize prints the new id: {run:?}");
        id
    }

    fn token(&self, id: &str) -> String {
        let run = self.run(&["token", id]);
        assert_eq!(run.code, ExitCode::Success, "token: {run:?}");
        run.stdout.trim_end().to_string()
    }
}

#[test]
fn a_pasted_opt_in_writes_the_index_and_puts_both_tokens_in_the_credential_manager() {
    // Before directory fsync was limited to Unix, this first index write failed on Windows
    // with "Access denied (os error 5)", exit 10.
    let windows = Windows::new();
    let sim = Sim::start(&[]);
    let id = windows.opt_in_by_pasting(&sim, "Jane Doe (shipping)");

    let mut stored = windows.credentials_of(&id);
    stored.sort();
    assert_eq!(stored.len(), 2, "{stored:?}");
    assert!(stored[0].contains("access-token"), "{stored:?}");
    assert!(stored[1].contains("refresh-token"), "{stored:?}");
    assert!(windows.index_path().exists(), "the index is in %APPDATA%");

    let run = windows.run(&["list"]);
    assert_eq!(run.code, ExitCode::Success, "{run:?}");
    assert!(run.stdout.starts_with("ID"), "{run:?}");
    assert!(
        run.stdout.contains(&id) && run.stdout.contains("Jane Doe (shipping)"),
        "{run:?}"
    );
    assert!(
        !run.stdout.contains('\x1b'),
        "no colour into a pipe: {run:?}"
    );
    let rows = windows.list_json();
    assert_eq!(rows.len(), 1);
    assert_eq!(rows[0]["id"], id.as_str());
    assert_eq!(rows[0]["keyring"], "credential-manager");
    assert_eq!(rows[0]["environment"], "simulator");
    assert_eq!(rows[0]["status"], "active");

    let token = windows.token(&id);
    assert!(sim.is_active(&token), "token prints the live access token");
    assert_eq!(sim.stats()["token_requests"], 1);
}

#[test]
fn token_refreshes_after_expiry_and_the_rotated_refresh_token_is_stored() {
    let windows = Windows::new();
    let sim = Sim::start(&[]);
    // UPS refreshes for confidential clients only, unless it allows the app otherwise.
    sim.settings(r#"{"access_ttl": 0, "public_refresh": true}"#);
    let id = windows.opt_in_by_pasting(&sim, "refreshing");

    // Each token call finds an expired access token: the second refresh can only work with
    // the refresh token the first one stored (UPS rotates them and refuses spent ones).
    let first = windows.token(&id);
    let second = windows.token(&id);
    assert_ne!(first, second);
    assert_eq!(sim.stats()["refresh_requests"], 2, "{}", sim.stats());
    let rows = windows.list_json();
    assert_eq!(rows[0]["refresh_count"], 2);
    assert!(!rows[0]["refreshed_at"].is_null());

    sim.settings(r#"{"access_ttl": 3600}"#);
    let fresh = windows.token(&id);
    assert!(sim.is_active(&fresh));
    assert_eq!(windows.token(&id), fresh, "a valid token is not refreshed");
    assert_eq!(sim.stats()["refresh_requests"], 3);
}

#[test]
fn processes_at_the_same_expired_moment_refresh_once_across_the_lock() {
    let windows = Windows::new();
    let sim = Sim::start(&[]);
    sim.settings(r#"{"access_ttl": 0, "public_refresh": true}"#);
    let id = windows.opt_in_by_pasting(&sim, "busy scripts");
    sim.settings(r#"{"access_ttl": 3600}"#);

    let children: Vec<Started> = (0..4)
        .map(|_| start(&mut windows.cmd(&["token", &id])))
        .collect();
    let tokens: Vec<String> = children
        .into_iter()
        .map(|c| {
            let run = c.finish();
            assert_eq!(run.code, ExitCode::Success, "{run:?}");
            run.stdout.trim_end().to_string()
        })
        .collect();
    assert!(
        tokens.iter().all(|t| *t == tokens[0]),
        "all print the same token"
    );
    assert_eq!(
        sim.stats()["refresh_requests"],
        1,
        "one refresh for the four processes: {}",
        sim.stats()
    );
}

#[test]
fn check_exec_and_clear_work_and_clear_empties_the_credential_manager() {
    let windows = Windows::new();
    let sim = Sim::start(&[]);
    let id = windows.opt_in_by_pasting(&sim, "to be cleared");

    let run = windows.run(&["check"]);
    assert_eq!(run.code, ExitCode::Success, "{run:?}");
    let run = windows.run(&["check", "--within", "100000"]);
    assert_eq!(
        run.code,
        ExitCode::ExpiresSoon,
        "ends within the window: {run:?}"
    );

    let run = windows.run(&["exec", &id, "--", "cmd", "/c", "set", "UPS_"]);
    assert_eq!(run.code, ExitCode::Success, "{run:?}");
    let token = windows.token(&id);
    assert!(
        run.stdout.contains(&format!("UPS_ACCESS_TOKEN={token}")),
        "{run:?}"
    );
    assert!(
        run.stdout
            .contains(&format!("UPS_API_BASE={}", sim.base_url)),
        "{run:?}"
    );
    let run = windows.run(&["exec", "--", "cmd", "/c", "exit", "7"]);
    assert_eq!(
        run.code,
        Exit(Some(7)),
        "the command's exit status comes through: {run:?}"
    );
    // A Windows status has 32 bits, of which wine64's own exit status (what Linux sees)
    // keeps the low 8: a batch file reads the whole of it, as a Windows script would.
    let exe = windows_path(&wine().exe);
    let statuses = ["300", "-1073741819"]; // the second is 0xC0000005, a crash's
    let lines: Vec<String> = statuses
        .iter()
        .flat_map(|status| {
            [
                format!("@\"{exe}\" exec -- cmd /c exit {status}"),
                "@echo exec-status=%ERRORLEVEL%".to_string(),
            ]
        })
        .collect();
    let run = windows.run_batch(&windows.batch("statuses.bat", &lines));
    let seen: Vec<&str> = run
        .stdout
        .lines()
        .filter_map(|l| l.trim_end().strip_prefix("exec-status="))
        .collect();
    assert_eq!(seen, statuses, "each status comes through whole: {run:?}");
    let run = windows.run(&["exec", "--", "no-such-tool-here"]);
    assert_eq!(run.code, ExitCode::CommandNotFound, "{run:?}");

    assert_eq!(windows.credentials_of(&id).len(), 2);
    let run = windows.run(&["clear", &id, "--yes", "--json"]);
    assert_eq!(run.code, ExitCode::Success, "{run:?}");
    assert!(run.stdout.contains(&id), "{run:?}");
    assert_eq!(windows.credentials_of(&id), Vec::<String>::new());
    assert!(windows.list_json().is_empty());
    let run = windows.run(&["clear", &id, "--yes"]);
    assert_eq!(run.code, ExitCode::Success, "clear is idempotent: {run:?}");
    assert!(run.stderr.contains("Nothing to clear"), "{run:?}");
    let run = windows.run(&["token"]);
    assert_eq!(run.code, ExitCode::NotFound, "{run:?}");
}

#[test]
fn a_4_kb_access_token_is_split_over_credential_manager_entries_and_read_back_whole() {
    let windows = Windows::new();
    let sim = Sim::start(&[]);
    sim.settings(r#"{"access_token_min_len": 4096, "access_ttl": 0, "public_refresh": true}"#);
    let id = windows.opt_in_by_pasting(&sim, "long tokens");
    let stored = windows.credentials_of(&id);
    assert!(
        stored.iter().filter(|c| c.contains("access-token")).count() >= 3,
        "one entry cannot hold it, so it is split: {stored:?}"
    );

    // Two refreshes replace the long token with other long ones, leaving no stale part.
    windows.token(&id);
    sim.settings(r#"{"access_ttl": 3600}"#);
    let token = windows.token(&id);
    assert_eq!(sim.stats()["refresh_requests"], 2);
    assert_eq!(
        windows.credentials_of(&id).len(),
        stored.len(),
        "{stored:?}"
    );
    // Read back from the Credential Manager, whole.
    assert_eq!(windows.token(&id), token);
    assert!(token.len() >= 4096, "{}", token.len());
    assert!(sim.is_active(&token), "the whole token came back");

    let run = windows.run(&["clear", &id, "--yes"]);
    assert_eq!(run.code, ExitCode::Success, "{run:?}");
    assert_eq!(windows.credentials_of(&id), Vec::<String>::new());
}

#[test]
fn the_demo_opts_in_through_the_scripted_browser_and_leaves_nothing_behind() {
    let windows = Windows::new();
    let log = windows.scratch("browser.json");
    // Wine starts a Linux program given by its Unix path: a script that turns the handed
    // page's Windows path back into a Unix one (C: is the prefix's drive_c) for the scripted
    // browser.
    let script = windows.scratch("browser.sh");
    std::fs::write(
        &script,
        format!(
            r#"case "$1" in
    file:///C:/*) page="file://{drive_c}/${{1#file:///C:/}}" ;;
    *) page="$1" ;;
esac
exec /usr/bin/python3 {browser} --decision approve --log {log} "$page"
"#,
            drive_c = wine().prefix.join("drive_c").display(),
            browser = repo_path("tests/support/browser.py").display(),
            log = log.display(),
        ),
    )
    .unwrap();
    let browser = format!("/bin/sh {}", script.display());
    let run = run(windows.cmd(&["demo"]).env("BROWSER", browser));
    assert_eq!(run.code, ExitCode::Success, "{run:?}");
    assert!(run.stderr.contains("Opened $BROWSER"), "{run:?}");
    assert!(run.stdout.contains("demo user"), "the grid: {run:?}");
    assert!(run.stderr.contains("access token"), "{run:?}");
    let deadline = Instant::now() + Duration::from_secs(20);
    while !log.exists() && Instant::now() < deadline {
        std::thread::sleep(Duration::from_millis(50));
    }
    let log: serde_json::Value = serde_json::from_slice(&std::fs::read(&log).unwrap()).unwrap();
    assert_eq!(log["final_status"], 200, "{log}");
    assert_eq!(
        windows.credentials(),
        Vec::<String>::new(),
        "demo clears its tokens"
    );
}

#[test]
fn a_busy_port_stops_authorize_at_once_with_exit_11() {
    let windows = Windows::new();
    let sim = Sim::start(&[]);
    let holder = std::net::TcpListener::bind(("127.0.0.1", 0)).unwrap();
    let port = holder.local_addr().unwrap().port();
    let run = run(windows.authorize(&sim, port).arg("--no-browser"));
    assert_eq!(run.code, ExitCode::PortTaken, "{run:?}");
    assert!(run.stderr.contains(&port.to_string()), "{run:?}");
    assert_eq!(sim.stats()["authorize"], 0);
}

#[test]
fn a_damaged_index_is_left_in_place_with_a_copy_aside_and_exit_10() {
    let windows = Windows::new();
    let damaged = b"{\"version\":1,\"opt_ins\":[{\"id\"";
    std::fs::create_dir_all(windows.data_dir()).unwrap();
    std::fs::write(windows.index_path(), damaged).unwrap();
    for args in [&["list"][..], &["token"], &["clear", "--all", "--yes"]] {
        let run = windows.run(args);
        assert_eq!(run.code, ExitCode::Index, "{args:?}: {run:?}");
        assert!(run.stderr.contains("damaged"), "{run:?}");
    }
    assert_eq!(std::fs::read(windows.index_path()).unwrap(), damaged);
    let copies: Vec<_> = std::fs::read_dir(windows.data_dir())
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.to_string_lossy().contains("index.json.damaged-"))
        .collect();
    assert_eq!(copies.len(), 1, "{copies:?}");
    assert_eq!(std::fs::read(&copies[0]).unwrap(), damaged);
}

#[test]
fn exit_codes_and_messages_are_the_linux_ones() {
    let windows = Windows::new();
    let linux = Sandbox::new();
    let holder = std::net::TcpListener::bind(("127.0.0.1", 0)).unwrap();
    let port = holder.local_addr().unwrap().port().to_string();
    let cases: [&[&str]; 5] = [
        &["token"],
        &["list", "--bogus"],
        &["check"],
        &[
            "authorize",
            "--base-url",
            "http://example.com",
            "--client-id",
            "x",
        ],
        &[
            "authorize",
            "--base-url",
            "http://127.0.0.1:9",
            "--client-id",
            "x",
            "--port",
            &port,
            "--no-browser",
        ],
    ];
    for args in cases {
        let on_linux = linux.run(args);
        let on_windows = windows.run(args);
        assert_ne!(on_linux.code, ExitCode::Success, "{args:?}: {on_linux:?}");
        assert_eq!(on_windows.code, on_linux.code, "{args:?}: {on_windows:?}");
        // clap names the program as it was called: idm-auth.exe on Windows.
        let stderr = on_windows.stderr.replace("idm-auth.exe", "idm-auth");
        assert_eq!(stderr, on_linux.stderr, "{args:?}");
    }
}

#[test]
fn the_config_file_and_the_index_live_in_appdata() {
    let windows = Windows::new();
    let run = windows.run(&["config", "path"]);
    assert_eq!(run.code, ExitCode::Success, "{run:?}");
    let path = run.stdout.trim();
    assert!(
        path.starts_with(r"C:\users\") && path.ends_with(r"\AppData\Roaming\idm-auth\config.toml"),
        "{path}"
    );
}

/// On a Windows console, idm-auth.exe turns on the console's reading of colour codes
/// (ENABLE_VIRTUAL_TERMINAL_PROCESSING, the call src/context.rs makes when it decides what
/// the terminal takes) and `list` colours the status; with NO_COLOR it colours nothing.
///
/// What this covers and what it cannot: under script(1) Wine gives its programs a real
/// console, drawn on a pseudo-terminal, and `scripts/wine/console_mode.c` reads that
/// console's mode before and after idm-auth.exe (a console's mode outlasts the program that
/// set it): so the test sees idm-auth.exe turn the mode on, and fails without that call.
/// But Wine passes colour codes through to the Unix terminal whether the mode is on or not,
/// so the raw `←[32m` that a Windows console without it shows cannot be seen here; nor can a
/// console that refuses the mode (before Windows 10), where no colour codes must be sent.
#[test]
fn on_a_console_list_turns_on_colour_codes_and_colours_the_status_unless_no_color() {
    let windows = Windows::new();
    let sim = Sim::start(&[]);
    windows.opt_in_by_pasting(&sim, "on a console");

    let probe = windows.scratch("console_mode.exe");
    let built = Command::new("x86_64-w64-mingw32-gcc")
        .args(["-O2", "-o"])
        .arg(&probe)
        .arg(repo_path("scripts/wine/console_mode.c"))
        .output()
        .expect("x86_64-w64-mingw32-gcc (scripts/platforms installs it)");
    assert!(built.status.success(), "console_mode.c: {built:?}");
    let (probe, exe) = (windows_path(&probe), windows_path(&wine().exe));
    let batch = windows.batch(
        "console.bat",
        &[
            format!("@\"{probe}\""),
            format!("@\"{exe}\" list"),
            format!("@\"{probe}\""),
            "@set NO_COLOR=1".into(),
            "@echo no-color-from-here".into(),
            format!("@\"{exe}\" list"),
        ],
    );
    // A console as wide as a grid row: Wine breaks longer lines, maybe inside a colour code.
    let line = format!(
        "stty cols 250 && timeout 120 {} cmd /c '{batch}'",
        wine().wine.display()
    );
    let run = run(on_a_terminal(&windows.cmd(&[]), &line).stdin(Stdio::null()));
    assert_eq!(run.code, ExitCode::Success, "{run:?}");
    let shown = &run.stdout;
    let at = |needle: &str| {
        shown
            .find(needle)
            .unwrap_or_else(|| panic!("{needle:?} is not on the console: {shown:?}"))
    };
    let (before, after, no_color) = (
        at("console-mode: vt-off"),
        at("console-mode: vt-on"),
        at("no-color-from-here"),
    );
    assert!(before < after && after < no_color, "{shown:?}");
    // The status cell as anstyle writes it in green.
    let green_active = "\u{1b}[32mactive";
    let coloured = &shown[before..after];
    assert!(coloured.contains(green_active), "{coloured:?}");
    let plain = &shown[no_color..];
    assert!(plain.contains("active"), "the second grid: {plain:?}");
    assert!(!plain.contains("\u{1b}[32m"), "NO_COLOR: {plain:?}");
}
