//! "Now", for the commands that judge opt-ins by the time (`list`, `check`).
//!
//! Debug builds take a fixed instant from `IDM_AUTH_TEST_NOW` (RFC 3339), so the test
//! snapshots of those commands stay the same from day to day. Release builds compile the
//! override out: nothing in a user's environment can steer the clock of a shipped binary.

use chrono::{DateTime, Utc};

/// The variable a debug build reads its fixed "now" from.
pub const TEST_NOW_VAR: &str = "IDM_AUTH_TEST_NOW";

pub fn now() -> DateTime<Utc> {
    #[cfg(debug_assertions)]
    if let Some(fixed) = std::env::var_os(TEST_NOW_VAR) {
        let fixed = fixed.to_string_lossy();
        // A test that sets a bad value must fail loudly, not run on the real clock.
        return DateTime::parse_from_rfc3339(&fixed)
            .unwrap_or_else(|e| panic!("{TEST_NOW_VAR}={fixed:?} is not RFC 3339: {e}"))
            .with_timezone(&Utc);
    }
    Utc::now()
}
