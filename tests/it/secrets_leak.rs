//! Secrets never leak: every path (opt-in, denial, UPS faults, silence, a pasted callback,
//! refresh, a lost refresh answer, a dead opt-in, list, check, exec, clear) runs as loud as
//! idm-auth can be (it has no log levels and reads no RUST_LOG: everything it says goes to
//! stderr unless `--quiet`, which no run here passes; panics with full backtraces),
//! while a watcher samples the command line of every process on the machine. Afterwards
//! none of the secrets that crossed the wire (codes, PKCE verifiers, access and refresh
//! tokens, the client secret) may be found in any stdout or stderr, in any file under
//! HOME and the XDG dirs, or in any command line; `token` alone prints an access token.
//! And the index is 0600 in a 0700 directory whatever the umask.
use crate::support;
use std::collections::BTreeSet;
use std::io::Write;
use std::os::unix::fs::PermissionsExt;
use std::path::Path;
use std::process::{Command, Stdio};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;
use support::ups_link::{Fault, UpsLink};
use support::*;

const CLIENT_SECRET: &str = "SENTINEL-client-secret-7f3a9c1e5b";
const REFRESH: &str = "/security/v1/oauth/refresh";

/// Samples `/proc/*/cmdline` of every process until dropped.
struct ArgvWatcher {
    seen: Arc<Mutex<BTreeSet<String>>>,
    stop: Arc<AtomicBool>,
    thread: Option<std::thread::JoinHandle<()>>,
}

impl ArgvWatcher {
    fn start() -> ArgvWatcher {
        let seen = Arc::new(Mutex::new(BTreeSet::new()));
        let stop = Arc::new(AtomicBool::new(false));
        let (s, st) = (seen.clone(), stop.clone());
        let thread = std::thread::spawn(move || {
            while !st.load(Ordering::Relaxed) {
                for entry in std::fs::read_dir("/proc").into_iter().flatten().flatten() {
                    if let Ok(raw) = std::fs::read(entry.path().join("cmdline")) {
                        if !raw.is_empty() {
                            let argv = String::from_utf8_lossy(&raw).replace('\0', " ");
                            s.lock().unwrap().insert(argv);
                        }
                    }
                }
                std::thread::sleep(Duration::from_millis(2));
            }
        });
        ArgvWatcher {
            seen,
            stop,
            thread: Some(thread),
        }
    }

    fn finish(mut self) -> BTreeSet<String> {
        self.stop.store(true, Ordering::Relaxed);
        if let Some(t) = self.thread.take() {
            let _ = t.join();
        }
        self.seen.lock().unwrap().clone()
    }
}

/// The needles to look for: each secret whole, and a window from its middle (a secret
/// printed in part still leaks).
fn needles(secrets: &[String]) -> Vec<String> {
    let mut out = Vec::new();
    for s in secrets {
        out.push(s.clone());
        if s.len() >= 24 {
            let mid = s.len() / 2;
            out.push(s[mid - 8..mid + 8].to_string());
        }
    }
    out
}

#[test]
fn no_secret_reaches_the_terminal_a_file_or_a_command_line_on_any_path() {
    let sandbox = Sandbox::new();
    let sim = Sim::start_with_secret(&[], Some(CLIENT_SECRET));
    let link = UpsLink::start(sim.port());
    let watcher = ArgvWatcher::start();
    let mut outputs: Vec<(String, Run)> = Vec::new();
    let mut token_stdout: Vec<String> = Vec::new();
    let verbose = |mut cmd: Command| {
        cmd.env("RUST_BACKTRACE", "full")
            .env("IDM_AUTH_CLIENT_SECRET", CLIENT_SECRET)
            .env("IDM_AUTH_HTTP_TIMEOUT", "2");
        cmd
    };
    let authorize = |decision: &str| {
        let port = free_port();
        let mut cmd = verbose(sandbox.authorize_at(&link.base_url(), port, 30));
        cmd.env(
            "BROWSER",
            sandbox.browser(decision, &format!("b-{port}.json")),
        );
        cmd.exec()
    };
    let record = |outputs: &mut Vec<(String, Run)>, what: &str, run: Run| {
        let id = run.stdout.trim().to_string();
        outputs.push((what.to_string(), run));
        id
    };

    let kept = record(&mut outputs, "authorize", authorize("approve"));
    sim.settings(r#"{"access_ttl": 0}"#);
    let refreshed = record(&mut outputs, "authorize (expiring)", authorize("approve"));
    let doomed = record(
        &mut outputs,
        "authorize (to be refused)",
        authorize("approve"),
    );
    let again = record(&mut outputs, "authorize (to be lost)", authorize("approve"));
    sim.settings(r#"{"access_ttl": 3600}"#);
    record(&mut outputs, "authorize denied", authorize("deny"));
    sim.fault(r#"{"endpoint":"token","status":502,"content_type":"text/html","body":"<p>bad gateway</p>"}"#);
    record(
        &mut outputs,
        "authorize, gateway error",
        authorize("approve"),
    );
    link.fault("/security/v1/oauth/token", Fault::Silence);
    record(&mut outputs, "authorize, no answer", authorize("approve"));
    // Over SSH: the address the browser ended on (code and state in it) pasted on stdin.
    let mut paste = verbose(sandbox.authorize_at(&link.base_url(), free_port(), 30));
    paste.arg("--no-browser").stdin(Stdio::piped());
    let mut waiting = Waiting::start(&mut paste);
    let callback = approve_at_simulator(&waiting.url);
    let mut stdin = waiting.child.stdin.take().unwrap();
    writeln!(stdin, "{callback}").unwrap();
    drop(stdin);
    record(&mut outputs, "authorize, pasted", waiting.finish());

    for (what, id) in [("token", &kept), ("token with refresh", &refreshed)] {
        let run = verbose(sandbox.cmd(&["token", id])).exec();
        assert_eq!(run.code, ExitCode::Success, "{what}: {run:?}");
        token_stdout.push(run.stdout.clone());
        let run = Run {
            stdout: String::new(),
            ..run
        };
        outputs.push((what.to_string(), run));
    }
    sim.fault(r#"{"endpoint":"refresh","status":429,"content_type":"application/json","body":"{}","headers":{"Retry-After":"5"}}"#);
    let token = |id: &str| verbose(sandbox.cmd(&["token", id])).exec();
    record(&mut outputs, "token, rate-limited", token(&again));
    link.fault(REFRESH, Fault::ResetAfterUps);
    record(&mut outputs, "token, answer lost", token(&again));
    let (status, _) = sim.request("POST", "/_simulator/password-change", "");
    assert_eq!(status, 204);
    record(&mut outputs, "token, refused", token(&doomed));
    for (what, args) in [
        ("list", vec!["list"]),
        ("list --json", vec!["list", "--json"]),
        ("check", vec!["check"]),
        ("exec", vec!["exec", &kept, "--", "sh", "-c", "sleep 0.1"]),
        ("clear", vec!["clear", &kept, "--yes"]),
        ("clear --all", vec!["clear", "--all", "--yes"]),
    ] {
        record(&mut outputs, what, verbose(sandbox.cmd(&args)).exec());
    }
    let argv = watcher.finish();

    let mut secrets = link.secrets();
    secrets.push(CLIENT_SECRET.to_string());
    // Codes, verifiers, refresh tokens, access tokens and the client secret all crossed.
    assert!(
        secrets.len() >= 12,
        "too few secrets seen on the wire: {}",
        secrets.len()
    );
    let needles = needles(&secrets);

    use ExitCode::{Denied, Invalid, Success, Unreachable, Ups};
    let expected_codes = [
        Success,
        Success,
        Success,
        Success,
        Denied,
        Ups,
        Unreachable,
        Success,
        Success,
        Success,
        Ups,
        Invalid,
        Invalid,
        Success,
        Success,
        Invalid,
        Success,
        Success,
        Success,
    ];
    let codes: Vec<Exit> = outputs.iter().map(|(_, r)| r.code).collect();
    assert_eq!(codes, expected_codes, "{outputs:#?}");
    for (what, run) in &outputs {
        for needle in &needles {
            assert!(
                !run.stdout.contains(needle),
                "{what} printed a secret: {run:?}"
            );
            assert!(
                !run.stderr.contains(needle),
                "{what} printed a secret: {run:?}"
            );
        }
    }
    for out in &token_stdout {
        assert_eq!(
            out.lines().count(),
            1,
            "token prints the access token alone"
        );
    }
    for file in files_under(sandbox.dir.path()) {
        let text = String::from_utf8_lossy(&std::fs::read(&file).unwrap()).into_owned();
        for needle in &needles {
            assert!(!text.contains(needle), "a secret in {}", file.display());
        }
    }
    assert!(
        argv.iter().any(|a| a.contains("browser.py")),
        "the watcher saw the browsers"
    );
    for a in &argv {
        for needle in &needles {
            assert!(!a.contains(needle), "a secret in a command line: {a}");
        }
    }
}

/// `cmd` run by a shell that sets `umask` first.
fn with_umask(cmd: &Command, umask: &str) -> Command {
    let mut sh = Command::new("sh");
    sh.arg("-c")
        .arg(format!("umask {umask} && exec \"$0\" \"$@\""))
        .arg(cmd.get_program())
        .args(cmd.get_args());
    for (k, v) in cmd.get_envs() {
        match v {
            Some(v) => sh.env(k, v),
            None => sh.env_remove(k),
        };
    }
    sh
}

fn mode(path: &Path) -> u32 {
    std::fs::metadata(path).unwrap().permissions().mode() & 0o777
}

#[test]
fn the_index_is_0600_in_a_0700_directory_whatever_the_umask() {
    for umask in ["022", "000"] {
        let sandbox = Sandbox::new();
        let sim = Sim::confidential(&["--access-ttl", "0"]);
        let port = free_port();
        let mut authorize = sandbox.authorize(&sim, port, 30);
        authorize
            .env("BROWSER", sandbox.browser("approve", "b.json"))
            .env("IDM_AUTH_CLIENT_SECRET", CLIENT_SECRET_FOR_REFRESH);
        let run = with_umask(&authorize, umask).exec();
        assert_eq!(run.code, ExitCode::Success, "{run:?}");
        let id = run.stdout.trim().to_string();
        // A refresh and a clear rewrite the index and take locks.
        assert_eq!(
            with_umask(&sandbox.cmd(&["token", &id]), umask).exec().code,
            ExitCode::Success
        );
        let other = opt_in(&sandbox, &sim, "other");
        assert_eq!(
            with_umask(&sandbox.cmd(&["clear", &other, "--yes"]), umask)
                .exec()
                .code,
            ExitCode::Success
        );

        let dir = sandbox.path("data/idm-auth");
        assert_eq!(mode(&dir), 0o700, "umask {umask}");
        assert_eq!(mode(&dir.join("locks")), 0o700, "umask {umask}");
        for file in files_under(&dir) {
            assert_eq!(mode(&file), 0o600, "{} under umask {umask}", file.display());
        }
        assert!(dir.join("index.json").exists());
    }
}
