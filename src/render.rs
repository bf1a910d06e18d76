//! The two faces of `list`: the grid for people and the JSON for scripts. Only index rows
//! reach this file, so it cannot print a secret.

use crate::store::{OptIn, Status};
use chrono::{DateTime, Datelike, Local, SecondsFormat, Timelike, Utc};
use serde::Serialize;
use std::borrow::Cow;

/// Text for a terminal, where some of it did not come from this program (labels and reasons
/// from the index, UPS's and the callback's words): every control character except the line
/// breaks and tabs of our own messages is shown as `\u{..}`, so no escape sequence, bell or
/// carriage return reaches the terminal.
pub fn terminal_safe(text: &str) -> Cow<'_, str> {
    escape_controls(text, |c| c == '\n' || c == '\t')
}

/// One cell or one value on one line: every control character escaped, line breaks too.
pub fn one_line(text: &str) -> Cow<'_, str> {
    escape_controls(text, |_| false)
}

fn escape_controls(text: &str, keep: impl Fn(char) -> bool) -> Cow<'_, str> {
    let bad = |c: char| c.is_control() && !keep(c);
    if !text.chars().any(bad) {
        return Cow::Borrowed(text);
    }
    let mut out = String::with_capacity(text.len() + 8);
    for c in text.chars() {
        if bad(c) {
            out.push_str(&format!("\\u{{{:x}}}", c as u32));
        } else {
            out.push(c);
        }
    }
    Cow::Owned(out)
}

/// One element of `list --json` (schema documented in the README), for the commands that
/// print a row or two; `json` below writes the same for the whole list.
#[derive(Serialize)]
pub struct JsonRow<'a> {
    pub id: &'a str,
    pub label: &'a str,
    pub profile: Option<&'a str>,
    pub environment: &'a str,
    pub base_url: &'a str,
    pub client_id: &'a str,
    pub created_at: String,
    pub refreshed_at: Option<String>,
    pub expires_at: String,
    pub refresh_expires_at: Option<String>,
    pub refresh_count: u64,
    pub status: Status,
    pub invalid_reason: Option<&'a str>,
    pub keyring: &'a str,
    pub store: &'a str,
}

/// `list --json`: a top-level array of `JsonRow`s, byte for byte as
/// `serde_json::to_string_pretty` lays them out (the tests hold it to that). Written by hand
/// because scripts call it before every UPS call, and serde's generic path cost more than
/// starting the process.
pub fn json(rows: &[OptIn], now: DateTime<Utc>) -> String {
    if rows.is_empty() {
        return "[]\n".into();
    }
    let mut out = String::with_capacity(rows.len() * 512);
    out.push('[');
    for (i, row) in rows.iter().enumerate() {
        // Each key with the punctuation before it, in one piece.
        out.push_str(if i == 0 {
            "\n  {\n    \"id\": "
        } else {
            ",\n  {\n    \"id\": "
        });
        string(&mut out, &row.id);
        out.push_str(",\n    \"label\": ");
        string(&mut out, &row.label);
        out.push_str(",\n    \"profile\": ");
        string_or_null(&mut out, row.profile.as_deref());
        out.push_str(",\n    \"environment\": ");
        string(&mut out, &row.environment);
        out.push_str(",\n    \"base_url\": ");
        string(&mut out, &row.base_url);
        out.push_str(",\n    \"client_id\": ");
        string(&mut out, &row.client_id);
        out.push_str(",\n    \"created_at\": ");
        time(&mut out, Some(row.created_at));
        out.push_str(",\n    \"refreshed_at\": ");
        time(&mut out, row.refreshed_at);
        out.push_str(",\n    \"expires_at\": ");
        time(&mut out, Some(row.expires_at));
        out.push_str(",\n    \"refresh_expires_at\": ");
        time(&mut out, row.refresh_expires_at);
        out.push_str(",\n    \"refresh_count\": ");
        out.push_str(&row.refresh_count.to_string());
        out.push_str(",\n    \"status\": ");
        string(&mut out, status_name(row.status(now)));
        out.push_str(",\n    \"invalid_reason\": ");
        string_or_null(&mut out, row.invalid_reason.as_deref());
        out.push_str(",\n    \"keyring\": ");
        string(&mut out, row.keyring.name());
        out.push_str(",\n    \"store\": ");
        string(&mut out, row.keyring.store());
        out.push_str("\n  }");
    }
    out.push_str("\n]\n");
    out
}

/// The names serde gives `Status` (snake_case).
fn status_name(status: Status) -> &'static str {
    match status {
        Status::Active => "active",
        Status::AccessExpired => "access_expired",
        Status::RefreshExpired => "refresh_expired",
        Status::Invalid => "invalid",
    }
}

fn string_or_null(out: &mut String, text: Option<&str>) {
    match text {
        Some(text) => string(out, text),
        None => out.push_str("null"),
    }
}

/// A JSON string, escaped as serde_json escapes it.
fn string(out: &mut String, text: &str) {
    out.push('"');
    if !text.bytes().any(|b| b < 0x20 || b == b'"' || b == b'\\') {
        out.push_str(text);
    } else {
        for c in text.chars() {
            match c {
                '"' => out.push_str("\\\""),
                '\\' => out.push_str("\\\\"),
                '\n' => out.push_str("\\n"),
                '\r' => out.push_str("\\r"),
                '\t' => out.push_str("\\t"),
                '\u{08}' => out.push_str("\\b"),
                '\u{0c}' => out.push_str("\\f"),
                c if (c as u32) < 0x20 => {
                    out.push_str("\\u00");
                    out.push(HEX[(c as usize) >> 4]);
                    out.push(HEX[(c as usize) & 0xf]);
                }
                c => out.push(c),
            }
        }
    }
    out.push('"');
}

const HEX: [char; 16] = [
    '0', '1', '2', '3', '4', '5', '6', '7', '8', '9', 'a', 'b', 'c', 'd', 'e', 'f',
];

/// RFC 3339 in UTC to the second ("2026-11-29T06:49:12Z"), or null.
fn time(out: &mut String, t: Option<DateTime<Utc>>) {
    let Some(t) = t else {
        out.push_str("null");
        return;
    };
    let (date, clock) = (t.date_naive(), t.time());
    // Years of other widths and leap seconds are rare: chrono writes those.
    if !(0..=9999).contains(&date.year()) || clock.nanosecond() >= 1_000_000_000 {
        string(out, &rfc3339(t));
        return;
    }
    let mut text = *b"\"0000-00-00T00:00:00Z\"";
    for (at, width, n) in [
        (1, 4, date.year() as u32),
        (6, 2, date.month()),
        (9, 2, date.day()),
        (12, 2, clock.hour()),
        (15, 2, clock.minute()),
        (18, 2, clock.second()),
    ] {
        let mut n = n;
        for slot in text[at..at + width].iter_mut().rev() {
            *slot = b'0' + (n % 10) as u8;
            n /= 10;
        }
    }
    out.push_str(std::str::from_utf8(&text).unwrap_or_default());
}

fn rfc3339(t: DateTime<Utc>) -> String {
    t.to_rfc3339_opts(SecondsFormat::Secs, true)
}

pub fn json_row(row: &OptIn, now: DateTime<Utc>) -> JsonRow<'_> {
    JsonRow {
        id: &row.id,
        label: &row.label,
        profile: row.profile.as_deref(),
        environment: &row.environment,
        base_url: &row.base_url,
        client_id: &row.client_id,
        created_at: rfc3339(row.created_at),
        refreshed_at: row.refreshed_at.map(rfc3339),
        expires_at: rfc3339(row.expires_at),
        refresh_expires_at: row.refresh_expires_at.map(rfc3339),
        refresh_count: row.refresh_count,
        status: row.status(now),
        invalid_reason: row.invalid_reason.as_deref(),
        keyring: row.keyring.name(),
        store: row.keyring.store(),
    }
}

fn local(t: DateTime<Utc>) -> String {
    t.with_timezone(&Local).format("%Y-%m-%d %H:%M").to_string()
}

fn refresh_cell(row: &OptIn, now: DateTime<Utc>) -> String {
    match row.refresh_expires_at {
        None => "-".into(),
        Some(t) if t <= now => format!("{} (expired)", local(t)),
        Some(t) => format!("{} ({} d left)", local(t), (t - now).num_days()),
    }
}

/// The ANSI colour of a status cell: green usable, yellow refreshable, red dead.
fn status_color(status: Status) -> &'static str {
    match status {
        Status::Active => "\x1b[32m",
        Status::AccessExpired => "\x1b[33m",
        Status::RefreshExpired | Status::Invalid => "\x1b[31m",
    }
}

/// The grid, newest first, columns padded to their widest cell; the status coloured when
/// `color` (a terminal without NO_COLOR).
pub fn grid(rows: &[OptIn], now: DateTime<Utc>, color: bool) -> String {
    let header = [
        "ID",
        "LABEL",
        "ENV",
        "CREATED",
        "ACCESS EXPIRES",
        "REFRESH EXPIRES",
        "STATUS",
    ]
    .map(String::from);
    let mut table = vec![header.to_vec()];
    for row in rows {
        table.push(vec![
            row.id.clone(),
            if row.label.is_empty() {
                "-".into()
            } else {
                one_line(&row.label).into_owned()
            },
            row.environment.clone(),
            local(row.created_at),
            local(row.expires_at),
            refresh_cell(row, now),
            row.status(now).describe().into(),
        ]);
    }
    let widths: Vec<usize> = (0..header.len())
        .map(|c| {
            table
                .iter()
                .map(|r| r[c].chars().count())
                .max()
                .unwrap_or(0)
        })
        .collect();
    let mut out = String::new();
    let statuses = std::iter::once(None).chain(rows.iter().map(|r| Some(r.status(now))));
    for (line, status) in table.iter().zip(statuses) {
        let mut cells: Vec<String> = line
            .iter()
            .zip(&widths)
            .map(|(cell, w)| format!("{cell:<w$}"))
            .collect();
        let text = match (color, status, cells.pop()) {
            (true, Some(status), Some(last)) => {
                format!(
                    "{}  {}{}\x1b[0m",
                    cells.join("  "),
                    status_color(status),
                    last.trim_end()
                )
            }
            (_, _, Some(last)) => format!("{}  {}", cells.join("  "), last),
            (_, _, None) => String::new(),
        };
        out.push_str(text.trim_end());
        out.push('\n');
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::store::Backend;
    use chrono::{Duration, NaiveDate, TimeZone};

    /// The oracle: serde's rendering of the same rows.
    fn serde_json_of(rows: &[OptIn], now: DateTime<Utc>) -> String {
        let rows: Vec<JsonRow> = rows.iter().map(|row| json_row(row, now)).collect();
        let mut out = serde_json::to_string_pretty(&rows).unwrap();
        out.push('\n');
        out
    }

    fn row(id: &str, label: &str, at: DateTime<Utc>) -> OptIn {
        OptIn {
            id: id.into(),
            label: label.into(),
            profile: None,
            environment: "cie".into(),
            base_url: "https://wwwcie.ups.com".into(),
            client_id: "client".into(),
            redirect_uri: "http://127.0.0.1:8765/callback".into(),
            created_at: at,
            refreshed_at: None,
            expires_at: at + Duration::hours(4),
            refresh_expires_at: Some(at + Duration::days(60)),
            refresh_count: 0,
            invalid_reason: None,
            keyring: Backend::SecretService,
            has_client_secret: false,
        }
    }

    #[test]
    fn the_json_is_byte_for_byte_what_serde_writes() {
        let now = Utc.with_ymd_and_hms(2026, 11, 29, 6, 49, 12).unwrap();
        let every_control: String = (0u8..0x20).map(char::from).collect();
        let mut rows = vec![
            row("3f9c2a1b", "shipping desk", now),
            row("00000001", "", now - Duration::days(400)),
            row(
                "00000002",
                &every_control,
                now + Duration::nanoseconds(999_999_999),
            ),
            row(
                "00000003",
                "quote \" backslash \\ slash / del \u{7f} é ✓ 😀",
                now,
            ),
        ];
        rows[1].refreshed_at = Some(now - Duration::days(1));
        rows[1].refresh_expires_at = None;
        rows[1].refresh_count = u64::MAX;
        rows[1].profile = Some("night \"shift\"".into());
        rows[2].invalid_reason = Some("UPS said \"no\"\n".into());
        rows[2].keyring = Backend::KernelKeyring;
        rows[3].expires_at = now - Duration::hours(1);
        let leap = NaiveDate::from_ymd_opt(2016, 12, 31)
            .unwrap()
            .and_hms_nano_opt(23, 59, 59, 1_500_000_000)
            .unwrap()
            .and_utc();
        let far = Utc.with_ymd_and_hms(12026, 1, 2, 3, 4, 5).unwrap();
        let mut odd = row("00000004", "odd times", leap);
        odd.refreshed_at = Some(far);
        rows.push(odd);

        assert_eq!(json(&rows, now), serde_json_of(&rows, now));
        assert_eq!(json(&[], now), serde_json_of(&[], now));
        let statuses: Vec<_> = rows.iter().map(|r| status_name(r.status(now))).collect();
        for status in ["active", "access_expired", "refresh_expired", "invalid"] {
            assert!(statuses.contains(&status), "{status} not covered");
        }
    }
}
