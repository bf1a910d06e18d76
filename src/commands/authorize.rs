//! `idm-auth authorize`: the opt-in. Bind the loopback port first (a busy port fails before
//! any browser opens), make sure the index reads and the keyring takes a write, print the
//! URL, open the browser, wait for the redirect with the right state (or the address pasted
//! from the browser, over SSH), trade the code, then store (journalled, see store/mod.rs).
//! Everything that can fail without the user is checked before the user signs in, so a
//! consent is not wasted on a broken index or keyring.

use crate::browser::{self, Launch};
use crate::callback::CallbackListener;
use crate::cli::AuthorizeArgs;
use crate::commands::ups_error;
use crate::error::{Error, Result};
use crate::flow::{self, ClientConfig, UpsFailure};
use crate::output::{print, print_json};
use crate::render;
use crate::say;
use crate::settings::{self, AuthorizeSettings};
use crate::store::{self, Index, Keyring, OptIn, SecretKind};
use chrono::Utc;
use oauth2::AuthorizationCode;

/// How the consent page gets opened.
pub enum Opener {
    /// `$BROWSER` or the platform's browser; when none can open, the pasted address.
    System,
    /// Print the URL and take the pasted address (`--no-browser`, SSH sessions).
    Paste,
    /// Something of the caller's (the demo's): called with the URL before the wait starts;
    /// it must return at once (long work goes on its own thread).
    Custom(Box<dyn FnOnce(String) + Send>),
}

pub fn run(args: &AuthorizeArgs, profile: Option<&str>, index: &Index) -> Result<()> {
    let settings = settings::resolve_authorize(args, profile)?;
    let opener = if settings.open_browser {
        Opener::System
    } else {
        Opener::Paste
    };
    let row = authorize(&settings, index, opener)?;
    if args.json {
        print_json(&render::json_row(&row, Utc::now()))
    } else {
        print(&format!("{}\n", row.id))
    }
}

pub fn authorize(settings: &AuthorizeSettings, index: &Index, opener: Opener) -> Result<OptIn> {
    let listener = CallbackListener::bind(settings.port, &settings.callback_path)?;
    let contents = index.load_all()?;
    for note in store::repair(index, &contents) {
        say!("note: {note}");
    }
    let (keyring, note) = Keyring::open_default()?;
    if let Some(note) = note {
        say!("note: {note}");
    }
    store::check_writable(&keyring)?;
    let config = ClientConfig {
        base_url: settings.base_url.clone(),
        client_id: settings.client_id.clone(),
        client_secret: settings.client_secret.clone(),
        redirect_uri: settings.redirect_uri.clone(),
    };
    crate::client_check::before_signin(&config)?;
    let attempt = flow::start(&config).map_err(|f| ups_error(f, &settings.base_url))?;

    // The address is the one thing the admin cannot do without, so it is printed even with
    // --quiet whenever no browser takes it.
    let show_url = |always: bool| {
        if always || !crate::output::quiet() {
            eprintln!(
                "To opt the UPS.com user in, open this address, sign in and agree:\n\n  {}\n",
                attempt.url
            );
        }
    };
    let paste = match opener {
        Opener::System => match browser::open(&attempt.url) {
            Launch::Started(what) => {
                show_url(false);
                say!("Opened {what}.");
                false
            }
            Launch::Failed(why) => {
                show_url(true);
                say!("Could not open a browser: {why}. Open the address above by hand.");
                true
            }
        },
        Opener::Paste => {
            show_url(true);
            true
        }
        Opener::Custom(open) => {
            show_url(false);
            open(attempt.url.clone());
            false
        }
    };
    if paste {
        say!(
            "When the browser ends on an address that fails to load (it starts with {}), paste that address here and press Enter.",
            settings.redirect_uri
        );
    }
    say!(
        "Waiting up to {} s for UPS to redirect to {} ...",
        settings.timeout.as_secs(),
        settings.redirect_uri
    );
    let code = listener.wait(attempt.state.secret(), settings.timeout, paste)?;
    drop(listener);

    let grant = flow::exchange_code(&config, AuthorizationCode::new(code), attempt.verifier)
        .map_err(|f| exchange_failed(f, &settings.base_url))?;

    let mut secrets = vec![(
        SecretKind::AccessToken,
        grant.access_token.secret().as_str(),
    )];
    if let Some(refresh) = &grant.refresh_token {
        secrets.push((SecretKind::RefreshToken, refresh.secret().as_str()));
    }
    if let Some(secret) = &settings.client_secret {
        secrets.push((SecretKind::ClientSecret, secret.secret().as_str()));
    }
    let row = OptIn {
        id: store::fresh_id(&index.load_all()?)?,
        label: settings.label.clone(),
        profile: settings.profile.clone(),
        environment: settings.environment.clone(),
        base_url: settings.base_url.clone(),
        client_id: settings.client_id.clone(),
        redirect_uri: settings.redirect_uri.clone(),
        created_at: Utc::now(),
        refreshed_at: None,
        expires_at: grant.expires_at,
        refresh_expires_at: grant.refresh_expires_at,
        refresh_count: grant.refresh_count,
        invalid_reason: None,
        keyring: keyring.backend(),
        has_client_secret: settings.client_secret.is_some(),
    };
    store::save_new(index, &keyring, row.clone(), &secrets)?;
    say!(
        "Opted in: {} ({}), tokens kept in the {}.",
        row.id,
        row.environment,
        keyring.backend().describe()
    );
    crate::public_client::notice(&row);
    Ok(row)
}

/// Every failed exchange ends this sign-in, since a one-time code is never sent twice.
fn exchange_failed(mut failure: UpsFailure, base_url: &str) -> Error {
    failure.message.push_str(
        ". The one-time code is never sent twice: run `idm-auth authorize` again for a new sign-in",
    );
    ups_error(failure, base_url)
}
