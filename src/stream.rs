//! Reading a whole ledger in order while its records are prepared (hashed, decoded) on all
//! cores: one thread reads the file, rayon's workers prepare each chunk, and the caller's
//! thread takes the chunks in ledger order. The three overlap, so a reader that must take
//! entries one at a time (registers, policy) is not kept waiting for the disk or the decoder.

use std::sync::{Arc, mpsc};

use rayon::prelude::*;

use crate::store::{LogReader, StoreError, StoredRecord};

/// Told now and then how far a long read has got (the number of entries taken so far, counted
/// from the start of the ledger), for a progress bar. Does nothing by default.
#[derive(Clone, Default)]
pub struct Progress(Option<Arc<dyn Fn(u64) + Send + Sync>>);

impl Progress {
    /// Calls `report` with the entries taken so far.
    pub fn new(report: impl Fn(u64) + Send + Sync + 'static) -> Progress {
        Progress(Some(Arc::new(report)))
    }

    /// Reports that the entries before `position` have been taken.
    pub fn report(&self, position: u64) {
        if let Some(report) = &self.0 {
            report(position);
        }
    }
}

impl std::fmt::Debug for Progress {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(if self.0.is_some() {
            "Progress(on)"
        } else {
            "Progress(off)"
        })
    }
}

/// Chunks waiting for the caller at most (besides the one it holds and the one being read),
/// so memory stays bounded whatever the ledger's size.
const CHUNKS_AHEAD: usize = 4;

/// Why the reading thread stopped early.
enum Stop {
    /// The store could not be read.
    Store(StoreError),
    /// The caller stopped taking chunks (it returned an error).
    CallerStopped,
}

impl From<StoreError> for Stop {
    fn from(e: StoreError) -> Self {
        Stop::Store(e)
    }
}

/// Streams the records of `store` from `from` to the end, in chunks of `chunk_len`: each chunk
/// is prepared with `prepare` on all cores and handed to `consume` with its prepared values,
/// in ledger order. The first error from `consume` or from the store ends the stream and is
/// returned.
pub fn prepared_chunks<P, E>(
    store: &(impl LogReader + Sync),
    from: u64,
    chunk_len: usize,
    prepare: impl Fn(&StoredRecord) -> P + Sync,
    mut consume: impl FnMut(Vec<StoredRecord>, Vec<P>) -> Result<(), E>,
) -> Result<(), E>
where
    P: Send,
    E: From<StoreError>,
{
    let chunk_len = chunk_len.max(1);
    let (tx, rx) = mpsc::sync_channel::<(Vec<StoredRecord>, Vec<P>)>(CHUNKS_AHEAD);
    std::thread::scope(|s| {
        let prepare = &prepare;
        let reader = s.spawn(move || -> Result<(), Stop> {
            let send = |chunk: Vec<StoredRecord>| -> Result<(), Stop> {
                let prepared: Vec<P> = chunk.par_iter().map(prepare).collect();
                tx.send((chunk, prepared)).map_err(|_| Stop::CallerStopped)
            };
            let mut chunk = Vec::with_capacity(chunk_len);
            store.scan(from, None, |r| {
                chunk.push(r);
                if chunk.len() == chunk_len {
                    send(std::mem::replace(&mut chunk, Vec::with_capacity(chunk_len)))?;
                }
                Ok::<_, Stop>(())
            })?;
            if !chunk.is_empty() {
                send(chunk)?;
            }
            Ok(())
        });
        let mut taken = Ok(());
        for (records, prepared) in rx.iter() {
            taken = consume(records, prepared);
            if taken.is_err() {
                break;
            }
        }
        // Dropping the receiver makes the reader's next send fail, so it stops.
        drop(rx);
        let read = match reader.join() {
            Ok(r) => r,
            Err(panic) => std::panic::resume_unwind(panic),
        };
        taken?;
        match read {
            Ok(()) | Err(Stop::CallerStopped) => Ok(()),
            Err(Stop::Store(e)) => Err(E::from(e)),
        }
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::store::{Access, NewRecord, Store};

    fn store_with(n: u64) -> (tempfile::TempDir, Store) {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("t.ledger");
        let store = Store::create(&path).unwrap();
        let records: Vec<NewRecord> = (0..n)
            .map(|seq| NewRecord {
                seq,
                bytes: seq.to_le_bytes().to_vec(),
                signature: [1; 64],
                hash: [2; 32],
                vault: Vec::new(),
                erase: Vec::new(),
            })
            .collect();
        store.append(&records).unwrap();
        drop(store);
        let store = Store::open(&path, Access::ReadOnly).unwrap();
        (dir, store)
    }

    #[test]
    fn every_record_arrives_once_in_order_with_its_prepared_value() {
        let (_dir, store) = store_with(2_500);
        let mut seen = Vec::new();
        prepared_chunks(
            &store,
            3,
            1_000,
            |r| r.key * 10,
            |records, prepared| {
                assert!(records.len() <= 1_000);
                for (r, p) in records.iter().zip(prepared) {
                    assert_eq!(p, r.key * 10);
                    seen.push(r.key);
                }
                Ok::<_, StoreError>(())
            },
        )
        .unwrap();
        assert_eq!(seen, (3..2_500).collect::<Vec<_>>());
    }

    #[test]
    fn an_error_from_the_caller_stops_the_stream_and_is_returned() {
        #[derive(Debug)]
        enum E {
            Mine(usize),
            Store,
        }
        impl From<StoreError> for E {
            fn from(_: StoreError) -> Self {
                E::Store
            }
        }
        let (_dir, store) = store_with(10_000);
        let mut calls = 0;
        let result = prepared_chunks(
            &store,
            0,
            100,
            |_| (),
            |_, _| {
                calls += 1;
                if calls == 3 {
                    Err(E::Mine(calls))
                } else {
                    Ok(())
                }
            },
        );
        assert!(matches!(result, Err(E::Mine(3))), "{result:?}");
        assert_eq!(calls, 3, "no chunk is handed over after the error");
    }
}
