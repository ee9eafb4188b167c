//! The plugin worker threads: where every wasm call runs, off the async runtime.
//!
//! Calls are synchronous wasmtime calls that burn CPU for up to their budget, so they run on a fixed
//! pool of threads (one per core by default) instead of tokio's `spawn_blocking`: the pool bounds how
//! many plugin calls run at once to the cores that exist, gives each thread a stack sized for
//! `max_wasm_stack` plus host frames, and keeps WASI's sync calls away from a tokio context. The queue
//! in front of it is bounded; submitting waits (asynchronously) when it is full.

use std::panic::AssertUnwindSafe;
use std::sync::{Arc, Mutex, PoisonError};

use tokio::sync::{mpsc, oneshot};

use super::error::{ErrorCode, PluginError};

type Job = Box<dyn FnOnce() + Send>;

/// Jobs waiting per worker before submitters wait.
const QUEUE_PER_WORKER: usize = 64;

/// A handle on the worker pool; cheap to clone. The threads stop when every handle is dropped.
#[derive(Clone)]
pub struct WorkerPool {
    queue: mpsc::Sender<Job>,
}

impl WorkerPool {
    /// Starts `workers` threads, each with `stack_bytes` of stack.
    ///
    /// # Errors
    /// When a thread cannot be spawned.
    pub fn start(workers: usize, stack_bytes: usize) -> std::io::Result<Self> {
        let (queue, jobs) = mpsc::channel::<Job>(workers.max(1) * QUEUE_PER_WORKER);
        let jobs = Arc::new(Mutex::new(jobs));
        for index in 0..workers.max(1) {
            let jobs = jobs.clone();
            std::thread::Builder::new()
                .name(format!("plugin-worker-{index}"))
                .stack_size(stack_bytes)
                .spawn(move || {
                    loop {
                        let job = jobs
                            .lock()
                            .unwrap_or_else(PoisonError::into_inner)
                            .blocking_recv();
                        let Some(job) = job else { break };
                        // A panic in host code must not take the worker down with it; the caller
                        // sees its result channel closed.
                        let _ = std::panic::catch_unwind(AssertUnwindSafe(job));
                    }
                })?;
        }
        Ok(Self { queue })
    }

    /// Runs `work` on a worker thread and waits for its result.
    ///
    /// # Errors
    /// [`ErrorCode::Unavailable`] when the pool is shut down or the job panicked.
    pub async fn run<R: Send + 'static>(
        &self,
        work: impl FnOnce() -> R + Send + 'static,
    ) -> Result<R, PluginError> {
        let (done, result) = oneshot::channel();
        let job: Job = Box::new(move || {
            let _ = done.send(work());
        });
        let gone = || PluginError::new(ErrorCode::Unavailable, "plugin workers are gone");
        self.queue.send(job).await.map_err(|_| gone())?;
        result.await.map_err(|_| gone())
    }
}
