//! Keeping the secrets a process holds out of other processes' reach. `authorize`, `token`
//! and `exec` hold tokens (and maybe the client secret) in memory, and so do `list`, `check`
//! and `clear` with the Vault store, which reads whole records; marked non-dumpable, the
//! process leaves no core file, and another process of the same user without
//! CAP_SYS_PTRACE (another session, a compromised tool) can neither ptrace it nor read its
//! memory or environment through /proc. `exec` calls this before it replaces itself; the
//! command it runs is its own business.

/// Mark this process non-dumpable and without core files. Failures are ignored: this is
/// defence in depth, and no platform failure should stop a sign-in.
pub fn keep_secrets_in_this_process() {
    #[cfg(target_os = "linux")]
    // SAFETY: prctl(PR_SET_DUMPABLE, 0) changes a flag of this process only.
    unsafe {
        libc::prctl(libc::PR_SET_DUMPABLE, 0, 0, 0, 0);
    }
    #[cfg(unix)]
    {
        let none = libc::rlimit {
            rlim_cur: 0,
            rlim_max: 0,
        };
        // SAFETY: setrlimit reads the struct we pass and changes this process's limit only.
        unsafe {
            libc::setrlimit(libc::RLIMIT_CORE, &none);
        }
    }
}
