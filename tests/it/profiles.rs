//! Profiles in the config file, precedence (flags > environment > profile > defaults),
//! `config show`, `config set-secret`, and opt-ins that remember their profile.
use crate::support;
use std::io::Write;
use std::process::Stdio;
use support::*;

fn config_for(sim: &Sim, port: u16) -> String {
    format!(
        "default_profile = \"desk\"\n\n[profiles.desk]\nbase_url = \"{}\"\nclient_id = \"{CLIENT_ID}\"\nport = {port}\nlabel = \"front desk\"\n\n[profiles.other]\nenvironment = \"production\"\nclient_id = \"someone-else\"\n",
        sim.base_url
    )
}

#[test]
fn authorize_takes_its_settings_from_the_profile_and_the_opt_in_remembers_it() {
    let sandbox = Sandbox::new();
    let sim = Sim::start(&[]);
    let port = free_port();
    sandbox.write_config(&config_for(&sim, port));
    let run = sandbox
        .cmd(&["authorize", "--timeout", "30"])
        .env("BROWSER", sandbox.browser("approve", "b.json"))
        .exec();
    assert_eq!(run.code, ExitCode::Success, "{run:?}");
    let rows = sandbox.list_json();
    assert_eq!(rows[0]["profile"], "desk");
    assert_eq!(rows[0]["label"], "front desk");
    assert!(
        run.stderr.contains(&format!("127.0.0.1:{port}/callback")),
        "{run:?}"
    );

    // --profile narrows list and token; an unknown profile is a config error.
    assert_eq!(
        sandbox
            .run(&["--profile", "other", "list", "--json"])
            .stdout
            .trim(),
        "[]"
    );
    assert_eq!(
        sandbox.run(&["--profile", "other", "token"]).code,
        ExitCode::NotFound
    );
    assert_eq!(
        sandbox.run(&["--profile", "desk", "token"]).code,
        ExitCode::Success
    );
    let run = sandbox.run(&["--profile", "nope", "authorize"]);
    assert_eq!(run.code, ExitCode::Settings, "{run:?}");
    assert!(run.stderr.contains("no profile `nope`"), "{run:?}");
}

#[test]
fn flags_beat_environment_beat_profile_and_config_show_says_where_each_came_from() {
    let sandbox = Sandbox::new();
    let sim = Sim::start(&[]);
    sandbox.write_config(&config_for(&sim, 9123));
    let run = sandbox
        .cmd(&["config", "show", "--json"])
        .env("IDM_AUTH_CLIENT_ID", "from-env")
        .exec();
    assert_eq!(run.code, ExitCode::Success, "{run:?}");
    let shown: serde_json::Value = serde_json::from_str(&run.stdout).unwrap();
    let get = |name: &str| {
        shown["settings"]
            .as_array()
            .unwrap()
            .iter()
            .find(|r| r["name"] == name)
            .cloned()
            .unwrap()
    };
    assert_eq!(get("profile")["value"], "desk");
    assert_eq!(get("profile")["source"], "config file default_profile");
    assert_eq!(get("client_id")["value"], "from-env");
    assert_eq!(get("client_id")["source"], "environment IDM_AUTH_CLIENT_ID");
    assert_eq!(get("base_url")["value"], sim.base_url.as_str());
    assert_eq!(get("base_url")["source"], "profile desk");
    assert_eq!(
        get("redirect_uri")["value"],
        "http://127.0.0.1:9123/callback"
    );
    assert_eq!(get("client_secret")["value"], "unset (PKCE public client)");

    // Another profile by flag (production's default host, "flag --profile" as the
    // source): tests/snapshots/config-show.trycmd.

    // A flag beats the environment and the profile.
    let port = free_port();
    let run = sandbox
        .cmd(&[
            "authorize",
            "--port",
            &port.to_string(),
            "--timeout",
            "1",
            "--no-browser",
        ])
        .env("IDM_AUTH_CLIENT_ID", "from-env")
        .exec();
    // The simulator knows no client `from-env`: UPS's client check refuses it before the
    // sign-in, naming the client id and the redirect URI that were sent.
    assert_eq!(run.code, ExitCode::Ups, "{run:?}");
    assert!(
        run.stderr.contains(&format!("127.0.0.1:{port}/callback")),
        "the flag's port: {run:?}"
    );
    assert!(
        run.stderr.contains("client id `from-env`"),
        "the environment's client id: {run:?}"
    );
}

#[test]
fn set_secret_keeps_the_secret_in_the_keyring_and_authorize_uses_it() {
    let sandbox = Sandbox::new();
    let sim = Sim::start_with_secret(&[], Some("profile-secret"));
    let port = free_port();
    sandbox.write_config(&config_for(&sim, port));
    let mut child = sandbox
        .cmd(&["config", "set-secret"])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    writeln!(child.stdin.take().unwrap(), "profile-secret").unwrap();
    let run = Run::from(child.wait_with_output().unwrap());
    assert_eq!(run.code, ExitCode::Success, "{run:?}");
    assert!(!run.stdout.contains("profile-secret") && !run.stderr.contains("profile-secret"));
    let stored = secret_tool(&[
        "lookup",
        "service",
        "idm-auth",
        "username",
        "profile:desk/client-secret",
    ])
    .output()
    .unwrap();
    assert_eq!(String::from_utf8_lossy(&stored.stdout), "profile-secret");
    // Nothing of it in the config dir.
    let config = std::fs::read_to_string(sandbox.path("config/idm-auth/config.toml")).unwrap();
    assert!(!config.contains("profile-secret"));

    let shown = sandbox.run(&["config", "show"]);
    assert!(shown.stdout.contains("keyring (profile desk)"), "{shown:?}");
    assert!(!shown.stdout.contains("profile-secret"));

    // The confidential simulator accepts the opt-in only with that secret (HTTP Basic).
    let run = sandbox
        .cmd(&["authorize", "--timeout", "30"])
        .env("BROWSER", sandbox.browser("approve", "b.json"))
        .exec();
    assert_eq!(run.code, ExitCode::Success, "{run:?}");
    assert_eq!(sandbox.list_json()[0]["profile"], "desk");
    let _ = secret_tool(&[
        "clear",
        "service",
        "idm-auth",
        "username",
        "profile:desk/client-secret",
    ])
    .status();
}

#[test]
fn a_secret_in_the_config_file_is_refused() {
    let sandbox = Sandbox::new();
    sandbox.write_config("[profiles.a]\nclient_id = \"x\"\nclient_secret = \"oops\"\n");
    let run = sandbox.run(&["--profile", "a", "authorize"]);
    assert_eq!(run.code, ExitCode::Settings, "{run:?}");
    assert!(run.stderr.contains("config set-secret"), "{run:?}");
    assert!(!run.stderr.contains("oops"));
}
