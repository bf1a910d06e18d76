//! The release artefacts as users get them, one test binary apart from tests/it: it runs
//! `scripts/package` (a static release build) once before the first look, and installs the
//! .deb system-wide, neither of which the rest of the suite should share a process or a
//! moment with. `cargo test --test release` (or `scripts/test --test release`).
//!
//! dpkg and the empty root need Linux; the Windows and macOS checks compile this out.
#![cfg(target_os = "linux")]

mod artefacts;
mod deb_package;
mod rpm_package;
mod static_binary;
#[path = "../support/mod.rs"]
mod support;
