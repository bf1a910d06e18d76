//! The Vault KV v2 client against a real `bao server -dev`: check-and-set decides between
//! two writers, history is kept short, and every failure is exit 9 without the token in it.
use crate::support;

use idm_auth::error::ExitCode;
use idm_auth::store::vault::kv::{Kv, VaultProfile, VaultSettings, Written};
use serde_json::json;
use std::time::{Duration, Instant};
use support::bao::Bao;

fn kv(bao: &Bao, token: &str) -> Kv {
    kv_in(bao, token, None)
}

/// The client as the environment configures it, in Vault `namespace` if given.
fn kv_in(bao: &Bao, token: &str, namespace: Option<&str>) -> Kv {
    let ca = bao.ca_cert.as_ref().map(|p| p.display().to_string());
    let env = |name: &str| match name {
        "VAULT_ADDR" => Some(bao.addr()),
        "VAULT_TOKEN" => Some(token.to_string()),
        "VAULT_CACERT" => ca.clone(),
        "VAULT_NAMESPACE" => namespace.map(str::to_string),
        _ => None,
    };
    Kv::connect(VaultSettings::resolve(&VaultProfile::default(), env, None).unwrap()).unwrap()
}

#[test]
fn vault_namespace_keeps_the_records_in_that_namespace() {
    let bao = Bao::start();
    let root = &bao.root_token;
    let (code, answer) = bao.api("POST", "sys/namespaces/team-a", Some("{}"), root);
    assert_eq!(code, 200, "create the namespace: {answer}");
    let kv_v2 = r#"{"type": "kv", "options": {"version": "2"}}"#;
    let (code, answer) = bao.api("POST", "team-a/sys/mounts/secret", Some(kv_v2), root);
    assert_eq!(code, 204, "mount KV v2 in it: {answer}");

    let team = kv_in(&bao, root, Some("team-a"));
    assert_eq!(
        team.write("optins/a1", &json!({"n": 1}), 0).unwrap(),
        Written::Stored(1)
    );
    assert_eq!(
        team.read("optins/a1").unwrap().unwrap().data,
        json!({"n": 1})
    );
    assert_eq!(team.list("optins").unwrap(), ["a1"]);
    let at = |path: &str| bao.api("GET", path, None, root).0;
    assert_eq!(
        at("team-a/secret/data/idm-auth/optins/a1"),
        200,
        "in team-a"
    );
    assert_eq!(
        at("secret/data/idm-auth/optins/a1"),
        404,
        "not in the root namespace"
    );
    // The root namespace's client sees nothing of it.
    assert_eq!(kv(&bao, root).read("optins/a1").unwrap(), None);
}

#[test]
fn check_and_set_lets_exactly_one_of_two_writers_through() {
    let bao = Bao::start();
    let kv = kv(&bao, &bao.root_token);
    assert_eq!(kv.read("optins/a1").unwrap(), None);
    assert_eq!(
        kv.write("optins/a1", &json!({"n": 1}), 0).unwrap(),
        Written::Stored(1)
    );
    // A second creator loses: the record exists.
    assert_eq!(
        kv.write("optins/a1", &json!({"n": 2}), 0).unwrap(),
        Written::Lost
    );
    kv.limit_history("optins/a1", 1).unwrap();
    let read = kv.read("optins/a1").unwrap().unwrap();
    assert_eq!((read.version, read.data), (1, json!({"n": 1})));
    // Two writers that read version 1: the first wins, the second is told it lost.
    assert_eq!(
        kv.write("optins/a1", &json!({"n": 3}), 1).unwrap(),
        Written::Stored(2)
    );
    assert_eq!(
        kv.write("optins/a1", &json!({"n": 4}), 1).unwrap(),
        Written::Lost
    );
    assert_eq!(kv.read("optins/a1").unwrap().unwrap().data, json!({"n": 3}));
    // Only the latest version is kept: the old one held the old tokens.
    let (code, _) = bao.api(
        "GET",
        "secret/data/idm-auth/optins/a1?version=1",
        None,
        &bao.root_token,
    );
    assert_eq!(code, 404, "version 1 is still readable");
    assert_eq!(kv.list("optins").unwrap(), ["a1"]);
    kv.destroy("optins/a1").unwrap();
    kv.destroy("optins/a1").unwrap();
    assert_eq!(kv.read("optins/a1").unwrap(), None);
    assert!(kv.list("optins").unwrap().is_empty());
}

#[test]
fn a_bad_token_is_exit_9_and_never_echoed() {
    let bao = Bao::start();
    let bad = "hvs.not-a-real-token-0123456789";
    let error = kv(&bao, bad).read("optins/a1").unwrap_err();
    assert_eq!(error.exit_code(), ExitCode::Keyring);
    let message = error.to_string();
    assert!(message.contains("403"), "{message}");
    assert!(!message.contains("not-a-real-token"), "{message}");
}

#[test]
fn a_stopped_vault_is_exit_9_within_seconds() {
    let mut bao = Bao::start();
    let kv = kv(&bao, &bao.root_token);
    bao.stop();
    let started = Instant::now();
    let error = kv.read("optins/a1").unwrap_err();
    assert_eq!(error.exit_code(), ExitCode::Keyring);
    assert!(error.to_string().contains("cannot be reached"), "{error}");
    assert!(started.elapsed() < Duration::from_secs(5));
}

#[test]
fn https_to_a_server_whose_ca_is_given_by_vault_cacert() {
    let bao = Bao::start_tls();
    assert!(bao.addr().starts_with("https://"));
    let kv = kv(&bao, &bao.root_token);
    assert_eq!(
        kv.write("optins/a1", &json!({"n": 1}), 0).unwrap(),
        Written::Stored(1)
    );
    // Without the CA, the server's certificate is not trusted: exit 9, not a plain retry.
    let env = |name: &str| match name {
        "VAULT_ADDR" => Some(bao.addr()),
        "VAULT_TOKEN" => Some(bao.root_token.clone()),
        _ => None,
    };
    let untrusted =
        Kv::connect(VaultSettings::resolve(&VaultProfile::default(), env, None).unwrap()).unwrap();
    let error = untrusted.read("optins/a1").unwrap_err();
    assert_eq!(error.exit_code(), ExitCode::Keyring);
}
