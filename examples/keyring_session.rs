//! Run a command inside the private Secret Service the tests use (a D-Bus session bus of its
//! own with an unlocked gnome-keyring, tests/support/private_keyring.rs), after proving a
//! secret round trip through it. `scripts/test --exec CMD...` and the benchmark use it:
//!
//!     cargo run --example keyring_session -- CMD [ARGS...]
//!
//! With no command it only proves the session works. Exits with the command's status.
// Linux only, like the suite it serves: compiled out (main and all) elsewhere.
#![cfg_attr(not(target_os = "linux"), no_main)]
#![cfg(target_os = "linux")]

#[allow(dead_code)]
#[path = "../tests/support/private_keyring.rs"]
mod private_keyring;

use std::os::unix::process::ExitStatusExt;
use std::process::{Command, ExitCode};

fn main() -> ExitCode {
    let mut argv = std::env::args_os().skip(1);
    let keyring = private_keyring::PrivateKeyring::start();
    keyring.prove_round_trip();
    eprintln!(
        "==> keyring session OK: bus {}, default collection unlocked, a 1500-byte secret round-tripped",
        keyring.address
    );
    let Some(program) = argv.next() else {
        return ExitCode::SUCCESS;
    };
    let status = keyring
        .apply(&mut Command::new(&program))
        .args(argv)
        .status()
        .unwrap_or_else(|e| panic!("cannot run {program:?}: {e}"));
    // A command ended by a signal exits as a shell reports it: 128 + the signal.
    let code = status
        .code()
        .or_else(|| status.signal().map(|s| 128 + s))
        .unwrap_or(1);
    ExitCode::from(u8::try_from(code).unwrap_or(1))
}
