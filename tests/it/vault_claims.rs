//! The Vault store's refresh claims, driven through the library with a refresh that the test
//! controls (slow, refused), against a real `bao server -dev`: a refresher whose claim lapsed
//! and was taken over cannot condemn the pair the other machine stored. The stores are told
//! a UPS time-out of 1 s (`with_ups_timeout`), so a claim lives its shortest, 16 s.
use crate::support::bao::Bao;
use chrono::{Duration as Span, Utc};
use idm_auth::opt_in::Draft;
use idm_auth::store::vault::kv::{Kv, VaultProfile, VaultSettings};
use idm_auth::store::vault::VaultStore;
use idm_auth::store::{Credentials, ExposeSecret, NewSecrets, OptIn, SecretString, Store};
use idm_auth::ups::oauth::{Grant, UpsFailure};
use std::time::Duration;

fn store(bao: &Bao, data: &std::path::Path) -> VaultStore {
    let env = |name: &str| match name {
        "VAULT_ADDR" => Some(bao.addr()),
        "VAULT_TOKEN" => Some(bao.root_token.clone()),
        _ => None,
    };
    let settings = VaultSettings::resolve(&VaultProfile::default(), env, None).unwrap();
    // A claim lives for the UPS time-out plus 15 s: the shortest it can be.
    VaultStore::new(
        Kv::connect(settings).unwrap(),
        &idm_auth::store::Index::at(data.to_path_buf()),
        idm_auth::context::Talk::stderr(),
    )
    .with_ups_timeout(Duration::from_secs(1))
}

fn expired_row() -> Draft {
    let now = Utc::now();
    Draft {
        label: "claims".into(),
        profile: None,
        environment: "simulator".into(),
        base_url: "http://127.0.0.1:9".into(),
        client_id: "c".into(),
        redirect_uri: "http://127.0.0.1:8765/callback".into(),
        created_at: now,
        expires_at: now - Span::seconds(1),
        refresh_expires_at: Some(now + Span::days(60)),
        refresh_count: 0,
        has_client_secret: false,
    }
}

/// An opt-in stored with an expired access token; its pair is old-access and old-refresh.
fn create_expired(vault: &VaultStore) -> OptIn {
    vault
        .create(
            expired_row(),
            NewSecrets {
                access_token: SecretString::from("old-access"),
                refresh_token: Some(SecretString::from("old-refresh")),
                client_secret: None,
            },
        )
        .unwrap()
}

fn grant(access: &str) -> Grant {
    let now = Utc::now();
    Grant {
        access_token: SecretString::from(access),
        refresh_token: Some(SecretString::from(format!("{access}-refresh"))),
        issued_at: now,
        expires_at: now + Span::hours(4),
        refresh_expires_at: Some(now + Span::days(60)),
        refresh_count: 1,
    }
}

#[test]
fn a_refresher_overtaken_after_its_claim_lapsed_cannot_mark_the_opt_in_invalid() {
    let bao = Bao::start();
    let data = tempfile::tempdir().unwrap();
    let row = create_expired(&store(&bao, data.path()));

    // Machine A claims and then hears nothing from UPS for longer than its claim lives,
    // after which UPS refuses: by then its refresh token is no longer the stored one.
    let (slow_row, slow_bao_addr) = (row.clone(), data.path().join("a"));
    let a = {
        let a_store = store(&bao, &slow_bao_addr);
        std::thread::spawn(move || {
            let refused = |_: &OptIn, _: &Credentials| -> Result<Grant, UpsFailure> {
                std::thread::sleep(Duration::from_secs(20));
                Err(UpsFailure::new(Some(401), "invalid_grant".into()))
            };
            a_store
                .rotate(&slow_row, &refused, None)
                .map(|t| t.token.expose_secret().to_string())
        })
    };
    std::thread::sleep(Duration::from_millis(500));
    // Machine B waits out A's claim, takes over and stores a new pair.
    let b_store = store(&bao, &data.path().join("b"));
    let fresh = |_: &OptIn, c: &Credentials| -> Result<Grant, UpsFailure> {
        assert_eq!(c.refresh_token.expose_secret(), "old-refresh");
        Ok(grant("new-access"))
    };
    let b = b_store.rotate(&row, &fresh, None).unwrap();
    assert_eq!(b.token.expose_secret(), "new-access");
    assert!(b.note.unwrap().contains("cut short"));

    // A comes back with UPS's refusal: it must not condemn B's pair, and hands out B's token.
    let a = a.join().unwrap();
    assert_eq!(a.unwrap(), "new-access");
    let rows = b_store.rows().unwrap();
    assert_eq!(rows[0].invalid_reason, None, "A marked the opt-in invalid");
    assert_eq!(rows[0].refresh_count, 1);
}

#[test]
fn an_answer_lost_in_transit_is_tried_once_more_with_the_stored_refresh_token() {
    let bao = Bao::start();
    let data = tempfile::tempdir().unwrap();
    let vault = store(&bao, data.path());
    let row = create_expired(&vault);
    // The first answer is lost before it arrives; UPS had not acted on it.
    let calls = std::sync::atomic::AtomicU32::new(0);
    let flaky = |_: &OptIn, c: &Credentials| -> Result<Grant, UpsFailure> {
        assert_eq!(c.refresh_token.expose_secret(), "old-refresh");
        match calls.fetch_add(1, std::sync::atomic::Ordering::SeqCst) {
            0 => Err(UpsFailure {
                unreachable: true,
                answer_lost: true,
                ..UpsFailure::new(None, "connection reset".into())
            }),
            _ => Ok(grant("new-access")),
        }
    };
    let token = vault.rotate(&row, &flaky, None).unwrap();
    assert_eq!(token.token.expose_secret(), "new-access");
    assert_eq!(calls.into_inner(), 2);
    let rows = vault.rows().unwrap();
    assert_eq!(rows[0].invalid_reason, None);
    assert_eq!(rows[0].refresh_count, 1);
}
