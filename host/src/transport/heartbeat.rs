//! The server-side heartbeat of Engine.IO v4, as a small state machine over deadlines.
//!
//! The server pings `pingInterval` after open (never at open) and `pingInterval` after each pong; the
//! client must answer within `pingTimeout`, counted from when the ping is queued. This file owns only the
//! arithmetic; the transports own the timer and the wire.

use std::time::Duration;

use tokio::time::Instant;

/// What to do when the heartbeat deadline passes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Beat {
    /// Queue a ping now; the pong deadline has started.
    Ping,
    /// The pong did not come in time: close the connection.
    TimedOut,
}

/// Heartbeat state of one connection.
#[derive(Debug)]
pub(crate) struct Heartbeat {
    interval: Duration,
    timeout: Duration,
    deadline: Instant,
    awaiting_pong: bool,
}

impl Heartbeat {
    /// Starts the clock at open: the first ping is due one interval from now.
    pub(crate) fn start(interval: Duration, timeout: Duration) -> Self {
        Self { interval, timeout, deadline: Instant::now() + interval, awaiting_pong: false }
    }

    /// When [`Heartbeat::on_deadline`] must be called next.
    pub(crate) fn deadline(&self) -> Instant {
        self.deadline
    }

    /// The deadline passed: either time to ping (the pong deadline starts now) or time to give up.
    pub(crate) fn on_deadline(&mut self) -> Beat {
        if self.awaiting_pong {
            return Beat::TimedOut;
        }
        self.awaiting_pong = true;
        self.deadline = Instant::now() + self.timeout;
        Beat::Ping
    }

    /// A pong arrived: the next ping is due one interval from now.
    pub(crate) fn on_pong(&mut self) {
        self.awaiting_pong = false;
        self.deadline = Instant::now() + self.interval;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test(start_paused = true)]
    async fn first_ping_waits_one_interval_and_the_pong_deadline_starts_at_the_ping() {
        let start = Instant::now();
        let mut heartbeat = Heartbeat::start(Duration::from_millis(300), Duration::from_millis(200));
        assert_eq!(heartbeat.deadline(), start + Duration::from_millis(300));
        tokio::time::advance(Duration::from_millis(300)).await;
        assert_eq!(heartbeat.on_deadline(), Beat::Ping);
        assert_eq!(heartbeat.deadline(), start + Duration::from_millis(500));
        tokio::time::advance(Duration::from_millis(50)).await;
        heartbeat.on_pong();
        assert_eq!(heartbeat.deadline(), start + Duration::from_millis(650));
        tokio::time::advance(Duration::from_millis(300)).await;
        assert_eq!(heartbeat.on_deadline(), Beat::Ping);
        tokio::time::advance(Duration::from_millis(200)).await;
        assert_eq!(heartbeat.on_deadline(), Beat::TimedOut);
    }
}
