//! The index file's format does not move: index_sample_v1.json was written by the code
//! before the domain's `OptIn` left store/index.rs (every field, each keyring, nanosecond
//! and whole-second time stamps, escapes, every journal action), and today's code must read
//! it as it was meant and write it back byte for byte. Vault records and the refresher's
//! answer use the same row format ([`super::index::Row`]).

use super::index::{encode, parse, Action, RowIn, RowOut};
use super::index_scan;
use crate::opt_in::Backend;
use chrono::{DateTime, Utc};

const SAMPLE: &[u8] = include_bytes!("index_sample_v1.json");

fn at(text: &str) -> DateTime<Utc> {
    DateTime::parse_from_rfc3339(text).unwrap().to_utc()
}

#[test]
fn an_index_written_before_reads_back_and_is_rewritten_byte_for_byte() {
    let contents = parse(SAMPLE).unwrap();
    assert_eq!(encode(&contents).unwrap(), SAMPLE);

    let ids: Vec<&str> = contents.rows.iter().map(|r| r.id.as_str()).collect();
    assert_eq!(
        ids,
        ["a1b2c3d4", "0f0f0f0f", "deadbeef", "00000001", "cafe0002", "cafe0003"]
    );
    let first = &contents.rows[0];
    assert_eq!(first.label, "Shipping desk \"east\" \u{e9}\u{1b}[31m");
    assert_eq!(first.profile.as_deref(), Some("prod"));
    assert_eq!(first.created_at, at("2026-11-18T11:56:40.123456789Z"));
    assert_eq!(
        first.refreshed_at,
        Some(at("2026-11-18T13:36:40.000000005Z"))
    );
    assert_eq!(
        first.refresh_expires_at,
        Some(at("2027-01-17T11:06:40.000000001Z"))
    );
    assert_eq!((first.refresh_count, first.has_client_secret), (17, true));
    assert_eq!(
        contents.rows[1].invalid_reason.as_deref(),
        Some("UPS refused to refresh it: invalid_grant\nline two")
    );
    let keyrings: Vec<Backend> = contents.rows.iter().map(|r| r.secrets_in).collect();
    assert_eq!(
        keyrings,
        [
            Backend::SecretService,
            Backend::File,
            Backend::Vault,
            Backend::KernelKeyring,
            Backend::Keychain,
            Backend::CredentialManager
        ]
    );
    let actions: Vec<Action> = contents.pending.iter().map(|p| p.action).collect();
    assert_eq!(actions, [Action::Authorize, Action::Clear, Action::Refresh]);
}

#[test]
fn token_quick_read_and_the_row_format_agree_with_the_index() {
    let mut contents = parse(SAMPLE).unwrap();
    // The quick read leaves an index with a journal to the full one (it needs repair).
    contents.pending.clear();
    let settled = encode(&contents).unwrap();
    for row in &contents.rows {
        let quick = index_scan::pick(&settled, None, Some(&row.id), &|_| true);
        assert_eq!(quick.as_ref(), Some(row), "{}", row.id);
        let json = serde_json::to_string(&RowOut(row)).unwrap();
        let RowIn(back) = serde_json::from_str(&json).unwrap();
        assert_eq!(&back, row);
    }
}
