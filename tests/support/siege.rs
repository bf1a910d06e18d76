//! Hostile clients of the loopback listener: twenty connections that trickle a request line
//! a byte at a time and never finish it, and one that streams 20 MB without a newline.

use std::io::Write;
use std::net::TcpStream;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::thread::JoinHandle;
use std::time::Duration;

pub struct Siege {
    stop: Arc<AtomicBool>,
    tricklers: Vec<JoinHandle<()>>,
    _flood: TcpStream,
}

impl Siege {
    /// Open the slow and the huge connections against `port`; they stay open until `end`.
    /// Returns once every slow connection is open and has sent its first byte: one that
    /// cannot connect fails the test (the siege would be weaker than it claims).
    pub fn open(port: u16) -> Siege {
        let stop = Arc::new(AtomicBool::new(false));
        let (opened, open_ones) = std::sync::mpsc::channel();
        let tricklers = (0..20)
            .map(|_| {
                let stop = stop.clone();
                let opened = opened.clone();
                std::thread::spawn(move || {
                    let mut s = match TcpStream::connect(("127.0.0.1", port)) {
                        Ok(s) => s,
                        Err(e) => {
                            let _ = opened.send(Err(e.to_string()));
                            return;
                        }
                    };
                    let mut first = true;
                    for b in b"GET /callback?code=x&state=y HTTP/1.1".iter().cycle() {
                        if stop.load(Ordering::Relaxed) || s.write_all(&[*b]).is_err() {
                            return;
                        }
                        if std::mem::take(&mut first) {
                            let _ = opened.send(Ok(()));
                        }
                        std::thread::sleep(Duration::from_millis(100));
                    }
                })
            })
            .collect();
        for n in 0..20 {
            match open_ones.recv_timeout(Duration::from_secs(20)) {
                Ok(Ok(())) => {}
                Ok(Err(e)) => panic!("slow connection {n} could not connect: {e}"),
                Err(_) => panic!("only {n} of 20 slow connections opened"),
            }
        }
        let mut flood = TcpStream::connect(("127.0.0.1", port)).unwrap();
        let chunk = vec![b'A'; 1 << 20];
        for _ in 0..20 {
            if flood.write_all(&chunk).is_err() {
                break;
            }
        }
        Siege {
            stop,
            tricklers,
            _flood: flood,
        }
    }

    pub fn end(self) {
        self.stop.store(true, Ordering::Relaxed);
        for t in self.tricklers {
            let _ = t.join();
        }
    }
}

/// Peak resident memory of a running process, in KiB; None once it has exited.
fn peak_rss_kib(pid: u32) -> Option<u64> {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).ok()?;
    status
        .lines()
        .find_map(|l| l.strip_prefix("VmHWM:"))
        .and_then(|v| v.trim().trim_end_matches("kB").trim().parse().ok())
}

/// Watches a process's high-water mark of memory until it exits, so the peak is known even
/// when the process finishes before the test gets round to asking.
pub struct PeakWatch(JoinHandle<u64>);

impl PeakWatch {
    pub fn start(pid: u32) -> PeakWatch {
        PeakWatch(std::thread::spawn(move || {
            let mut peak = 0;
            while let Some(now) = peak_rss_kib(pid) {
                peak = peak.max(now);
                std::thread::sleep(Duration::from_millis(10));
            }
            peak
        }))
    }

    /// The highest mark seen (call after the process has been waited for).
    pub fn peak(self) -> u64 {
        self.0.join().expect("the watcher")
    }
}
