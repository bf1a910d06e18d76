//! Host names resolved in-process by hickory-resolver, from `/etc/hosts` and the name servers
//! of `/etc/resolv.conf` (the registry on Windows): the static build cannot use glibc's
//! resolver, which loads NSS modules at run time. reqwest 0.12's own `hickory-dns` feature
//! is tied to hickory 0.25, whose protocol crate has RUSTSEC-2026-0118 and -0119; this is the
//! same resolver on hickory 0.26, handed to reqwest through its `dns_resolver` hook.

use hickory_resolver::config::LookupIpStrategy;
use hickory_resolver::TokioResolver;
use oauth2::reqwest::dns::{Addrs, Name, Resolve, Resolving};
use std::net::SocketAddr;
use std::sync::{Arc, OnceLock};

/// The resolver every client uses; built on its first lookup, inside reqwest's runtime.
#[derive(Debug, Default, Clone)]
pub(crate) struct SystemResolver {
    resolver: Arc<OnceLock<TokioResolver>>,
}

impl Resolve for SystemResolver {
    fn resolve(&self, name: Name) -> Resolving {
        let cell = self.resolver.clone();
        Box::pin(async move {
            let resolver = match cell.get() {
                Some(resolver) => resolver,
                None => {
                    let mut builder = TokioResolver::builder_tokio()?;
                    // Both families, so that happy eyeballs can pick (as reqwest's own does).
                    builder.options_mut().ip_strategy = LookupIpStrategy::Ipv4AndIpv6;
                    let built = builder.build()?;
                    cell.get_or_init(|| built)
                }
            };
            let found = resolver.lookup_ip(name.as_str()).await?;
            let addrs: Addrs = Box::new(found.into_iter().map(|ip| SocketAddr::new(ip, 0)));
            Ok(addrs)
        })
    }
}
