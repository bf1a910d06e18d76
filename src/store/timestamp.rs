//! Reading the index's time stamps. Every `token` and `list` reads four per opt-in, and
//! chrono's general RFC 3339 parser was a third of `list --json`'s time. The index is
//! written by chrono in one shape, "2026-11-29T07:09:52.189167609Z", which is read here
//! directly; anything else goes to chrono's parser, so every file read before still reads.

use chrono::{DateTime, FixedOffset, NaiveDate, NaiveTime, Utc};
use serde::de::{self, Deserialize, Deserializer, Visitor};
use std::fmt;

/// For `#[serde(deserialize_with = "...")]` on a `DateTime<Utc>` field.
pub fn exact<'de, D: Deserializer<'de>>(d: D) -> Result<DateTime<Utc>, D::Error> {
    Stamp::deserialize(d).map(|s| s.0)
}

/// For `#[serde(deserialize_with = "...")]` on an `Option<DateTime<Utc>>` field.
pub fn exact_opt<'de, D: Deserializer<'de>>(d: D) -> Result<Option<DateTime<Utc>>, D::Error> {
    Option::<Stamp>::deserialize(d).map(|s| s.map(|s| s.0))
}

struct Stamp(DateTime<Utc>);

impl<'de> Deserialize<'de> for Stamp {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Stamp, D::Error> {
        d.deserialize_str(StampVisitor)
    }
}

struct StampVisitor;

impl Visitor<'_> for StampVisitor {
    type Value = Stamp;

    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("an RFC 3339 date and time")
    }

    fn visit_str<E: de::Error>(self, text: &str) -> Result<Stamp, E> {
        match parse_utc(text) {
            Some(t) => Ok(Stamp(t)),
            None => text
                .parse::<DateTime<FixedOffset>>()
                .map(|t| Stamp(t.with_timezone(&Utc)))
                .map_err(E::custom),
        }
    }
}

/// "YYYY-MM-DDTHH:MM:SS[.fraction]Z" with a fraction of up to nine digits, or None.
pub(super) fn parse_utc(text: &str) -> Option<DateTime<Utc>> {
    let b = text.as_bytes();
    if b.len() < 20 || b[4] != b'-' || b[7] != b'-' || b[10] != b'T' || b[13] != b':' {
        return None;
    }
    if b[16] != b':' || *b.last()? != b'Z' {
        return None;
    }
    let num = |from: usize, to: usize| -> Option<u32> {
        b[from..to].iter().try_fold(0u32, |n, &c| {
            c.is_ascii_digit().then(|| n * 10 + u32::from(c - b'0'))
        })
    };
    let nanos = match &b[19..b.len() - 1] {
        [] => 0,
        [b'.', digits @ ..] if (1..=9).contains(&digits.len()) => {
            num(20, b.len() - 1)? * 10u32.pow(9 - digits.len() as u32)
        }
        _ => return None,
    };
    let date = NaiveDate::from_ymd_opt(num(0, 4)? as i32, num(5, 7)?, num(8, 10)?)?;
    // A leap second ("60") is refused here and left to chrono.
    let time = NaiveTime::from_hms_nano_opt(num(11, 13)?, num(14, 16)?, num(17, 19)?, nanos)?;
    Some(date.and_time(time).and_utc())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn chrono(text: &str) -> Option<DateTime<Utc>> {
        text.parse::<DateTime<FixedOffset>>()
            .ok()
            .map(|t| t.with_timezone(&Utc))
    }

    #[test]
    fn reads_what_chrono_reads() {
        for text in [
            "2026-11-29T07:09:52.189167609Z",
            "2026-11-29T07:09:52Z",
            "2026-11-29T07:09:52.1Z",
            "2026-11-29T07:09:52.123456Z",
            "2024-02-29T23:59:59.999999999Z",
            "0000-01-01T00:00:00Z",
            "9999-12-31T23:59:59Z",
        ] {
            assert_eq!(parse_utc(text), chrono(text), "{text}");
            assert!(parse_utc(text).is_some(), "{text} takes the fast path");
        }
    }

    #[test]
    fn leaves_other_shapes_to_chrono_and_never_accepts_what_chrono_refuses() {
        for text in [
            "2026-11-29T07:09:52+02:00",
            "2026-11-29 07:09:52Z",
            "2026-11-29t07:09:52z",
            "2016-12-31T23:59:60Z",
            "2026-11-29T07:09:52.1234567890Z",
            "2026-11-29T07:09:52.Z",
            "2025-02-29T07:09:52Z",
            "2026-13-01T07:09:52Z",
            "2026-11-29T24:00:00Z",
            "2026-11-29T07:09:5xZ",
            "+2026-11-29T07:09:52Z",
            "",
        ] {
            assert_eq!(parse_utc(text), None, "{text}");
        }
        let via_serde = |text: &str| -> Option<DateTime<Utc>> {
            exact(serde_json::Value::String(text.into())).ok()
        };
        assert_eq!(
            via_serde("2026-11-29T09:09:52+02:00"),
            chrono("2026-11-29T07:09:52Z")
        );
        assert_eq!(
            via_serde("2026-11-29t07:09:52z"),
            chrono("2026-11-29t07:09:52z")
        );
        assert!(via_serde("2025-02-29T07:09:52Z").is_none());
        let opt = |json: &str| {
            exact_opt(&mut serde_json::Deserializer::from_str(json)).map_err(|e| e.to_string())
        };
        assert_eq!(opt("null"), Ok(None));
        assert_eq!(
            opt("\"2026-11-29T07:09:52Z\""),
            Ok(chrono("2026-11-29T07:09:52Z"))
        );
    }
}
