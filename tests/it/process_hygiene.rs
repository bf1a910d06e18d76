//! Another process of the same user, without CAP_SYS_PTRACE (another session, a tool that
//! went bad), tries to read what `authorize` holds through /proc while it waits for the
//! consent: its environment (where a client secret may be) and its memory. `authorize` is
//! non-dumpable, so both are refused. Both processes run as root without capabilities, so
//! only the dumpable flag decides.
use crate::support;

use std::process::Command;
use support::attacker::require_root;
use support::*;

/// `cmd`'s program and arguments under setpriv with every capability dropped, same env.
fn without_capabilities(cmd: &Command) -> Command {
    let mut out = Command::new("setpriv");
    out.args(["--inh-caps=-all", "--bounding-set=-all"])
        .arg(cmd.get_program())
        .args(cmd.get_args());
    for (k, v) in cmd.get_envs() {
        match v {
            Some(v) => out.env(k, v),
            None => out.env_remove(k),
        };
    }
    out
}

#[test]
fn another_process_of_the_user_cannot_read_authorizes_environment_or_memory() {
    require_root();
    let sandbox = Sandbox::new();
    let sim = Sim::start_with_secret(&[], Some("client-secret-in-the-environment"));
    let port = free_port();
    let mut authorize = sandbox.authorize(&sim, port, 30);
    authorize
        .arg("--no-browser")
        .env("IDM_AUTH_CLIENT_SECRET", "client-secret-in-the-environment");
    let waiting = Waiting::start(&mut without_capabilities(&authorize));
    let pid = waiting.child.id();

    for what in ["environ", "mem", "maps"] {
        let read = Command::new("setpriv")
            .args(["--inh-caps=-all", "--bounding-set=-all", "cat"])
            .arg(format!("/proc/{pid}/{what}"))
            .exec();
        assert_ne!(
            read.code,
            ExitCode::Success,
            "/proc/{pid}/{what} was readable"
        );
        assert!(
            read.stderr.contains("Permission denied"),
            "{what}: {read:?}"
        );
        assert!(!read.stdout.contains("client-secret-in-the-environment"));
    }

    // The sign-in itself is not hindered.
    let callback = approve_at_simulator(&waiting.url);
    let (_, target) = port_and_target(&callback);
    assert_eq!(http_raw(port, "GET", &target, &[], "").status, 200);
    let run = waiting.finish();
    assert_eq!(run.code, ExitCode::Success, "{run:?}");
}
