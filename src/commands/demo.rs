//! `idm-auth demo`: the whole opt-in against the built-in UPS simulator, in a private data
//! directory, then the grid. It opens the real browser where one can open; where none can
//! (a headless machine), it turns on the simulator's auto-approve and follows the sign-in
//! redirects itself, as a browser would, and says so. The demo app is a confidential client
//! (a random secret), as UPS's document expects for refreshes. Its tokens are cleared from
//! the keyring at the end, so the demo leaves nothing behind. Before that, it tracks one of
//! UPS's test numbers through `idm-auth api`'s code and shows the status it got.

use crate::api;
use crate::cli::DemoArgs;
use crate::context::Ctx;
use crate::error::{Error, Result};
use crate::opt_in::OptIn;
use crate::public_client;
use crate::render;
use crate::say;
use crate::settings::{
    default_redirect_uri, AuthorizeSettings, DEFAULT_CALLBACK_PATH, DEFAULT_TIMEOUT_SECS,
};
use crate::signin::browser::Launch;
use crate::signin::{sign_in, Opener};
use crate::simulator::{Config, Simulator};
use crate::store::{ExposeSecret, Index, LocalStore, Store, Token};
use oauth2::ClientSecret;
use std::path::PathBuf;
use std::time::Duration;

const DEMO_CLIENT_ID: &str = "idm-auth-demo";

pub fn run(ctx: &Ctx, args: &DemoArgs) -> Result<()> {
    let secret = random_hex()?;
    let sim = Simulator::start(Config {
        client_id: DEMO_CLIENT_ID.into(),
        client_secret: Some(secret.clone()),
        ..Config::default()
    })
    .map_err(|e| Error::Other(format!("cannot start the UPS simulator: {e}")))?;
    say!(
        ctx,
        "Demo: a UPS OAuth simulator runs at {} (no UPS account needed).",
        sim.base_url()
    );
    let dir = private_dir(ctx)?;
    let store =
        LocalStore::new(Index::at(dir.clone()), ctx.keyring_timeout()).with_clock(ctx.clock());
    let result = run_in(ctx, args, &sim, &store, ClientSecret::new(secret));
    let _ = std::fs::remove_dir_all(&dir);
    sim.shutdown();
    result
}

fn run_in(
    ctx: &Ctx,
    args: &DemoArgs,
    sim: &Simulator,
    store: &dyn Store,
    secret: ClientSecret,
) -> Result<()> {
    let port = free_port()?;
    let settings = AuthorizeSettings {
        profile: None,
        label: "demo user".into(),
        environment: "simulator".into(),
        base_url: sim.base_url(),
        client_id: DEMO_CLIENT_ID.into(),
        client_secret_from: None,
        redirect_uri: default_redirect_uri(port),
        port,
        callback_path: DEFAULT_CALLBACK_PATH.into(),
        timeout: Duration::from_secs(DEFAULT_TIMEOUT_SECS),
        open_browser: !args.no_browser,
    };
    let try_browser = !args.no_browser;
    let auto_approve = sim.auto_approve_switch();
    let opener = Opener::Custom(Box::new(move |ctx: &Ctx, url: String| {
        if try_browser {
            match ctx.open_browser(&url) {
                Launch::Started(what, page) => {
                    say!(
                        ctx,
                        "Opened {what}: press Approve on the simulated UPS page."
                    );
                    return Some(page);
                }
                Launch::Failed(why) => say!(ctx, "No browser can open here: {why}."),
            }
        }
        say!(
            ctx,
            "Approving the simulated consent automatically (the simulator's auto-approve), as a person would in the browser."
        );
        auto_approve(true);
        let talk = ctx.talk();
        std::thread::spawn(move || {
            if let Err(e) = follow_sign_in(&url) {
                talk.say(format_args!("The automatic approval failed: {e}"));
            }
        });
        None
    }));
    let row = sign_in(ctx, store, &settings, Some(secret), opener)?;
    let outcome = (|| {
        ctx.print(&render::grid(
            &store.rows()?,
            public_client::view(ctx),
            ctx.stdout_color(),
        ))?;
        let access = store.access_token(&row)?;
        say!(
            ctx,
            "`idm-auth token` would now print a {}-character access token for scripts.",
            access.expose_secret().len()
        );
        track_once(ctx, store, &row)
    })();
    store.remove(&row)?;
    say!(
        ctx,
        "Demo finished: its opt-in was cleared from the keyring again."
    );
    outcome
}

/// One of UPS's test tracking numbers, which the simulator knows as delivered.
const DEMO_TRACKING_PATH: &str = "/track/v1/details/1Z12345E0205271688";

/// The demo's last step: one tracking call through `idm-auth api`'s own code, with the
/// new opt-in's token, and the status UPS (here: the simulator) gave.
fn track_once(ctx: &Ctx, store: &dyn Store, row: &OptIn) -> Result<()> {
    let request = api::Request::get(DEMO_TRACKING_PATH);
    let tokens = DemoTokens { ctx, store, row };
    let answer = api::call(ctx, &request, &tokens)?;
    let status = answer.response.status();
    let body = api::answer::json(ctx, answer, &request.output)?;
    let package = &body["trackResponse"]["shipment"][0]["package"][0];
    say!(
        ctx,
        "`idm-auth api {DEMO_TRACKING_PATH}` answered {status}: package {} is {}.",
        package["trackingNumber"].as_str().unwrap_or("?"),
        package["currentStatus"]["description"]
            .as_str()
            .unwrap_or("(no status)")
    );
    Ok(())
}

/// The demo's own opt-in, from its own store.
struct DemoTokens<'a> {
    ctx: &'a Ctx,
    store: &'a dyn Store,
    row: &'a OptIn,
}

impl api::Tokens for DemoTokens<'_> {
    fn token(&self) -> Result<Token> {
        Ok(Token {
            row: self.row.clone(),
            token: self.store.access_token(self.row)?,
            note: None,
        })
    }

    fn refreshed(&self, refused: &Token) -> Result<Token> {
        crate::commands::refreshed_token_in(self.ctx, self.store, refused)
    }
}

/// A loopback port that is free right now, for the demo's callback.
fn free_port() -> Result<u16> {
    std::net::TcpListener::bind(("127.0.0.1", 0))
        .and_then(|l| l.local_addr())
        .map(|a| a.port())
        .map_err(|e| Error::Other(format!("cannot find a free loopback port: {e}")))
}

/// What a browser does with the sign-in address when the simulator approves by itself:
/// follow its redirects to the loopback listener's landing page.
fn follow_sign_in(url: &str) -> std::result::Result<(), String> {
    let client = oauth2::reqwest::blocking::Client::builder()
        .timeout(Duration::from_secs(20))
        .no_proxy()
        .build()
        .map_err(|e| e.to_string())?;
    let landing = client.get(url).send().map_err(|e| e.to_string())?;
    if landing.status().is_success() {
        Ok(())
    } else {
        Err(format!("the landing page answered {}", landing.status()))
    }
}

/// Random bytes in hex: the demo app's client secret, the demo directory's name.
fn random_hex() -> Result<String> {
    let mut bytes = [0u8; 16];
    getrandom::getrandom(&mut bytes).map_err(|e| Error::Other(e.to_string()))?;
    Ok(bytes.iter().map(|b| format!("{b:02x}")).collect())
}

/// A fresh 0700 directory for the demo's index, so the admin's real opt-ins are untouched.
fn private_dir(ctx: &Ctx) -> Result<PathBuf> {
    let name = random_hex()?;
    let tmp = ctx
        .var("TMPDIR")
        .map(PathBuf::from)
        .unwrap_or_else(std::env::temp_dir);
    let dir = tmp.join(format!("idm-auth-demo-{name}"));
    // Only Unix has a mode to set; elsewhere the user profile's ACL keeps it private.
    #[cfg_attr(not(unix), allow(unused_mut))]
    let mut builder = std::fs::DirBuilder::new();
    #[cfg(unix)]
    std::os::unix::fs::DirBuilderExt::mode(&mut builder, 0o700);
    builder
        .create(&dir)
        .map_err(|e| Error::index(&dir, format!("cannot create the demo directory: {e}")))?;
    Ok(dir)
}
