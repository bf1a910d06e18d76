//! A world of the test's own: a sandbox, the simulator (reached directly, or through a link
//! that can misbehave) and a keyring of its own, so every idm-auth entry in that keyring
//! belongs to the test, and locking or freezing it disturbs no other test.

use super::private_keyring::PrivateKeyring;
use super::ups_link::UpsLink;
use super::{free_port, Exec, ExitCode, Run, Sandbox, Sim};
use std::process::Command;

pub struct World {
    pub sandbox: Sandbox,
    pub sim: Sim,
    pub keyring: PrivateKeyring,
    link: Option<UpsLink>,
}

/// Seconds one request to UPS may take in a world behind a link: the link can stay silent.
const LINKED_HTTP_TIMEOUT: &str = "2";

impl World {
    /// The simulator started with `sim_args`.
    pub fn new(sim_args: &[&str]) -> World {
        World::with(Sim::start(sim_args))
    }

    /// An app with a client secret, given to every authorize: its opt-ins refresh with HTTP
    /// Basic, as UPS documents /refresh.
    pub fn refreshable(sim_args: &[&str]) -> World {
        World::with(Sim::confidential(sim_args))
    }

    fn with(sim: Sim) -> World {
        World {
            sandbox: Sandbox::new(),
            sim,
            keyring: PrivateKeyring::start(),
            link: None,
        }
    }

    /// The same world with a link in front of the simulator: opt-ins made from now on reach
    /// UPS through it, so the test can count and break what passes.
    pub fn behind_link(mut self) -> World {
        self.link = Some(UpsLink::start(self.sim.port()));
        self
    }

    /// The link of a world made [`behind_link`](World::behind_link).
    pub fn link(&self) -> &UpsLink {
        self.link.as_ref().expect("a world behind a link")
    }

    /// `idm-auth ARGS` in this world.
    pub fn cmd(&self, args: &[&str]) -> Command {
        let mut cmd = self.sandbox.cmd(args);
        self.keyring.apply(&mut cmd);
        if self.link.is_some() {
            cmd.env("IDM_AUTH_HTTP_TIMEOUT", LINKED_HTTP_TIMEOUT);
        }
        cmd
    }

    /// An authorize approved by the scripted browser.
    pub fn authorize(&self) -> Command {
        let port = free_port();
        self.authorize_on(port, &format!("b-{port}.json"))
    }

    /// An authorize approved by the scripted browser, whose log (written only if the browser
    /// was started) is `log` in the sandbox.
    pub fn authorize_logging(&self, log: &str) -> Command {
        self.authorize_on(free_port(), log)
    }

    fn authorize_on(&self, port: u16, log: &str) -> Command {
        let base_url = match &self.link {
            Some(link) => link.base_url(),
            None => self.sim.base_url.clone(),
        };
        let mut cmd = self.sandbox.authorize_at(&base_url, port, 30);
        self.keyring
            .apply(&mut cmd)
            .env("BROWSER", self.sandbox.browser("approve", log));
        if self.link.is_some() {
            cmd.env("IDM_AUTH_HTTP_TIMEOUT", LINKED_HTTP_TIMEOUT);
        }
        if let Some(secret) = &self.sim.secret {
            cmd.env("IDM_AUTH_CLIENT_SECRET", secret);
        }
        cmd
    }

    /// Opt in; returns the new opt-in's id.
    pub fn opt_in(&self) -> String {
        let run = self.authorize().exec();
        assert_eq!(run.code, ExitCode::Success, "{run:?}");
        run.stdout.trim().to_string()
    }

    /// `idm-auth token ID`.
    pub fn token(&self, id: &str) -> Run {
        self.cmd(&["token", id]).exec()
    }

    /// Opt-in `id`'s row in `list --json`.
    pub fn row(&self, id: &str) -> serde_json::Value {
        self.sandbox
            .list_json()
            .into_iter()
            .find(|r| r["id"] == id)
            .unwrap_or_else(|| panic!("no row {id}"))
    }
}
