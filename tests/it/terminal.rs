//! What a person at a terminal sees: --quiet, --json on authorize and clear, colour only on
//! a terminal without NO_COLOR, and the spinner only on a terminal.
use crate::support;
use support::*;

/// Run `idm-auth ARGS` on a pseudo-terminal; returns what the terminal showed.
fn terminal_run(sandbox: &Sandbox, args: &str, envs: &[(&str, &str)]) -> Run {
    let mut cmd = sandbox.cmd(&[]);
    cmd.envs(envs.iter().copied());
    on_a_terminal(&cmd, &format!("{BIN} {args}"))
        .stdin(std::process::Stdio::null())
        .exec()
}

#[test]
fn quiet_authorize_says_nothing_and_json_prints_the_new_row() {
    let sandbox = Sandbox::new();
    let sim = Sim::start(&[]);
    let run = sandbox
        .authorize(&sim, free_port(), 30)
        .args(["--quiet", "--json"])
        .env("BROWSER", sandbox.browser("approve", "b.json"))
        .exec();
    assert_eq!(run.code, ExitCode::Success, "{run:?}");
    assert_eq!(run.stderr, "", "{run:?}");
    let row: serde_json::Value = serde_json::from_str(&run.stdout).unwrap();
    assert_eq!(row["status"], "active");
    let id = row["id"].as_str().unwrap().to_string();

    let run = sandbox.run(&["clear", &id, "--json", "-q"]);
    assert_eq!(run.code, ExitCode::Success, "{run:?}");
    assert_eq!(run.stderr, "");
    let removed: serde_json::Value = serde_json::from_str(&run.stdout).unwrap();
    assert_eq!(removed[0]["id"], id.as_str());
}

#[test]
fn the_grid_is_coloured_only_on_a_terminal_without_no_color() {
    let sandbox = Sandbox::new();
    let sim = Sim::start(&[]);
    opt_in(&sandbox, &sim, "a");
    let plain = sandbox.run(&["list"]);
    assert!(!plain.stdout.contains('\x1b'), "{plain:?}");
    let tty = terminal_run(&sandbox, "list", &[]);
    assert!(tty.stdout.contains("\x1b[32mactive"), "{tty:?}");
    let no_color = terminal_run(&sandbox, "list", &[("NO_COLOR", "1")]);
    assert!(
        no_color.stdout.contains("active") && !no_color.stdout.contains('\x1b'),
        "{no_color:?}"
    );
}

#[test]
fn the_spinner_shows_the_time_left_on_a_terminal_only() {
    let sandbox = Sandbox::new();
    let sim = Sim::start(&[]);
    let port = free_port();
    let args = format!(
        "authorize --base-url {} --client-id {CLIENT_ID} --port {port} --timeout 2",
        sim.base_url
    );
    // A browser that opens the page and never finishes: the spinner counts down.
    let browser = sandbox.browser("none", "b.json");
    let tty = terminal_run(&sandbox, &args, &[("BROWSER", &browser)]);
    assert!(tty.stdout.contains("left)"), "{tty:?}");
    let piped = sandbox
        .authorize(&sim, free_port(), 2)
        .env("BROWSER", &browser)
        .exec();
    assert_eq!(piped.code, ExitCode::Timeout);
    assert!(!piped.stderr.contains("left)"), "{piped:?}");
}
