//! The files of the data directory, opened so that nobody else can steer them. The data
//! directory (`$XDG_DATA_HOME`) and our `idm-auth` directory in it must belong to the user
//! and be writable by nobody else; otherwise another local user could plant links there and
//! have our writes land in a file of their choosing (root's, when root runs idm-auth). Inside
//! them no link is ever followed: the index, its temporary files and the lock files are
//! opened with O_NOFOLLOW, and new files are created with O_EXCL under unpredictable names.

use crate::error::Result;
use std::fs::{File, OpenOptions};
use std::path::{Path, PathBuf};

/// Refuse `dir` unless it is ours and only we can change it. A missing directory is fine (it
/// will be created as ours). On other platforms the OS's ACLs of the profile folder do this.
#[cfg(unix)]
pub fn check_dir(dir: &Path) -> Result<()> {
    use crate::error::Error;
    use std::fs;
    use std::os::unix::fs::MetadataExt;
    let refuse = |why: String| {
        Error::index(
            dir,
            format!(
                "{why}: another user could plant files or links there. Use a directory of your own (set XDG_DATA_HOME)"
            ),
        )
    };
    let link = match fs::symlink_metadata(dir) {
        Ok(meta) => meta,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(()),
        Err(e) => return Err(Error::index(dir, format!("cannot read the directory: {e}"))),
    };
    // SAFETY: geteuid and getegid cannot fail and touch no memory.
    let (me, my_group) = unsafe { (libc::geteuid(), libc::getegid()) };
    if link.file_type().is_symlink() && link.uid() != me {
        return Err(refuse(format!(
            "the data directory is a link made by user {}, not by you (user {me})",
            link.uid()
        )));
    }
    let meta = fs::metadata(dir)
        .map_err(|e| refuse(format!("the data directory cannot be followed ({e})")))?;
    if !meta.is_dir() {
        return Err(refuse("the data directory is not a directory".into()));
    }
    if meta.uid() != me {
        return Err(refuse(format!(
            "the data directory belongs to user {}, not to you (user {me})",
            meta.uid()
        )));
    }
    // Group write is fine only for the user's own group (the user-private-group setups).
    let mode = meta.mode();
    if mode & 0o002 != 0 || (mode & 0o020 != 0 && meta.gid() != my_group) {
        return Err(refuse(format!(
            "the data directory can be written by other users (mode {:o})",
            mode & 0o7777
        )));
    }
    Ok(())
}

#[cfg(not(unix))]
pub fn check_dir(_dir: &Path) -> Result<()> {
    Ok(())
}

/// Make a rename or a removal in `dir` survive a power cut. Unix only: Windows refuses to
/// open a directory as a file (Access denied, which failed every index write there), and
/// NTFS journals the rename itself.
pub fn sync_dir(dir: &Path) -> std::io::Result<()> {
    #[cfg(unix)]
    File::open(dir)?.sync_all()?;
    #[cfg(not(unix))]
    let _ = dir;
    Ok(())
}

/// Options for a file only we can read and write, never through a link.
pub fn options() -> OpenOptions {
    // Only Unix has a mode to set; elsewhere the user profile's ACL keeps it private.
    #[cfg_attr(not(unix), allow(unused_mut))]
    let mut options = OpenOptions::new();
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        options.mode(0o600).custom_flags(libc::O_NOFOLLOW);
    }
    options
}

/// Open an existing file for reading, refusing a link or anything but a regular file.
pub fn open_read(path: &Path) -> std::io::Result<File> {
    let file = options().read(true).open(path).map_err(|e| {
        if is_link_error(&e) {
            std::io::Error::other("it is a link, and links are never followed here")
        } else {
            e
        }
    })?;
    if !file.metadata()?.is_file() {
        return Err(std::io::Error::other("it is not a regular file"));
    }
    Ok(file)
}

/// Open (creating it if needed) a long-lived file such as a lock, never through a link.
pub fn open_or_create(path: &Path) -> std::io::Result<File> {
    options()
        .read(true)
        .write(true)
        .create(true)
        .truncate(false)
        .open(path)
        .map_err(|e| {
            if is_link_error(&e) {
                std::io::Error::other("it is a link, and links are never followed here")
            } else {
                e
            }
        })
}

/// A new file `<dir>/.<stem>.<random>.tmp` that did not exist before (O_EXCL).
pub fn create_temp(dir: &Path, stem: &str) -> std::io::Result<(File, PathBuf)> {
    let mut random = [0u8; 12];
    getrandom::getrandom(&mut random).map_err(|e| std::io::Error::other(e.to_string()))?;
    let tag: String = random.iter().map(|b| format!("{b:02x}")).collect();
    let path = dir.join(format!(".{stem}.{tag}.tmp"));
    let file = options().write(true).create_new(true).open(&path)?;
    Ok((file, path))
}

/// O_NOFOLLOW on a link fails with ELOOP.
fn is_link_error(e: &std::io::Error) -> bool {
    #[cfg(unix)]
    {
        e.raw_os_error() == Some(libc::ELOOP)
    }
    #[cfg(not(unix))]
    {
        let _ = e;
        false
    }
}

// Two attributes, not cfg(all(test, unix)): cargo-mutants knows a test module by a plain
// cfg(test), and would otherwise mutate its helpers.
#[cfg(test)]
#[cfg(unix)]
pub(crate) mod tests {
    use super::*;
    use std::os::unix::fs::PermissionsExt;

    /// Another local user, as the integration tests' attacker (uid and gid 12345).
    pub(crate) const OTHER: u32 = 12345;

    /// Handing a file to another user takes root; without it these tests fail loudly
    /// rather than pass without having tried (as tests/support/attacker.rs does).
    pub(crate) fn require_root() {
        // SAFETY: geteuid cannot fail and touches no memory.
        let euid = unsafe { libc::geteuid() };
        assert_eq!(
            euid, 0,
            "this test hands files to another user: run it as root"
        );
    }

    fn dir_with_mode(parent: &Path, name: &str, mode: u32) -> PathBuf {
        let dir = parent.join(name);
        std::fs::create_dir(&dir).unwrap();
        std::fs::set_permissions(&dir, std::fs::Permissions::from_mode(mode)).unwrap();
        dir
    }

    #[test]
    fn a_directory_writable_by_others_is_refused_and_by_the_own_group_is_not() {
        let tmp = tempfile::tempdir().unwrap();
        for mode in [0o700, 0o755, 0o770] {
            let dir = dir_with_mode(tmp.path(), &format!("ok-{mode:o}"), mode);
            check_dir(&dir).unwrap_or_else(|e| panic!("{mode:o}: {e}"));
        }
        for mode in [0o777, 0o707, 0o702] {
            let dir = dir_with_mode(tmp.path(), &format!("open-{mode:o}"), mode);
            let error = check_dir(&dir).unwrap_err().to_string();
            assert!(error.contains("can be written by other users"), "{error}");
        }
        check_dir(&tmp.path().join("not yet made")).expect("a missing directory is fine");
        // Something in the way that is not a missing directory is not fine.
        let file = tmp.path().join("a file");
        std::fs::write(&file, "").unwrap();
        assert!(check_dir(&file.join("below")).is_err());
        assert!(check_dir(&file).is_err());
    }

    #[test]
    fn another_users_directory_group_or_link_is_refused_and_an_own_link_is_not() {
        require_root();
        let tmp = tempfile::tempdir().unwrap();
        let theirs = dir_with_mode(tmp.path(), "theirs", 0o755);
        std::os::unix::fs::chown(&theirs, Some(OTHER), None).unwrap();
        let error = check_dir(&theirs).unwrap_err().to_string();
        assert!(error.contains("belongs to user 12345"), "{error}");

        // Group write counts only for another group; a group that cannot write is fine.
        let shared = dir_with_mode(tmp.path(), "shared", 0o770);
        std::os::unix::fs::chown(&shared, None, Some(OTHER)).unwrap();
        let error = check_dir(&shared).unwrap_err().to_string();
        assert!(error.contains("can be written by other users"), "{error}");
        let readable = dir_with_mode(tmp.path(), "readable", 0o750);
        std::os::unix::fs::chown(&readable, None, Some(OTHER)).unwrap();
        check_dir(&readable).unwrap();

        let mine = dir_with_mode(tmp.path(), "mine", 0o700);
        let own_link = tmp.path().join("own-link");
        std::os::unix::fs::symlink(&mine, &own_link).unwrap();
        check_dir(&own_link).expect("a link of our own to our directory");
        let planted = tmp.path().join("planted");
        std::os::unix::fs::symlink(&mine, &planted).unwrap();
        std::os::unix::fs::lchown(&planted, Some(OTHER), None).unwrap();
        let error = check_dir(&planted).unwrap_err().to_string();
        assert!(error.contains("a link made by user 12345"), "{error}");
    }

    #[test]
    fn links_are_refused_by_name_and_a_directory_that_cannot_be_opened_is_not_synced() {
        let tmp = tempfile::tempdir().unwrap();
        let target = tmp.path().join("target");
        std::fs::write(&target, "x").unwrap();
        let link = tmp.path().join("link");
        std::os::unix::fs::symlink(&target, &link).unwrap();
        for error in [
            open_read(&link).unwrap_err(),
            open_or_create(&link).unwrap_err(),
        ] {
            assert!(error.to_string().contains("it is a link"), "{error}");
        }
        assert!(sync_dir(&tmp.path().join("gone")).is_err());
        sync_dir(tmp.path()).unwrap();
    }
}
