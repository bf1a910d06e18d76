//! A local https server whose certificate comes from a CA of the test's own, as a UPS behind
//! a TLS-inspecting proxy presents it: trusted only where that CA is.

use std::net::{TcpListener, TcpStream};
use std::sync::Arc;

/// One accepted connection, its handshake driven by the first read or write.
pub type TlsStream = rustls::StreamOwned<rustls::ServerConnection, TcpStream>;

pub struct TlsServer {
    pub port: u16,
    /// The CA that signed the server's certificate, as PEM for a trust store.
    pub ca_pem: String,
}

impl TlsServer {
    /// Serves `host` (the name its certificate is for) on 127.0.0.1, a CA named `ca_name`
    /// behind it; each connection goes to `serve` in a thread of its own.
    pub fn start<F>(host: &str, ca_name: &str, serve: F) -> TlsServer
    where
        F: Fn(&mut TlsStream) + Send + Sync + 'static,
    {
        let ca_key = rcgen::KeyPair::generate().unwrap();
        let mut ca_params = rcgen::CertificateParams::new(Vec::<String>::new()).unwrap();
        ca_params.is_ca = rcgen::IsCa::Ca(rcgen::BasicConstraints::Unconstrained);
        ca_params
            .distinguished_name
            .push(rcgen::DnType::CommonName, ca_name);
        let ca = rcgen::CertifiedIssuer::self_signed(ca_params, ca_key).unwrap();
        let leaf_key = rcgen::KeyPair::generate().unwrap();
        let leaf = rcgen::CertificateParams::new(vec![host.to_string()])
            .unwrap()
            .signed_by(&leaf_key, &ca)
            .unwrap();

        let provider = Arc::new(rustls::crypto::ring::default_provider());
        let config = rustls::ServerConfig::builder_with_provider(provider)
            .with_safe_default_protocol_versions()
            .unwrap()
            .with_no_client_auth()
            .with_single_cert(
                vec![leaf.der().clone()],
                rustls::pki_types::PrivateKeyDer::Pkcs8(leaf_key.serialize_der().into()),
            )
            .unwrap();
        let config = Arc::new(config);
        let listener = TcpListener::bind(("127.0.0.1", 0)).unwrap();
        let port = listener.local_addr().unwrap().port();
        let serve = Arc::new(serve);
        std::thread::spawn(move || {
            for tcp in listener.incoming().flatten() {
                let (config, serve) = (config.clone(), serve.clone());
                std::thread::spawn(move || {
                    let conn = rustls::ServerConnection::new(config).unwrap();
                    serve(&mut rustls::StreamOwned::new(conn, tcp));
                });
            }
        });
        TlsServer {
            port,
            ca_pem: ca.pem(),
        }
    }
}
