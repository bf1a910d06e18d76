//! One sign-in, as its steps: bind → prepare → open → wait → exchange → persist. Everything
//! that can fail without the user is checked before the user signs in (the port, the index,
//! a write to the keyring), so a consent is not wasted on a broken machine.
//!
//! The parts: [`client_check`] (UPS's validate-client, before any browser opens),
//! [`browser`] (handing the consent page to a browser), [`callback`] (the loopback listener
//! and its checks of the redirect), [`loopback_http`] (the bounded HTTP reading under it).

pub mod browser;
pub mod callback;
pub mod client_check;
pub mod loopback_http;

use crate::context::Ctx;
use crate::error::Result;
use crate::opt_in::{Draft, OptIn};
use crate::say;
use crate::settings::AuthorizeSettings;
use crate::signin::browser::{HandOff, Launch};
use crate::signin::callback::{CallbackListener, Landing};
use crate::store::{NewSecrets, SecretString, Store};
use crate::tty::{self, Spinner};
use crate::ups::oauth::{self, Attempt, ClientConfig, Grant, UpsFailure};
use oauth2::{AuthorizationCode, ClientSecret};
use std::time::Instant;

/// How the consent page gets opened.
pub enum Opener {
    /// The context's browser; a pasted address is taken as well (a launch reported as
    /// started can still come to nothing: no display behind it, no handler for the page).
    Browser,
    /// Print the URL and take the pasted address (`--no-browser`, SSH sessions).
    Paste,
    /// Something of the caller's (the demo's): called with the URL before the wait starts;
    /// it must return at once (long work goes on its own thread), with the page it handed
    /// to a browser, if any, which is kept until the sign-in ends.
    Custom(Box<OpenWith>),
}

/// Opens the consent page at the URL, on the context; must return at once.
pub type OpenWith = dyn FnOnce(&Ctx, String) -> Option<HandOff> + Send;

/// Sign the user in and keep the new opt-in in `store`; returns its row.
pub fn sign_in(
    ctx: &Ctx,
    store: &dyn Store,
    settings: &AuthorizeSettings,
    client_secret: Option<ClientSecret>,
    opener: Opener,
) -> Result<OptIn> {
    let listener = bind(settings)?;
    let config = ClientConfig {
        base_url: settings.base_url.clone(),
        client_id: settings.client_id.clone(),
        client_secret,
        redirect_uri: settings.redirect_uri.clone(),
    };
    let attempt = prepare(ctx, store, &config)?;
    crate::signin::client_check::before_signin(ctx, &config)?;
    // The page handed to the browser lives until the sign-in ends.
    let (opened, _page) = open(ctx, &attempt, settings, opener);
    let (code, landing) = wait(ctx, listener, &attempt, settings, opened)?;
    let outcome = exchange(ctx, &config, code, attempt)
        .and_then(|grant| persist(ctx, store, settings, config.client_secret.as_ref(), grant));
    // The browser's page tells what the terminal tells, only now that it is known.
    if let Some(landing) = landing {
        match &outcome {
            Ok(_) => landing.succeeded(),
            Err(e) => landing.failed(e),
        }
    }
    outcome
}

/// A busy port fails now, before any browser opens.
fn bind(settings: &AuthorizeSettings) -> Result<CallbackListener> {
    CallbackListener::bind(
        &settings.redirect_uri,
        settings.port,
        &settings.callback_path,
    )
}

/// Finish what interrupted runs left, make sure the store takes a write, and draw a fresh
/// state and PKCE pair.
fn prepare(ctx: &Ctx, store: &dyn Store, config: &ClientConfig) -> Result<Attempt> {
    for note in store.prepare_create()? {
        say!(ctx, "note: {note}");
    }
    oauth::start(config).map_err(|f| f.into_error(&config.base_url))
}

/// How the wait goes on once the address is out.
struct Opened {
    /// Read an address pasted on stdin.
    paste: bool,
    /// A browser took the address: the spinner may run (nobody is asked to type).
    launched: bool,
}

/// Hand the address to the browser (or to the admin); returns how to wait, and the page the
/// browser was given.
fn open(
    ctx: &Ctx,
    attempt: &Attempt,
    settings: &AuthorizeSettings,
    opener: Opener,
) -> (Opened, Option<HandOff>) {
    // The address is the one thing the admin cannot do without, so it is printed even with
    // --quiet whenever no browser takes it.
    let show_url = |always: bool| {
        if always || !ctx.quiet() {
            ctx.write_err(&format!(
                "To opt the UPS.com user in, open this address, sign in and agree:\n\n  {}\n\n",
                attempt.url
            ));
        }
    };
    let (opened, page) = match opener {
        Opener::Browser => match ctx.open_browser(&attempt.url) {
            Launch::Started(what, page) => {
                show_url(false);
                say!(
                    ctx,
                    "Opened {what} (if it cannot open the page it was given, open the address above by hand)."
                );
                let opened = Opened {
                    paste: true,
                    launched: true,
                };
                (opened, Some(page))
            }
            Launch::Failed(why) => {
                show_url(true);
                say!(
                    ctx,
                    "Could not open a browser: {why}. Open the address above by hand."
                );
                let opened = Opened {
                    paste: true,
                    launched: false,
                };
                (opened, None)
            }
        },
        Opener::Paste => {
            show_url(true);
            let opened = Opened {
                paste: true,
                launched: false,
            };
            (opened, None)
        }
        Opener::Custom(open) => {
            show_url(false);
            let page = open(ctx, attempt.url.clone());
            let opened = Opened {
                paste: false,
                launched: true,
            };
            (opened, page)
        }
    };
    if opened.paste && !opened.launched {
        say!(
            ctx,
            "When the browser ends on an address that fails to load (it starts with {}), paste that address here and press Enter.",
            settings.redirect_uri
        );
    }
    (opened, page)
}

/// The redirect with this attempt's state, or the pasted address, whichever comes first.
fn wait(
    ctx: &Ctx,
    listener: CallbackListener,
    attempt: &Attempt,
    settings: &AuthorizeSettings,
    opened: Opened,
) -> Result<(String, Option<Landing>)> {
    say!(
        ctx,
        "Waiting up to {} s for UPS to redirect to {}{} ...",
        settings.timeout.as_secs(),
        settings.redirect_uri,
        if opened.paste {
            ", or for the address the browser ended on, pasted here"
        } else {
            ""
        }
    );
    let state = attempt.state.secret();
    let pasted = opened
        .paste
        .then(|| tty::paste_reader(ctx, &settings.callback_path, state));
    let spinner = Spinner::start(ctx, opened.launched, Instant::now() + settings.timeout);
    let code = listener.wait(state, settings.timeout, pasted.as_ref());
    drop(spinner);
    code
}

/// Trade the code for tokens. Every failure ends this sign-in, since a one-time code is
/// never sent twice.
fn exchange(ctx: &Ctx, config: &ClientConfig, code: String, attempt: Attempt) -> Result<Grant> {
    let exchanged = ctx.ups().and_then(|ups| {
        oauth::exchange_code_with(
            &*ups,
            config,
            AuthorizationCode::new(code),
            attempt.verifier,
            &|| ctx.now(),
        )
    });
    exchanged.map_err(|mut failure: UpsFailure| {
        failure.message.push_str(
            ". The one-time code is never sent twice: run `idm-auth authorize` again for a new sign-in",
        );
        failure.into_error(&config.base_url)
    })
}

/// Keep the new opt-in: its row and its secrets, journalled by the store.
fn persist(
    ctx: &Ctx,
    store: &dyn Store,
    settings: &AuthorizeSettings,
    client_secret: Option<&ClientSecret>,
    grant: Grant,
) -> Result<OptIn> {
    let secrets = NewSecrets {
        access_token: grant.access_token,
        refresh_token: grant.refresh_token,
        client_secret: client_secret.map(|s| SecretString::from(s.secret().as_str())),
    };
    let draft = Draft {
        label: settings.label.clone(),
        profile: settings.profile.clone(),
        environment: settings.environment.clone(),
        base_url: settings.base_url.clone(),
        client_id: settings.client_id.clone(),
        redirect_uri: settings.redirect_uri.clone(),
        created_at: ctx.now(),
        expires_at: grant.expires_at,
        refresh_expires_at: grant.refresh_expires_at,
        refresh_count: grant.refresh_count,
        has_client_secret: client_secret.is_some(),
    };
    let row = store.create(draft, secrets)?;
    say!(
        ctx,
        "Opted in: {} ({}), tokens kept in the {}.",
        row.id,
        row.environment,
        row.secrets_in.describe()
    );
    crate::public_client::notice(ctx, &row);
    Ok(row)
}
