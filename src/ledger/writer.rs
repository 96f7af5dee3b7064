//! The thread a [`super::Batch`] writes on in the background: started with the batch's first
//! background write and kept until the batch ends, so a node committing a few entries at a
//! time does not start (and tear down) a thread for every durable transaction.

use std::any::Any;
use std::sync::Arc;
use std::sync::mpsc::{Receiver, Sender, channel};
use std::thread::JoinHandle;

use crate::store::{IndexUpdate, NewRecord, Store, StoreAppendError};

/// What a write ended with: the store's answer, or the panic that stopped it.
type Outcome = Result<Result<(), StoreAppendError>, Box<dyn Any + Send>>;

/// One durable transaction to write, and what to call once it has completed or failed.
struct Job {
    records: Vec<NewRecord>,
    index: IndexUpdate,
    written: Box<dyn FnOnce() + Send>,
}

/// A thread that writes one transaction at a time to a store, in the order they are sent.
pub(super) struct BackgroundWriter {
    jobs: Option<Sender<Job>>,
    outcomes: Receiver<Outcome>,
    thread: Option<JoinHandle<()>>,
}

impl BackgroundWriter {
    /// Starts the thread writing to `store`.
    pub(super) fn start(store: Arc<Store>) -> std::io::Result<Self> {
        let (jobs, next) = channel::<Job>();
        let (report, outcomes) = channel();
        let thread = std::thread::Builder::new()
            .name("ledger-writer".into())
            .spawn(move || {
                for job in next {
                    let outcome = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
                        store.append_indexed(&job.records, Some(&job.index))
                    }));
                    // The outcome is sent before `written` wakes whoever waits for it.
                    let _ = report.send(outcome);
                    (job.written)();
                }
            })?;
        Ok(BackgroundWriter {
            jobs: Some(jobs),
            outcomes,
            thread: Some(thread),
        })
    }

    /// Sends a transaction to write; `written` is called on the writing thread once it has
    /// completed or failed. Gives the job's parts back if the thread has ended.
    pub(super) fn send(
        &self,
        records: Vec<NewRecord>,
        index: IndexUpdate,
        written: impl FnOnce() + Send + 'static,
    ) -> Result<(), (Vec<NewRecord>, IndexUpdate)> {
        let job = Job {
            records,
            index,
            written: Box::new(written),
        };
        match &self.jobs {
            Some(jobs) => jobs.send(job).map_err(|e| (e.0.records, e.0.index)),
            None => Err((job.records, job.index)),
        }
    }

    /// Waits for the outcome of the oldest transaction sent and not yet waited for. A write
    /// that panicked panics here, on the batch's thread, as it would have if written there.
    pub(super) fn wait(&mut self) -> Result<(), StoreAppendError> {
        match self.outcomes.recv() {
            Ok(Ok(result)) => result,
            Ok(Err(panic)) => std::panic::resume_unwind(panic),
            Err(_) => {
                // The thread ended without reporting: only a panic outside the write can do
                // that; surface it.
                self.jobs = None;
                match self.thread.take().map(JoinHandle::join) {
                    Some(Err(panic)) => std::panic::resume_unwind(panic),
                    _ => panic!("the ledger's writing thread ended without a report"),
                }
            }
        }
    }
}

impl Drop for BackgroundWriter {
    fn drop(&mut self) {
        // Closing the channel ends the thread once it has written what it was sent.
        self.jobs = None;
        if let Some(thread) = self.thread.take() {
            let _ = thread.join();
        }
    }
}
