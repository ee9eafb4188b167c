//! Graceful shutdown as the pipeline sees it: whether new work is still accepted, and how much
//! accepted work (syncs, room events, HTTP triggers) has not finished yet.
//!
//! Every request the pipeline takes holds a [`Working`] guard from the moment it is accepted (before
//! it waits on its connection's lane) until its answer and fan-out are done. Once [`Drain::close`]
//! ran, no new guard is handed out, so [`Drain::finished`] resolves when the last accepted request
//! ends. It never cancels anything: bounding the wait is the caller's job.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};

use tokio::sync::Notify;

/// Accepted-and-unfinished work, and whether more is accepted.
#[derive(Debug, Default)]
pub struct Drain {
    closing: AtomicBool,
    working: AtomicUsize,
    idle: Notify,
}

/// One accepted request; dropping it marks the request finished.
#[derive(Debug)]
pub struct Working(Arc<Drain>);

impl Drain {
    /// A guard for one new request, or `None` once the pipeline is closing.
    pub fn enter(self: &Arc<Self>) -> Option<Working> {
        // Counted before the check: `close` followed by a zero count then means no request can
        // still slip in after the count was read (both are sequentially consistent).
        self.working.fetch_add(1, Ordering::SeqCst);
        if self.closing.load(Ordering::SeqCst) {
            self.leave();
            return None;
        }
        Some(Working(self.clone()))
    }

    /// Accepts no new request from now on.
    pub fn close(&self) {
        self.closing.store(true, Ordering::SeqCst);
    }

    /// Whether [`Drain::close`] ran.
    pub fn is_closing(&self) -> bool {
        self.closing.load(Ordering::SeqCst)
    }

    /// Requests accepted and not finished.
    pub fn working(&self) -> usize {
        self.working.load(Ordering::SeqCst)
    }

    /// Resolves once no accepted request is left (at once when none is running). Meant for after
    /// [`Drain::close`]; before it, new requests may keep it waiting.
    pub async fn finished(&self) {
        loop {
            let idle = self.idle.notified();
            tokio::pin!(idle);
            // Registered before the check, so a request ending in between still wakes us.
            idle.as_mut().enable();
            if self.working() == 0 {
                return;
            }
            idle.await;
        }
    }

    fn leave(&self) {
        if self.working.fetch_sub(1, Ordering::SeqCst) == 1 {
            self.idle.notify_waiters();
        }
    }
}

impl Drop for Working {
    fn drop(&mut self) {
        self.0.leave();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn finished_waits_for_the_last_guard_and_close_refuses_new_ones() {
        let drain = Arc::new(Drain::default());
        let first = drain.enter();
        let second = drain.enter();
        assert_eq!(drain.working(), 2);
        drain.close();
        assert!(drain.enter().is_none());
        assert_eq!(drain.working(), 2);
        let waiter = tokio::spawn({
            let drain = drain.clone();
            async move { drain.finished().await }
        });
        drop(first);
        tokio::task::yield_now().await;
        assert!(!waiter.is_finished());
        drop(second);
        tokio::time::timeout(std::time::Duration::from_secs(10), waiter)
            .await
            .ok()
            .and_then(Result::ok)
            .unwrap_or_else(|| panic!("finished() did not resolve after the last guard"));
        assert_eq!(drain.working(), 0);
    }
}
