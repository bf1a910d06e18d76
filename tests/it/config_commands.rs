//! `config init`, `config set`/`unset`, `config set-secret` and `config delete-secret`: a
//! newcomer makes a profile without editing the file by hand, and the secret goes to the
//! store, never the file.
use crate::support;
use std::io::Write;
use std::process::Stdio;
use support::*;

fn with_stdin(sandbox: &Sandbox, args: &[&str], input: &str) -> Run {
    let mut child = sandbox
        .cmd(args)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    child
        .stdin
        .take()
        .unwrap()
        .write_all(input.as_bytes())
        .unwrap();
    Run::from(child.wait_with_output().unwrap())
}

fn config_text(sandbox: &Sandbox) -> String {
    std::fs::read_to_string(sandbox.path("config/idm-auth/config.toml")).unwrap_or_default()
}

#[test]
fn init_makes_the_default_profile_and_authorize_uses_it_with_its_secret() {
    let sandbox = Sandbox::new();
    let sim = Sim::confidential(&[]);
    let secret = sim.secret.clone().unwrap();
    let run = with_stdin(
        &sandbox,
        // Its own profile name: the other tests here share this binary's Secret Service,
        // where profile secrets are kept by name.
        &[
            "--profile",
            "sim",
            "config",
            "init",
            "--base-url",
            &sim.base_url,
            "--client-id",
            CLIENT_ID,
            "--client-secret-stdin",
        ],
        &format!("{secret}\n"),
    );
    assert_eq!(run.code, ExitCode::Success, "{run:?}");
    let text = config_text(&sandbox);
    assert!(text.contains("default_profile = \"sim\""), "{text}");
    assert!(
        !text.contains(&secret),
        "the secret is never in the file: {text}"
    );
    let show = sandbox.run(&["config", "show"]);
    assert!(
        show.stdout.contains("(config file default_profile)")
            && show.stdout.contains("keyring (profile sim)"),
        "{show:?}"
    );
    // authorize with no flag but the port: the profile gives UPS, the app and its secret.
    let port = free_port().to_string();
    let run = Run::from(
        sandbox
            .cmd(&["authorize", "--port", &port])
            .env("BROWSER", sandbox.browser("approve", "browser.json"))
            .output()
            .unwrap(),
    );
    assert_eq!(run.code, ExitCode::Success, "{run:?}");
    let rows = sandbox.list_json();
    assert_eq!(rows[0]["profile"], "sim");
    assert!(rows[0]["refresh_expires_at"].is_string(), "{rows:?}");
    // A second init of the same profile changes nothing.
    let again = sandbox.run(&["--profile", "sim", "config", "init", "--client-id", "other"]);
    assert_eq!(again.code, ExitCode::Settings, "{again:?}");
    assert!(again.stderr.contains("config set KEY VALUE"), "{again:?}");
}

#[test]
fn init_without_a_terminal_needs_the_client_id() {
    let sandbox = Sandbox::new();
    let run = sandbox.run(&["config", "init"]);
    assert_eq!(run.code, ExitCode::Settings, "{run:?}");
    assert!(run.stderr.contains("--client-id"), "{run:?}");
    assert!(config_text(&sandbox).is_empty(), "nothing half-written");
}

#[test]
fn set_and_unset_change_one_key_and_refuse_what_cannot_work() {
    let sandbox = Sandbox::new();
    let run = sandbox.run(&[
        "--profile",
        "prod",
        "config",
        "set",
        "environment",
        "production",
    ]);
    assert_eq!(run.code, ExitCode::Success, "{run:?}");
    assert_eq!(
        sandbox
            .run(&["--profile", "prod", "config", "set", "port", "9000"])
            .code,
        ExitCode::Success
    );
    let text = config_text(&sandbox);
    assert!(
        text.contains("[profiles.prod]") && text.contains("port = 9000"),
        "{text}"
    );
    let before = config_text(&sandbox);
    for (key, value) in [
        ("environment", "staging"),
        ("port", "99999"),
        ("base_url", "http://wwwcie.ups.com"),
        ("client_secret", "s"),
    ] {
        let run = sandbox.run(&["--profile", "prod", "config", "set", key, value]);
        assert_eq!(run.code, ExitCode::Settings, "{key}: {run:?}");
        assert_eq!(config_text(&sandbox), before, "{key} changed the file");
    }
    let run = sandbox.run(&["--profile", "prod", "config", "unset", "port"]);
    assert_eq!(run.code, ExitCode::Success, "{run:?}");
    assert!(
        !config_text(&sandbox).contains("port"),
        "{}",
        config_text(&sandbox)
    );
}

/// Before, `set-secret` without a profile was exit 3 ("needs a profile") and `--profile cie`
/// then "no profile `cie` ... known: none": there was no way but to write the file by hand.
#[test]
fn set_secret_without_any_profile_makes_the_default_one_and_delete_secret_drops_it() {
    let sandbox = Sandbox::new();
    let run = with_stdin(&sandbox, &["config", "set-secret"], "s3cret\n");
    assert_eq!(run.code, ExitCode::Success, "{run:?}");
    assert!(config_text(&sandbox).contains("default_profile = \"default\""));
    let show = sandbox.run(&["config", "show", "--json"]);
    assert!(
        show.stdout.contains("keyring (profile default)"),
        "{show:?}"
    );
    let run = sandbox.run(&["config", "delete-secret"]);
    assert_eq!(run.code, ExitCode::Success, "{run:?}");
    let show = sandbox.run(&["config", "show"]);
    assert!(
        show.stdout.contains("unset (PKCE public client)"),
        "{show:?}"
    );
    let unknown = sandbox.run(&["--profile", "nope", "config", "delete-secret"]);
    assert_eq!(unknown.code, ExitCode::Settings, "{unknown:?}");
    assert!(
        unknown
            .stderr
            .contains("idm-auth --profile nope config init"),
        "says exactly what to run: {unknown:?}"
    );
}
