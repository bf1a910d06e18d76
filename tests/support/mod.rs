//! Shared pieces of the integration tests: a private sandbox of XDG dirs per test, the real
//! `idm-auth` binary, the built-in UPS simulator run as a real process on 127.0.0.1, and the
//! scripted browser. The Secret Service is a real gnome-keyring in a private D-Bus session
//! that the support code starts for each test binary (private_keyring.rs), so plain
//! `cargo test` needs no wrapper; nothing here is mocked.
//!
//! The suite is Linux's (gnome-keyring, /proc, setpriv): every test crate (tests/it/main.rs and
//! the few apart from it) starts with `#![cfg(target_os = "linux")]`, so the Windows and macOS
//! checks of scripts/platforms compile it out; Windows gets tests/windows_wine.rs, run from Linux.
#![allow(dead_code)]

pub mod attacker;
pub mod bao;
pub mod bless;
pub mod fixture;
pub mod private_keyring;
pub mod siege;
pub mod stores;
pub mod tls;
pub mod ups_link;
pub mod world;

use std::io::{BufRead, BufReader, Read};
use std::net::TcpStream;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Output, Stdio};
use std::time::{Duration, Instant};

pub use idm_auth::error::ExitCode;
use oauth2::reqwest;
pub use private_keyring::suite_bus;

pub const BIN: &str = env!("CARGO_BIN_EXE_idm-auth");
pub const CLIENT_ID: &str = "idm-auth-test-client";

pub fn repo_path(rel: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join(rel)
}

/// The python3 that runs the scripted browsers: the first on PATH, else /usr/bin/python3.
/// Missing, it fails the test with the package to install.
pub fn python() -> &'static Path {
    static PYTHON: std::sync::OnceLock<PathBuf> = std::sync::OnceLock::new();
    PYTHON.get_or_init(|| {
        std::env::var_os("PATH")
            .iter()
            .flat_map(std::env::split_paths)
            .chain([PathBuf::from("/usr/bin")])
            .map(|dir| dir.join("python3"))
            .find(|candidate| candidate.is_file())
            .expect("python3 is missing: install the `python3` package (scripts/test does)")
    })
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
    /// change its behaviour (no BROWSER, no IDM_AUTH_* from the developer's shell), on the
    /// test binary's private Secret Service, never the developer's own.
    pub fn cmd(&self, args: &[&str]) -> Command {
        let mut cmd = Command::new(BIN);
        cmd.args(args)
            .env("DBUS_SESSION_BUS_ADDRESS", suite_bus())
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
        assert_eq!(
            run.code,
            ExitCode::Success,
            "list --json failed: {}",
            run.stderr
        );
        serde_json::from_str::<Vec<serde_json::Value>>(&run.stdout)
            .expect("list --json is a JSON array")
    }

    /// Write `rows` (newest first) as this sandbox's index file.
    pub fn write_index(&self, rows: &[fixture::Row]) {
        fixture::write_index(&self.path("data"), rows);
    }

    /// Change the newest opt-in's row in the index file, as a forger or a moved clock would.
    pub fn edit_newest_row(&self, edit: impl FnOnce(&mut serde_json::Value)) {
        let path = self.index_path();
        let mut index: serde_json::Value =
            serde_json::from_str(&std::fs::read_to_string(&path).unwrap()).unwrap();
        edit(&mut index["opt_ins"][0]);
        std::fs::write(&path, serde_json::to_vec_pretty(&index).unwrap()).unwrap();
    }

    /// Point the newest opt-in at `base_url` with its access token expired, so the next
    /// `token` refreshes there.
    pub fn send_next_refresh_to(&self, base_url: &str) {
        self.edit_newest_row(|row| {
            row["base_url"] = base_url.into();
            row["expires_at"] = "2020-01-01T00:00:00Z".into();
        });
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
            "{} {} --decision {decision} --log {}",
            python().display(),
            repo_path("tests/support/browser.py").display(),
            self.path(log).display()
        )
    }

    /// A real headless Chromium driven through chromedriver as the browser, pressing
    /// Approve, logging to a file in this sandbox.
    pub fn chromium_browser(&self, log: &str) -> String {
        // The script takes the paths from these variables; check them here, where a missing
        // package can fail the test with its name rather than as a browser that did nothing.
        for (var, default, package) in [
            ("IDM_AUTH_TEST_CHROMIUM", "/usr/bin/chromium", "chromium"),
            (
                "IDM_AUTH_TEST_CHROMEDRIVER",
                "/usr/bin/chromedriver",
                "chromium-driver",
            ),
        ] {
            let path = std::env::var_os(var).map_or_else(|| PathBuf::from(default), PathBuf::from);
            assert!(
                path.is_file(),
                "{} is missing: install the `{package}` package (scripts/test does), or point {var} at it",
                path.display()
            );
        }
        format!(
            "{} {} --log {}",
            python().display(),
            repo_path("tests/support/chromium_browser.py").display(),
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
    pub code: Exit,
    pub stdout: String,
    pub stderr: String,
}

/// How a process ended: its exit status, or None when a signal ended it. Tests compare it
/// with [`ExitCode`], the README's table, never with a bare number.
#[derive(Clone, Copy, PartialEq, Eq)]
pub struct Exit(pub Option<i32>);

impl Exit {
    pub fn of(status: std::process::ExitStatus) -> Exit {
        Exit(status.code())
    }

    /// The README row this is, if any.
    pub fn known(self) -> Option<ExitCode> {
        self.0.and_then(ExitCode::from_code)
    }
}

impl PartialEq<ExitCode> for Exit {
    fn eq(&self, code: &ExitCode) -> bool {
        self.0 == Some(code.code())
    }
}

impl std::fmt::Debug for Exit {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match (self.0, self.known()) {
            (Some(n), Some(code)) => write!(f, "{code:?} ({n})"),
            (Some(n), None) => write!(f, "exit status {n}"),
            (None, _) => write!(f, "killed by a signal"),
        }
    }
}

impl From<Output> for Run {
    fn from(o: Output) -> Run {
        Run {
            code: Exit::of(o.status),
            stdout: String::from_utf8_lossy(&o.stdout).into_owned(),
            stderr: String::from_utf8_lossy(&o.stderr).into_owned(),
        }
    }
}

impl std::fmt::Debug for Run {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "exit {:?}\n--- stdout\n{}--- stderr\n{}",
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
    /// The app's client secret, for a confidential app.
    pub secret: Option<String>,
    /// The token `/_simulator/` requests must carry, as the simulator printed it.
    pub control_token: String,
}

/// The client secret of [`Sim::confidential`]'s app.
pub const CLIENT_SECRET_FOR_REFRESH: &str = "test-app-secret";

impl Sim {
    /// A public (PKCE-only) app: UPS's document offers it no refresh.
    pub fn start(extra: &[&str]) -> Sim {
        Sim::start_with_secret(extra, None)
    }

    /// An app with a client secret, which [`opt_in`] passes on, so its opt-ins refresh with
    /// HTTP Basic as UPS documents.
    pub fn confidential(extra: &[&str]) -> Sim {
        Sim::start_with_secret(extra, Some(CLIENT_SECRET_FOR_REFRESH))
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
        let mut out = BufReader::new(child.stdout.take().unwrap());
        let mut line = String::new();
        out.read_line(&mut line)
            .expect("simulator prints its base URL");
        let base_url = line.trim().to_string();
        assert!(
            base_url.starts_with("http://127.0.0.1:"),
            "simulator said {base_url:?}"
        );
        let mut line = String::new();
        out.read_line(&mut line)
            .expect("simulator prints its control token");
        let control_token = line
            .trim()
            .strip_prefix("control-token ")
            .unwrap_or_else(|| panic!("simulator said {line:?}"))
            .to_string();
        Sim {
            child,
            base_url,
            secret: secret.map(str::to_string),
            control_token,
        }
    }

    pub fn port(&self) -> u16 {
        self.base_url.rsplit(':').next().unwrap().parse().unwrap()
    }

    /// A raw HTTP/1.1 request to the simulator, as its owner (with the control token);
    /// returns (status, body).
    pub fn request(&self, method: &str, path: &str, body: &str) -> (u16, String) {
        http(
            self.port(),
            method,
            path,
            &[
                ("Content-Type", "application/json"),
                ("Authorization", &self.bearer()),
            ],
            body,
        )
    }

    /// The `Authorization` value for the control endpoints.
    pub fn bearer(&self) -> String {
        format!("Bearer {}", self.control_token)
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
            &[
                ("Content-Type", "application/x-www-form-urlencoded"),
                ("Authorization", &self.bearer()),
            ],
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

/// The tests' one HTTP client (reqwest, as idm-auth itself uses): redirects are not
/// followed (a test reads each Location itself, as the browser's next step), no connection
/// is reused (each request meets the server afresh, as a new browser tab would), and no
/// answer takes longer than 10 s. Hand-made bytes on a socket are only for requests that
/// are malformed on purpose (siege.rs).
pub fn http_client() -> &'static reqwest::blocking::Client {
    static CLIENT: std::sync::OnceLock<reqwest::blocking::Client> = std::sync::OnceLock::new();
    CLIENT.get_or_init(|| {
        reqwest::blocking::Client::builder()
            .redirect(reqwest::redirect::Policy::none())
            .pool_max_idle_per_host(0)
            .timeout(Duration::from_secs(10))
            .build()
            .expect("an HTTP client")
    })
}

/// `METHOD http://127.0.0.1:PORT/TARGET` with `headers` (a `Host` among them replaces the
/// real one) and `body`; returns (status, body).
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

/// An answer: status, headers (names lower-cased) and body.
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
    http_to(
        &format!("http://127.0.0.1:{port}"),
        method,
        target,
        headers,
        body,
    )
}

/// [`http_raw`] to another origin (e.g. `http://[::1]:PORT`).
pub fn http_to(
    origin: &str,
    method: &str,
    target: &str,
    headers: &[(&str, &str)],
    body: &str,
) -> Answer {
    let url = format!("{origin}{target}");
    let method = reqwest::Method::from_bytes(method.as_bytes()).expect("an HTTP method");
    let mut request = http_client().request(method.clone(), &url);
    for (name, value) in headers {
        request = request.header(*name, *value);
    }
    if !body.is_empty() {
        request = request.body(body.to_string());
    }
    let response = request
        .send()
        .unwrap_or_else(|e| panic!("{method} {url}: {e}"));
    let status = response.status().as_u16();
    let headers = response
        .headers()
        .iter()
        .map(|(name, value)| {
            (
                name.as_str().to_string(),
                String::from_utf8_lossy(value.as_bytes()).into_owned(),
            )
        })
        .collect();
    let body = response
        .text()
        .unwrap_or_else(|e| panic!("{method} {url}: the body: {e}"));
    Answer {
        status,
        headers,
        body,
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

/// A port on 127.0.0.1 that nothing listens on, for a listener a child process opens later.
/// Not one from `bind(port 0)`: the kernel may hand that very port to anyone else (another
/// test's listener, an outgoing connection) before the child binds it. These come from below
/// the kernel's ephemeral range (32768 and up), which it never hands out by itself, counted
/// up in this process so two tests never get the same one, from a stretch that depends on the
/// process id so test processes side by side rarely meet; a port found in use is skipped.
/// Every other port only: a server may take the next one too (a dev Vault's cluster port).
pub fn free_port() -> u16 {
    use std::sync::atomic::{AtomicU32, Ordering};
    const FIRST: u32 = 20_000;
    const COUNT: u32 = 12_000;
    static NEXT: AtomicU32 = AtomicU32::new(0);
    let start = std::process::id() % 500 * 24;
    loop {
        let n = NEXT.fetch_add(2, Ordering::Relaxed);
        assert!(n < COUNT, "no free port left below the ephemeral range");
        let port = (FIRST + (start + n) % COUNT) as u16;
        let free = |port: u16| std::net::TcpListener::bind(("127.0.0.1", port)).is_ok();
        if free(port) && free(port + 1) {
            return port;
        }
    }
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

/// Read a secret straight from the suite's Secret Service, as another program on the
/// desktop would.
pub fn secret_tool_lookup(id: &str, kind: &str) -> Option<String> {
    private_keyring::lookup_on(suite_bus(), id, kind)
}

/// `secret-tool ARGS` on the suite's Secret Service.
pub fn secret_tool(args: &[&str]) -> Command {
    private_keyring::secret_tool_on(suite_bus(), args)
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

impl Sandbox {
    /// `idm-auth authorize --no-browser` against the simulator with the callback at
    /// `redirect` (spelled as registered: the simulator compares it exactly).
    pub fn authorize_with_redirect(&self, sim: &Sim, redirect: &str) -> Command {
        self.cmd(&[
            "authorize",
            "--base-url",
            &sim.base_url,
            "--client-id",
            CLIENT_ID,
            "--redirect-uri",
            redirect,
            "--timeout",
            "30",
            "--no-browser",
        ])
    }

    /// An `authorize --no-browser` against the simulator, waiting on a free port for the
    /// test to play the browser: the waiting process and its port.
    pub fn sign_in_without_browser(&self, sim: &Sim) -> (Waiting, u16) {
        let port = free_port();
        let waiting = Waiting::start(self.authorize(sim, port, 30).arg("--no-browser"));
        (waiting, port)
    }
}

/// Opt in once through the scripted browser (with the app's client secret when it has
/// one); returns the new id.
pub fn opt_in(sandbox: &Sandbox, sim: &Sim, label: &str) -> String {
    let port = free_port();
    let mut cmd = sandbox.authorize(sim, port, 30);
    cmd.args(["--label", label]).env(
        "BROWSER",
        sandbox.browser("approve", &format!("browser-{port}.json")),
    );
    if let Some(secret) = &sim.secret {
        cmd.env("IDM_AUTH_CLIENT_SECRET", secret);
    }
    let run = Run::from(cmd.output().unwrap());
    assert_eq!(run.code, ExitCode::Success, "authorize failed: {run:?}");
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
            code: Exit::of(status),
            stdout,
            stderr: self.stderr.join().unwrap_or_default(),
        }
    }
}

/// Every file below `dir`, however deep. A directory that cannot be read fails the test
/// (a scan must not call what it could not see clean); one removed meanwhile has no files.
pub fn files_under(dir: &Path) -> Vec<PathBuf> {
    let entries = match std::fs::read_dir(dir) {
        Ok(entries) => entries,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Vec::new(),
        Err(e) => panic!("cannot list {}: {e}", dir.display()),
    };
    let mut out = Vec::new();
    for entry in entries {
        let path = entry
            .unwrap_or_else(|e| panic!("cannot list {}: {e}", dir.display()))
            .path();
        if path.is_dir() {
            out.extend(files_under(&path));
        } else {
            out.push(path);
        }
    }
    out
}

/// The bytes of a file that [`files_under`] found, for a scan: `None` only when it was
/// removed since (a lock or a temporary file); any other failure to read fails the test,
/// so an unreadable file never counts as clean.
pub fn read_scanned(path: &Path) -> Option<Vec<u8>> {
    match std::fs::read(path) {
        Ok(bytes) => Some(bytes),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => None,
        Err(e) => panic!("cannot read {} to scan it: {e}", path.display()),
    }
}

/// Whether a running process has `arg` among its command-line words (read from /proc).
pub fn a_process_has_arg(arg: &str) -> bool {
    let procs = std::fs::read_dir("/proc").expect("list /proc");
    procs.flatten().any(|entry| {
        // A process that ended since the listing has no command line left to match.
        std::fs::read(entry.path().join("cmdline"))
            .is_ok_and(|line| line.split(|b| *b == 0).any(|word| word == arg.as_bytes()))
    })
}
