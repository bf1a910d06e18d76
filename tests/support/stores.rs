//! A machine with a chosen store: a sandbox (its own HOME and XDG dirs) plus the environment
//! that selects and reaches the store (`IDM_AUTH_STORE`, a key file for the file store,
//! `VAULT_ADDR`/`VAULT_TOKEN` for the Vault store). Two machines of one fleet are two of
//! these sharing one `bao server -dev`.

use super::bao::Bao;
use super::{free_port, Exec, ExitCode, Run, Sandbox, Sim, CLIENT_SECRET_FOR_REFRESH};
use std::os::unix::fs::PermissionsExt;
use std::path::PathBuf;
use std::process::{Command, Stdio};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum StoreKind {
    Keyring,
    File,
    Vault,
}

impl StoreKind {
    pub fn name(self) -> &'static str {
        match self {
            StoreKind::Keyring => "keyring",
            StoreKind::File => "file",
            StoreKind::Vault => "vault",
        }
    }
}

pub struct Machine {
    pub sandbox: Sandbox,
    pub kind: StoreKind,
    pub env: Vec<(String, String)>,
}

impl Machine {
    /// A machine using `kind`; for the Vault store, `bao` is the fleet's server.
    pub fn new(kind: StoreKind, bao: Option<&Bao>) -> Machine {
        let sandbox = Sandbox::new();
        let mut env = vec![("IDM_AUTH_STORE".to_string(), kind.name().to_string())];
        match kind {
            StoreKind::Keyring => {}
            StoreKind::File => {
                let key = write_key(&sandbox.path("home/idm-auth.key"), &[0x5a; 32], 0o600);
                env.push(("IDM_AUTH_KEY_FILE".into(), key.display().to_string()));
            }
            StoreKind::Vault => {
                let bao = bao.expect("the Vault store needs a bao server");
                env.push(("VAULT_ADDR".into(), bao.addr()));
                env.push(("VAULT_TOKEN".into(), bao.root_token.clone()));
            }
        }
        Machine { sandbox, kind, env }
    }

    /// `idm-auth ARGS` on this machine.
    pub fn cmd(&self, args: &[&str]) -> Command {
        self.on_this_machine(self.sandbox.cmd(args))
    }

    /// `cmd` (an idm-auth command of this machine's sandbox) with the store's environment.
    fn on_this_machine(&self, mut cmd: Command) -> Command {
        for (k, v) in &self.env {
            cmd.env(k, v);
        }
        cmd
    }

    pub fn run(&self, args: &[&str]) -> Run {
        self.cmd(args).exec()
    }

    /// Replace one variable of this machine's environment.
    pub fn set_env(&mut self, key: &str, value: &str) {
        self.env.retain(|(k, _)| k != key);
        self.env.push((key.into(), value.into()));
    }

    pub fn remove_env(&mut self, key: &str) {
        self.env.retain(|(k, _)| k != key);
    }

    /// `authorize` against `base_url` through the scripted browser, which approves.
    pub fn authorize(&self, base_url: &str) -> Command {
        let port = free_port();
        let mut cmd = self.on_this_machine(self.sandbox.authorize_at(base_url, port, 30));
        cmd.env(
            "BROWSER",
            self.sandbox
                .browser("approve", &format!("browser-{port}.json")),
        );
        cmd
    }

    /// Opt in once, with the client secret of a [`Sim::confidential`] app (so the opt-in
    /// can refresh); returns the new id.
    pub fn opt_in(&self, sim: &Sim) -> String {
        self.opt_in_at(&sim.base_url)
    }

    pub fn opt_in_at(&self, base_url: &str) -> String {
        let run = self
            .authorize(base_url)
            .env("IDM_AUTH_CLIENT_SECRET", CLIENT_SECRET_FOR_REFRESH)
            .exec();
        assert_eq!(run.code, ExitCode::Success, "authorize failed: {run:?}");
        let id = run.stdout.trim().to_string();
        assert_eq!(id.len(), 8, "authorize prints the new id: {run:?}");
        id
    }

    /// `list --json`, parsed.
    pub fn list_json(&self) -> Vec<serde_json::Value> {
        let run = self.run(&["list", "--json"]);
        assert_eq!(run.code, ExitCode::Success, "list --json failed: {run:?}");
        serde_json::from_str(&run.stdout).expect("list --json is a JSON array")
    }

    /// `token ID` started in the background, output captured.
    pub fn spawn_token(&self, id: &str) -> std::process::Child {
        self.cmd(&["token", id])
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap()
    }
}

/// Write key material with `mode`; returns its path.
pub fn write_key(path: &std::path::Path, bytes: &[u8], mode: u32) -> PathBuf {
    std::fs::write(path, bytes).unwrap();
    std::fs::set_permissions(path, std::fs::Permissions::from_mode(mode)).unwrap();
    path.to_path_buf()
}

/// A "reboot" as far as idm-auth can tell: the kernel keyring's keys of opt-in `id` (the
/// access-token cache, and secrets of the kernel-keyring store) are gone. Only this
/// opt-in's keys: other tests share the user keyring.
pub fn forget_kernel_keys(id: &str) {
    for description in [
        format!("idm-auth-cache:{id}/access-token"),
        format!("idm-auth:{id}/access-token"),
        format!("idm-auth:{id}/refresh-token"),
        format!("idm-auth:{id}/client-secret"),
    ] {
        let found = Command::new("keyctl")
            .args(["search", "@u", "user", &description])
            .output()
            .expect("keyctl is installed by scripts/test (keyutils)");
        if found.status.success() {
            let key = String::from_utf8_lossy(&found.stdout).trim().to_string();
            let unlinked = Command::new("keyctl")
                .args(["unlink", &key, "@u"])
                .output()
                .unwrap();
            assert!(unlinked.status.success(), "keyctl unlink {description}");
        }
    }
}

/// Whether the kernel keyring holds the cache entry of opt-in `id`.
pub fn cached(id: &str) -> bool {
    Command::new("keyctl")
        .args([
            "search",
            "@u",
            "user",
            &format!("idm-auth-cache:{id}/access-token"),
        ])
        .output()
        .expect("keyctl is installed by scripts/test (keyutils)")
        .status
        .success()
}

/// Wait for every child; their runs in order.
pub fn finish_all(children: Vec<std::process::Child>) -> Vec<Run> {
    children
        .into_iter()
        .map(|c| Run::from(c.wait_with_output().unwrap()))
        .collect()
}
