//! Opt-in rows written straight into an index file, for tests that need opt-ins in a given
//! state (ending soon, expired, refused by UPS, planted by someone else) without running the
//! sign-in for each. The rows are written in the index file's own format
//! (`{"version": 1, "opt_ins": [...]}`), which idm-auth must keep reading; they have no
//! secrets in any keyring.

use chrono::{DateTime, Duration, Utc};
use serde_json::{json, Value};
use std::os::unix::fs::PermissionsExt;
use std::path::Path;

/// The fixed "now" of the snapshot tests (`IDM_AUTH_TEST_NOW`).
pub const NOW: &str = "2026-12-01T12:00:00Z";

/// [`NOW`], for [`Row::as_of`].
pub fn fixed_now() -> DateTime<Utc> {
    DateTime::parse_from_rfc3339(NOW)
        .unwrap()
        .with_timezone(&Utc)
}

fn stamp(t: DateTime<Utc>) -> Value {
    t.to_rfc3339_opts(chrono::SecondsFormat::Secs, true).into()
}

/// One opt-in row: a healthy CIE opt-in made a day ago with the app's client secret, whose
/// access token has 3 hours left and its refresh token 59 days. Every time is relative to
/// the row's "now".
#[derive(Clone)]
pub struct Row {
    json: Value,
    now: DateTime<Utc>,
}

impl Row {
    /// A row as of the real clock.
    pub fn new(id: &str) -> Row {
        Row::as_of(id, Utc::now())
    }

    /// A row as of `now` (e.g. [`fixed_now`], for a command run with `IDM_AUTH_TEST_NOW`).
    pub fn as_of(id: &str, now: DateTime<Utc>) -> Row {
        let made = now - Duration::days(1);
        let json = json!({
            "id": id,
            "label": "",
            "profile": null,
            "environment": "cie",
            "base_url": "https://wwwcie.ups.com",
            "client_id": super::CLIENT_ID,
            "redirect_uri": "http://127.0.0.1:8765/callback",
            "created_at": stamp(made),
            "refreshed_at": null,
            "expires_at": stamp(now + Duration::hours(3)),
            "refresh_expires_at": stamp(made + Duration::days(60)),
            "refresh_count": 0,
            "invalid_reason": null,
            "keyring": "secret-service",
            "has_client_secret": true,
        });
        Row { json, now }
    }

    /// Made without a client secret: UPS's document offers it no refresh.
    pub fn public(self) -> Row {
        self.set("has_client_secret", false.into())
    }

    fn set(mut self, key: &str, value: Value) -> Row {
        self.json[key] = value;
        self
    }

    pub fn label(self, label: &str) -> Row {
        self.set("label", label.into())
    }

    pub fn profile(self, profile: &str) -> Row {
        self.set("profile", profile.into())
    }

    pub fn client_id(self, client_id: &str) -> Row {
        self.set("client_id", client_id.into())
    }

    /// The UPS origin its tokens belong to.
    pub fn base_url(self, base_url: &str) -> Row {
        self.set("base_url", base_url.into())
    }

    /// The production environment, with its base URL.
    pub fn production(self) -> Row {
        self.set("environment", "production".into())
            .base_url("https://onlinetools.ups.com")
    }

    /// Made `ago` before now.
    pub fn created(self, ago: Duration) -> Row {
        let t = self.now - ago;
        self.set("created_at", stamp(t))
    }

    /// The access token expires `from_now` after now (negative: it has expired).
    pub fn access_expires(self, from_now: Duration) -> Row {
        let t = self.now + from_now;
        self.set("expires_at", stamp(t))
    }

    /// The refresh token, so the opt-in, ends `from_now` after now (negative: ended).
    pub fn refresh_expires(self, from_now: Duration) -> Row {
        let t = self.now + from_now;
        self.set("refresh_expires_at", stamp(t))
    }

    /// Refreshed `count` times, the last `ago` before now.
    pub fn refreshed(self, count: u64, ago: Duration) -> Row {
        let t = self.now - ago;
        self.set("refresh_count", count.into())
            .set("refreshed_at", stamp(t))
    }

    /// Refused by UPS, for `reason`.
    pub fn invalid(self, reason: &str) -> Row {
        self.set("invalid_reason", reason.into())
    }

    pub fn json(&self) -> &Value {
        &self.json
    }
}

/// The text of an index file holding `rows` (newest first).
pub fn index_text(rows: &[Row]) -> String {
    let rows: Vec<&Value> = rows.iter().map(Row::json).collect();
    serde_json::to_string_pretty(&json!({"version": 1, "opt_ins": rows})).unwrap() + "\n"
}

/// Write `rows` (newest first) as the index file in the data directory `data_home`
/// (`$XDG_DATA_HOME`), with the modes idm-auth gives it.
pub fn write_index(data_home: &Path, rows: &[Row]) {
    let dir = data_home.join("idm-auth");
    std::fs::create_dir_all(&dir).unwrap();
    std::fs::set_permissions(&dir, std::fs::Permissions::from_mode(0o700)).unwrap();
    let file = dir.join("index.json");
    std::fs::write(&file, index_text(rows)).unwrap();
    std::fs::set_permissions(&file, std::fs::Permissions::from_mode(0o600)).unwrap();
}
