//! Before any browser opens, `authorize` asks UPS's validate-client whether the client id and
//! the redirect URI are registered: a refusal there is a refusal the admin would otherwise
//! meet on a confusing UPS page after signing in. The endpoint is documented on UPS's
//! developer site but not in the OpenAPI document, so when it cannot be asked or answers
//! something unexpected, the sign-in goes on.

use crate::context::Ctx;
use crate::error::Result;
use crate::say;
use crate::ups::oauth::{self, ClientCheck, ClientConfig};
use std::time::Duration;

/// The check is a courtesy before the sign-in: it never holds the admin up for long.
const CHECK_TIMEOUT: Duration = Duration::from_secs(5);

/// Ok to go on to the browser, or UPS's refusal with a hint (exit 6).
pub fn before_signin(ctx: &Ctx, config: &ClientConfig) -> Result<()> {
    let checked = match ctx.ups_within(CHECK_TIMEOUT) {
        Ok(ups) => oauth::validate_client_with(&*ups, config),
        Err(failure) => ClientCheck::Unknown(failure.message),
    };
    match checked {
        ClientCheck::Registered => Ok(()),
        ClientCheck::Refused(failure) => Err(failure.into_error(&config.base_url)),
        ClientCheck::Unknown(why) => {
            say!(
                ctx,
                "note: UPS's client check could not be used ({why}); going on with the sign-in."
            );
            Ok(())
        }
    }
}
