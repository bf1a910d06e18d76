//! The contract every store keeps, run against each of them (the OS keyring, the file store,
//! the Vault store on a real `bao server -dev`): `list`, `token`, `exec`, `check` and `clear`
//! behave the same, `list --json` names the store, a refused refresh ends the opt-in, and no
//! token is ever in a file in plain text.
use crate::support;
use support::bao::Bao;
use support::stores::{write_key, Machine, StoreKind};
use support::*;

fn contract(kind: StoreKind) {
    let bao = (kind == StoreKind::Vault).then(Bao::start);
    let machine = Machine::new(kind, bao.as_ref());
    let sim = Sim::confidential(&["--access-ttl", "0"]);

    let id = machine.opt_in(&sim);
    let rows = machine.list_json();
    assert_eq!(rows.len(), 1, "{rows:?}");
    assert_eq!(rows[0]["id"], id.as_str());
    assert_eq!(rows[0]["store"], kind.name());
    assert_eq!(rows[0]["status"], "access_expired");

    // At expiry: one refresh, the rotated pair kept; then the stored token, no UPS call.
    sim.settings(r#"{"access_ttl": 3600}"#);
    let token = machine.run(&["token"]);
    assert_eq!(token.code, ExitCode::Success, "{token:?}");
    assert!(sim.is_active(token.stdout.trim()));
    assert_eq!(machine.run(&["token", &id]).stdout, token.stdout);
    assert_eq!(sim.stats()["refresh_requests"], 1);
    let row = &machine.list_json()[0];
    assert_eq!(
        (&row["status"], &row["refresh_count"]),
        (&"active".into(), &1.into())
    );

    let exec = machine.run(&[
        "exec",
        &id,
        "--",
        "sh",
        "-c",
        "printf '%s\\n' \"$UPS_ACCESS_TOKEN\"",
    ]);
    assert_eq!(exec.code, ExitCode::Success, "{exec:?}");
    assert_eq!(exec.stdout, token.stdout);
    assert_eq!(machine.run(&["check"]).code, ExitCode::Success);

    // A refresh UPS refuses ends the opt-in, for list and check too.
    sim.settings(r#"{"access_ttl": 0}"#);
    let doomed = machine.opt_in(&sim);
    let (status, _) = sim.request("POST", "/_simulator/password-change", "");
    assert_eq!(status, 204);
    let refused = machine.run(&["token", &doomed]);
    assert_eq!(refused.code, ExitCode::Invalid, "{refused:?}");
    assert!(refused.stdout.is_empty());
    let rows = machine.list_json();
    let row = rows.iter().find(|r| r["id"] == doomed.as_str()).unwrap();
    assert_eq!(row["status"], "invalid");
    assert!(row["invalid_reason"].is_string());
    assert_eq!(machine.run(&["check"]).code, ExitCode::Invalid);

    for file in files_under(machine.sandbox.dir.path()) {
        let Some(bytes) = read_scanned(&file) else {
            continue;
        };
        assert!(
            !String::from_utf8_lossy(&bytes).contains(token.stdout.trim()),
            "the token in plain text in {}",
            file.display()
        );
    }

    // Clear: idempotent, and the opt-ins are gone for every command.
    let clear = machine.run(&["clear", &doomed, "--yes"]);
    assert_eq!(clear.code, ExitCode::Success, "{clear:?}");
    let all = machine.run(&["clear", "--all", "--yes", "--json"]);
    assert_eq!(all.code, ExitCode::Success, "{all:?}");
    assert!(all.stdout.contains(&id), "{all:?}");
    assert!(machine.list_json().is_empty());
    assert_eq!(machine.run(&["token", &id]).code, ExitCode::NotFound);
    assert_eq!(machine.run(&["check"]).code, ExitCode::NotFound);
    assert_eq!(
        machine.run(&["clear", "--all", "--yes"]).code,
        ExitCode::Success
    );
}

#[test]
fn the_os_keyring_keeps_the_contract() {
    contract(StoreKind::Keyring);
}

#[test]
fn the_file_store_keeps_the_contract() {
    contract(StoreKind::File);
}

#[test]
fn the_vault_store_keeps_the_contract() {
    contract(StoreKind::Vault);
}

#[test]
fn the_store_is_chosen_by_flag_over_environment_over_profile() {
    let sandbox = Sandbox::new();
    sandbox.write_config("default_profile = \"srv\"\n[profiles.srv]\nstore = \"file\"\n");
    let store_row = |cmd: &mut std::process::Command| {
        let run = cmd.exec();
        assert_eq!(run.code, ExitCode::Success, "{run:?}");
        let shown: serde_json::Value = serde_json::from_str(&run.stdout).unwrap();
        let row = shown["settings"]
            .as_array()
            .unwrap()
            .iter()
            .find(|r| r["name"] == "store")
            .cloned()
            .unwrap();
        (
            row["value"].as_str().unwrap().to_string(),
            row["source"].as_str().unwrap().to_string(),
        )
    };
    let key = write_key(&sandbox.path("home/key"), &[0x11; 32], 0o600);
    let show = |args: &[&str]| {
        let mut cmd = sandbox.cmd(args);
        cmd.env("IDM_AUTH_KEY_FILE", &key);
        cmd
    };
    let plain = ["config", "show", "--json"];
    assert_eq!(
        store_row(&mut show(&plain)),
        ("file".into(), "profile srv".into())
    );
    assert_eq!(
        store_row(show(&plain).env("IDM_AUTH_STORE", "keyring")),
        ("keyring".into(), "environment IDM_AUTH_STORE".into())
    );
    let flagged = ["--store", "file", "config", "show", "--json"];
    assert_eq!(
        store_row(show(&flagged).env("IDM_AUTH_STORE", "keyring")),
        ("file".into(), "flag --store".into())
    );
    let bad = sandbox
        .cmd(&["list"])
        .env("IDM_AUTH_STORE", "floppy")
        .exec();
    assert_eq!(bad.code, ExitCode::Settings, "{bad:?}");
}
