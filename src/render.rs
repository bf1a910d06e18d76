//! The two faces of `list`: the grid for people and the JSON for scripts. Only index rows
//! reach this file, so it cannot print a secret.

use crate::store::{OptIn, Status};
use chrono::{DateTime, Local, SecondsFormat, Utc};
use serde::Serialize;

/// One element of `list --json` (schema documented in the README).
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
    }
}

pub fn json(rows: &[OptIn], now: DateTime<Utc>) -> String {
    let rows: Vec<JsonRow> = rows.iter().map(|r| json_row(r, now)).collect();
    let mut out = serde_json::to_string_pretty(&rows).unwrap_or_else(|_| "[]".into());
    out.push('\n');
    out
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
                row.label.clone()
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
