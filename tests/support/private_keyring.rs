//! A Secret Service of the test's own: a private D-Bus session bus with its own
//! gnome-keyring-daemon, set up the way scripts/test sets up the suite's. Tests that lock,
//! freeze or enumerate the keyring use one of these, so the keyring the other tests share
//! is never disturbed and every entry found belongs to this test.

use std::io::Write;
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

pub struct PrivateKeyring {
    dir: tempfile::TempDir,
    bus: Child,
    daemon: Option<Child>,
    /// The bus address, for `DBUS_SESSION_BUS_ADDRESS`.
    pub address: String,
}

const PASSWORD: &str = "private-keyring-test-password";

impl PrivateKeyring {
    /// A bus with an unlocked `login` collection as the default one.
    pub fn start() -> PrivateKeyring {
        let mut keyring = PrivateKeyring::bus_only();
        keyring.start_daemon(true);
        keyring
    }

    /// A bus on which no Secret Service runs.
    pub fn bus_only() -> PrivateKeyring {
        let dir = tempfile::tempdir().expect("temp dir");
        for sub in ["home", "data/keyrings", "runtime"] {
            std::fs::create_dir_all(dir.path().join(sub)).unwrap();
        }
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
        let bus = Command::new("dbus-daemon")
            .arg(format!("--config-file={}", config.display()))
            .args(["--nofork", "--nopidfile"])
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("dbus-daemon (installed by scripts/test)");
        let deadline = Instant::now() + Duration::from_secs(10);
        while !socket.exists() {
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
        let mut cmd = Command::new("gnome-keyring-daemon");
        cmd.args(["--foreground", "--components=secrets"])
            .arg(format!(
                "--control-directory={}",
                self.path("runtime/keyring").display()
            ))
            .env("DBUS_SESSION_BUS_ADDRESS", &self.address)
            .env("HOME", self.path("home"))
            .env("XDG_DATA_HOME", self.path("data"))
            .env("XDG_RUNTIME_DIR", self.path("runtime"))
            .env_remove("DISPLAY")
            .env_remove("WAYLAND_DISPLAY")
            .stdout(Stdio::null())
            .stderr(Stdio::null());
        if unlock {
            cmd.arg("--unlock").stdin(Stdio::piped());
        } else {
            cmd.stdin(Stdio::null());
        }
        let mut daemon = cmd.spawn().expect("gnome-keyring-daemon");
        if let Some(mut stdin) = daemon.stdin.take() {
            stdin.write_all(PASSWORD.as_bytes()).unwrap();
        }
        self.daemon = Some(daemon);
        let deadline = Instant::now() + Duration::from_secs(10);
        while !self.service_owned() {
            assert!(
                Instant::now() < deadline,
                "gnome-keyring-daemon did not take org.freedesktop.secrets"
            );
            std::thread::sleep(Duration::from_millis(50));
        }
    }

    fn service_owned(&self) -> bool {
        let out = Command::new("dbus-send")
            .env("DBUS_SESSION_BUS_ADDRESS", &self.address)
            .args([
                "--session",
                "--print-reply",
                "--dest=org.freedesktop.DBus",
                "/org/freedesktop/DBus",
                "org.freedesktop.DBus.NameHasOwner",
                "string:org.freedesktop.secrets",
            ])
            .output()
            .expect("dbus-send");
        String::from_utf8_lossy(&out.stdout).contains("boolean true")
    }

    fn stop_daemon(&mut self) {
        if let Some(mut daemon) = self.daemon.take() {
            signal(&daemon, "CONT");
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
        signal(self.daemon.as_ref().expect("a daemon"), "STOP");
    }

    pub fn thaw(&self) {
        signal(self.daemon.as_ref().expect("a daemon"), "CONT");
    }

    /// Point `cmd` at this keyring.
    pub fn apply<'a>(&self, cmd: &'a mut Command) -> &'a mut Command {
        cmd.env("DBUS_SESSION_BUS_ADDRESS", &self.address)
    }

    /// One secret, as another program on this desktop would read it.
    pub fn lookup(&self, id: &str, kind: &str) -> Option<String> {
        super::secret_tool_lookup_on(Some(&self.address), id, kind)
    }

    /// The `<id>/<kind>` names of every idm-auth secret in this keyring.
    pub fn entries(&self) -> Vec<String> {
        let out = Command::new("timeout")
            .args([
                "20",
                "secret-tool",
                "search",
                "--all",
                "service",
                "idm-auth",
            ])
            .env("DBUS_SESSION_BUS_ADDRESS", &self.address)
            .stdin(Stdio::null())
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
}

fn signal(child: &Child, name: &str) {
    let _ = Command::new("kill")
        .arg(format!("-{name}"))
        .arg(child.id().to_string())
        .status();
}

impl Drop for PrivateKeyring {
    fn drop(&mut self) {
        if let Some(mut daemon) = self.daemon.take() {
            signal(&daemon, "CONT");
            let _ = daemon.kill();
            let _ = daemon.wait();
        }
        let _ = self.bus.kill();
        let _ = self.bus.wait();
    }
}
