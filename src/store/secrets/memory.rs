//! Secrets in this process's memory, gone with it: for a context a test builds (commands
//! run in-process, tests/in_process_commands.rs), never chosen by the binary. The store's
//! journal, locks and index around it are the real ones.

use super::{SecretKind, Secrets};
use crate::error::Result;
use secrecy::{ExposeSecret, SecretString};
use std::collections::HashMap;
use std::sync::Mutex;

/// Secrets by opt-in id and kind.
#[derive(Default)]
pub struct InMemory(Mutex<HashMap<(String, &'static str), SecretString>>);

impl InMemory {
    /// The secret of `kind` kept for `id`, for a test to compare.
    pub fn value(&self, id: &str, kind: SecretKind) -> Option<String> {
        self.entries()
            .get(&(id.to_string(), kind.slug()))
            .map(|s| s.expose_secret().to_string())
    }

    /// How many secrets are kept.
    pub fn len(&self) -> usize {
        self.entries().len()
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    fn entries(&self) -> std::sync::MutexGuard<'_, HashMap<(String, &'static str), SecretString>> {
        // A test that panicked while holding the lock left whole entries behind.
        self.0
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }
}

impl Secrets for InMemory {
    fn name(&self) -> &'static str {
        "memory"
    }

    fn set(&self, id: &str, kind: SecretKind, value: &SecretString) -> Result<()> {
        self.entries()
            .insert((id.to_string(), kind.slug()), value.clone());
        Ok(())
    }

    fn get(&self, id: &str, kind: SecretKind) -> Result<Option<SecretString>> {
        Ok(self.entries().get(&(id.to_string(), kind.slug())).cloned())
    }

    fn delete(&self, id: &str, kind: SecretKind) -> Result<()> {
        self.entries().remove(&(id.to_string(), kind.slug()));
        Ok(())
    }
}
