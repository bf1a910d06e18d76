//! `idm-auth demo`: the whole opt-in against the built-in UPS simulator, in a private data
//! directory, then the grid. It opens the real browser where one can open; where none can
//! (a headless machine), it turns on the simulator's auto-approve and follows the sign-in
//! redirects itself, as a browser would, and says so. The demo app is a confidential client
//! (a random secret), as UPS's document expects for refreshes. Its tokens are cleared from
//! the keyring at the end, so the demo leaves nothing behind.

use crate::browser::{self, Launch};
use crate::cli::DemoArgs;
use crate::commands::authorize::{authorize, Opener};
use crate::commands::token;
use crate::error::{Error, Result};
use crate::output::{print, stdout_color};
use crate::render;
use crate::say;
use crate::settings::{default_redirect_uri, AuthorizeSettings, DEFAULT_CALLBACK_PATH};
use crate::simulator::{Config, Simulator};
use crate::store::{self, Index};
use chrono::Utc;
use oauth2::ClientSecret;
use std::path::PathBuf;
use std::time::Duration;

const DEMO_CLIENT_ID: &str = "idm-auth-demo";

pub fn run(args: &DemoArgs) -> Result<()> {
    let secret = random_hex()?;
    let sim = Simulator::start(Config {
        client_id: DEMO_CLIENT_ID.into(),
        client_secret: Some(secret.clone()),
        ..Config::default()
    })
    .map_err(|e| Error::Other(format!("cannot start the UPS simulator: {e}")))?;
    say!(
        "Demo: a UPS OAuth simulator runs at {} (no UPS account needed).",
        sim.base_url()
    );
    let dir = private_dir()?;
    let index = Index::at(dir.clone());
    let result = run_in(args, &sim, &index, secret);
    let _ = std::fs::remove_dir_all(&dir);
    sim.shutdown();
    result
}

fn run_in(args: &DemoArgs, sim: &Simulator, index: &Index, secret: String) -> Result<()> {
    let port = free_port()?;
    let settings = AuthorizeSettings {
        profile: None,
        label: "demo user".into(),
        environment: "simulator".into(),
        base_url: sim.base_url(),
        client_id: DEMO_CLIENT_ID.into(),
        client_secret: Some(ClientSecret::new(secret)),
        redirect_uri: default_redirect_uri(port),
        port,
        callback_path: DEFAULT_CALLBACK_PATH.into(),
        timeout: Duration::from_secs(300),
        open_browser: !args.no_browser,
    };
    let try_browser = !args.no_browser;
    let auto_approve = sim.auto_approve_switch();
    let opener = Opener::Custom(Box::new(move |url: String| {
        if try_browser {
            match browser::open(&url) {
                Launch::Started(what) => {
                    say!("Opened {what}: press Approve on the simulated UPS page.");
                    return;
                }
                Launch::Failed(why) => say!("No browser can open here: {why}."),
            }
        }
        say!("Approving the simulated consent automatically (the simulator's auto-approve), as a person would in the browser.");
        auto_approve(true);
        std::thread::spawn(move || {
            if let Err(e) = follow_sign_in(&url) {
                say!("The automatic approval failed: {e}");
            }
        });
    }));
    let row = authorize(&settings, index, opener)?;
    let outcome = (|| {
        print(&render::grid(&index.load()?, Utc::now(), stdout_color()))?;
        let (_, access) = token::fetch(index, Some(&row.id), None)?;
        say!(
            "`idm-auth token` would now print a {}-character access token for scripts.",
            access.len()
        );
        Ok(())
    })();
    store::remove(index, &row)?;
    say!("Demo finished: its opt-in was cleared from the keyring again.");
    outcome
}

/// What a browser does with the sign-in address when the simulator approves by itself:
/// follow its redirects to the loopback listener's landing page.
fn follow_sign_in(url: &str) -> std::result::Result<(), String> {
    let client = oauth2::reqwest::blocking::Client::builder()
        .timeout(Duration::from_secs(20))
        .build()
        .map_err(|e| e.to_string())?;
    let landing = client.get(url).send().map_err(|e| e.to_string())?;
    if landing.status().is_success() {
        Ok(())
    } else {
        Err(format!("the landing page answered {}", landing.status()))
    }
}

/// A random client secret for the demo app, in hex.
fn random_hex() -> Result<String> {
    let mut bytes = [0u8; 16];
    getrandom::getrandom(&mut bytes).map_err(|e| Error::Other(e.to_string()))?;
    Ok(bytes.iter().map(|b| format!("{b:02x}")).collect())
}

/// A loopback port that is free right now, for the demo's callback.
fn free_port() -> Result<u16> {
    std::net::TcpListener::bind(("127.0.0.1", 0))
        .and_then(|l| l.local_addr())
        .map(|a| a.port())
        .map_err(|e| Error::Other(format!("cannot find a free loopback port: {e}")))
}

/// A fresh 0700 directory for the demo's index, so the admin's real opt-ins are untouched.
fn private_dir() -> Result<PathBuf> {
    let dir = std::env::temp_dir().join(format!("idm-auth-demo-{}", random_hex()?));
    let mut builder = std::fs::DirBuilder::new();
    #[cfg(unix)]
    std::os::unix::fs::DirBuilderExt::mode(&mut builder, 0o700);
    builder
        .create(&dir)
        .map_err(|e| Error::index(&dir, format!("cannot create the demo directory: {e}")))?;
    Ok(dir)
}
