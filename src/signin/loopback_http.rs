//! A small HTTP/1.1 server for the loopback listener, bounded in every direction: it reads
//! request heads only (no bodies), at most `MAX_HEAD` bytes each, gives a connection
//! `HEAD_DEADLINE` to send its head, keeps at most `MAX_READING` connections reading and
//! `MAX_QUEUED` heads waiting to be judged, and answers each request once, then closes.
//!
//! Why not tiny_http: it grows a request line without limit (a 512 MB line cost 530 MB) and
//! starts an unbounded thread per connection (100 idle connections under a limit of 64
//! processes killed the sign-in), and neither can be configured. hyper could be bounded but
//! would pull in its server half and an async runtime for one GET; a bounded std listener
//! is a screen of code. Connections are read on short-stacked threads, at most
//! `MAX_READING` at a time; when all are taken, the one that has waited longest for its head
//! is closed to make room, so idle connections cannot lock out the browser's redirect.

use std::collections::VecDeque;
use std::io::{Read, Write};
use std::net::{SocketAddr, TcpListener, TcpStream};
use std::sync::atomic::{AtomicBool, AtomicU64, AtomicUsize, Ordering};
use std::sync::mpsc::{self, Receiver, SyncSender, TrySendError};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};
use zeroize::{Zeroize, Zeroizing};

/// A request head larger than this is refused (431) and the connection closed.
pub const MAX_HEAD: usize = 8 * 1024;
/// A connection that has not sent a full head by then is closed.
pub const HEAD_DEADLINE: Duration = Duration::from_secs(5);
/// Connections being read at once.
pub const MAX_READING: usize = 32;
/// Complete heads waiting for the listener's owner; more are closed unanswered.
const MAX_QUEUED: usize = 16;
/// The stack of a reading thread: it holds a small buffer and nothing deep.
const READER_STACK: usize = 64 * 1024;

/// One request head, with the connection to answer on.
pub struct Request {
    pub method: String,
    /// The path and query; the real redirect's query holds the one-time code, so the
    /// memory is wiped when the request is dropped.
    pub target: Zeroizing<String>,
    stream: TcpStream,
}

impl Request {
    /// Send one whole answer and close. A client that went away is no error of ours.
    pub fn respond(mut self, status: u16, reason: &str, headers: &[(&str, &str)], body: &str) {
        let mut head = format!(
            "HTTP/1.1 {status} {reason}\r\nContent-Length: {}\r\n",
            body.len()
        );
        for (name, value) in headers {
            head.push_str(&format!("{name}: {value}\r\n"));
        }
        head.push_str("\r\n");
        let _ = self.stream.set_write_timeout(Some(Duration::from_secs(2)));
        let _ = self
            .stream
            .write_all(head.as_bytes())
            .and_then(|_| self.stream.write_all(body.as_bytes()))
            .and_then(|_| self.stream.flush());
        let _ = self.stream.shutdown(std::net::Shutdown::Write);
    }
}

/// Connections still sending their head, oldest first, so the oldest can be closed, and
/// the reading threads alive (an evicted one lives until its read returns).
#[derive(Default)]
struct Reading {
    open: Mutex<VecDeque<(u64, TcpStream)>>,
    next: AtomicU64,
    threads: AtomicUsize,
}

impl Reading {
    /// Take a place for `stream` once fewer than `MAX_READING` threads read: when all are
    /// taken, the oldest reader is closed and its thread given a moment to end. None if no
    /// place came free (the connection is then closed unread).
    fn admit(&self, stream: &TcpStream) -> Option<u64> {
        if self.threads.load(Ordering::SeqCst) >= MAX_READING {
            if let Some((_, oldest)) = self.open.lock().ok()?.pop_front() {
                let _ = oldest.shutdown(std::net::Shutdown::Both);
            }
            let until = Instant::now() + Duration::from_millis(200);
            while self.threads.load(Ordering::SeqCst) >= MAX_READING && Instant::now() < until {
                std::thread::sleep(Duration::from_millis(2));
            }
            if self.threads.load(Ordering::SeqCst) >= MAX_READING {
                return None;
            }
        }
        let handle = stream.try_clone().ok()?;
        let id = self.next.fetch_add(1, Ordering::Relaxed);
        self.open.lock().ok()?.push_back((id, handle));
        self.threads.fetch_add(1, Ordering::SeqCst);
        Some(id)
    }

    /// Whether connection `id` is still to be read: not evicted, head not yet read.
    fn is_reading(&self, id: u64) -> bool {
        self.open
            .lock()
            .is_ok_and(|open| open.iter().any(|(i, _)| *i == id))
    }

    /// Connection `id` has its head (or never will): no longer one to evict.
    fn done_reading(&self, id: u64) {
        if let Ok(mut open) = self.open.lock() {
            open.retain(|(i, _)| *i != id);
        }
    }

    /// A reading thread ends.
    fn thread_done(&self) {
        self.threads.fetch_sub(1, Ordering::SeqCst);
    }
}

/// Listening sockets and the heads read from them.
pub struct Server {
    requests: Receiver<Request>,
    addresses: Vec<SocketAddr>,
    stop: Arc<AtomicBool>,
}

impl Server {
    /// Start serving on already-bound sockets.
    pub fn start(listeners: Vec<TcpListener>) -> std::io::Result<Server> {
        let (tx, rx) = mpsc::sync_channel(MAX_QUEUED);
        let stop = Arc::new(AtomicBool::new(false));
        let reading = Arc::new(Reading::default());
        let mut addresses = Vec::new();
        for listener in listeners {
            addresses.push(listener.local_addr()?);
            let (tx, stop, reading) = (tx.clone(), stop.clone(), reading.clone());
            std::thread::Builder::new()
                .name("loopback-accept".into())
                .stack_size(READER_STACK)
                .spawn(move || accept_loop(listener, tx, stop, reading))?;
        }
        Ok(Server {
            requests: rx,
            addresses,
            stop,
        })
    }

    /// The next complete head, waiting at most `wait`.
    pub fn next(&self, wait: Duration) -> Option<Request> {
        self.requests.recv_timeout(wait).ok()
    }
}

impl Drop for Server {
    /// Stop accepting: each accept thread wakes on a connection of our own and sees `stop`.
    fn drop(&mut self) {
        self.stop.store(true, Ordering::SeqCst);
        for addr in &self.addresses {
            let _ = TcpStream::connect_timeout(addr, Duration::from_millis(200));
        }
    }
}

fn accept_loop(
    listener: TcpListener,
    tx: SyncSender<Request>,
    stop: Arc<AtomicBool>,
    reading: Arc<Reading>,
) {
    for stream in listener.incoming() {
        if stop.load(Ordering::SeqCst) {
            return;
        }
        let Ok(stream) = stream else {
            // Out of descriptors or the like: wait a little and go on, never crash.
            std::thread::sleep(Duration::from_millis(20));
            continue;
        };
        let Some(id) = reading.admit(&stream) else {
            continue;
        };
        let (tx, reading_for_thread) = (tx.clone(), reading.clone());
        let spawned = std::thread::Builder::new()
            .name("loopback-read".into())
            .stack_size(READER_STACK)
            .spawn(move || {
                let head = read_head(&stream, || reading_for_thread.is_reading(id));
                reading_for_thread.done_reading(id);
                deliver(stream, head, &tx);
                reading_for_thread.thread_done();
            });
        if spawned.is_err() {
            // No thread to be had: this connection is closed unread.
            reading.done_reading(id);
            reading.thread_done();
        }
    }
}

enum Head {
    Complete(Vec<u8>),
    TooLarge,
    /// Closed, timed out or evicted before the head was complete.
    Incomplete,
}

/// Read until the blank line that ends a head, within `MAX_HEAD` bytes and `HEAD_DEADLINE`,
/// while `wanted` (false once the connection is evicted).
fn read_head(stream: &TcpStream, wanted: impl Fn() -> bool) -> Head {
    let deadline = Instant::now() + HEAD_DEADLINE;
    let mut head = Vec::with_capacity(1024);
    let mut chunk = [0u8; 1024];
    loop {
        match read_some(stream, &mut chunk, deadline, &wanted) {
            Some(n) if n > 0 => head.extend_from_slice(&chunk[..n]),
            _ => return Head::Incomplete,
        }
        if let Some(end) = find_end(&head) {
            head.truncate(end);
            return Head::Complete(head);
        }
        if head.len() > MAX_HEAD {
            return Head::TooLarge;
        }
    }
}

/// Some bytes, or None at the deadline or on an error. Unix: one read that blocks until the
/// deadline; an eviction's shutdown ends it at once (EOF).
#[cfg(unix)]
fn read_some(
    mut stream: &TcpStream,
    chunk: &mut [u8],
    deadline: Instant,
    _wanted: &dyn Fn() -> bool,
) -> Option<usize> {
    let left = deadline.saturating_duration_since(Instant::now());
    if left.is_zero() || stream.set_read_timeout(Some(left)).is_err() {
        return None;
    }
    stream.read(chunk).ok()
}

/// How often a Windows reader looks for bytes (and for its eviction).
#[cfg(not(unix))]
const POLL: Duration = Duration::from_millis(10);

/// Some bytes, or None at the deadline, on an error or once not `wanted`. Windows: a
/// shutdown does not end a read blocked in another thread (under Wine it runs on to its
/// time-out, so the evicted reader kept its place and the newcomer was closed unread), and
/// Winsock leaves a socket whose read timed out in an undefined state. So the socket is
/// polled without blocking, and the eviction seen between polls.
#[cfg(not(unix))]
fn read_some(
    mut stream: &TcpStream,
    chunk: &mut [u8],
    deadline: Instant,
    wanted: &dyn Fn() -> bool,
) -> Option<usize> {
    stream.set_nonblocking(true).ok()?;
    let read = loop {
        if !wanted() || Instant::now() >= deadline {
            break None;
        }
        match stream.read(chunk) {
            Ok(n) => break Some(n),
            Err(e) if e.kind() == std::io::ErrorKind::WouldBlock => std::thread::sleep(POLL),
            Err(e) if e.kind() == std::io::ErrorKind::Interrupted => {}
            Err(_) => break None,
        }
    };
    // The answer is written blocking (with its own time-out).
    stream.set_nonblocking(false).ok()?;
    read
}

/// Where the head ends (after its blank line), if it has.
fn find_end(bytes: &[u8]) -> Option<usize> {
    bytes
        .windows(4)
        .position(|w| w == b"\r\n\r\n")
        .map(|i| i + 4)
        .or_else(|| bytes.windows(2).position(|w| w == b"\n\n").map(|i| i + 2))
        .filter(|&end| end <= MAX_HEAD)
}

fn deliver(stream: TcpStream, head: Head, tx: &SyncSender<Request>) {
    let bytes = match head {
        Head::Complete(bytes) => Zeroizing::new(bytes),
        Head::TooLarge => {
            let request = Request {
                method: String::new(),
                target: Zeroizing::default(),
                stream,
            };
            request.respond(
                431,
                "Request Header Fields Too Large",
                &[("Connection", "close")],
                "",
            );
            return;
        }
        Head::Incomplete => return,
    };
    let mut text = String::from_utf8_lossy(&bytes).into_owned();
    let mut words = text.lines().next().unwrap_or_default().split(' ');
    let (Some(method), Some(target), Some(version)) = (words.next(), words.next(), words.next())
    else {
        let request = Request {
            method: String::new(),
            target: Zeroizing::default(),
            stream,
        };
        request.respond(400, "Bad Request", &[("Connection", "close")], "");
        return;
    };
    if !version.starts_with("HTTP/1.") {
        text.zeroize();
        return;
    }
    let request = Request {
        method: method.to_string(),
        target: Zeroizing::new(target.to_string()),
        stream,
    };
    text.zeroize();
    match tx.try_send(request) {
        Ok(()) => {}
        // Too many heads waiting (or nobody listening any more): closed unanswered.
        Err(TrySendError::Full(_)) | Err(TrySendError::Disconnected(_)) => {}
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_head_ends_at_its_blank_line_and_only_within_the_bound() {
        assert_eq!(find_end(b"GET / HTTP/1.1\r\nHost: x\r\n\r\nbody"), Some(27));
        assert_eq!(find_end(b"GET / HTTP/1.1\n\n"), Some(16));
        assert_eq!(find_end(b"GET / HTTP/1.1\r\nHost: x\r\n"), None);
        let mut long = vec![b'A'; MAX_HEAD];
        long.extend_from_slice(b"\r\n\r\n");
        assert_eq!(find_end(&long), None);
    }

    fn serve() -> (Server, u16) {
        let listener = TcpListener::bind(("127.0.0.1", 0)).unwrap();
        let port = listener.local_addr().unwrap().port();
        (Server::start(vec![listener]).unwrap(), port)
    }

    fn send(port: u16, bytes: &[u8]) -> TcpStream {
        let mut stream = TcpStream::connect(("127.0.0.1", port)).unwrap();
        stream.write_all(bytes).unwrap();
        stream
    }

    fn answer(mut stream: TcpStream) -> String {
        stream
            .set_read_timeout(Some(Duration::from_secs(20)))
            .unwrap();
        let mut text = String::new();
        let _ = stream.read_to_string(&mut text);
        text
    }

    /// A head of `len` bytes in all, ending with its blank line.
    fn head_of(len: usize) -> Vec<u8> {
        let mut head = b"GET /callback?state=".to_vec();
        let tail = b" HTTP/1.1\r\n\r\n";
        head.resize(len - tail.len(), b'A');
        head.extend_from_slice(tail);
        head
    }

    #[test]
    fn a_head_of_8_kib_is_delivered_and_answered_and_a_larger_one_is_refused() {
        let (server, port) = serve();
        // 8 KiB as a number, not MAX_HEAD: the bound itself is under test.
        let client = send(port, &head_of(8192));
        let request = server.next(Duration::from_secs(20)).expect("the head");
        assert_eq!(request.method, "GET");
        assert_eq!(
            request.target.len(),
            8192 - "GET ".len() - " HTTP/1.1\r\n\r\n".len()
        );
        request.respond(200, "OK", &[("X-Test", "yes")], "hello");
        let text = answer(client);
        assert_eq!(
            text,
            "HTTP/1.1 200 OK\r\nContent-Length: 5\r\nX-Test: yes\r\n\r\nhello"
        );

        let text = answer(send(port, &head_of(8193)));
        assert!(
            text.starts_with("HTTP/1.1 431 Request Header Fields Too Large"),
            "{text}"
        );
        assert!(server.next(Duration::from_millis(300)).is_none());
    }

    #[test]
    fn a_line_without_three_words_is_400_and_one_not_http_is_closed_unanswered() {
        let (server, port) = serve();
        let text = answer(send(port, b"GARBAGE\r\n\r\n"));
        assert!(text.starts_with("HTTP/1.1 400 Bad Request"), "{text}");
        assert_eq!(answer(send(port, b"GET / SPDY/3\r\n\r\n")), "");
        let silent_then_closed = send(port, b"GET / HTT");
        silent_then_closed
            .shutdown(std::net::Shutdown::Write)
            .unwrap();
        assert_eq!(answer(silent_then_closed), "");
        assert!(server.next(Duration::from_millis(300)).is_none());
    }

    /// Dropping the server stops its accept threads, so the port is free again for the next
    /// sign-in (polled: the threads end on their own time).
    #[test]
    fn a_dropped_server_frees_its_port() {
        let (server, port) = serve();
        drop(server);
        let deadline = Instant::now() + Duration::from_secs(10);
        while TcpListener::bind(("127.0.0.1", port)).is_err() {
            assert!(Instant::now() < deadline, "port {port} still taken");
            std::thread::sleep(Duration::from_millis(20));
        }
    }

    /// A connected pair: the client's end and the server's.
    fn pair() -> (TcpStream, TcpStream) {
        let listener = TcpListener::bind(("127.0.0.1", 0)).unwrap();
        let client = TcpStream::connect(listener.local_addr().unwrap()).unwrap();
        (client, listener.accept().unwrap().0)
    }

    /// The bytes waiting to be read on `stream`.
    #[cfg(unix)]
    fn queued(stream: &TcpStream) -> usize {
        use std::os::unix::io::AsRawFd;
        let mut n: libc::c_int = 0;
        // SAFETY: FIONREAD writes one int through a pointer to a live one.
        assert_eq!(
            unsafe { libc::ioctl(stream.as_raw_fd(), libc::FIONREAD, &mut n) },
            0
        );
        usize::try_from(n).unwrap()
    }

    #[cfg(unix)]
    fn poll_until(what: &str, done: impl Fn() -> bool) {
        let deadline = Instant::now() + Duration::from_secs(10);
        while !done() {
            assert!(Instant::now() < deadline, "{what}");
            std::thread::sleep(Duration::from_millis(1));
        }
    }

    /// A head whose reads never add up to exactly 8 KiB (1,000 bytes first, then whole
    /// reads of 1 KiB) is refused once past the bound, not read on until the deadline.
    #[test]
    #[cfg(unix)]
    fn a_head_that_grows_past_the_bound_between_reads_is_refused_at_once() {
        let (mut client, server) = pair();
        client.write_all(&[b'A'; 1000]).unwrap();
        poll_until("the first 1000 bytes never arrived", || {
            queued(&server) == 1000
        });
        let reader = server.try_clone().unwrap();
        let started = Instant::now();
        let head = std::thread::spawn(move || read_head(&reader, || true));
        // Signalled by the socket: the reader has taken the 1000 bytes (one short read).
        poll_until("the reader never took the first 1000 bytes", || {
            queued(&server) == 0
        });
        client.write_all(&[b'A'; 8192]).unwrap();
        assert!(matches!(head.join().unwrap(), Head::TooLarge));
        assert!(started.elapsed() < HEAD_DEADLINE, "read until the deadline");
    }

    /// With every reading place taken, a newcomer waits (up to 200 ms) for the thread of
    /// the reader closed to make room to end, as on a machine too busy to run it at once,
    /// rather than being turned away.
    #[test]
    fn a_newcomer_waits_for_the_evicted_readers_thread_to_end() {
        let reading = Arc::new(Reading::default());
        let mut clients = Vec::new();
        let mut servers = Vec::new();
        for _ in 0..MAX_READING {
            let (client, server) = pair();
            reading.admit(&server).expect("a free place");
            clients.push(client);
            servers.push(server);
        }
        let mut oldest = clients.remove(0);
        let evicted = reading.clone();
        let slow_thread = std::thread::spawn(move || {
            // The server shutting the oldest connection is its reader's cue to end; this
            // one takes 50 ms to get there.
            assert!(closed_within(&mut oldest, Duration::from_secs(10)));
            std::thread::sleep(Duration::from_millis(50));
            evicted.thread_done();
        });
        let (_newcomer_client, newcomer) = pair();
        assert!(
            reading.admit(&newcomer).is_some(),
            "the newcomer was turned away"
        );
        slow_thread.join().unwrap();
    }

    /// Whether the server has closed `stream`: EOF (or a reset) within `within`, where an
    /// open idle connection would time out instead.
    fn closed_within(stream: &mut TcpStream, within: Duration) -> bool {
        stream.set_read_timeout(Some(within)).unwrap();
        let mut byte = [0u8; 1];
        match stream.read(&mut byte) {
            Ok(n) => n == 0,
            Err(e) => !matches!(
                e.kind(),
                std::io::ErrorKind::WouldBlock | std::io::ErrorKind::TimedOut
            ),
        }
    }

    /// More idle connections than there are reading places: the oldest still reading is
    /// closed to make room, at once, so the newcomer is read; a younger one, and a request
    /// already read and waiting for its answer, are left alone.
    #[test]
    fn past_the_reading_places_the_oldest_idle_connection_makes_room_and_nothing_else_does() {
        let (server, port) = serve();
        let answered = send(port, b"GET /first HTTP/1.1\r\n\r\n");
        let first = server
            .next(Duration::from_secs(20))
            .expect("the first request");
        let mut idle: Vec<TcpStream> = (0..MAX_READING)
            .map(|_| TcpStream::connect(("127.0.0.1", port)).unwrap())
            .collect();
        assert!(
            !closed_within(&mut idle[0], Duration::from_millis(300)),
            "closed while places were free"
        );
        let newcomer = send(port, b"GET /newcomer HTTP/1.1\r\n\r\n");
        let request = server
            .next(Duration::from_secs(20))
            .expect("the newcomer was read");
        assert_eq!(request.target.as_str(), "/newcomer");
        assert!(
            closed_within(&mut idle[0], Duration::from_secs(2)),
            "the oldest idle connection was not closed to make room"
        );
        assert!(
            !closed_within(&mut idle[1], Duration::from_millis(300)),
            "more than the oldest was closed"
        );
        first.respond(200, "OK", &[], "");
        assert!(answer(answered).starts_with("HTTP/1.1 200 OK"));
        request.respond(204, "No Content", &[], "");
        assert!(answer(newcomer).starts_with("HTTP/1.1 204 No Content"));
    }
}
