//! The integration suite, one test binary: every module drives the real `idm-auth` binary or
//! the library on Linux, and all share `tests/support` (compiled and linked once, not once a
//! file). Run one module with `cargo test --test it token::` (or `scripts/test --test it
//! token::`); CONTRIBUTING.md lists the binaries that stay apart and why.
//!
//! One process runs every module, so a test must leave process-wide state alone: no
//! `std::env::set_var`, no change of the current directory or umask (set them on the child
//! `Command` instead). The private keyring session (support/private_keyring.rs) is one for the
//! whole binary: a test that needs an empty, locked or frozen keyring starts its own.
//!
//! The suite is Linux's (gnome-keyring, /proc, setpriv): the Windows and macOS checks of
//! scripts/platforms compile it out here; Windows gets tests/windows_wine.rs, run from Linux.
#![cfg(target_os = "linux")]

#[path = "../support/mod.rs"]
mod support;

mod api;
mod authorize;
mod browser_handoff;
mod check_and_exec;
mod chromium;
mod cli;
mod cli_surface;
mod concurrency;
mod config_commands;
mod crashes;
mod damaged_index;
mod data_dir_attacks;
mod demo;
mod exit_codes;
mod file_store;
mod fuzz_regressions;
mod in_process;
mod in_process_commands;
mod keyring_fallback;
mod keyring_faults;
mod landing_page;
mod list_and_clear;
mod listener_attacks;
mod listener_bounds;
mod paste;
mod process_hygiene;
mod profiles;
mod proxy_routes;
mod readme;
mod secrets_leak;
mod simulator_control;
mod snapshots;
mod store_contract;
mod survival;
mod terminal;
mod tls_trust;
mod token;
mod token_cache;
mod untrusted_text;
mod ups_faults;
mod ups_field;
mod vault_claims;
mod vault_kv;
mod vault_store;
