//! The two faces of `list`: the grid for people and the JSON for scripts. Only index rows
//! reach this file, so it cannot print a secret.

use crate::opt_in::{OptIn, Status};
use chrono::{DateTime, Datelike, Local, SecondsFormat, Timelike, Utc};
use serde::Serialize;
use std::borrow::Cow;
use std::fmt::Write;

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

/// How rows are judged when shown: at which time, and whether opt-ins made without a client
/// secret are refreshed here (see [`OptIn::status_shown`]).
#[derive(Debug, Clone, Copy)]
pub struct View {
    pub now: DateTime<Utc>,
    pub public_refresh: bool,
}

impl View {
    pub fn status(&self, row: &OptIn) -> Status {
        row.status_shown(self.now, self.public_refresh)
    }
}

/// One value of a `list --json` row.
enum Field<'a> {
    Text(&'a str),
    MaybeText(Option<&'a str>),
    /// RFC 3339 in UTC to the second, or null.
    Time(Option<DateTime<Utc>>),
    Count(u64),
}

/// The fields of a `list --json` row, in the README's order: the one definition that both
/// the serde form ([`JsonRow`]) and the hand-written writer ([`json`]) follow.
fn fields(row: &OptIn, view: View) -> [(&'static str, Field<'_>); 15] {
    use Field::*;
    [
        ("id", Text(&row.id)),
        ("label", Text(&row.label)),
        ("profile", MaybeText(row.profile.as_deref())),
        ("environment", Text(&row.environment)),
        ("base_url", Text(&row.base_url)),
        ("client_id", Text(&row.client_id)),
        ("created_at", Time(Some(row.created_at))),
        ("refreshed_at", Time(row.refreshed_at)),
        ("expires_at", Time(Some(row.expires_at))),
        ("refresh_expires_at", Time(refresh_end(row, view))),
        ("refresh_count", Count(row.refresh_count)),
        ("status", Text(status_name(view.status(row)))),
        ("invalid_reason", MaybeText(row.invalid_reason.as_deref())),
        ("keyring", Text(row.secrets_in.name())),
        ("store", Text(row.secrets_in.store())),
    ]
}

/// One element of `list --json` (schema documented in the README), for the commands that
/// print a row or two; `json` below writes the same for the whole list.
pub struct JsonRow<'a> {
    row: &'a OptIn,
    view: View,
}

impl Serialize for JsonRow<'_> {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        use serde::ser::SerializeStruct;
        let all = fields(self.row, self.view);
        let mut out = serializer.serialize_struct("JsonRow", all.len())?;
        for (name, field) in all {
            match field {
                Field::Text(text) => out.serialize_field(name, text)?,
                Field::MaybeText(text) => out.serialize_field(name, &text)?,
                Field::Time(t) => out.serialize_field(name, &t.map(rfc3339))?,
                Field::Count(n) => out.serialize_field(name, &n)?,
            }
        }
        out.end()
    }
}

/// `list --json`: a top-level array of `JsonRow`s, byte for byte as
/// `serde_json::to_string_pretty` lays them out (the tests hold it to that). Written by hand
/// because scripts call it before every UPS call, and serde's generic path cost more than
/// starting the process.
pub fn json(rows: &[OptIn], view: View) -> String {
    if rows.is_empty() {
        return "[]\n".into();
    }
    // A row is 500-odd bytes: one allocation for the whole answer.
    let mut out = String::with_capacity(rows.len() * 640);
    out.push('[');
    for (i, row) in rows.iter().enumerate() {
        out.push_str(if i == 0 { "\n  {" } else { ",\n  {" });
        for (j, (name, field)) in fields(row, view).into_iter().enumerate() {
            out.push_str(if j == 0 { "\n    \"" } else { ",\n    \"" });
            out.push_str(name);
            out.push_str("\": ");
            match field {
                Field::Text(text) => string(&mut out, text),
                Field::MaybeText(text) => string_or_null(&mut out, text),
                Field::Time(t) => time(&mut out, t),
                Field::Count(n) => {
                    let _ = write!(out, "{n}");
                }
            }
        }
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
        Status::Ended => "ended",
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

pub fn json_row(row: &OptIn, view: View) -> JsonRow<'_> {
    JsonRow { row, view }
}

fn local(t: DateTime<Utc>) -> String {
    t.with_timezone(&Local).format("%Y-%m-%d %H:%M").to_string()
}

/// The refresh token's end as shown: none for an opt-in that gets no refresh (UPS may name
/// an end for a refresh token that such an opt-in never uses), so the grid, `list --json`
/// and `check --json` agree that it ends at `expires_at`.
fn refresh_end(row: &OptIn, view: View) -> Option<DateTime<Utc>> {
    row.refresh_expires_at
        .filter(|_| row.refreshable(view.public_refresh))
}

fn refresh_cell(row: &OptIn, view: View) -> String {
    let now = view.now;
    match refresh_end(row, view) {
        None if !row.refreshable(view.public_refresh) => "none (no client secret)".into(),
        None => "-".into(),
        Some(t) if t <= now => format!("{} (expired)", local(t)),
        Some(t) => format!("{} ({} d left)", local(t), (t - now).num_days()),
    }
}

/// The colour of a status cell: green usable, yellow refreshable, red dead.
fn status_style(status: Status) -> anstyle::Style {
    let colour = match status {
        Status::Active => anstyle::AnsiColor::Green,
        Status::AccessExpired => anstyle::AnsiColor::Yellow,
        Status::RefreshExpired | Status::Invalid | Status::Ended => anstyle::AnsiColor::Red,
    };
    anstyle::Style::new().fg_color(Some(colour.into()))
}

/// How many terminal columns `text` takes (CJK characters two, combining marks none).
fn columns(text: &str) -> usize {
    unicode_width::UnicodeWidthStr::width(text)
}

/// `text` followed by spaces up to `width` columns.
fn pad(text: &str, width: usize) -> String {
    let mut out = text.to_string();
    out.extend(std::iter::repeat_n(
        ' ',
        width.saturating_sub(columns(text)),
    ));
    out
}

/// The grid, newest first, columns padded to their widest cell as the terminal shows it;
/// the status coloured when `color` (a terminal without NO_COLOR).
pub fn grid(rows: &[OptIn], view: View, color: bool) -> String {
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
            one_line(&row.id).into_owned(),
            if row.label.is_empty() {
                "-".into()
            } else {
                one_line(&row.label).into_owned()
            },
            one_line(&row.environment).into_owned(),
            local(row.created_at),
            local(row.expires_at),
            refresh_cell(row, view),
            view.status(row).describe().into(),
        ]);
    }
    let widths: Vec<usize> = (0..header.len())
        .map(|c| table.iter().map(|r| columns(&r[c])).max().unwrap_or(0))
        .collect();
    let mut out = String::new();
    let statuses = std::iter::once(None).chain(rows.iter().map(|r| Some(view.status(r))));
    for (line, status) in table.iter().zip(statuses) {
        let Some((last, cells)) = line.split_last() else {
            continue;
        };
        let cells: Vec<String> = cells.iter().zip(&widths).map(|(c, w)| pad(c, *w)).collect();
        let text = match (color, status) {
            (true, Some(status)) => {
                let style = status_style(status);
                format!(
                    "{}  {}{last}{}",
                    cells.join("  "),
                    style.render(),
                    style.render_reset()
                )
            }
            _ => format!("{}  {last}", cells.join("  ")),
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

    /// Rows judged at `now`, where opt-ins without a client secret get no refresh.
    fn at(now: DateTime<Utc>) -> View {
        View {
            now,
            public_refresh: false,
        }
    }

    /// The oracle: serde's rendering of the same rows.
    fn serde_json_of(rows: &[OptIn], now: DateTime<Utc>) -> String {
        let rows: Vec<JsonRow> = rows.iter().map(|row| json_row(row, at(now))).collect();
        let mut out = serde_json::to_string_pretty(&rows).unwrap();
        out.push('\n');
        out
    }

    fn row(id: &str, label: &str, at: DateTime<Utc>) -> OptIn {
        OptIn {
            label: label.into(),
            expires_at: at + Duration::hours(4),
            refresh_expires_at: Some(at + Duration::days(60)),
            ..OptIn::sample(id, at)
        }
    }

    #[test]
    fn the_grid_lines_up_wide_and_combining_characters_as_a_terminal_shows_them() {
        let now = Utc.with_ymd_and_hms(2026, 11, 29, 6, 49, 12).unwrap();
        let rows = [
            row("00000001", "東京 shipping desk", now),
            row("00000002", "😀 night team", now),
            row("00000003", "Zoe\u{301} plain", now),
            row("00000004", "plain ascii label", now),
        ];
        let grid = grid(&rows, at(now), false);
        let env_columns: Vec<usize> = grid
            .lines()
            .map(|line| {
                let at = line.find("  cie").or_else(|| line.find("  ENV")).unwrap();
                // As the terminal counts, independently of the code under test.
                unicode_width::UnicodeWidthStr::width(&line[..at])
            })
            .collect();
        assert!(
            env_columns.iter().all(|c| *c == env_columns[0]),
            "{env_columns:?}\n{grid}"
        );
    }

    #[test]
    fn the_status_is_coloured_only_when_asked() {
        let now = Utc.with_ymd_and_hms(2026, 11, 29, 6, 49, 12).unwrap();
        let rows = [row("00000001", "desk", now)];
        let plain = grid(&rows, at(now), false);
        assert!(!plain.contains('\u{1b}'), "{plain:?}");
        let coloured = grid(&rows, at(now), true);
        let green = status_style(Status::Active).render().to_string();
        assert!(coloured.contains(&green), "{coloured:?}");
        assert!(coloured
            .trim_end()
            .ends_with(&status_style(Status::Active).render_reset().to_string()));
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
        rows[2].secrets_in = Backend::KernelKeyring;
        rows[3].expires_at = now - Duration::hours(1);
        rows[3].has_client_secret = true;
        let mut public_spent = row("00000005", "no secret", now - Duration::days(1));
        public_spent.expires_at = now - Duration::hours(1);
        rows.push(public_spent);
        let leap = NaiveDate::from_ymd_opt(2016, 12, 31)
            .unwrap()
            .and_hms_nano_opt(23, 59, 59, 1_500_000_000)
            .unwrap()
            .and_utc();
        let far = Utc.with_ymd_and_hms(12026, 1, 2, 3, 4, 5).unwrap();
        let mut odd = row("00000004", "odd times", leap);
        odd.refreshed_at = Some(far);
        rows.push(odd);

        assert_eq!(json(&rows, at(now)), serde_json_of(&rows, now));
        assert_eq!(json(&[], at(now)), serde_json_of(&[], now));
        let statuses: Vec<_> = rows
            .iter()
            .map(|r| status_name(at(now).status(r)))
            .collect();
        for status in [
            "active",
            "access_expired",
            "refresh_expired",
            "invalid",
            "ended",
        ] {
            assert!(statuses.contains(&status), "{status} not covered");
        }
    }
}
