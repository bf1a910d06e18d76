//! Text that did not come from idm-auth never drives the terminal, and URLs that smuggle
//! credentials or pretend a loopback simulator is UPS are refused or recorded for what they
//! are. The attacker writes the index file, answers as the callback, or types the flags.
use crate::support;

use support::*;

/// Terminal controls an attacker would like to reach the admin's terminal: set the window
/// title, ring the bell, clear the screen, rewrite the line.
const HOSTILE: &str = "evil\u{1b}]0;pwned\u{7}\u{1b}[2J\rfake line\u{9b}31m";

fn assert_no_controls(what: &str, text: &str) {
    let found: Vec<char> = text
        .chars()
        .filter(|c| c.is_control() && *c != '\n' && *c != '\t')
        .collect();
    assert!(found.is_empty(), "{what} carries {found:?}: {text:?}");
}

/// An index written by someone else, with one row whose label and reason are hostile.
fn plant_index(sandbox: &Sandbox) {
    sandbox.write_index(&[fixture::Row::new("abcd1234")
        .label(HOSTILE)
        .client_id("client")
        .invalid(HOSTILE)]);
}

#[test]
fn labels_and_reasons_from_the_index_reach_the_terminal_escaped() {
    let sandbox = Sandbox::new();
    plant_index(&sandbox);

    let list = sandbox.run(&["list"]);
    assert_eq!(list.code, ExitCode::Success, "{list:?}");
    assert!(list.stdout.contains("abcd1234"), "{list:?}");
    assert!(list.stdout.contains("evil\\u{1b}]0;pwned"), "{list:?}");
    assert_no_controls("list", &list.stdout);

    let check = sandbox.run(&["check"]);
    assert_eq!(check.code, ExitCode::Invalid, "{check:?}");
    assert!(check.stderr.contains("abcd1234"), "{check:?}");
    assert_no_controls("check", &check.stderr);

    let token = sandbox.run(&["token", "abcd1234"]);
    assert_eq!(token.code, ExitCode::Invalid, "{token:?}");
    assert!(token.stderr.contains("fake line"), "{token:?}");
    assert_no_controls("token", &token.stderr);

    // The JSON keeps the text as it is, escaped the JSON way, for scripts.
    let json = sandbox.list_json();
    assert_eq!(json[0]["label"], HOSTILE);
}

#[test]
fn a_label_with_control_characters_is_refused() {
    let sandbox = Sandbox::new();
    let sim = Sim::start(&[]);
    let run = sandbox
        .authorize(&sim, free_port(), 10)
        .args(["--label", "desk\u{1b}[2J", "--no-browser"])
        .exec();
    assert_eq!(run.code, ExitCode::Settings, "{run:?}");
    assert_no_controls("authorize", &run.stderr);
}

#[test]
fn the_callbacks_error_words_reach_the_terminal_without_controls() {
    let sandbox = Sandbox::new();
    let sim = Sim::start(&[]);
    let (waiting, port) = sandbox.sign_in_without_browser(&sim);
    let state = waiting.state();
    wait_for_listener(port, std::time::Duration::from_secs(10));
    let hostile: String = url::form_urlencoded::byte_serialize(HOSTILE.as_bytes()).collect();
    let (status, _) = http(
        port,
        "GET",
        &format!("/callback?error=server_error{hostile}&error_description={hostile}&state={state}"),
        &[],
        "",
    );
    assert_eq!(status, 200);
    let run = waiting.finish();
    assert_eq!(run.code, ExitCode::Denied, "{run:?}");
    assert!(run.stderr.contains("fake line"), "{run:?}");
    assert_no_controls("authorize", &run.stderr);
}

#[test]
fn urls_with_a_user_name_or_password_are_refused() {
    let sandbox = Sandbox::new();
    let sim = Sim::start(&[]);
    let port = sim.port();
    for (flag, value) in [
        (
            "--base-url",
            format!("http://admin:hunter2@127.0.0.1:{port}"),
        ),
        ("--base-url", "https://user@wwwcie.ups.com".to_string()),
        (
            "--redirect-uri",
            "http://admin:hunter2@127.0.0.1:9000/cb".to_string(),
        ),
    ] {
        let mut cmd = sandbox.cmd(&[
            "authorize",
            "--client-id",
            CLIENT_ID,
            "--no-browser",
            "--timeout",
            "5",
        ]);
        if flag == "--redirect-uri" {
            cmd.args(["--base-url", &sim.base_url]);
        }
        let run = cmd.args([flag, &value]).exec();
        assert_eq!(run.code, ExitCode::Settings, "{flag} {value}: {run:?}");
        assert!(run.stderr.contains("user name or password"), "{run:?}");
        assert!(!run.stderr.contains("hunter2"), "{run:?}");
    }
}

#[test]
fn a_loopback_base_url_is_recorded_as_the_simulator_whatever_env_says() {
    let sandbox = Sandbox::new();
    let sim = Sim::start(&[]);
    let port = free_port();
    let run = sandbox
        .authorize(&sim, port, 30)
        .args(["--env", "production"])
        .env("BROWSER", sandbox.browser("approve", "browser.json"))
        .exec();
    assert_eq!(run.code, ExitCode::Success, "{run:?}");
    let rows = sandbox.list_json();
    assert_eq!(rows[0]["environment"], "simulator", "{rows:?}");
}

/// A Vault (or whatever answers at VAULT_ADDR: a compromised server, a proxy) that lists one
/// key with terminal controls in it and serves, for any key, an opt-in whose id is that key.
/// Real Vault refuses such keys, so only a hostile server can send them.
fn hostile_vault(key: &str) -> u16 {
    use std::io::{Read, Write};
    let row = fixture::Row::new("abcd1234").label(HOSTILE).json().clone();
    let mut row = row;
    row["id"] = key.into();
    row["keyring"] = "vault".into();
    let listing = serde_json::json!({"data": {"keys": [key]}}).to_string();
    let record = serde_json::json!({"data": {
        "data": {"row": row, "access_token": "not-a-real-token"},
        "metadata": {"version": 1}
    }})
    .to_string();
    let listener = std::net::TcpListener::bind(("127.0.0.1", 0)).unwrap();
    let port = listener.local_addr().unwrap().port();
    std::thread::spawn(move || {
        for mut stream in listener.incoming().flatten() {
            let mut head = Vec::new();
            let mut byte = [0u8; 1];
            while !head.ends_with(b"\r\n\r\n") && stream.read(&mut byte).unwrap_or(0) == 1 {
                head.push(byte[0]);
            }
            let line = String::from_utf8_lossy(&head)
                .lines()
                .next()
                .unwrap_or("")
                .to_string();
            let body = if line.contains("list=true") {
                &listing
            } else {
                &record
            };
            let _ = write!(
                stream,
                "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
                body.len()
            );
        }
    });
    port
}

#[test]
fn ids_from_vault_reach_the_terminal_escaped() {
    let sandbox = Sandbox::new();
    let port = hostile_vault("evil\u{1b}[2J\u{7}");
    let vault = |args: &[&str]| {
        sandbox
            .cmd(args)
            .env("IDM_AUTH_STORE", "vault")
            .env("VAULT_ADDR", format!("http://127.0.0.1:{port}"))
            .env("VAULT_TOKEN", "a-token")
            .exec()
    };
    for args in [&["list"][..], &["check"], &["token"]] {
        let run = vault(args);
        assert_no_controls(&format!("{args:?} stdout"), &run.stdout);
        assert_no_controls(&format!("{args:?} stderr"), &run.stderr);
    }
    let list = vault(&["list"]);
    assert!(
        list.stderr.contains("evil\\u{1b}[2J\\u{7}"),
        "the record is named, escaped: {list:?}"
    );
}
