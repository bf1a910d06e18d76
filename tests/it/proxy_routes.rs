//! Which requests go through the proxy the environment names: never one to this machine's
//! loopback (the simulator), always one to any other host, as corporate networks need. A
//! recording proxy on 127.0.0.1 sees every request it is sent (and forwards none).
use crate::support;

use support::attacker::RecordingProxy;
use support::*;

fn with_proxy(cmd: &mut std::process::Command, proxy: &RecordingProxy) {
    for var in [
        "HTTP_PROXY",
        "http_proxy",
        "HTTPS_PROXY",
        "https_proxy",
        "ALL_PROXY",
        "all_proxy",
    ] {
        cmd.env(var, proxy.url());
    }
    cmd.env_remove("NO_PROXY").env_remove("no_proxy");
}

#[test]
fn loopback_goes_direct_whatever_the_proxy_variables_say() {
    let sandbox = Sandbox::new();
    let sim = Sim::start(&[]);
    let proxy = RecordingProxy::start();
    let port = free_port();
    let mut cmd = sandbox.authorize(&sim, port, 30);
    cmd.env("BROWSER", sandbox.browser("approve", "browser.json"));
    with_proxy(&mut cmd, &proxy);
    let run = cmd.exec();
    assert_eq!(run.code, ExitCode::Success, "{run:?}");
    assert!(
        proxy.seen().is_empty(),
        "loopback went through the proxy: {:?}",
        proxy.seen()
    );
}

#[test]
fn every_other_host_goes_through_the_proxy() {
    let sandbox = Sandbox::new();
    // An app with a client secret: its opt-ins refresh (UPS offers public ones none).
    let sim = Sim::confidential(&[]);
    let id = opt_in(&sandbox, &sim, "desk");
    // The opt-in now belongs to a UPS that only the proxy can reach.
    sandbox.send_next_refresh_to("https://ups.example.test");

    let proxy = RecordingProxy::start();
    let mut cmd = sandbox.cmd(&["token", &id]);
    with_proxy(&mut cmd, &proxy);
    let run = cmd.exec();
    assert_eq!(
        proxy.seen(),
        ["CONNECT ups.example.test:443 HTTP/1.1"],
        "{run:?}"
    );
    // The proxy refused (502): nothing was sent to UPS, so the opt-in stays usable.
    assert_eq!(run.code, ExitCode::Unreachable, "{run:?}");
    assert_ne!(sandbox.list_json()[0]["status"], "invalid");
}
