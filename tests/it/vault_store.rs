//! The Vault store (`--store vault`) against a real `bao server -dev`: two machines (two
//! HOMEs) of one fleet see the same opt-ins, refresh once between them, clear for each other,
//! and fail fast and without echoing the Vault token when Vault refuses or is down.
use crate::support;
use std::time::{Duration, Instant};
use support::bao::Bao;
use support::stores::{finish_all, forget_kernel_keys, Machine, StoreKind};
use support::ups_link::{Fault, UpsLink};
use support::*;

/// The policy the README's "Fleets" section gives operators.
pub const README_POLICY: &str = r#"
path "secret/data/idm-auth/*" {
  capabilities = ["create", "read", "update"]
}
path "secret/metadata/idm-auth/*" {
  capabilities = ["create", "read", "update", "delete", "list"]
}
"#;

/// Two machines of one fleet, each with a token holding only the README's policy.
fn fleet(bao: &Bao) -> (Machine, Machine) {
    bao.policy("idm-auth", README_POLICY);
    let machine = || {
        let mut m = Machine::new(StoreKind::Vault, Some(bao));
        m.set_env("VAULT_TOKEN", &bao.token_with("idm-auth"));
        m
    };
    (machine(), machine())
}

#[test]
fn two_machines_see_one_opt_in_and_clear_is_fleet_wide() {
    let bao = Bao::start();
    let (a, b) = fleet(&bao);
    let sim = Sim::confidential(&[]);
    let id = a.opt_in(&sim);
    let on_b = b.list_json();
    assert_eq!(on_b.len(), 1, "{on_b:?}");
    assert_eq!(on_b[0]["id"], id.as_str());
    assert_eq!(on_b[0]["store"], "vault");
    let token_a = a.run(&["token", &id]);
    let token_b = b.run(&["token", &id]);
    assert_eq!(token_b.code, ExitCode::Success, "{token_b:?}");
    assert_eq!(token_a.stdout, token_b.stdout);
    // Nothing but the local listing copy is on either machine's disk, and it holds no token.
    for machine in [&a, &b] {
        for file in files_under(machine.sandbox.dir.path()) {
            let Some(bytes) = read_scanned(&file) else {
                continue;
            };
            let text = String::from_utf8_lossy(&bytes).into_owned();
            assert!(
                !text.contains(token_a.stdout.trim()),
                "token in {}",
                file.display()
            );
        }
    }

    let clear = b.run(&["clear", &id, "--yes"]);
    assert_eq!(clear.code, ExitCode::Success, "{clear:?}");
    assert!(a.list_json().is_empty(), "cleared on b, gone on a");
    assert_eq!(a.run(&["token", &id]).code, ExitCode::NotFound);
}

#[test]
fn eight_token_calls_over_two_machines_at_expiry_cause_one_refresh() {
    let bao = Bao::start();
    let (a, b) = fleet(&bao);
    let sim = Sim::confidential(&["--access-ttl", "0"]);
    let id = a.opt_in(&sim);
    sim.settings(r#"{"access_ttl": 3600}"#);
    let children = (0..8)
        .map(|i| {
            if i % 2 == 0 {
                a.spawn_token(&id)
            } else {
                b.spawn_token(&id)
            }
        })
        .collect();
    let runs = finish_all(children);
    for run in &runs {
        assert_eq!(run.code, ExitCode::Success, "{run:?}");
        assert_eq!(run.stdout, runs[0].stdout);
    }
    assert_eq!(sim.stats()["refresh_requests"], 1);
    assert!(sim.is_active(runs[0].stdout.trim()));
    assert_eq!(a.list_json()[0]["refresh_count"], 1);
}

#[test]
fn a_read_only_vault_token_stops_authorize_before_the_browser() {
    let bao = Bao::start();
    bao.policy(
        "read-only",
        r#"
path "secret/data/idm-auth/*" { capabilities = ["read"] }
path "secret/metadata/idm-auth/*" { capabilities = ["read", "list"] }
"#,
    );
    let mut machine = Machine::new(StoreKind::Vault, Some(&bao));
    machine.set_env("VAULT_TOKEN", &bao.token_with("read-only"));
    let sim = Sim::confidential(&[]);
    // A browser that waits for a go-ahead never given: had authorize started it, it would
    // still be running when authorize exits (a spawn returns once the program is exec'd).
    let never = machine.sandbox.path("never.json").display().to_string();
    let browser = format!(
        "{} --wait-for {}",
        machine.sandbox.browser("approve", "never.json"),
        machine.sandbox.path("no-go-ahead").display()
    );
    let run = machine
        .authorize(&sim.base_url)
        .env("BROWSER", browser)
        .exec();
    assert_eq!(run.code, ExitCode::Keyring, "{run:?}");
    assert!(run.stderr.contains("vault"), "{run:?}");
    assert!(!a_process_has_arg(&never), "a browser opened");
    assert_eq!(sim.stats()["authorize"], 0, "nobody was sent to sign in");
}

#[test]
fn an_invalid_vault_token_is_exit_9_and_never_echoed() {
    let bao = Bao::start();
    let mut machine = Machine::new(StoreKind::Vault, Some(&bao));
    let bad = "s.thisTokenIsNotKnownToVault42";
    machine.set_env("VAULT_TOKEN", bad);
    for args in [vec!["list"], vec!["token"], vec!["clear", "--all", "--yes"]] {
        let run = machine.run(&args);
        assert_eq!(run.code, ExitCode::Keyring, "{args:?}: {run:?}");
        assert!(!run.stderr.contains("thisTokenIsNotKnown"), "{run:?}");
        assert!(!run.stdout.contains("thisTokenIsNotKnown"), "{run:?}");
    }
    // The same from the token file Vault Agent writes.
    machine.remove_env("VAULT_TOKEN");
    std::fs::write(
        machine.sandbox.path("home/.vault-token"),
        format!("{bad}\n"),
    )
    .unwrap();
    let run = machine.run(&["list"]);
    assert_eq!(run.code, ExitCode::Keyring, "{run:?}");
    assert!(!run.stderr.contains("thisTokenIsNotKnown"), "{run:?}");
}

#[test]
fn with_vault_down_a_cached_token_is_served_and_anything_else_is_exit_9_at_once() {
    let mut bao = Bao::start();
    let (a, b) = fleet(&bao);
    let sim = Sim::confidential(&["--access-ttl", "3600"]);
    let id = a.opt_in(&sim);
    let served = a.run(&["token", &id]);
    assert_eq!(served.code, ExitCode::Success, "{served:?}");
    bao.stop();

    let run = a.run(&["token", &id]);
    assert_eq!(
        run.code,
        ExitCode::Success,
        "the cached token keeps scripts going: {run:?}"
    );
    assert_eq!(run.stdout, served.stdout);
    // Without a cached token (a machine that never served it, or after a reboot): exit 9,
    // in seconds rather than time-outs times retries.
    forget_kernel_keys(&id);
    for machine in [&a, &b] {
        let started = Instant::now();
        let run = machine.run(&["token", &id]);
        assert_eq!(run.code, ExitCode::Keyring, "{run:?}");
        assert!(run.stderr.contains("cannot be reached"), "{run:?}");
        assert!(
            started.elapsed() < Duration::from_secs(10),
            "{:?}",
            started.elapsed()
        );
    }
    assert_eq!(b.run(&["list"]).code, ExitCode::Keyring);
}

#[test]
fn through_an_outage_a_machine_never_serves_another_stores_opt_in() {
    let mut bao = Bao::start();
    let (mut a, _) = fleet(&bao);
    let sim = Sim::confidential(&["--access-ttl", "3600"]);
    let id = a.opt_in(&sim);
    let served = a.run(&["token", &id]);
    assert_eq!(served.code, ExitCode::Success, "{served:?}");
    bao.stop();

    // The same machine, pointed at another store (another namespace) while Vault is down:
    // nothing of the first store's listing, nor its cached token, answers for it.
    a.set_env("VAULT_NAMESPACE", "team-b");
    for args in [&["token"][..], &["token", &id]] {
        let run = a.run(args);
        assert_eq!(run.code, ExitCode::Keyring, "{args:?}: {run:?}");
        assert!(run.stdout.is_empty(), "{args:?}: {run:?}");
    }
    // Its own store's copy still serves the cached token.
    a.set_env("VAULT_NAMESPACE", "");
    let run = a.run(&["token"]);
    assert_eq!(run.code, ExitCode::Success, "{run:?}");
    assert_eq!(run.stdout, served.stdout);
}

#[test]
fn a_token_killed_while_ups_answers_slowly_costs_the_fleet_nothing() {
    let bao = Bao::start();
    let (mut a, mut b) = fleet(&bao);
    let sim = Sim::confidential(&["--access-ttl", "0"]);
    let link = UpsLink::start(sim.port());
    let id = a.opt_in_at(&link.base_url());
    sim.settings(r#"{"access_ttl": 3600}"#);
    // A claim lives for the UPS time-out plus 15 s: keep the wait short, but leave the slow
    // answer seconds of room on a loaded machine (an answer past the time-out is a lost one,
    // and its retry then meets a spent refresh token: another test's subject).
    for m in [&mut a, &mut b] {
        m.set_env("IDM_AUTH_HTTP_TIMEOUT", "8");
    }
    link.fault(
        "/security/v1/oauth/refresh",
        Fault::SlowAnswer(Duration::from_millis(2500)),
    );
    let mut refresher = a.spawn_token(&id);
    let deadline = Instant::now() + Duration::from_secs(20);
    while link.count("/security/v1/oauth/refresh") == 0 {
        assert!(Instant::now() < deadline, "the refresh never reached UPS");
        std::thread::sleep(Duration::from_millis(20));
    }
    // UPS has the request (and rotates the pair); `token` dies before the answer, and its
    // detached refresher (commands/refresher.rs) still saves it.
    refresher.kill().unwrap();
    refresher.wait().unwrap();

    let started = Instant::now();
    let runs = finish_all(vec![
        b.spawn_token(&id),
        a.spawn_token(&id),
        b.spawn_token(&id),
    ]);
    assert!(
        started.elapsed() < Duration::from_secs(60),
        "the others hung: {:?}",
        started.elapsed()
    );
    for run in &runs {
        assert_eq!(run.code, ExitCode::Success, "{run:?}");
        assert!(
            sim.is_active(run.stdout.trim()),
            "a token UPS no longer accepts: {run:?}"
        );
        assert!(!run.stderr.contains("cut short"), "{run:?}");
    }
    assert_eq!(a.list_json()[0]["status"], "active");
}

/// Write `data` as the record under `key` (any bytes: it is percent-encoded), as anyone with
/// write access to the prefix could.
fn plant_record(bao: &Bao, key: &str, data: &serde_json::Value) {
    let encoded: String = key
        .bytes()
        .map(|b| {
            if b.is_ascii_alphanumeric() {
                (b as char).to_string()
            } else {
                format!("%{b:02X}")
            }
        })
        .collect();
    let body = serde_json::json!({ "data": data }).to_string();
    let (code, answer) = bao.api(
        "POST",
        &format!("secret/data/idm-auth/optins/{encoded}"),
        Some(&body),
        &bao.root_token,
    );
    assert_eq!(code, 200, "plant {key:?}: {answer}");
}

#[test]
fn records_that_do_not_decode_are_skipped_with_a_note_and_cost_nobody_their_opt_in() {
    let bao = Bao::start();
    let (a, b) = fleet(&bao);
    let sim = Sim::confidential(&["--access-ttl", "3600"]);
    let id = a.opt_in(&sim);
    // Junk under an id-shaped key, and keys that URL parsing reads as "go up" (these never
    // become request paths: see store/vault/kv.rs's unit tests).
    plant_record(&bao, "junk0001", &serde_json::json!({"not": "an opt-in"}));
    plant_record(&bao, "%2e%2e", &serde_json::json!({"not": "an opt-in"}));
    plant_record(&bao, "..%2F..%2Fsys%2Fmounts", &serde_json::json!({"x": 1}));

    let list = b.run(&["list", "--json"]);
    assert_eq!(list.code, ExitCode::Success, "{list:?}");
    let rows: Vec<serde_json::Value> = serde_json::from_str(&list.stdout).unwrap();
    assert_eq!(rows.len(), 1, "{list:?}");
    assert_eq!(rows[0]["id"], id.as_str());
    for key in ["junk0001", "%2e%2e", "..%2F..%2Fsys%2Fmounts"] {
        assert!(
            list.stderr.contains(&format!("optins/{key} ")),
            "a note names {key}: {list:?}"
        );
    }
    assert_eq!(list.stderr.lines().count(), 3, "one line each: {list:?}");
    let grid = b.run(&["list"]);
    assert_eq!(grid.code, ExitCode::Success, "{grid:?}");
    assert!(grid.stdout.contains(&id), "{grid:?}");
    let token = b.run(&["token", &id]);
    assert_eq!(token.code, ExitCode::Success, "{token:?}");
    assert!(sim.is_active(token.stdout.trim()), "{token:?}");
    let newest = a.run(&["token"]);
    assert_eq!(newest.code, ExitCode::Success, "{newest:?}");
    let exec = b.run(&["exec", "--", "sh", "-c", "test -n \"$UPS_ACCESS_TOKEN\""]);
    assert_eq!(exec.code, ExitCode::Success, "{exec:?}");
}

/// A web server on `port` that answers every request with a maintenance page, as a proxy
/// in front of Vault does; stops when the flag is dropped.
struct MaintenancePage {
    running: std::sync::Arc<std::sync::atomic::AtomicBool>,
    thread: Option<std::thread::JoinHandle<()>>,
}

impl MaintenancePage {
    fn start(port: u16) -> MaintenancePage {
        use std::io::{Read, Write};
        use std::sync::atomic::Ordering;
        let listener = std::net::TcpListener::bind(("127.0.0.1", port)).unwrap();
        listener.set_nonblocking(true).unwrap();
        let running = std::sync::Arc::new(std::sync::atomic::AtomicBool::new(true));
        let flag = running.clone();
        let thread = std::thread::spawn(move || {
            while flag.load(Ordering::Relaxed) {
                let Ok((mut stream, _)) = listener.accept() else {
                    std::thread::sleep(Duration::from_millis(10));
                    continue;
                };
                stream.set_nonblocking(false).unwrap();
                stream
                    .set_read_timeout(Some(Duration::from_secs(2)))
                    .unwrap();
                let mut head = Vec::new();
                let mut byte = [0u8; 1];
                while !head.ends_with(b"\r\n\r\n") && stream.read(&mut byte).unwrap_or(0) == 1 {
                    head.push(byte[0]);
                }
                let page = "<html><body><h1>Down for maintenance</h1></body></html>";
                let _ = write!(
                    stream,
                    "HTTP/1.1 200 OK\r\nContent-Type: text/html\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{page}",
                    page.len()
                );
            }
        });
        MaintenancePage {
            running,
            thread: Some(thread),
        }
    }
}

impl Drop for MaintenancePage {
    fn drop(&mut self) {
        self.running
            .store(false, std::sync::atomic::Ordering::Relaxed);
        if let Some(thread) = self.thread.take() {
            let _ = thread.join();
        }
    }
}

#[test]
fn a_maintenance_page_instead_of_vault_is_an_outage_and_keeps_the_outage_copy() {
    let mut bao = Bao::start();
    let (a, _) = fleet(&bao);
    let sim = Sim::confidential(&["--access-ttl", "3600"]);
    let id = a.opt_in(&sim);
    let served = a.run(&["token", &id]);
    assert_eq!(served.code, ExitCode::Success, "{served:?}");
    assert_eq!(a.list_json().len(), 1);
    bao.stop();
    // A proxy at Vault's address answers 200 with HTML.
    let page = MaintenancePage::start(bao.port);

    let list = a.run(&["list", "--json"]);
    assert_eq!(list.code, ExitCode::Keyring, "not an empty list: {list:?}");
    assert!(list.stdout.is_empty(), "{list:?}");
    assert!(list.stderr.contains("not Vault's JSON"), "{list:?}");
    let check = a.run(&["check"]);
    assert_eq!(check.code, ExitCode::Keyring, "{check:?}");
    // The outage rules: the cached token is served from the last listing.
    let token = a.run(&["token", &id]);
    assert_eq!(token.code, ExitCode::Success, "{token:?}");
    assert_eq!(token.stdout, served.stdout);
    drop(page);

    // The copy of the listing still holds the opt-in: with Vault down, still served.
    let token = a.run(&["token"]);
    assert_eq!(token.code, ExitCode::Success, "{token:?}");
    assert_eq!(token.stdout, served.stdout);
}

/// A Vault address where connections are taken and never answered: the command waits there
/// (up to its request time-out), holding the Vault token. Returns the port and a count of
/// connections taken.
fn silent_vault() -> (u16, std::sync::Arc<std::sync::atomic::AtomicUsize>) {
    let listener = std::net::TcpListener::bind(("127.0.0.1", 0)).unwrap();
    let port = listener.local_addr().unwrap().port();
    let taken = std::sync::Arc::new(std::sync::atomic::AtomicUsize::new(0));
    let count = taken.clone();
    std::thread::spawn(move || {
        let mut held = Vec::new();
        for stream in listener.incoming().flatten() {
            held.push(stream);
            count.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
        }
    });
    (port, taken)
}

#[test]
fn list_check_and_clear_with_the_vault_store_keep_their_memory_from_other_processes() {
    use std::sync::atomic::Ordering;
    support::attacker::require_root();
    let (port, taken) = silent_vault();
    let sandbox = Sandbox::new();
    let vault_token = "hvs.not-for-other-processes";
    for args in [&["list"][..], &["check"], &["clear", "--all", "--yes"]] {
        let before = taken.load(Ordering::SeqCst);
        // Both processes run as root without capabilities, so only the dumpable flag decides.
        let mut child = std::process::Command::new("setpriv");
        child
            .args(["--inh-caps=-all", "--bounding-set=-all", support::BIN])
            .args(args)
            .envs(
                sandbox
                    .cmd(&[])
                    .get_envs()
                    .filter_map(|(k, v)| Some((k, v?))),
            )
            .env("IDM_AUTH_STORE", "vault")
            .env("VAULT_ADDR", format!("http://127.0.0.1:{port}"))
            .env("VAULT_TOKEN", vault_token)
            .stdout(std::process::Stdio::null())
            .stderr(std::process::Stdio::null());
        let mut child = child.spawn().unwrap();
        let deadline = Instant::now() + Duration::from_secs(10);
        while taken.load(Ordering::SeqCst) == before {
            assert!(Instant::now() < deadline, "{args:?} never asked Vault");
            std::thread::sleep(Duration::from_millis(10));
        }
        // Another process of the same user, without CAP_SYS_PTRACE, reads its environment.
        let attempt = std::process::Command::new("setpriv")
            .args(["--inh-caps=-all", "--bounding-set=-all", "cat"])
            .arg(format!("/proc/{}/environ", child.id()))
            .output()
            .unwrap();
        child.kill().unwrap();
        child.wait().unwrap();
        let seen = String::from_utf8_lossy(&attempt.stdout);
        assert!(
            !attempt.status.success() && !seen.contains(vault_token),
            "{args:?}: another process read its environment ({} bytes)",
            seen.len()
        );
    }
}
