//! "Now" on this machine's wall clock: for the commands that judge opt-ins by the time
//! (`list`, `check`), and for what a refresh writes (claims, expiries).
//!
//! Debug builds only, for tests:
//! - `IDM_AUTH_TEST_NOW` (RFC 3339) fixes the instant, so the snapshots of `list` and
//!   `check` stay the same from day to day;
//! - `IDM_AUTH_TEST_CLOCK_OFFSET` (signed seconds) moves this process's clock, so one test
//!   can run machines whose clocks disagree by minutes (tests/it/survival.rs).
//!
//! Release builds compile both out: nothing in a user's environment can steer the clock of
//! a shipped binary.

use chrono::{DateTime, Utc};
use std::sync::Arc;

/// A clock as the context hands it on to what judges or records time (the stores, the
/// refresh): shared, so a test's fixed clock reaches every part of a command.
pub type Clock = Arc<dyn Fn() -> DateTime<Utc> + Send + Sync>;

/// This machine's clock, [`now`], as a [`Clock`].
pub fn system() -> Clock {
    Arc::new(now)
}

/// The variable a debug build reads its fixed "now" from.
pub const TEST_NOW_VAR: &str = "IDM_AUTH_TEST_NOW";
/// The variable a debug build reads its clock's offset from, in seconds.
pub const TEST_OFFSET_VAR: &str = "IDM_AUTH_TEST_CLOCK_OFFSET";

pub fn now() -> DateTime<Utc> {
    #[cfg(debug_assertions)]
    if let Some(fixed) = std::env::var_os(TEST_NOW_VAR) {
        let fixed = fixed.to_string_lossy();
        // A test that sets a bad value must fail loudly, not run on the real clock.
        return DateTime::parse_from_rfc3339(&fixed)
            .unwrap_or_else(|e| panic!("{TEST_NOW_VAR}={fixed:?} is not RFC 3339: {e}"))
            .with_timezone(&Utc);
    }
    #[cfg(debug_assertions)]
    if let Some(offset) = std::env::var_os(TEST_OFFSET_VAR) {
        let offset = offset.to_string_lossy();
        let seconds: i64 = offset
            .trim()
            .parse()
            .unwrap_or_else(|e| panic!("{TEST_OFFSET_VAR}={offset:?} is not seconds: {e}"));
        return Utc::now() + chrono::Duration::seconds(seconds.clamp(-86_400, 86_400));
    }
    Utc::now()
}
