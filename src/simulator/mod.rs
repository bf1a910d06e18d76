//! A local stand-in for UPS's OAuth Authorization Code API (`OAuthAuthCode.yaml`), served on
//! 127.0.0.1 only. UPS itself can't be reached from development machines, so the simulator
//! follows the document closely and is strict where UPS is: exact redirect URIs, one-time
//! codes bound to client, redirect URI and PKCE challenge, refresh-token rotation, string-typed
//! token fields and UPS's `{"response":{"errors":[...]}}` error envelope.
//!
//! UPS paths hang off `/security`, and the Track API's off `/api/track` (track.rs); the simulated UPS.com login lives at `/lasso/...`; test
//! controls (password change, settings, fault injection, counters, introspection) live under
//! `/_simulator/`, for the holder of the control token only (see control.rs). Nothing is ever
//! logged: the state holds codes, tokens and the secret.

mod control;
mod http;
mod oauth;
mod pages;
mod state;
mod tokens;
mod track;
mod wire;

#[cfg(test)]
mod tests;

use std::fmt;
use std::io;
use std::net::{Ipv4Addr, SocketAddr};
use std::panic::{catch_unwind, AssertUnwindSafe};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};
use std::thread::{self, JoinHandle};
use std::time::Duration;

use http::{BodyError, Incoming, Reply};
use state::{Behaviour, Client, State};
use wire::{msg, UpsError};

/// The client id registered by default.
pub const DEFAULT_CLIENT_ID: &str = "idm-auth-demo";
/// The access-token lifetime of UPS's documented example, in seconds (UPS may give less).
pub const DEFAULT_ACCESS_TTL: u64 = 14_399;
/// The refresh-token lifetime of UPS's documented example (about 60 days), in seconds.
pub const DEFAULT_REFRESH_TTL: u64 = 5_183_999;

/// How the simulated UPS is set up.
#[derive(Clone, PartialEq, Eq)]
pub struct Config {
    /// Port on 127.0.0.1; 0 picks any free port.
    pub port: u16,
    /// The one registered client.
    pub client_id: String,
    /// `None` = public (PKCE-only) client.
    pub client_secret: Option<String>,
    /// Registered callback (matched byte for byte); `None` accepts any loopback `http`
    /// redirect URI (`http://127.0.0.1:*`, `http://localhost:*`, `http://[::1]:*`).
    pub redirect_uri: Option<String>,
    /// Access-token lifetime in seconds.
    pub access_ttl: u64,
    /// Refresh-token lifetime in seconds.
    pub refresh_ttl: u64,
    /// Approve every sign-in at once, with no page (the demo where no browser can open).
    pub auto_approve: bool,
}

impl Default for Config {
    fn default() -> Config {
        Config {
            port: 0,
            client_id: DEFAULT_CLIENT_ID.to_string(),
            client_secret: None,
            redirect_uri: None,
            access_ttl: DEFAULT_ACCESS_TTL,
            refresh_ttl: DEFAULT_REFRESH_TTL,
            auto_approve: false,
        }
    }
}

// Hand-written so the secret never reaches a log via `{:?}`.
impl fmt::Debug for Config {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Config")
            .field("port", &self.port)
            .field("client_id", &self.client_id)
            .field(
                "client_secret",
                &self.client_secret.as_ref().map(|_| "<redacted>"),
            )
            .field("redirect_uri", &self.redirect_uri)
            .field("access_ttl", &self.access_ttl)
            .field("refresh_ttl", &self.refresh_ttl)
            .field("auto_approve", &self.auto_approve)
            .finish()
    }
}

/// What every worker thread shares.
pub(crate) struct Shared {
    /// `http://127.0.0.1:PORT`
    pub base_url: String,
    /// What `/_simulator/` requests must carry as `Authorization: Bearer ...`.
    pub control_token: String,
    pub client: Client,
    state: Mutex<State>,
}

impl Shared {
    /// The state lock; a poisoned lock is still usable (handlers never leave it half-updated
    /// in a way that matters more than refusing to serve).
    pub(crate) fn lock(&self) -> MutexGuard<'_, State> {
        self.state.lock().unwrap_or_else(PoisonError::into_inner)
    }
}

/// Worker threads pulling requests off the listener; a few so one slow client can't stall
/// a browser that opens several connections.
const WORKERS: usize = 4;
/// How often workers look at the stop flag.
const POLL: Duration = Duration::from_millis(50);

/// A running simulator. Dropping it stops the server too.
pub struct Simulator {
    base_url: String,
    control_token: String,
    port: u16,
    shared: Arc<Shared>,
    stop: Arc<AtomicBool>,
    workers: Vec<JoinHandle<()>>,
}

impl fmt::Debug for Simulator {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Simulator")
            .field("base_url", &self.base_url)
            .finish_non_exhaustive()
    }
}

impl Simulator {
    /// Binds 127.0.0.1:`config.port` and serves on background threads.
    pub fn start(config: Config) -> io::Result<Simulator> {
        let addr = SocketAddr::from((Ipv4Addr::LOCALHOST, config.port));
        let server =
            tiny_http::Server::http(addr).map_err(|e| match e.downcast::<io::Error>() {
                Ok(io_err) => *io_err,
                Err(other) => io::Error::other(other.to_string()),
            })?;
        let port = server
            .server_addr()
            .to_ip()
            .map(|a| a.port())
            .ok_or_else(|| io::Error::other("listener has no IP address"))?;
        let base_url = format!("http://127.0.0.1:{port}");
        let control_token = control::new_token()?;
        let shared = Arc::new(Shared {
            base_url: base_url.clone(),
            control_token: control_token.clone(),
            client: Client {
                id: config.client_id,
                secret: config.client_secret,
            },
            state: Mutex::new(State::new(config.access_ttl, config.refresh_ttl)),
        });
        {
            let mut state = shared.lock();
            state.behaviour = Behaviour::new(config.redirect_uri);
            state.behaviour.auto_approve = config.auto_approve;
        }
        let server = Arc::new(server);
        let stop = Arc::new(AtomicBool::new(false));
        let mut workers = Vec::with_capacity(WORKERS);
        for i in 0..WORKERS {
            let (server, shared, stop_flag) = (server.clone(), shared.clone(), stop.clone());
            let spawned = thread::Builder::new()
                .name(format!("ups-simulator-{i}"))
                .spawn(move || serve(&server, &shared, &stop_flag));
            match spawned {
                Ok(handle) => workers.push(handle),
                Err(e) => {
                    stop.store(true, Ordering::SeqCst);
                    for w in workers {
                        let _ = w.join();
                    }
                    return Err(e);
                }
            }
        }
        Ok(Simulator {
            base_url,
            control_token,
            port,
            shared,
            stop,
            workers,
        })
    }

    /// The origin, `http://127.0.0.1:PORT`; UPS paths hang off `{base_url}/security`.
    pub fn base_url(&self) -> String {
        self.base_url.clone()
    }

    /// The token that `/_simulator/` requests must carry (`Authorization: Bearer TOKEN`).
    pub fn control_token(&self) -> &str {
        &self.control_token
    }

    /// The port actually bound.
    pub fn port(&self) -> u16 {
        self.port
    }

    /// A switch for [`Config::auto_approve`] that can be used from another thread while the
    /// simulator runs.
    pub fn auto_approve_switch(&self) -> impl Fn(bool) + Send + 'static {
        let shared = self.shared.clone();
        move |on| shared.lock().behaviour.auto_approve = on
    }

    /// Stops serving and waits for the worker threads; the port is closed on return.
    pub fn shutdown(self) {
        // Drop does the work.
    }

    /// Serves until the process is killed.
    pub fn wait(mut self) {
        for w in std::mem::take(&mut self.workers) {
            let _ = w.join();
        }
    }
}

impl Drop for Simulator {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::SeqCst);
        let workers = std::mem::take(&mut self.workers);
        if workers.is_empty() {
            return;
        }
        for w in workers {
            let _ = w.join();
        }
        wait_until_closed(self.port);
    }
}

/// tiny_http closes its listening socket on a thread of its own shortly after the server is
/// dropped; wait (briefly) for that, so "shut down" means the port no longer answers and can
/// be bound again at once.
fn wait_until_closed(port: u16) {
    let addr = SocketAddr::from((Ipv4Addr::LOCALHOST, port));
    for _ in 0..40 {
        if std::net::TcpStream::connect_timeout(&addr, Duration::from_millis(100)).is_err() {
            return;
        }
        thread::sleep(Duration::from_millis(25));
    }
}

/// One worker: poll with a timeout so the stop flag is noticed (never a blocking `recv`).
/// The last worker out drops the server, which closes the listening socket.
fn serve(server: &tiny_http::Server, shared: &Shared, stop: &AtomicBool) {
    while !stop.load(Ordering::SeqCst) {
        match server.recv_timeout(POLL) {
            Ok(Some(request)) => handle(shared, request),
            Ok(None) => {}
            // A failed accept says nothing about the next one; don't spin on it.
            Err(_) => thread::sleep(POLL),
        }
    }
}

fn handle(shared: &Shared, mut request: tiny_http::Request) {
    let api = is_api_path(request.url());
    let reply = match http::read(&mut request) {
        Ok(incoming) => catch_unwind(AssertUnwindSafe(|| route(shared, &incoming)))
            .unwrap_or_else(|_| error_reply(api, 500, msg::INTERNAL)),
        Err(BodyError::TooLarge) => error_reply(api, 413, msg::BODY_TOO_LARGE),
        Err(BodyError::Unreadable) => error_reply(api, 400, "Unreadable request body"),
    };
    http::send(request, reply);
}

/// UPS API paths answer errors with UPS's JSON envelope, everything else with plain text.
fn is_api_path(target: &str) -> bool {
    target == "/security"
        || target.starts_with("/security/")
        || target.starts_with("/security?")
        || target.starts_with("/api/")
}

fn error_reply(api: bool, status: u16, message: &str) -> Reply {
    if api {
        UpsError::new(status, message).reply()
    } else {
        Reply::text(status, message)
    }
}

fn route(shared: &Shared, req: &Incoming) -> Reply {
    let path = req.path.as_str();
    if path.starts_with("/api/") {
        return track::serve(shared, req);
    }
    let (allowed, reply): (&str, fn(&Shared, &Incoming) -> Reply) = match path {
        "/security/v1/oauth/authorize" => ("GET", oauth::authorize),
        "/security/v1/oauth/validate-client" => ("GET", oauth::validate_client),
        "/security/v1/oauth/token" => ("POST", oauth::token),
        "/security/v1/oauth/refresh" => ("POST", oauth::refresh),
        "/lasso/signin" => ("GET", oauth::signin),
        "/lasso/consent" => ("POST", oauth::consent),
        "/_simulator/password-change" => ("POST", |s, _| control::password_change(s)),
        "/_simulator/settings" => ("POST", control::settings),
        "/_simulator/stats" => ("GET", |s, _| control::stats(s)),
        "/_simulator/fault" => ("POST", control::fault),
        "/_simulator/introspect" => ("POST", control::introspect),
        _ => return error_reply(is_api_path(path), 404, msg::NOT_FOUND),
    };
    if req.method != allowed {
        return error_reply(is_api_path(path), 405, msg::METHOD_NOT_ALLOWED)
            .with_header("Allow", allowed);
    }
    if path.starts_with("/_simulator/") {
        if let Some(refusal) = control::refuse(shared, req) {
            return refusal;
        }
    }
    reply(shared, req)
}
