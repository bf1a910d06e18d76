//! The loopback listener's bounds, tried as an attacker on the same machine would: a 300 MB
//! request line and 400 idle connections during a real sign-in, a head just over 8 KiB, a
//! connection that never finishes its head; and `localhost` redirect URIs (UPS's own sample
//! registers `http://localhost:5001`), served on 127.0.0.1 and ::1 alike.
use crate::support;

use std::io::{Read, Write};
use std::net::{Ipv6Addr, TcpListener, TcpStream};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};
use support::*;

/// Peak resident memory (KiB) and peak thread count of a process, sampled until it exits.
struct Watch(std::thread::JoinHandle<(u64, u64)>);

impl Watch {
    fn start(pid: u32) -> Watch {
        Watch(std::thread::spawn(move || {
            let (mut rss, mut threads) = (0, 0);
            while let Ok(status) = std::fs::read_to_string(format!("/proc/{pid}/status")) {
                let field = |name: &str| -> u64 {
                    status
                        .lines()
                        .find_map(|l| l.strip_prefix(name))
                        .and_then(|v| v.trim().trim_end_matches("kB").trim().parse().ok())
                        .unwrap_or(0)
                };
                if status.contains("State:\tZ") {
                    break;
                }
                rss = rss.max(field("VmHWM:"));
                threads = threads.max(field("Threads:"));
                std::thread::sleep(Duration::from_millis(5));
            }
            (rss, threads)
        }))
    }

    fn peaks(self) -> (u64, u64) {
        self.0.join().unwrap()
    }
}

#[test]
fn a_huge_line_and_hundreds_of_idle_connections_cost_little_and_the_sign_in_completes() {
    let sandbox = Sandbox::new();
    let sim = Sim::start(&[]);
    // No browser: the test plays it once the siege is in place.
    let (waiting, port) = sandbox.sign_in_without_browser(&sim);
    let watch = Watch::start(waiting.child.id());
    wait_for_listener(port, Duration::from_secs(10));

    let stop = Arc::new(AtomicBool::new(false));
    let (flowing, flood_flows) = std::sync::mpsc::channel();
    let flood = {
        let stop = stop.clone();
        std::thread::spawn(move || {
            let mut s = TcpStream::connect(("127.0.0.1", port)).unwrap();
            s.write_all(b"GET /callback?state=").unwrap();
            let chunk = vec![b'A'; 1 << 20];
            let mut sent = 0usize;
            while sent < 300 << 20 && !stop.load(Ordering::Relaxed) {
                if s.write_all(&chunk).is_err() {
                    break;
                }
                sent += chunk.len();
                let _ = flowing.send(());
            }
            sent
        })
    };
    flood_flows
        .recv_timeout(Duration::from_secs(20))
        .expect("the listener takes the first MB of the flood");
    let idle: Vec<TcpStream> = (0..400)
        .filter_map(|_| TcpStream::connect(("127.0.0.1", port)).ok())
        .collect();
    assert!(
        idle.len() >= 300,
        "only {} idle connections opened",
        idle.len()
    );

    // The real redirect, with the flood going on and the idle connections open.
    let (_, genuine) = port_and_target(&approve_at_simulator(&waiting.url));
    let answer = http_raw(port, "GET", &genuine, &[], "");
    assert_eq!(answer.status, 200, "{}", answer.body);
    let run = waiting.finish();
    stop.store(true, Ordering::Relaxed);
    let sent = flood.join().unwrap();
    let (rss, threads) = watch.peaks();
    drop(idle);
    assert_eq!(
        run.code,
        ExitCode::Success,
        "the real redirect still completed: {run:?}"
    );
    assert_eq!(sandbox.list_json().len(), 1);
    assert!(rss > 0 && threads > 0, "the watcher saw the process");
    assert!(rss < 64 * 1024, "authorize peaked at {rss} KiB");
    assert!(threads < 64, "authorize ran {threads} threads at once");
    assert!(
        sent < 300 << 20,
        "the listener read the whole 300 MB line instead of closing it"
    );
}

#[test]
fn a_head_over_8_kib_is_refused_and_a_silent_connection_is_closed() {
    let sandbox = Sandbox::new();
    let sim = Sim::start(&[]);
    let (waiting, port) = sandbox.sign_in_without_browser(&sim);
    wait_for_listener(port, Duration::from_secs(10));

    let big = format!(
        "GET /callback?state={} HTTP/1.1\r\nHost: x\r\n\r\n",
        "A".repeat(9 * 1024)
    );
    let answer = answer_to(port, &big);
    assert!(answer.starts_with("HTTP/1.1 431"), "{answer:?}");

    // Just under the bound is still read and judged (a 400 for the wrong state).
    let fits = format!(
        "GET /callback?state={} HTTP/1.1\r\nHost: x\r\n\r\n",
        "A".repeat(7 * 1024)
    );
    let answer = answer_to(port, &fits);
    assert!(answer.starts_with("HTTP/1.1 400"), "{answer:?}");

    // Half a request line, then silence: closed by the listener within a few seconds.
    let mut s = TcpStream::connect(("127.0.0.1", port)).unwrap();
    s.write_all(b"GET /callback?sta").unwrap();
    s.set_read_timeout(Some(Duration::from_secs(20))).unwrap();
    let started = Instant::now();
    let mut buf = [0u8; 64];
    let closed = matches!(s.read(&mut buf), Ok(0) | Err(_));
    assert!(closed, "the listener answered a half request");
    assert!(
        started.elapsed() < Duration::from_secs(15),
        "a silent connection stayed open {:?}",
        started.elapsed()
    );

    let mut child = waiting.child;
    let _ = child.kill();
    let _ = child.wait();
}

#[test]
fn localhost_callbacks_complete_on_ipv4_and_ipv6_with_the_root_path_and_with_a_path() {
    let sandbox = Sandbox::new();
    for (path, over_ipv6) in [("/", true), ("/callback", false), ("/", false)] {
        let port = free_port();
        let redirect = format!("http://localhost:{port}{path}");
        let sim = Sim::start(&["--redirect-uri", &redirect]);
        let waiting = Waiting::start(&mut sandbox.authorize_with_redirect(&sim, &redirect));
        let callback = approve_at_simulator(&waiting.url);
        assert!(callback.starts_with(&redirect), "{callback}");
        let (_, target) = port_and_target(&callback);
        // Over [::1] where a browser resolving `localhost` to ::1 connects.
        let origin = if over_ipv6 {
            format!("http://[::1]:{port}")
        } else {
            format!("http://127.0.0.1:{port}")
        };
        let host = format!("localhost:{port}");
        let answer = http_to(&origin, "GET", &target, &[("Host", &host)], "").body;
        assert!(answer.contains("UPS opt-in complete"), "{answer}");
        let run = waiting.finish();
        assert_eq!(
            run.code,
            ExitCode::Success,
            "{redirect} over ipv6={over_ipv6}: {run:?}"
        );
    }
    assert_eq!(sandbox.list_json().len(), 3);
}

#[test]
fn a_localhost_port_taken_on_either_address_stops_authorize_with_exit_11() {
    let sandbox = Sandbox::new();
    let sim = Sim::start(&[]);
    // Held on ::1 only (as another user could), then on 127.0.0.1 only.
    let v6 = TcpListener::bind((Ipv6Addr::LOCALHOST, 0)).expect("bind [::1]");
    let v4 = TcpListener::bind(("127.0.0.1", 0)).unwrap();
    for held in [&v6, &v4] {
        let port = held.local_addr().unwrap().port();
        let redirect = format!("http://localhost:{port}/");
        let run = sandbox
            .authorize_with_redirect(&sim, &redirect)
            .env("BROWSER", sandbox.browser("approve", "never.json"))
            .exec();
        assert_eq!(run.code, ExitCode::PortTaken, "{redirect}: {run:?}");
        assert!(
            !run.stderr.contains("/security/v1/oauth/authorize?"),
            "no sign-in was offered: {run:?}"
        );
    }
}

/// Send `request` as it is and read the whole answer.
fn answer_to(port: u16, request: &str) -> String {
    let mut s = TcpStream::connect(("127.0.0.1", port)).unwrap();
    s.set_read_timeout(Some(Duration::from_secs(10))).unwrap();
    s.write_all(request.as_bytes()).unwrap();
    let mut answer = Vec::new();
    let _ = s.read_to_end(&mut answer);
    String::from_utf8_lossy(&answer).into_owned()
}
