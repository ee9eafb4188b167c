//! One connection's syncs and room events, run one after another in the order they arrived.
//!
//! Socket.IO delivers a connection's messages in order, and so must a sync: two syncs from one
//! sender to one room reach every member in the order they were sent, whatever their stages cost,
//! and a `joinRoom` followed by a `sync` sees the join. So each connection gets a lane: one task
//! that runs its jobs to completion (server stage, ack, fan-out onto the members' queues) before
//! starting the next. Different connections have different lanes and run in parallel. The lane is
//! bounded, and a full lane pushes back: [`Lane::ready`] tells the transport to stop reading the
//! connection until a place is free, so a burst is delivered in full and in order while what is
//! buffered stays within the bound. A job that still finds it full is refused by the caller, never
//! queued without limit.

use std::future::Future;
use std::pin::Pin;

use tokio::sync::mpsc;

type Job = Pin<Box<dyn Future<Output = ()> + Send + 'static>>;

/// Why a job was not taken.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum LaneError {
    /// As many jobs as allowed are in progress or waiting.
    #[error("the connection's lane is full")]
    Full,
    /// The lane's task is gone (the connection is closing).
    #[error("the connection's lane is closed")]
    Closed,
}

/// The ordered work queue of one connection; its clones share it. The task ends when the last
/// clone is dropped and the queue is empty.
#[derive(Debug, Clone)]
pub struct Lane {
    jobs: mpsc::Sender<Job>,
}

impl Lane {
    /// A lane holding at most `max` jobs (the one running included). Must be called inside a tokio
    /// runtime.
    pub fn start(max: usize) -> Self {
        let (jobs, mut queue) = mpsc::channel::<Job>(max.saturating_sub(1).max(1));
        tokio::spawn(async move {
            while let Some(job) = queue.recv().await {
                job.await;
            }
        });
        Self { jobs }
    }

    /// A place in the lane, taken before the job is built so a refused caller still has what it
    /// needs to answer.
    ///
    /// # Errors
    /// [`LaneError::Full`] when the lane holds its maximum; [`LaneError::Closed`] after the task ended.
    pub fn reserve(&self) -> Result<LaneSlot<'_>, LaneError> {
        self.jobs
            .try_reserve()
            .map(LaneSlot)
            .map_err(|error| match error {
                mpsc::error::TrySendError::Full(()) => LaneError::Full,
                mpsc::error::TrySendError::Closed(()) => LaneError::Closed,
            })
    }

    /// `None` when the lane has a free place; otherwise a wait that resolves once one frees up (or
    /// the lane is gone).
    pub fn ready(&self) -> Option<crate::transport::Ready> {
        if self.jobs.capacity() > 0 {
            return None;
        }
        let jobs = self.jobs.clone();
        Some(Box::pin(async move {
            // The place is only looked at, not kept: the next event of this connection takes it.
            let _ = jobs.reserve().await;
        }))
    }

    /// A place in the lane, waiting for one to free up when it is full (for callers that must not
    /// drop work, such as syncs arriving from other nodes).
    ///
    /// # Errors
    /// [`LaneError::Closed`] after the task ended.
    pub async fn reserve_waiting(&self) -> Result<LaneSlot<'_>, LaneError> {
        self.jobs
            .reserve()
            .await
            .map(LaneSlot)
            .map_err(|_| LaneError::Closed)
    }
}

/// A reserved place in a lane.
#[derive(Debug)]
pub struct LaneSlot<'a>(mpsc::Permit<'a, Job>);

impl LaneSlot<'_> {
    /// Queues `job` behind the connection's earlier ones.
    pub fn run(self, job: impl Future<Output = ()> + Send + 'static) {
        self.0.send(Box::pin(job));
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use std::sync::{Arc, Mutex};
    use std::time::Duration;

    use super::*;

    #[tokio::test]
    async fn jobs_run_one_at_a_time_in_arrival_order_whatever_they_cost() {
        let lane = Lane::start(64);
        let seen = Arc::new(Mutex::new(Vec::new()));
        let (done, finished) = tokio::sync::oneshot::channel();
        for n in 0..20u64 {
            let seen = seen.clone();
            // Early jobs take longest: run concurrently, they would finish last.
            lane.reserve().unwrap().run(async move {
                tokio::time::sleep(Duration::from_millis((20 - n) % 7)).await;
                seen.lock().unwrap().push(n);
            });
        }
        lane.reserve().unwrap().run(async move {
            let _ = done.send(());
        });
        finished.await.unwrap();
        assert_eq!(*seen.lock().unwrap(), (0..20).collect::<Vec<_>>());
    }

    #[tokio::test]
    async fn a_full_lane_asks_to_wait_until_a_place_frees_up() {
        let lane = Lane::start(2);
        assert!(lane.ready().is_none());
        let (release, wait) = tokio::sync::oneshot::channel::<()>();
        lane.reserve().unwrap().run(async move {
            let _ = wait.await;
        });
        tokio::task::yield_now().await;
        lane.reserve().unwrap().run(async {});
        let ready = lane.ready().expect("a full lane asks to wait");
        let waiting = tokio::spawn(ready);
        tokio::time::sleep(Duration::from_millis(20)).await;
        assert!(!waiting.is_finished(), "nothing freed a place yet");
        release.send(()).unwrap();
        waiting.await.unwrap();
        assert!(
            lane.reserve().is_ok(),
            "the place is free for the next event"
        );
    }

    #[tokio::test]
    async fn a_full_lane_refuses_instead_of_growing() {
        let lane = Lane::start(2);
        let (release, wait) = tokio::sync::oneshot::channel::<()>();
        lane.reserve().unwrap().run(async move {
            let _ = wait.await;
        });
        tokio::task::yield_now().await;
        // One running, one waiting: the next is refused.
        lane.reserve().unwrap().run(async {});
        assert_eq!(lane.reserve().err(), Some(LaneError::Full));
        release.send(()).unwrap();
    }
}
