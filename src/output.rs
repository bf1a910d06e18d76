//! Writing results to stdout. A closed pipe (`idm-auth list | head -1`) is a normal end, not
//! an error, so it exits 0 quietly.

use std::io::Write;

pub fn print(text: &str) -> crate::error::Result<()> {
    let mut out = std::io::stdout().lock();
    match out.write_all(text.as_bytes()).and_then(|_| out.flush()) {
        Ok(()) => Ok(()),
        Err(e) if e.kind() == std::io::ErrorKind::BrokenPipe => std::process::exit(0),
        Err(e) => Err(crate::error::Error::Other(format!(
            "cannot write to stdout: {e}"
        ))),
    }
}
