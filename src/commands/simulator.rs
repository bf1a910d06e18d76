//! `idm-auth simulator`: serve the UPS OAuth simulator until killed. The base URL goes to
//! stdout as the first line and the control token for `/_simulator/` as the second, so
//! scripts and tests can read them.

use crate::cli::SimulatorArgs;
use crate::context::Ctx;
use crate::error::{Error, Result};
use crate::simulator::{Config, Simulator};

pub fn run(ctx: &Ctx, args: &SimulatorArgs) -> Result<()> {
    let config = Config {
        port: args.port,
        client_id: args.client_id.clone(),
        client_secret: ctx.var("IDM_AUTH_CLIENT_SECRET"),
        redirect_uri: args.redirect_uri.clone(),
        access_ttl: args.access_ttl,
        refresh_ttl: args.refresh_ttl,
        auto_approve: false,
    };
    let sim = Simulator::start(config).map_err(|e| Error::Port {
        port: args.port,
        reason: e.to_string(),
    })?;
    ctx.print(&format!(
        "{}\ncontrol-token {}\n",
        sim.base_url(),
        sim.control_token()
    ))?;
    crate::say!(
        ctx,
        "UPS OAuth simulator listening. Try:\n  IDM_AUTH_CLIENT_ID={} idm-auth authorize --base-url {}",
        args.client_id,
        sim.base_url()
    );
    sim.wait();
    Ok(())
}
