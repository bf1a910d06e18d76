//! `token`'s read of the index: the one row it needs, without parsing the others. A full
//! parse of 200 opt-ins (every string copied, four time stamps each) made `token` 1.3× a
//! `cat` of its answer; here every row is read only as far as its id, profile and creation
//! time, and the chosen row alone is parsed whole.
//!
//! It reads only what [`super::index::encode`] writes (one opt-in a line, no operations in
//! flight). Any other shape (an indented older file, a journal entry, an empty index) and any
//! doubt (an invalid or repeated id, a row that does not parse) answers None, and the caller
//! reads the whole index as before, which repairs, reports damage and explains.

use super::index::{is_valid_id, RowIn, FORMAT_VERSION};
use super::timestamp::exact;
use crate::opt_in::OptIn;
use chrono::{DateTime, Utc};
use serde::Deserialize;
use std::borrow::Cow;
use std::collections::HashSet;

/// What choosing a row needs; serde skips (and still checks the syntax of) the rest.
#[derive(Deserialize)]
struct Head<'a> {
    #[serde(borrow)]
    id: Cow<'a, str>,
    #[serde(borrow, default)]
    profile: Option<Cow<'a, str>>,
    #[serde(deserialize_with = "exact")]
    created_at: DateTime<Utc>,
}

/// With `id`: the row of exactly that id. Without: the newest row of `profile` (any
/// profile when None) that `accept` takes, newest as [`super::index::parse`] orders them.
/// None whenever the whole index must be read instead.
pub fn pick(
    bytes: &[u8],
    profile: Option<&str>,
    id: Option<&str>,
    accept: &dyn Fn(&OptIn) -> bool,
) -> Option<OptIn> {
    let text = std::str::from_utf8(bytes).ok()?;
    let header = format!("{{\"version\":{FORMAT_VERSION},\"opt_ins\":[\n");
    let body = text.strip_prefix(header.as_str())?.strip_suffix("\n]}\n")?;
    // serde_json writes a line break inside a string as `\n`, so every line is one row.
    let lines: Vec<&str> = body.split('\n').collect();
    let mut heads = Vec::with_capacity(lines.len());
    let mut ids = HashSet::with_capacity(lines.len());
    for (i, line) in lines.iter().enumerate() {
        let row = if i + 1 < lines.len() {
            line.strip_suffix(',')?
        } else {
            line
        };
        let head: Head = serde_json::from_str(row).ok()?;
        if !is_valid_id(&head.id) || !ids.insert(head.id.clone()) {
            return None;
        }
        heads.push((head, row));
    }
    let full = |row: &str| serde_json::from_str::<RowIn>(row).ok().map(|r| r.0);
    if let Some(id) = id {
        let (_, row) = heads.iter().find(|(head, _)| head.id == id)?;
        return full(row);
    }
    let mut candidates: Vec<_> = heads
        .iter()
        .filter(|(head, _)| profile.is_none() || head.profile.as_deref() == profile)
        .collect();
    candidates.sort_by(|(a, _), (b, _)| b.created_at.cmp(&a.created_at).then(b.id.cmp(&a.id)));
    for (_, row) in candidates {
        let row = full(row)?;
        if accept(&row) {
            return Some(row);
        }
    }
    None
}

#[cfg(test)]
mod tests {
    use super::super::index::{encode, parse, tests::row, Contents};
    use super::*;

    fn file(rows: Vec<OptIn>) -> Vec<u8> {
        encode(&Contents {
            rows,
            pending: Vec::new(),
        })
        .unwrap()
    }

    fn with_profile(mut row: OptIn, profile: &str) -> OptIn {
        row.profile = Some(profile.into());
        row
    }

    /// Whatever the rows' order in the file, the row chosen is the one the full parse puts
    /// first among those taken.
    #[test]
    fn it_picks_what_the_full_parse_would() {
        let rows = vec![
            row("aa01", 5),
            with_profile(row("bb02", 30), "prod"),
            row("cc03", 20),
            row("dd04", 20),
            with_profile(row("ee05", 10), "prod"),
        ];
        let bytes = file(rows);
        let all = parse(&bytes).unwrap().rows;
        let everything = |_: &OptIn| true;
        let not_dd = |r: &OptIn| r.id != "dd04";
        for (profile, accept, expect) in [
            (None, &everything as &dyn Fn(&OptIn) -> bool, "bb02"),
            (Some("prod"), &everything, "bb02"),
            (Some("prod"), &(|r: &OptIn| r.id != "bb02") as _, "ee05"),
            (None, &(|r: &OptIn| r.profile.is_none()) as _, "dd04"),
            (
                None,
                &(|r: &OptIn| r.profile.is_none() && not_dd(r)) as _,
                "cc03",
            ),
        ] {
            let quick = pick(&bytes, profile, None, accept).unwrap();
            let slow = all
                .iter()
                .filter(|r| profile.is_none() || r.profile.as_deref() == profile)
                .find(|r| accept(r))
                .unwrap();
            assert_eq!(&quick, slow);
            assert_eq!(quick.id, expect);
        }
        assert_eq!(
            pick(&bytes, None, Some("cc03"), &|_| false).unwrap().id,
            "cc03"
        );
        assert!(
            pick(&bytes, None, Some("cc"), &everything).is_none(),
            "a prefix"
        );
        assert!(pick(&bytes, Some("none"), None, &everything).is_none());
    }

    /// Anything but encode's shape, or any doubt, leaves it to the full read.
    #[test]
    fn other_shapes_and_damage_go_to_the_full_read() {
        let good = String::from_utf8(file(vec![row("aa01", 5), row("bb02", 6)])).unwrap();
        let everything = |_: &OptIn| true;
        assert!(pick(good.as_bytes(), None, None, &everything).is_some());
        let pretty = {
            let value: serde_json::Value = serde_json::from_str(&good).unwrap();
            serde_json::to_string_pretty(&value).unwrap()
        };
        let pending = good.replacen(
            "\n]}\n",
            "\n],\n\"pending\":[{\"id\":\"aa01\",\"keyring\":\"secret-service\",\"action\":\"clear\",\"since\":\"2026-01-01T00:00:00Z\"}]}\n",
            1,
        );
        for bad in [
            pretty,
            pending,
            good.replace("bb02", "aa01"),
            good.replace("bb02", "../x"),
            good.replacen(r#""id":"bb02","#, r#""id":"bb02""#, 1),
            good.replacen("{\"version\":1", "{\"version\":2", 1),
            good.replace("\n]}\n", "\n]}"),
            String::from("{\"version\":1,\"opt_ins\":[]}\n"),
        ] {
            assert!(
                pick(bad.as_bytes(), None, None, &everything).is_none(),
                "{bad}"
            );
        }
        let mut not_utf8 = good.into_bytes();
        not_utf8.insert(40, 0xff);
        assert!(pick(&not_utf8, None, None, &everything).is_none());
    }
}
