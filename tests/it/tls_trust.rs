//! Trust as a corporate network needs it: UPS behind a TLS-inspecting proxy presents a
//! certificate from the company's CA. Here a local https server plays that UPS with a
//! certificate from a test CA: `token` refuses it (naming the host and how to add a CA) until
//! `SSL_CERT_FILE` points at the CA, and then talks to it.
use crate::support;

use std::io::{BufRead, BufReader, Read, Write};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use support::tls::TlsServer;
use support::*;

/// UPS behind the proxy: an https server on 127.0.0.1 with a certificate from a test CA;
/// every request is answered with a fresh token pair in UPS's format.
struct CorporateUps {
    server: TlsServer,
    answered: Arc<AtomicUsize>,
}

impl CorporateUps {
    fn start() -> CorporateUps {
        let answered = Arc::new(AtomicUsize::new(0));
        let count = answered.clone();
        let server = TlsServer::start("127.0.0.1", "Example Corp TLS inspection CA", move |tls| {
            if answer(tls).is_ok() {
                count.fetch_add(1, Ordering::SeqCst);
            }
        });
        CorporateUps { server, answered }
    }

    fn base_url(&self) -> String {
        format!("https://127.0.0.1:{}", self.server.port)
    }
}

fn answer(stream: &mut impl ReadWrite) -> std::io::Result<()> {
    let mut reader = BufReader::new(&mut *stream);
    let mut length = 0usize;
    loop {
        let mut line = String::new();
        if reader.read_line(&mut line)? == 0 {
            return Err(std::io::ErrorKind::UnexpectedEof.into());
        }
        if let Some(v) = line.to_ascii_lowercase().strip_prefix("content-length:") {
            length = v.trim().parse().unwrap_or(0);
        }
        if line == "\r\n" {
            break;
        }
    }
    let mut body = vec![0u8; length];
    reader.read_exact(&mut body)?;
    let now_ms = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_millis()
        .to_string();
    let json = serde_json::json!({
        "token_type": "Bearer", "access_token": "corporate-access-token", "expires_in": "3600",
        "issued_at": now_ms, "refresh_token": "corporate-refresh-token",
        "refresh_token_expires_in": "5183999", "refresh_token_issued_at": now_ms,
        "refresh_token_status": "approved", "refresh_count": "1", "client_id": CLIENT_ID,
        "scope": "", "status": "approved"
    })
    .to_string();
    write!(
        stream,
        "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{json}",
        json.len()
    )?;
    stream.flush()
}

trait ReadWrite: Read + Write {}
impl<T: Read + Write> ReadWrite for T {}

/// Point the opt-in at `base_url` and make its access token expired, so `token` refreshes.
fn point_at(sandbox: &Sandbox, base_url: &str) {
    sandbox.send_next_refresh_to(base_url);
    sandbox.edit_newest_row(|row| row["environment"] = "custom".into());
}

#[test]
fn a_company_ca_is_refused_until_ssl_cert_file_names_it() {
    let sandbox = Sandbox::new();
    // An app with a client secret: its opt-ins refresh (UPS offers public ones none).
    let sim = Sim::confidential(&[]);
    let id = opt_in(&sandbox, &sim, "behind the proxy");
    let ups = CorporateUps::start();
    point_at(&sandbox, &ups.base_url());

    let refused = sandbox.run(&["token", &id]);
    assert_eq!(refused.code, ExitCode::Unreachable, "{refused:?}");
    assert!(
        refused
            .stderr
            .contains("certificate of 127.0.0.1 is not trusted"),
        "{refused:?}"
    );
    assert!(refused.stderr.contains("SSL_CERT_FILE"), "{refused:?}");
    assert_eq!(ups.answered.load(Ordering::SeqCst), 0);

    let ca_file = sandbox.path("corporate-ca.pem");
    std::fs::write(&ca_file, &ups.server.ca_pem).unwrap();
    let accepted = sandbox
        .cmd(&["token", &id])
        .env("SSL_CERT_FILE", &ca_file)
        .exec();
    assert_eq!(accepted.code, ExitCode::Success, "{accepted:?}");
    assert_eq!(accepted.stdout.trim(), "corporate-access-token");
    assert_eq!(ups.answered.load(Ordering::SeqCst), 1);
}
