//! Named points inside the journalled operations (authorize, clear, refresh) where the crash
//! tests make the process die, so each test knows its kill landed in the window it is about.
//!
//! Debug builds only: with `IDM_AUTH_TEST_ABORT_AT=<name>` the process kills itself with
//! SIGKILL on reaching `<name>`, as a crash or `kill -9` would (no destructor, no flush, no
//! core file). Release builds compile the check out.
//!
//! The one read of the process environment outside the context's (`Ctx::var`), on
//! purpose: the points sit deep inside the stores, between a journal write and a secret
//! write, where no context reaches, and what they serve is a process that a crash test
//! spawns and kills, whose own environment is the only one that can name the point. An
//! in-process context cannot ask a process to die, so it has nothing to inject here.

/// The variable naming the point to die at.
pub const VAR: &str = "IDM_AUTH_TEST_ABORT_AT";

/// Die here if this is the point the test asked for (debug builds only).
#[inline]
pub fn reached(point: &str) {
    #[cfg(debug_assertions)]
    if std::env::var_os(VAR).is_some_and(|wanted| wanted == point) {
        die();
    }
    #[cfg(not(debug_assertions))]
    let _ = point;
}

#[cfg(debug_assertions)]
fn die() -> ! {
    // SAFETY: kill(2) on our own pid has no memory effects; SIGKILL cannot be caught.
    #[cfg(unix)]
    unsafe {
        libc::kill(libc::getpid(), libc::SIGKILL);
    }
    // Where SIGKILL is not at hand, end as abruptly as we can.
    std::process::abort()
}
