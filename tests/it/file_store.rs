//! The file store (`--store file`), for headless servers: tokens sealed at rest with a key
//! from `IDM_AUTH_KEY_FILE` or systemd's `$CREDENTIALS_DIRECTORY`, surviving reboots, never
//! in plain text, refused with a key that is the wrong one or readable by others.
use crate::support;
use support::stores::{cached, finish_all, forget_kernel_keys, write_key, Machine, StoreKind};
use support::ups_link::UpsLink;
use support::*;

fn file_machine() -> Machine {
    Machine::new(StoreKind::File, None)
}

/// Every file under the sandbox, with its bytes.
fn snapshot(machine: &Machine) -> Vec<(std::path::PathBuf, Vec<u8>)> {
    let mut all: Vec<_> = files_under(machine.sandbox.dir.path())
        .into_iter()
        .filter(|p| !p.starts_with(machine.sandbox.path("data/idm-auth/locks")))
        .filter_map(|p| read_scanned(&p).map(|bytes| (p, bytes)))
        .collect();
    all.sort();
    all
}

#[test]
fn tokens_survive_a_reboot_and_a_refresh_after_it() {
    let machine = file_machine();
    let sim = Sim::confidential(&["--access-ttl", "3600"]);
    let id = machine.opt_in(&sim);
    let row = &machine.list_json()[0];
    assert_eq!(row["store"], "file", "{row}");
    assert_eq!(row["keyring"], "file", "{row}");
    let before = machine.run(&["token", &id]);
    assert_eq!(before.code, ExitCode::Success, "{before:?}");
    assert!(
        cached(&id),
        "the kernel-keyring cache stays in front of the file store"
    );

    // Reboot: the kernel keyring is memory.
    forget_kernel_keys(&id);
    assert!(!cached(&id));
    let after = machine.run(&["token", &id]);
    assert_eq!(after.code, ExitCode::Success, "{after:?}");
    assert_eq!(after.stdout, before.stdout);
    assert!(sim.is_active(after.stdout.trim()));

    // The refresh token survived too: an expired access token is refreshed after the reboot.
    forget_kernel_keys(&id);
    sim.settings(r#"{"access_ttl": 0}"#);
    let expired = machine.opt_in(&sim);
    sim.settings(r#"{"access_ttl": 3600}"#);
    forget_kernel_keys(&expired);
    let refreshed = machine.run(&["token", &expired]);
    assert_eq!(refreshed.code, ExitCode::Success, "{refreshed:?}");
    assert!(sim.is_active(refreshed.stdout.trim()));
    assert_eq!(sim.stats()["refreshes_issued"], 1);
}

#[test]
fn eight_parallel_token_calls_at_expiry_cause_one_refresh() {
    let machine = file_machine();
    let sim = Sim::confidential(&["--access-ttl", "0"]);
    let id = machine.opt_in(&sim);
    sim.settings(r#"{"access_ttl": 3600}"#);
    let runs = finish_all((0..8).map(|_| machine.spawn_token(&id)).collect());
    for run in &runs {
        assert_eq!(run.code, ExitCode::Success, "{run:?}");
        assert_eq!(run.stdout, runs[0].stdout);
    }
    assert_eq!(sim.stats()["refresh_requests"], 1);
    assert!(sim.is_active(runs[0].stdout.trim()));
}

#[test]
fn no_token_or_secret_is_in_any_file_in_plain_text() {
    let machine = file_machine();
    let sim = Sim::start_with_secret(&["--access-ttl", "0"], Some("the-client-secret-0123"));
    let link = UpsLink::start(sim.port());
    let id = {
        let run = machine
            .authorize(&link.base_url())
            .env("IDM_AUTH_CLIENT_SECRET", "the-client-secret-0123")
            .exec();
        assert_eq!(run.code, ExitCode::Success, "{run:?}");
        run.stdout.trim().to_string()
    };
    sim.settings(r#"{"access_ttl": 3600}"#);
    assert_eq!(machine.run(&["token", &id]).code, ExitCode::Success);
    let secrets = link.secrets();
    assert!(
        secrets.len() >= 4,
        "codes, verifiers and two pairs crossed: {secrets:?}"
    );
    let files = snapshot(&machine);
    assert!(
        files
            .iter()
            .any(|(p, _)| p.ends_with(format!("{id}.refresh-token"))),
        "the sealed files are where the README says"
    );
    for (path, bytes) in files {
        let text = String::from_utf8_lossy(&bytes);
        for secret in &secrets {
            assert!(
                !text.contains(secret.as_str()),
                "a secret in plain text in {}",
                path.display()
            );
        }
    }
}

#[test]
fn another_key_is_exit_9_names_the_key_and_changes_nothing() {
    let mut machine = file_machine();
    let sim = Sim::confidential(&["--access-ttl", "0"]);
    let id = machine.opt_in(&sim);
    forget_kernel_keys(&id);
    let other = write_key(&machine.sandbox.path("home/other.key"), &[0x33; 40], 0o600);
    machine.set_env("IDM_AUTH_KEY_FILE", &other.display().to_string());
    let before = snapshot(&machine);
    for args in [
        vec!["token", id.as_str()],
        vec!["clear", id.as_str(), "--yes"],
    ] {
        let run = machine.run(&args);
        assert_eq!(run.code, ExitCode::Keyring, "{args:?}: {run:?}");
        assert!(run.stderr.contains("other.key"), "{run:?}");
        assert!(run.stdout.is_empty());
    }
    let run = machine.authorize(&sim.base_url).exec();
    assert_eq!(run.code, ExitCode::Keyring, "{run:?}");
    assert_eq!(snapshot(&machine), before, "nothing changed on disk");
    assert_eq!(sim.stats()["refresh_requests"], 0, "nothing reached UPS");
}

#[test]
fn a_key_others_can_read_is_refused_naming_its_mode() {
    let mut machine = file_machine();
    let sim = Sim::confidential(&[]);
    // Readable by everyone, and by the group alone.
    for (mode, shown, name) in [(0o644, "0644", "world"), (0o640, "0640", "group")] {
        let loose = write_key(
            &machine.sandbox.path(&format!("home/{name}.key")),
            &[0x44; 32],
            mode,
        );
        machine.set_env("IDM_AUTH_KEY_FILE", &loose.display().to_string());
        let run = machine.authorize(&sim.base_url).exec();
        assert_eq!(run.code, ExitCode::Keyring, "{run:?}");
        assert!(run.stderr.contains(shown), "{run:?}");
        assert!(run.stderr.contains("chmod 600"), "{run:?}");
    }
    let short = write_key(&machine.sandbox.path("home/short.key"), &[0x44; 16], 0o600);
    machine.set_env("IDM_AUTH_KEY_FILE", &short.display().to_string());
    let run = machine.authorize(&sim.base_url).exec();
    assert_eq!(run.code, ExitCode::Keyring, "{run:?}");
    assert!(run.stderr.contains("16 bytes"), "{run:?}");
    machine.remove_env("IDM_AUTH_KEY_FILE");
    let run = machine.authorize(&sim.base_url).exec();
    assert_eq!(run.code, ExitCode::Keyring, "{run:?}");
    assert!(run.stderr.contains("IDM_AUTH_KEY_FILE"), "{run:?}");
}

#[test]
fn the_key_can_come_from_systemds_credentials_directory() {
    let mut machine = file_machine();
    machine.remove_env("IDM_AUTH_KEY_FILE");
    let credentials = machine.sandbox.path("credentials");
    std::fs::create_dir(&credentials).unwrap();
    write_key(&credentials.join("idm-auth.key"), &[0x77; 32], 0o400);
    machine.set_env("CREDENTIALS_DIRECTORY", &credentials.display().to_string());
    let sim = Sim::confidential(&[]);
    let id = machine.opt_in(&sim);
    forget_kernel_keys(&id);
    let run = machine.run(&["token", &id]);
    assert_eq!(run.code, ExitCode::Success, "{run:?}");
    assert!(sim.is_active(run.stdout.trim()));
}

#[test]
fn the_key_can_come_from_the_profiles_key_file() {
    let mut machine = file_machine();
    machine.remove_env("IDM_AUTH_KEY_FILE");
    let key = machine.sandbox.path("home/server.key");
    write_key(&key, &[0x55; 32], 0o400);
    machine.sandbox.write_config(&format!(
        "default_profile = \"srv\"\n[profiles.srv]\nkey_file = \"{}\"\n",
        key.display()
    ));
    let sim = Sim::confidential(&[]);
    let id = machine.opt_in(&sim);
    forget_kernel_keys(&id);
    let run = machine.run(&["token", &id]);
    assert_eq!(run.code, ExitCode::Success, "{run:?}");
    assert!(sim.is_active(run.stdout.trim()));
    // The variable still comes first: another key is refused, naming where it came from.
    let other = machine.sandbox.path("home/other.key");
    write_key(&other, &[0x66; 32], 0o400);
    machine.set_env("IDM_AUTH_KEY_FILE", &other.display().to_string());
    forget_kernel_keys(&id);
    let run = machine.run(&["token", &id]);
    assert_eq!(run.code, ExitCode::Keyring, "{run:?}");
    assert!(run.stderr.contains("IDM_AUTH_KEY_FILE"), "{run:?}");
}

#[test]
fn a_sealed_file_swapped_for_another_is_refused_and_never_printed() {
    let machine = file_machine();
    let sim = Sim::confidential(&[]);
    let id = machine.opt_in(&sim);
    forget_kernel_keys(&id);
    let dir = machine.sandbox.path("data/idm-auth/secrets");
    // The attacker (with write access to the directory) puts the refresh token's file where
    // the access token's is, hoping `token` prints the refresh token.
    std::fs::copy(
        dir.join(format!("{id}.refresh-token")),
        dir.join(format!("{id}.access-token")),
    )
    .unwrap();
    let run = machine.run(&["token", &id]);
    assert_eq!(run.code, ExitCode::Keyring, "{run:?}");
    assert!(run.stdout.is_empty());
    assert!(run.stderr.contains("copied from another entry"), "{run:?}");
}

#[test]
fn another_local_user_cannot_read_the_sealed_files() {
    use std::os::unix::fs::PermissionsExt;
    let machine = file_machine();
    let sim = Sim::confidential(&[]);
    let id = machine.opt_in(&sim);
    let chmod = |rel: &str, mode: u32| {
        std::fs::set_permissions(
            machine.sandbox.path(rel),
            std::fs::Permissions::from_mode(mode),
        )
        .unwrap()
    };
    // Only our own modes stand between the attacker and the files: every parent is open.
    chmod("", 0o755);
    chmod("data", 0o755);
    chmod("data/idm-auth", 0o711);
    let file = machine
        .sandbox
        .path(&format!("data/idm-auth/secrets/{id}.refresh-token"));
    let attacker_reads = |path: &std::path::Path| {
        std::process::Command::new("setpriv")
            .args(["--reuid=12345", "--regid=12345", "--clear-groups", "cat"])
            .arg(path)
            .output()
            .expect("setpriv (util-linux) runs the attacker")
    };
    // The attacker can read what is open to everyone: setpriv itself works (it needs root,
    // or CAP_SETUID), so the refusals below are the files' doing, not setpriv's failure.
    let open = machine.sandbox.path("open-to-all");
    std::fs::write(&open, "readable").unwrap();
    chmod("open-to-all", 0o644);
    let control = attacker_reads(&open);
    assert!(
        control.status.success() && control.stdout == b"readable",
        "the attacker cannot run as another user here (run as root): {}",
        String::from_utf8_lossy(&control.stderr)
    );
    let refused = |attempt: std::process::Output| {
        attempt.stdout.is_empty()
            && String::from_utf8_lossy(&attempt.stderr).contains("Permission denied")
    };
    assert!(
        refused(attacker_reads(&file)),
        "the directory let another user in"
    );
    // Even with the directory opened up, the file itself is the owner's only.
    chmod("data/idm-auth/secrets", 0o711);
    assert!(
        refused(attacker_reads(&file)),
        "another user read {}",
        file.display()
    );
}

/// `token ID` with the key at `key`, which must end (refused, exit 9) within seconds.
fn token_with_key(machine: &mut Machine, id: &str, key: &std::path::Path) -> Run {
    machine.set_env("IDM_AUTH_KEY_FILE", &key.display().to_string());
    let mut child = machine
        .cmd(&["token", id])
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(15);
    while child.try_wait().unwrap().is_none() {
        if std::time::Instant::now() > deadline {
            child.kill().unwrap();
            let output = child.wait_with_output().unwrap();
            panic!(
                "`token` hung on the key {}: {:?}",
                key.display(),
                Run::from(output)
            );
        }
        std::thread::sleep(std::time::Duration::from_millis(50));
    }
    Run::from(child.wait_with_output().unwrap())
}

#[test]
fn a_key_that_is_not_the_users_own_private_regular_file_is_refused() {
    use std::os::unix::fs::PermissionsExt;
    let mut machine = file_machine();
    let sim = Sim::confidential(&[]);
    let id = machine.opt_in(&sim);
    forget_kernel_keys(&id);
    let good = machine
        .env
        .iter()
        .find(|(k, _)| k == "IDM_AUTH_KEY_FILE")
        .unwrap()
        .1
        .clone();
    let material = std::fs::read(&good).unwrap();

    // A FIFO where the key should be: nobody writes to it, and `token` must not wait.
    let fifo = machine.sandbox.path("home/fifo.key");
    let made = std::process::Command::new("mkfifo")
        .arg("-m600")
        .arg(&fifo)
        .status()
        .unwrap();
    assert!(made.success());
    let run = token_with_key(&mut machine, &id, &fifo);
    assert_eq!(run.code, ExitCode::Keyring, "{run:?}");
    assert!(run.stderr.contains("not a regular file"), "{run:?}");

    // Readable by the group.
    let group = write_key(&machine.sandbox.path("home/group.key"), &material, 0o640);
    let run = token_with_key(&mut machine, &id, &group);
    assert_eq!(run.code, ExitCode::Keyring, "{run:?}");
    assert!(run.stderr.contains("0640"), "{run:?}");

    // In a directory everyone can write (as /tmp): someone could swap it for theirs.
    let shared = machine.sandbox.path("shared");
    std::fs::create_dir(&shared).unwrap();
    std::fs::set_permissions(&shared, std::fs::Permissions::from_mode(0o1777)).unwrap();
    let exposed = write_key(&shared.join("idm-auth.key"), &material, 0o600);
    let run = token_with_key(&mut machine, &id, &exposed);
    assert_eq!(run.code, ExitCode::Keyring, "{run:?}");
    assert!(
        run.stderr.contains("can be changed by other users"),
        "{run:?}"
    );

    // Owned by another user (who chooses what the key is).
    let theirs = write_key(&machine.sandbox.path("home/theirs.key"), &material, 0o600);
    std::os::unix::fs::chown(&theirs, Some(12345), Some(12345)).unwrap();
    let run = token_with_key(&mut machine, &id, &theirs);
    assert_eq!(run.code, ExitCode::Keyring, "{run:?}");
    assert!(run.stderr.contains("belongs to user 12345"), "{run:?}");

    // The same bytes in the user's own private file open the opt-in.
    let run = token_with_key(&mut machine, &id, std::path::Path::new(&good));
    assert_eq!(run.code, ExitCode::Success, "{run:?}");
}
