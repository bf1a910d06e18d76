//! The attacker's tools: another local user (uid 12345, through setpriv, from a test that
//! runs as root), and a little HTTP proxy on 127.0.0.1 that records what was sent through it.

use std::io::{Read, Write};
use std::net::{TcpListener, TcpStream};
use std::process::Command;
use std::sync::{Arc, Mutex};
use std::time::Duration;

/// The other local user. No account is needed: the kernel only knows the number.
pub const OTHER_UID: u32 = 12345;

/// These tests play another local user, which takes root; without it they must fail
/// loudly rather than pass without having tried.
pub fn require_root() {
    // SAFETY: geteuid cannot fail and touches no memory.
    let euid = unsafe { libc::geteuid() };
    assert_eq!(
        euid, 0,
        "this test plays another local user with setpriv and must run as root (it ran as uid {euid})"
    );
}

/// `program args...` as the other user, with no groups.
pub fn as_other_user(program: &str) -> Command {
    let mut cmd = Command::new("setpriv");
    cmd.args([
        &format!("--reuid={OTHER_UID}"),
        &format!("--regid={OTHER_UID}"),
        "--clear-groups",
        program,
    ]);
    cmd
}

/// An HTTP proxy that records the head line of every request (`CONNECT host:443 HTTP/1.1`
/// or `POST http://host/... HTTP/1.1`) and answers each with 502: it never forwards.
pub struct RecordingProxy {
    pub port: u16,
    seen: Arc<Mutex<Vec<String>>>,
}

impl RecordingProxy {
    pub fn start() -> RecordingProxy {
        let listener = TcpListener::bind(("127.0.0.1", 0)).unwrap();
        let port = listener.local_addr().unwrap().port();
        let seen = Arc::new(Mutex::new(Vec::new()));
        let record = seen.clone();
        std::thread::spawn(move || {
            for stream in listener.incoming().flatten() {
                let record = record.clone();
                std::thread::spawn(move || answer(stream, &record));
            }
        });
        RecordingProxy { port, seen }
    }

    pub fn url(&self) -> String {
        format!("http://127.0.0.1:{}", self.port)
    }

    /// The request lines seen so far.
    pub fn seen(&self) -> Vec<String> {
        self.seen.lock().unwrap().clone()
    }
}

fn answer(mut stream: TcpStream, record: &Mutex<Vec<String>>) {
    let _ = stream.set_read_timeout(Some(Duration::from_secs(5)));
    let mut head = Vec::new();
    let mut byte = [0u8; 1];
    while !head.ends_with(b"\r\n\r\n") && head.len() < 16 * 1024 {
        match stream.read(&mut byte) {
            Ok(1) => head.push(byte[0]),
            _ => break,
        }
    }
    let text = String::from_utf8_lossy(&head);
    if let Some(line) = text.lines().next().filter(|l| !l.is_empty()) {
        record.lock().unwrap().push(line.to_string());
    }
    let _ = stream
        .write_all(b"HTTP/1.1 502 Bad Gateway\r\nContent-Length: 0\r\nConnection: close\r\n\r\n");
}
