//! The command line's context: which ledger, how long to wait for its lock, and opening it
//! (as a reader or the one writer) and the signing key.

use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use anyhow::{Result, anyhow};
use disclosure_ledger::keys::SecretKey;
use disclosure_ledger::ledger::Ledger;
use disclosure_ledger::store::{Access, OpenError, Store};

pub(super) struct Ctx {
    pub(super) ledger: Option<PathBuf>,
    pub(super) wait: Duration,
}

impl Ctx {
    pub(super) fn path(&self) -> Result<&Path> {
        self.ledger.as_deref().ok_or_else(|| {
            anyhow!("no ledger given: pass --ledger FILE (or -l FILE), or set DLEDGER_LEDGER")
        })
    }

    /// Retries while the ledger is locked by another writer, up to --wait.
    pub(super) fn retry<T, E>(
        &self,
        mut f: impl FnMut() -> Result<T, E>,
        locked: impl Fn(&E) -> bool,
    ) -> Result<T, E> {
        let start = Instant::now();
        loop {
            match f() {
                Err(e) if locked(&e) && start.elapsed() < self.wait => {
                    std::thread::sleep(Duration::from_millis(100));
                }
                other => return other,
            }
        }
    }

    pub(super) fn open_writer(&self) -> Result<Ledger> {
        let path = self.path()?;
        let mut ledger = self.retry(|| Ledger::open(path), |e| e.is_locked())?;
        // The write lock is taken at the moment of the append; wait for it there too.
        ledger.set_wait(self.wait);
        Ok(ledger)
    }

    pub(super) fn open_reader(&self, path: &Path) -> Result<Store> {
        Ok(self.retry(
            || Store::open(path, Access::ReadOnly),
            |e| matches!(e, OpenError::Locked { .. }),
        )?)
    }
}

pub(super) fn load_key(path: &Path) -> Result<SecretKey> {
    // An encrypted key asks for its passphrase (environment, else terminal) only when opened.
    Ok(SecretKey::load_with(path, || {
        disclosure_ledger::keys::passphrase_for(path)
    })?)
}
