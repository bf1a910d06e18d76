//! The data directory as an attacker sees it: another local user who owns (or can write) the
//! directory `XDG_DATA_HOME` points at, links planted where idm-auth opens its files, a huge
//! index, and an index forged to send a refresh token over plain http to a remote host.
use crate::support;

use std::os::unix::fs::{symlink, PermissionsExt};
use support::attacker::{as_other_user, require_root, RecordingProxy, OTHER_UID};
use support::*;

const VICTIM: &str = "root's own file, which nobody may overwrite\n";

fn empty_index() -> String {
    fixture::index_text(&[])
}

/// An index holding one opt-in (its secrets need not exist for `clear`).
fn one_row_index(base_url: &str) -> String {
    fixture::index_text(&[fixture::Row::new("abcd1234")
        .label("desk")
        .client_id("client")
        .base_url(base_url)])
}

#[test]
fn a_data_dir_of_another_user_is_refused_before_anything_is_written_through_it() {
    require_root();
    let sandbox = Sandbox::new();
    std::fs::set_permissions(sandbox.dir.path(), std::fs::Permissions::from_mode(0o755)).unwrap();
    // A directory everyone can use, as /tmp or a shared project folder is.
    let shared = sandbox.path("shared");
    std::fs::create_dir(&shared).unwrap();
    std::fs::set_permissions(&shared, std::fs::Permissions::from_mode(0o1777)).unwrap();
    let victim = sandbox.path("victim");
    std::fs::write(&victim, VICTIM).unwrap();

    // The other user makes the data directory and, in it, an index with one row and links
    // named like every temporary index file the next thousands of processes would write.
    let next_pid: u32 = std::fs::read_to_string("/proc/sys/kernel/ns_last_pid")
        .unwrap()
        .trim()
        .parse()
        .unwrap();
    let plant = format!(
        "import os,sys\n\
         d=sys.argv[1]+'/data/idm-auth'; os.makedirs(d); os.chmod(sys.argv[1]+'/data',0o755)\n\
         open(d+'/index.json','w').write(sys.argv[2])\n\
         for p in range({next_pid}, {next_pid}+30000): os.symlink(sys.argv[3], d+'/.index.json.%d.tmp'%p)\n"
    );
    let planted = as_other_user("/usr/bin/python3")
        .args(["-c", &plant])
        .arg(&shared)
        .arg(one_row_index("https://wwwcie.ups.com"))
        .arg(&victim)
        .exec();
    assert_eq!(
        planted.code,
        ExitCode::Success,
        "the other user plants: {planted:?}"
    );

    let run = sandbox
        .cmd(&["clear", "--all", "--yes"])
        .env("XDG_DATA_HOME", shared.join("data"))
        .exec();
    assert_eq!(
        std::fs::read_to_string(&victim).unwrap(),
        VICTIM,
        "root's file was written through a planted link: {run:?}"
    );
    assert_eq!(run.code, ExitCode::Index, "{run:?}");
    assert!(
        run.stderr.contains(&format!("belongs to user {OTHER_UID}")),
        "{run:?}"
    );

    // A directory root made but everyone can write is refused the same way.
    let open_dir = sandbox.path("open-data");
    std::fs::create_dir(&open_dir).unwrap();
    std::fs::set_permissions(&open_dir, std::fs::Permissions::from_mode(0o777)).unwrap();
    let run = sandbox
        .cmd(&["list"])
        .env("XDG_DATA_HOME", &open_dir)
        .exec();
    assert_eq!(run.code, ExitCode::Index, "{run:?}");
    assert!(run.stderr.contains("written by other users"), "{run:?}");
}

#[test]
fn links_in_the_data_dir_are_never_followed() {
    let sandbox = Sandbox::new();
    let dir = sandbox.path("data/idm-auth");
    std::fs::create_dir_all(&dir).unwrap();
    let elsewhere = sandbox.path("elsewhere.json");
    std::fs::write(&elsewhere, one_row_index("https://wwwcie.ups.com")).unwrap();
    symlink(&elsewhere, dir.join("index.json")).unwrap();

    let run = sandbox.run(&["list", "--json"]);
    assert_eq!(
        run.code,
        ExitCode::Index,
        "the index was read through a link: {run:?}"
    );
    assert!(run.stderr.contains("link"), "{run:?}");

    // A lock file that is a link: taking the lock must not open the file it points at.
    std::fs::remove_file(dir.join("index.json")).unwrap();
    std::fs::write(
        dir.join("index.json"),
        one_row_index("https://wwwcie.ups.com"),
    )
    .unwrap();
    std::fs::create_dir_all(dir.join("locks")).unwrap();
    let target = sandbox.path("lock-target");
    symlink(&target, dir.join("locks/index.lock")).unwrap();
    let run = sandbox.run(&["clear", "--all", "--yes"]);
    assert_eq!(run.code, ExitCode::Index, "{run:?}");
    assert!(!target.exists(), "a lock was created through a link");
    assert_eq!(sandbox.list_json().len(), 1, "nothing was cleared");
}

#[test]
fn an_index_too_large_to_be_ours_is_damage_left_in_place_and_kept_aside() {
    let sandbox = Sandbox::new();
    let path = sandbox.index_path();
    std::fs::create_dir_all(path.parent().unwrap()).unwrap();
    // Valid JSON, but 20 MB of it.
    let mut text = empty_index();
    text.push_str(&" ".repeat(20 << 20));
    std::fs::write(&path, &text).unwrap();

    let run = sandbox.run(&["list", "--json"]);
    assert_eq!(run.code, ExitCode::Index, "{run:?}");
    assert!(run.stderr.contains("damaged"), "{run:?}");
    assert_eq!(std::fs::metadata(&path).unwrap().len(), text.len() as u64);
    let copies: Vec<_> = files_under(path.parent().unwrap())
        .into_iter()
        .filter(|p| p.to_string_lossy().contains("damaged"))
        .collect();
    assert_eq!(copies.len(), 1, "{copies:?}");
    assert_eq!(
        std::fs::metadata(&copies[0]).unwrap().len(),
        text.len() as u64
    );
    assert!(run.stderr.contains(&copies[0].display().to_string()));
}

#[test]
fn a_forged_index_cannot_send_the_refresh_token_over_plain_http() {
    let sandbox = Sandbox::new();
    // An app with a client secret: its opt-ins refresh (UPS offers public ones none).
    let sim = Sim::confidential(&[]);
    let id = opt_in(&sandbox, &sim, "desk");
    // A forged index: the opt-in now "belongs" to a remote host over plain http.
    sandbox.send_next_refresh_to("http://ups.example.test");
    let proxy = RecordingProxy::start();

    let run = sandbox
        .cmd(&["token", &id])
        .env("http_proxy", proxy.url())
        .env("HTTP_PROXY", proxy.url())
        .exec();
    assert!(
        proxy.seen().is_empty(),
        "the refresh went out in the clear: {:?}",
        proxy.seen()
    );
    assert_ne!(run.code, ExitCode::Success, "{run:?}");
    assert!(run.stderr.contains("https is required"), "{run:?}");
    // Nothing was sent, so the refresh token is not spent.
    let row = &sandbox.list_json()[0];
    assert_ne!(row["status"], "invalid", "{row}");
}

/// The Vault store's copies of its listings (one per store, for outages) are checked as the
/// index is: another user who owns `XDG_DATA_HOME` could otherwise swap the copies of two
/// stores, and through an outage `token` would serve store A's token for store B.
#[test]
fn another_user_owning_the_data_dir_cannot_swap_the_vault_stores_outage_copies() {
    use support::bao::Bao;
    use support::stores::{Machine, StoreKind};
    require_root();
    let mut bao = Bao::start();
    let root = bao.root_token.clone();
    let (code, answer) = bao.api("POST", "sys/namespaces/team-b", Some("{}"), &root);
    assert_eq!(code, 200, "create the namespace: {answer}");
    let kv_v2 = r#"{"type": "kv", "options": {"version": "2"}}"#;
    let (code, answer) = bao.api("POST", "team-b/sys/mounts/secret", Some(kv_v2), &root);
    assert_eq!(code, 204, "mount KV v2 in it: {answer}");

    let mut machine = Machine::new(StoreKind::Vault, Some(&bao));
    std::fs::set_permissions(
        machine.sandbox.dir.path(),
        std::fs::Permissions::from_mode(0o755),
    )
    .unwrap();
    let shared = machine.sandbox.path("shared");
    std::fs::create_dir(&shared).unwrap();
    std::fs::set_permissions(&shared, std::fs::Permissions::from_mode(0o1777)).unwrap();
    // The other user's data directory, with the Vault copies' directory made ready.
    let made = as_other_user("/usr/bin/python3")
        .args([
            "-c",
            "import os,sys; os.makedirs(sys.argv[1]+'/data/idm-auth/vault'); os.chmod(sys.argv[1]+'/data',0o755)",
        ])
        .arg(&shared)
        .exec();
    assert_eq!(made.code, ExitCode::Success, "{made:?}");
    let data = shared.join("data");
    machine.set_env("XDG_DATA_HOME", &data.display().to_string());

    let sim = Sim::confidential(&["--access-ttl", "3600"]);
    let in_a = machine.opt_in(&sim);
    let token_a = machine.run(&["token", &in_a]);
    assert_eq!(token_a.code, ExitCode::Success, "{token_a:?}");
    machine.set_env("VAULT_NAMESPACE", "team-b");
    machine.opt_in(&sim);
    assert_eq!(machine.list_json().len(), 1);
    machine.remove_env("VAULT_NAMESPACE");
    assert_eq!(machine.list_json().len(), 1);

    // The other user swaps the two copies (when there are two to swap).
    let swap = as_other_user("/usr/bin/python3")
        .args([
            "-c",
            "import os,sys\n\
             d=sys.argv[1]; names=os.listdir(d)\n\
             if len(names)==2:\n  a,b=[d+'/'+n for n in names]; os.rename(a,d+'/x'); os.rename(b,a); os.rename(d+'/x',b)\n",
        ])
        .arg(data.join("idm-auth/vault"))
        .exec();
    assert_eq!(swap.code, ExitCode::Success, "{swap:?}");

    // Vault is down: store B must not answer with store A's opt-in and cached token.
    bao.stop();
    machine.set_env("VAULT_NAMESPACE", "team-b");
    let run = machine.run(&["token"]);
    assert!(
        !run.stdout.contains(token_a.stdout.trim()),
        "store B served store A's token: {run:?}"
    );
    assert_eq!(run.code, ExitCode::Keyring, "{run:?}");
}
