//! Where no Secret Service answers, the kernel keyring holds the secrets and the admin is
//! told; no plain-text file is ever written.
use crate::support;
use support::*;

#[test]
fn without_a_secret_service_the_kernel_keyring_is_used_and_named() {
    let sandbox = Sandbox::new();
    let sim = Sim::start(&[]);
    let port = free_port();
    let no_bus = "unix:path=/nonexistent/bus";
    let run = sandbox
        .authorize(&sim, port, 30)
        .env("DBUS_SESSION_BUS_ADDRESS", no_bus)
        .env("BROWSER", sandbox.browser("approve", "b.json"))
        .exec();
    assert_eq!(run.code, ExitCode::Success, "{run:?}");
    assert!(run.stderr.contains("kernel keyring"), "{run:?}");
    assert!(
        run.stderr.contains("--store file"),
        "the way to keep tokens across reboots: {run:?}"
    );
    let id = run.stdout.trim().to_string();
    assert_eq!(sandbox.list_json()[0]["keyring"], "kernel-keyring");
    assert!(
        secret_tool_lookup(&id, "access-token").is_none(),
        "not in the Secret Service"
    );

    let token = sandbox
        .cmd(&["token", &id])
        .env("DBUS_SESSION_BUS_ADDRESS", no_bus)
        .exec();
    assert_eq!(token.code, ExitCode::Success, "{token:?}");
    assert!(token.stdout.trim().len() > 1000);

    // Nothing under the sandbox holds the token.
    for entry in files_under(sandbox.dir.path()) {
        let Some(bytes) = read_scanned(&entry) else {
            continue;
        };
        let text = String::from_utf8_lossy(&bytes);
        assert!(
            !text.contains(token.stdout.trim()),
            "token found in {}",
            entry.display()
        );
    }

    let clear = sandbox
        .cmd(&["clear", &id])
        .env("DBUS_SESSION_BUS_ADDRESS", no_bus)
        .exec();
    assert_eq!(clear.code, ExitCode::Success, "{clear:?}");
    let token = sandbox
        .cmd(&["token", &id])
        .env("DBUS_SESSION_BUS_ADDRESS", no_bus)
        .exec();
    assert_eq!(token.code, ExitCode::NotFound, "{token:?}");
}
