//! A Secret Service of the tests' own: a private D-Bus session bus (our own configuration,
//! with no service directories, so nothing else can be activated on it) with its own
//! gnome-keyring-daemon, whose `login` collection is the default one, unlocked with a
//! throwaway password, in a fresh temporary HOME and XDG dirs. The user's real keyring and
//! session bus are never touched, and no unlock prompt can ever appear.
//!
//! Every test binary shares one of these ([`suite_bus`]), started on first use and stopped
//! when the binary exits. Tests that lock, freeze or enumerate the keyring start one of their
//! own ([`PrivateKeyring::start`]), so the shared one is never disturbed and every entry
//! found belongs to that test.

use std::io::Write;
use std::os::unix::process::CommandExt;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::{Mutex, OnceLock};
use std::time::{Duration, Instant};

pub struct PrivateKeyring {
    dir: tempfile::TempDir,
    bus: Child,
    daemon: Option<Child>,
    /// The bus address, for `DBUS_SESSION_BUS_ADDRESS`.
    pub address: String,
}

const PASSWORD: &str = "private-keyring-test-password";

/// The address of this test binary's shared private keyring session, started on first use.
/// It lives until the binary exits: an `atexit` hook stops the daemons and deletes their
/// directory, and the daemons die with the binary even when it is killed.
pub fn suite_bus() -> &'static str {
    static ADDRESS: OnceLock<String> = OnceLock::new();
    static KEEP: Mutex<Option<PrivateKeyring>> = Mutex::new(None);
    extern "C" fn stop_at_exit() {
        if let Ok(mut keep) = KEEP.lock() {
            drop(keep.take());
        }
    }
    ADDRESS.get_or_init(|| {
        // The daemons' parent-death signal fires when the thread that spawned them ends, so
        // they are spawned from a thread that lives as long as the binary, not by a test.
        let (tx, rx) = std::sync::mpsc::channel();
        std::thread::Builder::new()
            .name("suite-keyring".into())
            .spawn(move || {
                let _ = tx.send(std::panic::catch_unwind(PrivateKeyring::start));
                loop {
                    std::thread::park();
                }
            })
            .expect("a thread for the suite keyring");
        let keyring = match rx.recv().expect("the suite keyring thread answers") {
            Ok(keyring) => keyring,
            Err(panic) => std::panic::resume_unwind(panic),
        };
        keyring.prove_round_trip();
        let address = keyring.address.clone();
        *KEEP.lock().unwrap() = Some(keyring);
        // SAFETY: registers a plain function with no preconditions.
        unsafe { libc::atexit(stop_at_exit) };
        address
    })
}

/// A directory for the session whose socket path fits the 108-byte limit of unix sockets.
fn short_temp_dir() -> tempfile::TempDir {
    let base = std::env::temp_dir();
    let base = if base.as_os_str().len() <= 60 {
        base
    } else {
        PathBuf::from("/tmp")
    };
    tempfile::Builder::new()
        .prefix("idm-auth-keyring.")
        .tempdir_in(base)
        .expect("a temporary directory for the private keyring")
}

/// `program`, with a message naming the package that provides it when it is missing.
fn spawn(cmd: &mut Command, package: &str) -> Child {
    // SAFETY: prctl is async-signal-safe; the child dies with the thread that spawned it,
    // so no daemon outlives a test binary that was killed.
    unsafe {
        cmd.pre_exec(|| {
            libc::prctl(libc::PR_SET_PDEATHSIG, libc::SIGTERM);
            Ok(())
        });
    }
    cmd.spawn().unwrap_or_else(|e| {
        panic!(
            "cannot start {:?} ({e}): install the `{package}` package (scripts/test does)",
            cmd.get_program()
        )
    })
}

impl PrivateKeyring {
    /// A bus with an unlocked `login` collection as the default one.
    pub fn start() -> PrivateKeyring {
        let mut keyring = PrivateKeyring::bus_only();
        keyring.start_daemon(true);
        keyring
    }

    /// A bus on which no Secret Service runs.
    pub fn bus_only() -> PrivateKeyring {
        let dir = short_temp_dir();
        for sub in ["home", "data/keyrings", "config", "cache", "runtime"] {
            std::fs::create_dir_all(dir.path().join(sub)).unwrap();
        }
        // The `login` keyring is created on the first unlock; this file makes it the default
        // collection (what secret-tool and idm-auth use).
        std::fs::write(dir.path().join("data/keyrings/default"), "login").unwrap();
        let socket = dir.path().join("bus");
        let config = dir.path().join("bus.conf");
        std::fs::write(
            &config,
            format!(
                r#"<!DOCTYPE busconfig PUBLIC "-//freedesktop//DTD D-Bus Bus Configuration 1.0//EN"
 "http://www.freedesktop.org/standards/dbus/1.0/busconfig.dtd">
<busconfig>
  <type>session</type>
  <keep_umask/>
  <listen>unix:path={}</listen>
  <auth>EXTERNAL</auth>
  <policy context="default">
    <allow send_destination="*" eavesdrop="true"/>
    <allow eavesdrop="true"/>
    <allow own="*"/>
  </policy>
</busconfig>
"#,
                socket.display()
            ),
        )
        .unwrap();
        let mut bus = spawn(
            Command::new("dbus-daemon")
                .arg(format!("--config-file={}", config.display()))
                .args(["--nofork", "--nopidfile"])
                .stdin(Stdio::null())
                .stdout(Stdio::null())
                .stderr(Stdio::null()),
            "dbus",
        );
        let deadline = Instant::now() + Duration::from_secs(10);
        while !socket.exists() {
            if let Ok(Some(status)) = bus.try_wait() {
                panic!("the private dbus-daemon exited at start: {status}");
            }
            assert!(Instant::now() < deadline, "the private bus did not start");
            std::thread::sleep(Duration::from_millis(20));
        }
        let address = format!("unix:path={}", socket.display());
        PrivateKeyring {
            dir,
            bus,
            daemon: None,
            address,
        }
    }

    fn path(&self, rel: &str) -> PathBuf {
        self.dir.path().join(rel)
    }

    fn start_daemon(&mut self, unlock: bool) {
        let log = std::fs::File::create(self.path("keyring.log")).unwrap();
        let mut cmd = Command::new("gnome-keyring-daemon");
        cmd.args(["--foreground", "--components=secrets"])
            .arg(format!(
                "--control-directory={}",
                self.path("runtime/keyring").display()
            ))
            .env("DBUS_SESSION_BUS_ADDRESS", &self.address)
            .env("HOME", self.path("home"))
            .env("XDG_DATA_HOME", self.path("data"))
            .env("XDG_CONFIG_HOME", self.path("config"))
            .env("XDG_CACHE_HOME", self.path("cache"))
            .env("XDG_RUNTIME_DIR", self.path("runtime"))
            .env_remove("DISPLAY")
            .env_remove("WAYLAND_DISPLAY")
            .env_remove("GNOME_KEYRING_CONTROL")
            .env_remove("SSH_AUTH_SOCK")
            .stdout(log.try_clone().unwrap())
            .stderr(log);
        if unlock {
            cmd.arg("--unlock").stdin(Stdio::piped());
        } else {
            cmd.stdin(Stdio::null());
        }
        let mut daemon = spawn(&mut cmd, "gnome-keyring");
        if let Some(mut stdin) = daemon.stdin.take() {
            stdin.write_all(PASSWORD.as_bytes()).unwrap();
        }
        self.daemon = Some(daemon);
        let deadline = Instant::now() + Duration::from_secs(10);
        while !self.service_owned() {
            assert!(
                Instant::now() < deadline,
                "gnome-keyring-daemon did not take org.freedesktop.secrets on the private bus; its log:\n{}",
                self.daemon_log()
            );
            std::thread::sleep(Duration::from_millis(50));
        }
    }

    /// What gnome-keyring-daemon said, for failure messages.
    pub fn daemon_log(&self) -> String {
        std::fs::read_to_string(self.path("keyring.log")).unwrap_or_default()
    }

    /// `dbus-send --print-reply ARGS` on this bus; the reply, or None when the call failed.
    fn bus_call(&self, args: &[&str]) -> Option<String> {
        let out = spawn(
            Command::new("timeout")
                .args(["10", "dbus-send", "--session", "--print-reply"])
                .args(args)
                .env("DBUS_SESSION_BUS_ADDRESS", &self.address)
                .stdin(Stdio::null())
                .stdout(Stdio::piped())
                .stderr(Stdio::null()),
            "dbus",
        )
        .wait_with_output()
        .expect("dbus-send");
        out.status
            .success()
            .then(|| String::from_utf8_lossy(&out.stdout).into_owned())
    }

    fn service_owned(&self) -> bool {
        self.bus_call(&[
            "--dest=org.freedesktop.DBus",
            "/org/freedesktop/DBus",
            "org.freedesktop.DBus.NameHasOwner",
            "string:org.freedesktop.secrets",
        ])
        .is_some_and(|reply| reply.contains("boolean true"))
    }

    /// The setup check: the default collection exists and is unlocked, and a 1,500-byte
    /// secret goes in, comes back the same and goes away, as idm-auth's tokens will.
    pub fn prove_round_trip(&self) {
        let alias = self
            .bus_call(&[
                "--dest=org.freedesktop.secrets",
                "/org/freedesktop/secrets",
                "org.freedesktop.Secret.Service.ReadAlias",
                "string:default",
            ])
            .unwrap_or_else(|| panic!("ReadAlias(default) failed:\n{}", self.daemon_log()));
        let collection = alias
            .split('"')
            .nth(1)
            .filter(|path| *path != "/")
            .unwrap_or_else(|| panic!("no default collection: {alias}"));
        let locked = self
            .bus_call(&[
                "--dest=org.freedesktop.secrets",
                collection,
                "org.freedesktop.DBus.Properties.Get",
                "string:org.freedesktop.Secret.Collection",
                "string:Locked",
            ])
            .unwrap_or_default();
        assert!(
            locked.contains("boolean false"),
            "the default collection {collection} is not unlocked: {locked:?}"
        );
        let probe: String = (0..1500)
            .map(|i| char::from(b'a' + (i % 26) as u8))
            .collect();
        let attrs = ["service", "idm-auth-test-harness", "account", "probe"];
        let mut store = self.secret_tool(&["store", "--label=idm-auth test probe"]);
        let mut child = store.args(attrs).stdin(Stdio::piped()).spawn().unwrap();
        child
            .stdin
            .take()
            .unwrap()
            .write_all(probe.as_bytes())
            .unwrap();
        let stored = child.wait_with_output().unwrap();
        assert!(
            stored.status.success(),
            "secret-tool store into the private keyring failed: {}\n{}",
            String::from_utf8_lossy(&stored.stderr),
            self.daemon_log()
        );
        let found = self.secret_tool(&["lookup"]).args(attrs).output().unwrap();
        assert_eq!(
            String::from_utf8_lossy(&found.stdout),
            probe,
            "the private keyring gave back another secret"
        );
        let cleared = self.secret_tool(&["clear"]).args(attrs).status().unwrap();
        assert!(cleared.success(), "secret-tool clear failed");
        let gone = self.secret_tool(&["lookup"]).args(attrs).output().unwrap();
        assert!(gone.stdout.is_empty(), "secret-tool clear left the probe");
    }

    fn stop_daemon(&mut self) {
        if let Some(mut daemon) = self.daemon.take() {
            signal(&daemon, libc::SIGCONT);
            let _ = daemon.kill();
            let _ = daemon.wait();
        }
        let deadline = Instant::now() + Duration::from_secs(10);
        while self.service_owned() {
            assert!(Instant::now() < deadline, "the old daemon kept its name");
            std::thread::sleep(Duration::from_millis(20));
        }
    }

    /// Start the daemon again without unlocking: the `login` collection, written to disk
    /// while it was unlocked, is there but locked, and no prompt can unlock it.
    pub fn restart_locked(&mut self) {
        self.stop_daemon();
        assert!(
            self.path("data/keyrings/login.keyring").exists(),
            "the login keyring was saved"
        );
        self.start_daemon(false);
    }

    /// Stop the daemon (SIGSTOP): it still owns its bus name, so every call hangs.
    pub fn freeze(&self) {
        signal(self.daemon.as_ref().expect("a daemon"), libc::SIGSTOP);
    }

    pub fn thaw(&self) {
        signal(self.daemon.as_ref().expect("a daemon"), libc::SIGCONT);
    }

    /// Point `cmd` at this keyring.
    pub fn apply<'a>(&self, cmd: &'a mut Command) -> &'a mut Command {
        cmd.env("DBUS_SESSION_BUS_ADDRESS", &self.address)
    }

    /// `secret-tool ARGS` on this keyring's bus (with a time-out: a prompt must not hang).
    pub fn secret_tool(&self, args: &[&str]) -> Command {
        secret_tool_on(&self.address, args)
    }

    /// One secret, as another program on this desktop would read it.
    pub fn lookup(&self, id: &str, kind: &str) -> Option<String> {
        lookup_on(&self.address, id, kind)
    }

    /// The `<id>/<kind>` names of every idm-auth secret in this keyring.
    pub fn entries(&self) -> Vec<String> {
        let out = self
            .secret_tool(&["search", "--all", "service", "idm-auth"])
            .output()
            .expect("secret-tool");
        // secret-tool prints the attributes on stderr, and exits 0 when nothing matches.
        let text = String::from_utf8_lossy(&out.stdout).into_owned()
            + &String::from_utf8_lossy(&out.stderr);
        assert!(out.status.success(), "secret-tool search failed: {text}");
        let mut names: Vec<String> = text
            .lines()
            .filter_map(|l| l.strip_prefix("attribute.username = "))
            .map(str::to_string)
            .collect();
        names.sort();
        names
    }

    pub fn dir(&self) -> &Path {
        self.dir.path()
    }
}

/// `secret-tool ARGS` on the bus at `address`, under a time-out.
pub fn secret_tool_on(address: &str, args: &[&str]) -> Command {
    let mut cmd = Command::new("timeout");
    cmd.args(["20", "secret-tool"])
        .args(args)
        .env("DBUS_SESSION_BUS_ADDRESS", address)
        .stdin(Stdio::null());
    cmd
}

/// idm-auth's secret `<id>/<kind>` on the bus at `address`, read as another program would:
/// `None` only when the Secret Service answered that there is no such item. A lookup that
/// could not be made (the 20 s time-out, a missing secret-tool, a bus error) panics, so a
/// check that a secret is gone never passes because nobody could look.
pub fn lookup_on(address: &str, id: &str, kind: &str) -> Option<String> {
    let out = secret_tool_on(address, &["lookup", "service", "idm-auth", "username"])
        .arg(format!("{id}/{kind}"))
        .output()
        .expect("timeout(1) runs secret-tool");
    let stderr = String::from_utf8_lossy(&out.stderr);
    match out.status.code() {
        Some(0) => Some(String::from_utf8_lossy(&out.stdout).into_owned()),
        // secret-tool says nothing and exits 1 when nothing matches; every error it reports
        // (no bus, no Secret Service, a locked collection) also exits 1, with a message.
        Some(1) if stderr.trim().is_empty() && out.stdout.is_empty() => None,
        code => panic!(
            "could not look up {id}/{kind} in the Secret Service (exit {code:?}; 124 is the \
             time-out, 127 a missing secret-tool from libsecret-tools): {stderr}"
        ),
    }
}

fn signal(child: &Child, signal: libc::c_int) {
    // SAFETY: kill(2) on a child we own and have not reaped yet.
    unsafe { libc::kill(child.id() as libc::pid_t, signal) };
}

impl Drop for PrivateKeyring {
    fn drop(&mut self) {
        if let Some(mut daemon) = self.daemon.take() {
            signal(&daemon, libc::SIGCONT);
            let _ = daemon.kill();
            let _ = daemon.wait();
        }
        let _ = self.bus.kill();
        let _ = self.bus.wait();
    }
}
