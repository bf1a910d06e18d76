//! `list`, `list --json`, `check --json` and `config show` exactly as a user sees them:
//! snapshots (tests/snapshots/*.trycmd; refresh them with
//! `TRYCMD=overwrite cargo test --test it snapshots::`, which then fails on purpose, and read
//! the diff) taken on a fixture
//! index with an opt-in in every state, a config file with two profiles, and a fixed clock
//! (`IDM_AUTH_TEST_NOW`, which only debug builds read).
use crate::support;
use chrono::Duration;
use support::fixture::{fixed_now, Row, NOW};
use support::*;

fn row(id: &str) -> Row {
    Row::as_of(id, fixed_now())
}

/// Newest first, one opt-in in each state `list` and `check` tell apart (one with a label of
/// wide characters, which the grid pads by display width).
fn opt_ins() -> Vec<Row> {
    vec![
        row("3f9c2a1b")
            .label("Jane Doe (shipping)")
            .profile("prod")
            .production()
            .created(Duration::hours(20))
            .refreshed(3, Duration::hours(1)),
        row("a1b2c3d4")
            .label("王芳 (退货) 📦")
            .created(Duration::days(2))
            .access_expires(-Duration::hours(2)),
        row("0badc0de")
            .label("ends soon")
            .profile("cie")
            .created(Duration::days(57))
            .refresh_expires(Duration::days(3) + Duration::hours(4)),
        row("deadbeef")
            .label("")
            .created(Duration::days(70))
            .access_expires(-Duration::days(30))
            .refresh_expires(-Duration::days(10)),
        row("c0ffee00")
            .label("password changed")
            .created(Duration::days(80))
            .invalid("UPS refused to refresh it: Invalid Refresh Token (UPS code 10401)"),
        row("5ec2e700")
            .label("no client secret")
            .created(Duration::days(90))
            .public(),
        row("e1ded000")
            .label("no secret, spent")
            .created(Duration::days(95))
            .access_expires(-Duration::hours(1))
            .public(),
    ]
}

const CONFIG: &str = r#"default_profile = "cie"

[profiles.cie]
environment = "cie"
client_id = "AbC123"

[profiles.prod]
environment = "production"
client_id = "XyZ789"
redirect_uri = "http://127.0.0.1:9000/callback"
label = "production desk"
"#;

#[test]
fn list_check_and_config_show_match_the_snapshots() {
    let inherited: Vec<String> = std::env::vars()
        .map(|(key, _)| key)
        .filter(|key| key.starts_with("IDM_AUTH_") && !key.starts_with("IDM_AUTH_TEST_"))
        .collect();
    assert!(
        inherited.is_empty(),
        "unset {inherited:?} to run the snapshots: they would change what idm-auth shows"
    );
    let sandbox = Sandbox::new();
    sandbox.write_index(&opt_ins());
    sandbox.write_config(CONFIG);

    let cases = trycmd::TestCases::new();
    cases.register_bin("idm-auth", std::path::Path::new(BIN));
    // The environment every other test gives idm-auth (private dirs and keyring).
    for (key, value) in sandbox.cmd(&[]).get_envs() {
        if let Some(value) = value {
            cases.env(
                key.to_string_lossy().into_owned(),
                value.to_string_lossy().into_owned(),
            );
        }
    }
    cases
        .env("IDM_AUTH_TEST_NOW", NOW)
        .env("TZ", "UTC")
        .env("NO_COLOR", "1")
        .env("COLUMNS", "100")
        .insert_var("[SANDBOX]", sandbox.dir.path().display().to_string())
        .unwrap();
    cases.case("tests/snapshots/*.trycmd");
    bless::run_snapshots(&cases, "tests/snapshots/*.trycmd");
}
