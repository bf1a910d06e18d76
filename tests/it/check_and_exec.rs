//! `idm-auth check` for cron and monitoring, and `idm-auth exec` for scripts.
use crate::support;
use support::*;

#[test]
fn check_exit_codes_follow_the_worst_opt_in() {
    let sandbox = Sandbox::new();
    let run = sandbox.run(&["check"]);
    assert_eq!(run.code, ExitCode::NotFound, "nothing to check: {run:?}");

    let healthy = Sim::confidential(&[]);
    let good = opt_in(&sandbox, &healthy, "good");
    let run = sandbox.run(&["check"]);
    assert_eq!(run.code, ExitCode::Success, "{run:?}");

    // An opt-in whose refresh token ends in 3 days: fine at --within 2, due at the default 7.
    let short = Sim::confidential(&["--refresh-ttl", &(3 * 86400 + 3600).to_string()]);
    let soon = opt_in(&sandbox, &short, "soon");
    assert_eq!(
        sandbox.run(&["check", "--within", "2"]).code,
        ExitCode::Success
    );
    let run = sandbox.run(&["check"]);
    assert_eq!(run.code, ExitCode::ExpiresSoon, "{run:?}");
    assert_eq!(
        run.stderr.lines().filter(|l| l.contains(&soon)).count(),
        1,
        "{run:?}"
    );
    assert!(!run.stderr.contains(&good), "{run:?}");

    // One refused by UPS (password change): that outranks "soon".
    let dying = Sim::confidential(&["--access-ttl", "0"]);
    let dead = opt_in(&sandbox, &dying, "dead");
    dying.request("POST", "/_simulator/password-change", "");
    assert_eq!(sandbox.run(&["token", &dead]).code, ExitCode::Invalid);
    let run = sandbox.run(&["check", "--json"]);
    assert_eq!(run.code, ExitCode::Invalid, "{run:?}");
    let report: serde_json::Value = serde_json::from_str(&run.stdout).unwrap();
    assert_eq!(report["ok"], false);
    assert_eq!(report["checked"], 3);
    let problems = report["problems"].as_array().unwrap();
    let kind = |id: &str| {
        problems
            .iter()
            .find(|p| p["id"] == id)
            .map(|p| p["problem"].clone())
    };
    assert_eq!(kind(&dead), Some("invalid".into()));
    assert_eq!(kind(&soon), Some("expires_soon".into()));
    assert_eq!(kind(&good), None);
    assert!(
        run.stderr.lines().filter(|l| l.contains(": ")).count() >= 2,
        "{run:?}"
    );
}

#[test]
fn exec_hands_the_token_through_the_environment_and_passes_the_exit_status() {
    let sandbox = Sandbox::new();
    let sim = Sim::start(&[]);
    let id = opt_in(&sandbox, &sim, "a");
    let token = secret_tool_lookup(&id, "access-token").unwrap();
    let run = sandbox.run(&[
        "exec",
        "--",
        "sh",
        "-c",
        "printf '%s\\n%s\\n' \"$UPS_ACCESS_TOKEN\" \"$UPS_API_BASE\"; tr '\\0' ' ' < /proc/$$/cmdline; exit 7",
    ]);
    assert_eq!(
        run.code,
        ExitCode::Unreachable,
        "the command's exit status: {run:?}"
    );
    let lines: Vec<&str> = run.stdout.lines().collect();
    assert_eq!(lines[0], token);
    assert_eq!(lines[1], sim.base_url);
    assert!(!lines[2].contains(&token), "never in argv: {}", lines[2]);
}

#[cfg(unix)]
#[test]
fn exec_passes_signals_through() {
    use std::os::unix::process::ExitStatusExt;
    let sandbox = Sandbox::new();
    let sim = Sim::start(&[]);
    opt_in(&sandbox, &sim, "a");
    let status = sandbox
        .cmd(&["exec", "--", "sh", "-c", "kill -TERM $$"])
        .status()
        .unwrap();
    assert_eq!(status.signal(), Some(15), "{status:?}");
}

#[test]
fn exec_reports_a_missing_command_like_a_shell() {
    let sandbox = Sandbox::new();
    let sim = Sim::start(&[]);
    opt_in(&sandbox, &sim, "a");
    let run = sandbox.run(&["exec", "--", "/nonexistent/tool"]);
    assert_eq!(run.code, ExitCode::CommandNotFound, "{run:?}");
    assert!(run.stderr.contains("/nonexistent/tool"), "{run:?}");
    let run = sandbox.run(&["exec"]);
    assert_eq!(run.code, ExitCode::Usage, "a command is required: {run:?}");
}

#[test]
fn exec_hands_over_a_token_but_not_the_client_secret() {
    let sandbox = Sandbox::new();
    let sim = Sim::start(&[]);
    opt_in(&sandbox, &sim, "a");
    let run = sandbox
        .cmd(&[
            "exec",
            "--",
            "sh",
            "-c",
            "echo \"${IDM_AUTH_CLIENT_SECRET:-none}\"",
        ])
        .env("IDM_AUTH_CLIENT_SECRET", "not-for-the-command")
        .exec();
    assert_eq!(run.code, ExitCode::Success, "{run:?}");
    assert_eq!(run.stdout.trim(), "none");
}

#[test]
fn exec_leaves_the_store_keys_out_of_the_commands_environment() {
    use support::bao::Bao;
    use support::stores::{Machine, StoreKind};
    let bao = Bao::start();
    let sim = Sim::confidential(&["--access-ttl", "3600"]);
    for kind in [StoreKind::Vault, StoreKind::File] {
        let machine = Machine::new(kind, Some(&bao));
        machine.opt_in(&sim);
        let run = machine
            .cmd(&["exec", "--", "env"])
            .env("IDM_AUTH_CLIENT_SECRET", "not-for-the-command")
            .exec();
        assert_eq!(run.code, ExitCode::Success, "{kind:?}: {run:?}");
        assert!(run.stdout.contains("UPS_ACCESS_TOKEN="), "{run:?}");
        for name in ["VAULT_TOKEN", "IDM_AUTH_KEY_FILE", "IDM_AUTH_CLIENT_SECRET"] {
            assert!(
                !run.stdout
                    .lines()
                    .any(|l| l.starts_with(&format!("{name}="))),
                "{kind:?}: the command got {name}: {}",
                run.stdout
            );
        }
        for (name, value) in &machine.env {
            if name == "VAULT_TOKEN" || name == "IDM_AUTH_KEY_FILE" {
                assert!(!run.stdout.contains(value.as_str()), "{kind:?}: {name}");
            }
        }
    }
    // The README's way to hand the command one explicitly, under another name.
    let machine = Machine::new(StoreKind::Vault, Some(&bao));
    machine.opt_in(&sim);
    let run = machine
        .cmd(&[
            "exec",
            "--",
            "sh",
            "-c",
            "VAULT_TOKEN=\"$JOB_VAULT_TOKEN\" exec sh -c 'echo \"$VAULT_TOKEN\"'",
        ])
        .env("JOB_VAULT_TOKEN", &bao.root_token)
        .exec();
    assert_eq!(run.code, ExitCode::Success, "{run:?}");
    assert_eq!(run.stdout.trim(), bao.root_token);
}
