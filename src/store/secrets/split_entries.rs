//! How a secret longer than one Windows Credential Manager entry holds (2,560 bytes; UPS
//! access tokens are JWTs that can outgrow it) is split over several entries.
//!
//! A value that fits is stored as it is, under its own name. A longer one is cut into parts
//! stored as `<name>/part-<slot><n>`, and the entry `<name>` then holds a manifest: a NUL
//! byte (never the first byte of a text secret), a tag, the slot and the part count. Parts
//! are written before the manifest that points at them, in the slot the current manifest
//! does not use, so a crash while storing leaves the previous value readable; the other
//! slot's parts are deleted afterwards. Deleting removes the parts first and the manifest
//! last, so nothing unreachable is left behind. The splitting is plain logic over
//! [`Entries`], compiled (and unit-tested) on every OS; credential_manager.rs opens the store on Windows.

/// The raw entries of one store, by name; `get` and `delete` answer `NoEntry` when missing.
pub trait Entries {
    fn set(&self, name: &str, value: &[u8]) -> keyring_core::Result<()>;
    fn get(&self, name: &str) -> keyring_core::Result<Vec<u8>>;
    fn delete(&self, name: &str) -> keyring_core::Result<()>;
}

/// `CRED_MAX_CREDENTIAL_BLOB_SIZE`.
pub const PART_LIMIT: usize = 2560;
/// 64 parts of 2,560 bytes: far beyond any token, and a bound on a damaged manifest.
const MAX_PARTS: usize = 64;
const MANIFEST_TAG: &[u8] = b"\0idm-auth parts ";
const SLOTS: [char; 2] = ['a', 'b'];

fn part_name(name: &str, slot: char, n: usize) -> String {
    format!("{name}/part-{slot}{n}")
}

fn manifest(slot: char, parts: usize) -> Vec<u8> {
    let mut bytes = MANIFEST_TAG.to_vec();
    bytes.extend_from_slice(format!("{slot} {parts}").as_bytes());
    bytes
}

/// The slot and part count of a manifest; None for a value stored whole.
fn read_manifest(value: &[u8]) -> keyring_core::Result<Option<(char, usize)>> {
    let Some(rest) = value.strip_prefix(MANIFEST_TAG) else {
        return Ok(None);
    };
    let damaged = || {
        keyring_core::Error::Invalid(
            "manifest".into(),
            "the entry listing the secret's parts is damaged".into(),
        )
    };
    let text = std::str::from_utf8(rest).map_err(|_| damaged())?;
    let (slot, count) = text.split_once(' ').ok_or_else(damaged)?;
    let slot = SLOTS
        .into_iter()
        .find(|s| slot.len() == 1 && slot.starts_with(*s))
        .ok_or_else(damaged)?;
    let count: usize = count.parse().map_err(|_| damaged())?;
    if !(1..=MAX_PARTS).contains(&count) {
        return Err(damaged());
    }
    Ok(Some((slot, count)))
}

fn current_manifest(
    entries: &dyn Entries,
    name: &str,
) -> keyring_core::Result<Option<(char, usize)>> {
    match entries.get(name) {
        Ok(value) => read_manifest(&value).or(Ok(None)),
        Err(keyring_core::Error::NoEntry) => Ok(None),
        Err(e) => Err(e),
    }
}

/// Delete `slot`'s parts from `first` on, until one is missing.
fn delete_parts(
    entries: &dyn Entries,
    name: &str,
    slot: char,
    first: usize,
) -> keyring_core::Result<()> {
    for n in first..=MAX_PARTS {
        match entries.delete(&part_name(name, slot, n)) {
            Ok(()) => {}
            Err(keyring_core::Error::NoEntry) => break,
            Err(e) => return Err(e),
        }
    }
    Ok(())
}

pub fn set(entries: &dyn Entries, name: &str, value: &[u8]) -> keyring_core::Result<()> {
    let old = current_manifest(entries, name)?;
    let used = if value.len() <= PART_LIMIT && !value.starts_with(b"\0") {
        entries.set(name, value)?;
        None
    } else {
        let slot = match old {
            Some(('a', _)) => 'b',
            _ => 'a',
        };
        let parts: Vec<&[u8]> = value.chunks(PART_LIMIT).collect();
        if parts.len() > MAX_PARTS {
            return Err(keyring_core::Error::TooLong(
                name.into(),
                (PART_LIMIT * MAX_PARTS) as u32,
            ));
        }
        for (i, part) in parts.iter().enumerate() {
            entries.set(&part_name(name, slot, i + 1), part)?;
        }
        entries.set(name, &manifest(slot, parts.len()))?;
        // Parts past the end, left by a store that crashed before its manifest.
        delete_parts(entries, name, slot, parts.len() + 1)?;
        Some(slot)
    };
    for slot in SLOTS.into_iter().filter(|s| Some(*s) != used) {
        delete_parts(entries, name, slot, 1)?;
    }
    Ok(())
}

pub fn get(entries: &dyn Entries, name: &str) -> keyring_core::Result<Vec<u8>> {
    let value = entries.get(name)?;
    let Some((slot, count)) = read_manifest(&value)? else {
        return Ok(value);
    };
    let mut whole = Vec::with_capacity(count * PART_LIMIT);
    for n in 1..=count {
        match entries.get(&part_name(name, slot, n)) {
            Ok(part) => whole.extend_from_slice(&part),
            Err(keyring_core::Error::NoEntry) => {
                return Err(keyring_core::Error::Invalid(
                    part_name(name, slot, n),
                    "a part of the secret is missing".into(),
                ))
            }
            Err(e) => return Err(e),
        }
    }
    Ok(whole)
}

/// `NoEntry` when there was nothing to delete, as for a single entry.
pub fn delete(entries: &dyn Entries, name: &str) -> keyring_core::Result<()> {
    for slot in SLOTS {
        delete_parts(entries, name, slot, 1)?;
    }
    entries.delete(name)
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::cell::RefCell;
    use std::collections::BTreeMap;

    /// Entries with the Credential Manager's size limit, and an optional failure after a
    /// number of writes (a crash while storing).
    #[derive(Default)]
    struct Limited {
        map: RefCell<BTreeMap<String, Vec<u8>>>,
        writes_left: RefCell<Option<usize>>,
    }

    impl Entries for Limited {
        fn set(&self, name: &str, value: &[u8]) -> keyring_core::Result<()> {
            if value.len() > PART_LIMIT {
                return Err(keyring_core::Error::TooLong(name.into(), PART_LIMIT as u32));
            }
            if let Some(left) = self.writes_left.borrow_mut().as_mut() {
                if *left == 0 {
                    return Err(keyring_core::Error::NoStorageAccess("crash".into()));
                }
                *left -= 1;
            }
            self.map.borrow_mut().insert(name.into(), value.to_vec());
            Ok(())
        }
        fn get(&self, name: &str) -> keyring_core::Result<Vec<u8>> {
            self.map
                .borrow()
                .get(name)
                .cloned()
                .ok_or(keyring_core::Error::NoEntry)
        }
        fn delete(&self, name: &str) -> keyring_core::Result<()> {
            self.map
                .borrow_mut()
                .remove(name)
                .map(|_| ())
                .ok_or(keyring_core::Error::NoEntry)
        }
    }

    fn secret(len: usize, seed: u8) -> Vec<u8> {
        (0..len)
            .map(|i| b'A' + ((i + seed as usize) % 26) as u8)
            .collect()
    }

    #[test]
    fn a_short_secret_is_one_plain_entry() {
        let e = Limited::default();
        set(&e, "x/access-token", b"short").unwrap();
        assert_eq!(e.map.borrow().len(), 1);
        assert_eq!(e.get("x/access-token").unwrap(), b"short");
        assert_eq!(get(&e, "x/access-token").unwrap(), b"short");
    }

    #[test]
    fn a_4_kb_secret_is_split_and_read_back_whole() {
        let e = Limited::default();
        let long = secret(4096, 0);
        set(&e, "x/access-token", &long).unwrap();
        assert_eq!(e.map.borrow().len(), 3, "manifest and two parts");
        assert_eq!(get(&e, "x/access-token").unwrap(), long);
    }

    #[test]
    fn replacing_long_with_long_or_short_leaves_no_stale_parts() {
        let e = Limited::default();
        set(&e, "x/t", &secret(9000, 1)).unwrap();
        set(&e, "x/t", &secret(4000, 2)).unwrap();
        assert_eq!(get(&e, "x/t").unwrap(), secret(4000, 2));
        assert_eq!(e.map.borrow().len(), 3);
        set(&e, "x/t", b"short again").unwrap();
        assert_eq!(e.map.borrow().len(), 1);
        assert_eq!(get(&e, "x/t").unwrap(), b"short again");
    }

    #[test]
    fn a_crash_while_storing_keeps_the_previous_value_readable() {
        let e = Limited::default();
        set(&e, "x/t", &secret(6000, 3)).unwrap();
        // The second store dies after writing two of its three parts.
        *e.writes_left.borrow_mut() = Some(2);
        assert!(set(&e, "x/t", &secret(6000, 4)).is_err());
        assert_eq!(get(&e, "x/t").unwrap(), secret(6000, 3));
        // The next store and a delete clean up what the crash left.
        *e.writes_left.borrow_mut() = None;
        set(&e, "x/t", &secret(5000, 5)).unwrap();
        assert_eq!(get(&e, "x/t").unwrap(), secret(5000, 5));
        delete(&e, "x/t").unwrap();
        assert!(e.map.borrow().is_empty(), "{:?}", e.map.borrow().keys());
    }

    #[test]
    fn delete_removes_every_part_and_says_when_nothing_was_there() {
        let e = Limited::default();
        set(&e, "x/t", &secret(3000, 6)).unwrap();
        set(&e, "y/t", b"other").unwrap();
        delete(&e, "x/t").unwrap();
        assert_eq!(e.map.borrow().keys().collect::<Vec<_>>(), ["y/t"]);
        assert!(matches!(
            delete(&e, "x/t"),
            Err(keyring_core::Error::NoEntry)
        ));
    }

    #[test]
    fn a_missing_part_or_a_damaged_manifest_is_an_error_not_a_short_secret() {
        let e = Limited::default();
        set(&e, "x/t", &secret(3000, 7)).unwrap();
        e.delete("x/t/part-a2").unwrap();
        assert!(matches!(
            get(&e, "x/t"),
            Err(keyring_core::Error::Invalid(..))
        ));
        e.set("x/t", &manifest('a', 1000)).unwrap();
        assert!(matches!(
            get(&e, "x/t"),
            Err(keyring_core::Error::Invalid(..))
        ));
    }
}
