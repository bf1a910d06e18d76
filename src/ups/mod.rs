//! Talking to UPS, and nothing else: no store, no settings, no terminal.
//!
//! - [`wire`]: UPS's OAuth wire format (hosts, paths, the token response with its string
//!   numbers, the error envelope and its hints).
//! - [`oauth`]: the exchanges (authorize URL with state and PKCE, code for tokens, the
//!   refresh, validate-client) through the `oauth2` crate.
//! - [`transport`]: the HTTP client (reqwest, no redirects, time-outs, a body cap, the
//!   status of the last answer) and how a failed request is sorted.
//! - `dns`: the in-process resolver the static build needs.

pub(crate) mod dns;
pub mod oauth;
pub mod transport;
pub mod wire;
