//! `idm-auth authorize`: the opt-in. Bind the loopback port first (a busy port fails before
//! any browser opens), make sure the index reads and the keyring takes a write, print the
//! URL, open the browser, wait for the redirect with the right state, trade the code, then
//! store (journalled, see store/mod.rs). Everything that can fail without the user is checked
//! before the user signs in, so a consent is not wasted on a broken index or keyring.

use crate::browser::{self, Launch};
use crate::callback::CallbackListener;
use crate::cli::AuthorizeArgs;
use crate::commands::ups_error;
use crate::error::{Error, Result};
use crate::flow::{self, ClientConfig, UpsFailure};
use crate::output::print;
use crate::settings::{self, AuthorizeSettings};
use crate::store::{self, Index, Keyring, OptIn, SecretKind};
use chrono::Utc;
use oauth2::AuthorizationCode;

/// How the consent page gets opened.
pub enum Opener {
    /// `$BROWSER` or the platform's browser.
    System,
    /// Print the URL only.
    None,
    /// Something of the caller's (the demo's consent robot), run without waiting for it.
    Custom(Box<dyn FnOnce(String) + Send>),
}

pub fn run(args: &AuthorizeArgs, index: &Index) -> Result<()> {
    let settings = settings::resolve_authorize(args)?;
    let opener = if settings.open_browser {
        Opener::System
    } else {
        Opener::None
    };
    let row = authorize(&settings, index, opener)?;
    print(&format!("{}\n", row.id))
}

pub fn authorize(settings: &AuthorizeSettings, index: &Index, opener: Opener) -> Result<OptIn> {
    let listener = CallbackListener::bind(settings.port, &settings.callback_path)?;
    let contents = index.load_all()?;
    for note in store::repair(index, &contents) {
        eprintln!("note: {note}");
    }
    let (keyring, note) = Keyring::open_default()?;
    if let Some(note) = note {
        eprintln!("note: {note}");
    }
    store::check_writable(&keyring)?;
    let config = ClientConfig {
        base_url: settings.base_url.clone(),
        client_id: settings.client_id.clone(),
        client_secret: settings.client_secret.clone(),
        redirect_uri: settings.redirect_uri.clone(),
    };
    let attempt = flow::start(&config).map_err(|f| ups_error(f, &settings.base_url))?;

    eprintln!(
        "To opt the UPS.com user in, open this address, sign in and agree:\n\n  {}\n",
        attempt.url
    );
    match opener {
        Opener::System => match browser::open(&attempt.url) {
            Launch::Started(what) => eprintln!("Opened {what}."),
            Launch::Failed(why) => {
                eprintln!("Could not open a browser ({why}); open the address above by hand.")
            }
        },
        Opener::None => {}
        Opener::Custom(open) => {
            let url = attempt.url.clone();
            std::thread::spawn(move || open(url));
        }
    }
    eprintln!(
        "Waiting up to {} s for UPS to redirect to {} ...",
        settings.timeout.as_secs(),
        settings.redirect_uri
    );
    let code = listener.wait(attempt.state.secret(), settings.timeout)?;
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
    eprintln!(
        "Opted in: {} ({}), tokens kept in the {}.",
        row.id,
        row.environment,
        keyring.backend().describe()
    );
    Ok(row)
}

/// Every failed exchange ends this sign-in, since a one-time code is never sent twice.
fn exchange_failed(mut failure: UpsFailure, base_url: &str) -> Error {
    failure.message.push_str(
        ". The one-time code is never sent twice: run `idm-auth authorize` again for a new sign-in",
    );
    ups_error(failure, base_url)
}
