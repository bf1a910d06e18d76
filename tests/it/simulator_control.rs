//! The simulator's control endpoints, tried as a web page (a form post, no token; a page on
//! another name that resolves to 127.0.0.1) and as another local user (no token): refused,
//! and nothing changes. Its owner has the token printed at start-up.
use crate::support;

use support::*;

#[test]
fn control_endpoints_answer_only_the_owner_at_the_simulators_own_address() {
    let sim = Sim::start(&[]);
    let port = sim.port();
    let own_host = format!("127.0.0.1:{port}");
    let bearer = sim.bearer();
    let attempts = [
        (
            "no token (a form post from a web page)",
            own_host.clone(),
            None,
        ),
        ("a guessed token", own_host.clone(), Some("Bearer 00000000")),
        (
            "a foreign Host (DNS rebinding)",
            format!("rebind.example:{port}"),
            Some(bearer.as_str()),
        ),
    ];
    for (what, host, auth) in attempts {
        let mut headers = vec![("Host", host.as_str())];
        if let Some(auth) = auth {
            headers.push(("Authorization", auth));
        }
        let answer = http_raw_host(port, "POST", "/_simulator/password-change", &headers);
        assert!(answer == 401 || answer == 403, "{what}: answered {answer}");
    }
    assert_eq!(sim.stats()["password_changes"], 0, "nothing changed");
    let (status, _) = sim.request("POST", "/_simulator/password-change", "");
    assert_eq!(status, 204, "the owner, with the printed token");
    assert_eq!(sim.stats()["password_changes"], 1);
}

/// A request whose Host header is the test's choice; returns the status.
fn http_raw_host(port: u16, method: &str, target: &str, headers: &[(&str, &str)]) -> u16 {
    use std::io::{Read, Write};
    let mut stream = std::net::TcpStream::connect(("127.0.0.1", port)).unwrap();
    let mut request =
        format!("{method} {target} HTTP/1.1\r\nConnection: close\r\nContent-Length: 0\r\n");
    for (k, v) in headers {
        request.push_str(&format!("{k}: {v}\r\n"));
    }
    request.push_str("\r\n");
    stream.write_all(request.as_bytes()).unwrap();
    let mut answer = String::new();
    let _ = stream.read_to_string(&mut answer);
    answer
        .split_whitespace()
        .nth(1)
        .and_then(|s| s.parse().ok())
        .unwrap_or_else(|| panic!("no status in {answer:?}"))
}
