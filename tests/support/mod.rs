//! Shared pieces of the integration tests: a private sandbox of XDG dirs per test, the real
//! `idm-auth` binary, the built-in UPS simulator run as a real process on 127.0.0.1, and the
//! scripted browser. The Secret Service is the real one the test command started (a private
//! D-Bus session with gnome-keyring); nothing here is mocked.
#![allow(dead_code)]

pub mod attacker;
pub mod bao;
pub mod private_keyring;
pub mod siege;
pub mod ups_link;

use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpStream;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Output, Stdio};
use std::time::{Duration, Instant};

pub const BIN: &str = env!("CARGO_BIN_EXE_idm-auth");
pub const CLIENT_ID: &str = "idm-auth-test-client";

pub fn repo_path(rel: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join(rel)
}

/// A private HOME and XDG dirs, so each test has its own index.
pub struct Sandbox {
    pub dir: tempfile::TempDir,
}

impl Sandbox {
    pub fn new() -> Sandbox {
        let dir = tempfile::tempdir().expect("temp dir");
        for sub in ["home", "data", "config", "state"] {
            std::fs::create_dir_all(dir.path().join(sub)).unwrap();
        }
        Sandbox { dir }
    }

    pub fn path(&self, rel: &str) -> PathBuf {
        self.dir.path().join(rel)
    }

    pub fn index_path(&self) -> PathBuf {
        self.path("data/idm-auth/index.json")
    }

    /// `idm-auth ARGS` with this sandbox's environment and nothing inherited that could
    /// change its behaviour (no BROWSER, no IDM_AUTH_* from the developer's shell).
    pub fn cmd(&self, args: &[&str]) -> Command {
        let mut cmd = Command::new(BIN);
        cmd.args(args)
            .env("HOME", self.path("home"))
            .env("XDG_DATA_HOME", self.path("data"))
            .env("XDG_CONFIG_HOME", self.path("config"))
            .env("XDG_STATE_HOME", self.path("state"))
            .env_remove("BROWSER")
            .env_remove("DISPLAY")
            .env_remove("WAYLAND_DISPLAY")
            .stdin(Stdio::null());
        for (key, _) in std::env::vars() {
            if key.starts_with("IDM_AUTH_") && !key.starts_with("IDM_AUTH_TEST_") {
                cmd.env_remove(key);
            }
        }
        cmd
    }

    pub fn run(&self, args: &[&str]) -> Run {
        self.cmd(args).exec()
    }

    /// `list --json`, parsed.
    pub fn list_json(&self) -> Vec<serde_json::Value> {
        let run = self.run(&["list", "--json"]);
        assert_eq!(run.code, 0, "list --json failed: {}", run.stderr);
        serde_json::from_str::<Vec<serde_json::Value>>(&run.stdout)
            .expect("list --json is a JSON array")
    }

    /// Write the config file (`$XDG_CONFIG_HOME/idm-auth/config.toml`).
    pub fn write_config(&self, text: &str) {
        let dir = self.path("config/idm-auth");
        std::fs::create_dir_all(&dir).unwrap();
        std::fs::write(dir.join("config.toml"), text).unwrap();
    }

    /// The scripted browser, logging to a file in this sandbox.
    pub fn browser(&self, decision: &str, log: &str) -> String {
        format!(
            "python3 {} --decision {decision} --log {}",
            repo_path("tests/support/browser.py").display(),
            self.path(log).display()
        )
    }

    /// A browser's log: the browser writes it after the page has loaded, which may be just
    /// after idm-auth has exited, so wait for it a little.
    pub fn browser_log(&self, rel: &str) -> serde_json::Value {
        let deadline = Instant::now() + Duration::from_secs(20);
        while !self.path(rel).exists() && Instant::now() < deadline {
            std::thread::sleep(Duration::from_millis(50));
        }
        self.read_json(rel)
    }

    pub fn read_json(&self, rel: &str) -> serde_json::Value {
        let text =
            std::fs::read_to_string(self.path(rel)).unwrap_or_else(|e| panic!("read {rel}: {e}"));
        serde_json::from_str(&text).unwrap_or_else(|e| panic!("parse {rel}: {e}: {text}"))
    }
}

pub struct Run {
    pub code: i32,
    pub stdout: String,
    pub stderr: String,
}

impl From<Output> for Run {
    fn from(o: Output) -> Run {
        Run {
            code: o.status.code().unwrap_or(-1),
            stdout: String::from_utf8_lossy(&o.stdout).into_owned(),
            stderr: String::from_utf8_lossy(&o.stderr).into_owned(),
        }
    }
}

impl std::fmt::Debug for Run {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "exit {}\n--- stdout\n{}--- stderr\n{}",
            self.code, self.stdout, self.stderr
        )
    }
}

/// Run a prepared command to completion.
pub trait Exec {
    fn exec(&mut self) -> Run;
}

impl Exec for Command {
    fn exec(&mut self) -> Run {
        Run::from(self.output().expect("run the command"))
    }
}

/// The built-in UPS simulator as a separate process; killed on drop.
pub struct Sim {
    child: Child,
    pub base_url: String,
}

impl Sim {
    pub fn start(extra: &[&str]) -> Sim {
        Sim::start_with_secret(extra, None)
    }

    pub fn start_with_secret(extra: &[&str], secret: Option<&str>) -> Sim {
        let mut cmd = Command::new(BIN);
        cmd.args(["simulator", "--port", "0", "--client-id", CLIENT_ID])
            .args(extra)
            .env_remove("IDM_AUTH_CLIENT_SECRET")
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::null());
        if let Some(secret) = secret {
            cmd.env("IDM_AUTH_CLIENT_SECRET", secret);
        }
        let mut child = cmd.spawn().expect("start the simulator");
        let mut line = String::new();
        BufReader::new(child.stdout.take().unwrap())
            .read_line(&mut line)
            .expect("simulator prints its base URL");
        let base_url = line.trim().to_string();
        assert!(
            base_url.starts_with("http://127.0.0.1:"),
            "simulator said {base_url:?}"
        );
        Sim { child, base_url }
    }

    pub fn port(&self) -> u16 {
        self.base_url.rsplit(':').next().unwrap().parse().unwrap()
    }

    /// A raw HTTP/1.1 request to the simulator; returns (status, body).
    pub fn request(&self, method: &str, path: &str, body: &str) -> (u16, String) {
        http(
            self.port(),
            method,
            path,
            &[("Content-Type", "application/json")],
            body,
        )
    }

    pub fn settings(&self, json: &str) {
        let (status, _) = self.request("POST", "/_simulator/settings", json);
        assert_eq!(status, 204, "simulator settings");
    }

    pub fn fault(&self, json: &str) {
        let (status, _) = self.request("POST", "/_simulator/fault", json);
        assert_eq!(status, 204, "simulator fault");
    }

    /// Whether the simulated UPS still honours this access or refresh token.
    pub fn is_active(&self, token: &str) -> bool {
        let body: String = url::form_urlencoded::Serializer::new(String::new())
            .append_pair("token", token)
            .finish();
        let (status, answer) = http(
            self.port(),
            "POST",
            "/_simulator/introspect",
            &[("Content-Type", "application/x-www-form-urlencoded")],
            &body,
        );
        assert_eq!(status, 200, "introspect: {answer}");
        serde_json::from_str::<serde_json::Value>(&answer).unwrap()["active"] == true
    }

    pub fn stats(&self) -> serde_json::Value {
        let (status, body) = self.request("GET", "/_simulator/stats", "");
        assert_eq!(status, 200);
        serde_json::from_str(&body).unwrap()
    }
}

impl Drop for Sim {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// A minimal HTTP/1.1 client over a raw socket, for requests a browser would never send.
pub fn http(
    port: u16,
    method: &str,
    target: &str,
    headers: &[(&str, &str)],
    body: &str,
) -> (u16, String) {
    let answer = http_raw(port, method, target, headers, body);
    (answer.status, answer.body)
}

/// An answer read off the wire: status, headers (names lower-cased) and body.
pub struct Answer {
    pub status: u16,
    pub headers: Vec<(String, String)>,
    pub body: String,
}

impl Answer {
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(n, _)| n.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }
}

/// [`http`], keeping the response headers.
pub fn http_raw(
    port: u16,
    method: &str,
    target: &str,
    headers: &[(&str, &str)],
    body: &str,
) -> Answer {
    let mut stream = TcpStream::connect(("127.0.0.1", port)).expect("connect");
    stream
        .set_read_timeout(Some(Duration::from_secs(10)))
        .unwrap();
    let mut request = format!("{method} {target} HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\nConnection: close\r\nContent-Length: {}\r\n", body.len());
    for (k, v) in headers {
        request.push_str(&format!("{k}: {v}\r\n"));
    }
    request.push_str("\r\n");
    request.push_str(body);
    stream.write_all(request.as_bytes()).unwrap();
    let mut raw = Vec::new();
    let _ = stream.read_to_end(&mut raw);
    let text = String::from_utf8_lossy(&raw).into_owned();
    let (head, body) = text.split_once("\r\n\r\n").unwrap_or((&text, ""));
    let mut lines = head.split("\r\n");
    let status = lines
        .next()
        .and_then(|l| l.split_whitespace().nth(1))
        .and_then(|s| s.parse().ok())
        .unwrap_or_else(|| panic!("no status line in {text:?}"));
    let headers = lines
        .filter_map(|l| l.split_once(':'))
        .map(|(k, v)| (k.trim().to_ascii_lowercase(), v.trim().to_string()))
        .collect();
    Answer {
        status,
        headers,
        body: body.to_string(),
    }
}

/// Port and request target (path and query) of an http URL.
pub fn port_and_target(url: &str) -> (u16, String) {
    let url = url::Url::parse(url).unwrap_or_else(|e| panic!("{url}: {e}"));
    let target = match url.query() {
        Some(q) => format!("{}?{q}", url.path()),
        None => url.path().to_string(),
    };
    (url.port().expect("an explicit port"), target)
}

/// Sign in and approve at the simulator as a person in a browser would, stopping short of
/// the loopback callback: returns the callback URL (with the code and the state) that the
/// browser would open next.
pub fn approve_at_simulator(authorize_url: &str) -> String {
    consent_at_simulator(authorize_url, "approve")
}

/// As [`approve_at_simulator`], pressing `decision` ("approve" or "deny"). What a person does
/// in a browser that cannot reach the loopback listener (an SSH session).
pub fn consent_at_simulator(authorize_url: &str, decision: &str) -> String {
    let (port, target) = port_and_target(authorize_url);
    let to_signin = http_raw(port, "GET", &target, &[], "");
    assert_eq!(to_signin.status, 302, "authorize: {}", to_signin.body);
    let signin = to_signin
        .header("location")
        .expect("a Location")
        .to_string();
    let (sim_port, _) = port_and_target(&signin);
    let txn = url::Url::parse(&signin)
        .unwrap()
        .query_pairs()
        .find(|(k, _)| k == "txn")
        .map(|(_, v)| v.into_owned())
        .expect("a sign-in transaction");
    let consent = http_raw(
        sim_port,
        "POST",
        "/lasso/consent",
        &[("Content-Type", "application/x-www-form-urlencoded")],
        &format!("txn={txn}&decision={decision}"),
    );
    assert_eq!(consent.status, 302, "consent: {}", consent.body);
    consent.header("location").expect("a Location").to_string()
}

/// `command_line` under script(1), on a fresh pseudo-terminal, with `env_from`'s environment.
/// What the terminal shows arrives on the returned command's stdout.
pub fn on_a_terminal(env_from: &Command, command_line: &str) -> Command {
    let mut script = Command::new("script");
    script.args(["-qec", command_line, "/dev/null"]);
    for (k, v) in env_from.get_envs() {
        match v {
            Some(v) => script.env(k, v),
            None => script.env_remove(k),
        };
    }
    script
}

pub fn free_port() -> u16 {
    std::net::TcpListener::bind(("127.0.0.1", 0))
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

/// Wait until something listens on the port (the authorize listener came up).
pub fn wait_for_listener(port: u16, timeout: Duration) {
    let deadline = Instant::now() + timeout;
    while Instant::now() < deadline {
        if TcpStream::connect(("127.0.0.1", port)).is_ok() {
            return;
        }
        std::thread::sleep(Duration::from_millis(20));
    }
    panic!("nothing listened on port {port} within {timeout:?}");
}

/// Read a secret straight from the Secret Service, as another program on the desktop would.
pub fn secret_tool_lookup(id: &str, kind: &str) -> Option<String> {
    secret_tool_lookup_on(None, id, kind)
}

/// [`secret_tool_lookup`] on the bus at `address` (None: the suite's own).
pub fn secret_tool_lookup_on(address: Option<&str>, id: &str, kind: &str) -> Option<String> {
    let mut cmd = Command::new("timeout");
    cmd.args([
        "20",
        "secret-tool",
        "lookup",
        "service",
        "idm-auth",
        "username",
    ])
    .arg(format!("{id}/{kind}"))
    .stdin(Stdio::null());
    if let Some(address) = address {
        cmd.env("DBUS_SESSION_BUS_ADDRESS", address);
    }
    let out = cmd
        .output()
        .expect("secret-tool is installed by the test command");
    out.status
        .success()
        .then(|| String::from_utf8_lossy(&out.stdout).into_owned())
}

impl Sandbox {
    /// `idm-auth authorize` aimed at the simulator, with its callback on `port`.
    pub fn authorize(&self, sim: &Sim, port: u16, timeout_secs: u64) -> Command {
        self.authorize_at(&sim.base_url, port, timeout_secs)
    }

    /// `idm-auth authorize` aimed at `base_url` (the simulator, or a link in front of it).
    pub fn authorize_at(&self, base_url: &str, port: u16, timeout_secs: u64) -> Command {
        let port = port.to_string();
        let timeout = timeout_secs.to_string();
        self.cmd(&[
            "authorize",
            "--base-url",
            base_url,
            "--client-id",
            CLIENT_ID,
            "--port",
            &port,
            "--timeout",
            &timeout,
        ])
    }
}

/// Opt in once through the scripted browser; returns the new id.
pub fn opt_in(sandbox: &Sandbox, sim: &Sim, label: &str) -> String {
    let port = free_port();
    let run = Run::from(
        sandbox
            .authorize(sim, port, 30)
            .args(["--label", label])
            .env(
                "BROWSER",
                sandbox.browser("approve", &format!("browser-{port}.json")),
            )
            .output()
            .unwrap(),
    );
    assert_eq!(run.code, 0, "authorize failed: {run:?}");
    let id = run.stdout.trim().to_string();
    assert_eq!(id.len(), 8, "authorize prints the new id: {run:?}");
    id
}

/// `idm-auth authorize` running in the background, its authorize URL already read off
/// stderr (so the test knows the state and can play the browser itself).
pub struct Waiting {
    pub child: Child,
    pub url: String,
    stderr: std::thread::JoinHandle<String>,
}

impl Waiting {
    /// Spawn `cmd` (an authorize) and wait for it to print the authorize URL.
    pub fn start(cmd: &mut Command) -> Waiting {
        let mut child = cmd
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .expect("start authorize");
        let stderr = child.stderr.take().unwrap();
        let (tx, rx) = std::sync::mpsc::channel();
        let reader = std::thread::spawn(move || {
            let mut all = String::new();
            for line in BufReader::new(stderr).lines() {
                let Ok(line) = line else { break };
                if line.contains("/security/v1/oauth/authorize?") {
                    let _ = tx.send(line.trim().to_string());
                }
                all.push_str(&line);
                all.push('\n');
            }
            all
        });
        match rx.recv_timeout(Duration::from_secs(20)) {
            Ok(url) => Waiting {
                child,
                url,
                stderr: reader,
            },
            Err(_) => {
                let _ = child.kill();
                let _ = child.wait();
                panic!("authorize printed no URL: {}", reader.join().unwrap());
            }
        }
    }

    /// The `state` this attempt expects back.
    pub fn state(&self) -> String {
        url::Url::parse(&self.url)
            .unwrap()
            .query_pairs()
            .find(|(k, _)| k == "state")
            .map(|(_, v)| v.into_owned())
            .expect("state in the authorize URL")
    }

    /// Wait for it to exit (killing it, and failing, if it is still there after two
    /// minutes: a hang must fail the test, not stall the suite).
    pub fn finish(mut self) -> Run {
        let deadline = Instant::now() + Duration::from_secs(120);
        let status = loop {
            if let Some(status) = self.child.try_wait().expect("wait for authorize") {
                break status;
            }
            if Instant::now() > deadline {
                let _ = self.child.kill();
                let _ = self.child.wait();
                panic!(
                    "authorize did not exit: {}",
                    self.stderr.join().unwrap_or_default()
                );
            }
            std::thread::sleep(Duration::from_millis(20));
        };
        let mut stdout = String::new();
        if let Some(mut out) = self.child.stdout.take() {
            let _ = out.read_to_string(&mut stdout);
        }
        Run {
            code: status.code().unwrap_or(-1),
            stdout,
            stderr: self.stderr.join().unwrap_or_default(),
        }
    }
}

/// Every file below `dir`, however deep.
pub fn files_under(dir: &Path) -> Vec<PathBuf> {
    let mut out = Vec::new();
    for entry in std::fs::read_dir(dir).into_iter().flatten().flatten() {
        let path = entry.path();
        if path.is_dir() {
            out.extend(files_under(&path));
        } else {
            out.push(path);
        }
    }
    out
}
