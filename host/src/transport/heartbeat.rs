//! The server-side heartbeat of Engine.IO v4, as a small state machine over deadlines.
//!
//! The server pings `pingInterval` after open (never at open) and `pingInterval` after each pong; the
//! client must answer within `pingTimeout`, counted from when the ping is queued. As in engine.io 6.6,
//! the first other packet that arrives while a pong is awaited restarts that wait once: a client that is
//! visibly alive gets one more `pingTimeout`. This file owns only the arithmetic; the transports own the
//! timer and the wire.

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
    /// Whether the pong wait of the ping in flight was already restarted by another packet.
    refreshed: bool,
}

impl Heartbeat {
    /// Starts the clock at `opened`: the first ping is due one interval after it.
    pub(crate) fn start(opened: Instant, interval: Duration, timeout: Duration) -> Self {
        Self {
            interval,
            timeout,
            deadline: opened + interval,
            awaiting_pong: false,
            refreshed: false,
        }
    }

    /// When the pong for the ping in flight is due, if one is in flight.
    pub(crate) fn pong_deadline(&self) -> Option<Instant> {
        self.awaiting_pong.then_some(self.deadline)
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
        self.refreshed = false;
        // The ping counts as queued when it was due, so a late timer does not stretch the deadline
        // (peers time the deadline from the handshake); a timer late by more than the timeout itself
        // (a stalled runtime) still leaves the client a full timeout to answer.
        let now = Instant::now();
        let scheduled = self.deadline + self.timeout;
        self.deadline = if scheduled > now {
            scheduled
        } else {
            now + self.timeout
        };
        Beat::Ping
    }

    /// A packet other than a pong arrived: while a pong is awaited, the first one restarts the wait.
    pub(crate) fn on_other_packet(&mut self) {
        if self.awaiting_pong && !self.refreshed {
            self.refreshed = true;
            self.deadline = Instant::now() + self.timeout;
        }
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

    /// The conformance settings: ping every 300 ms, pong due within 200 ms.
    fn ping_300_pong_200(start: Instant) -> Heartbeat {
        Heartbeat::start(
            start,
            Duration::from_millis(300),
            Duration::from_millis(200),
        )
    }

    #[tokio::test(start_paused = true)]
    async fn first_ping_waits_one_interval_and_the_pong_deadline_starts_at_the_ping() {
        let start = Instant::now();
        let mut heartbeat = ping_300_pong_200(start);
        assert_eq!(heartbeat.deadline(), start + Duration::from_millis(300));
        tokio::time::advance(Duration::from_millis(300)).await;
        assert_eq!(heartbeat.on_deadline(), Beat::Ping);
        assert_eq!(
            heartbeat.pong_deadline(),
            Some(start + Duration::from_millis(500))
        );
        tokio::time::advance(Duration::from_millis(50)).await;
        heartbeat.on_pong();
        assert_eq!(heartbeat.pong_deadline(), None);
        assert_eq!(heartbeat.deadline(), start + Duration::from_millis(650));
        tokio::time::advance(Duration::from_millis(300)).await;
        assert_eq!(heartbeat.on_deadline(), Beat::Ping);
        tokio::time::advance(Duration::from_millis(200)).await;
        assert_eq!(heartbeat.on_deadline(), Beat::TimedOut);
    }

    #[tokio::test(start_paused = true)]
    async fn another_packet_while_a_pong_is_awaited_restarts_the_wait_once_per_ping() {
        let start = Instant::now();
        let mut heartbeat = ping_300_pong_200(start);
        // Before any ping, packets change nothing.
        heartbeat.on_other_packet();
        assert_eq!(heartbeat.deadline(), start + Duration::from_millis(300));
        tokio::time::advance(Duration::from_millis(300)).await;
        assert_eq!(heartbeat.on_deadline(), Beat::Ping);
        tokio::time::advance(Duration::from_millis(150)).await;
        heartbeat.on_other_packet();
        assert_eq!(
            heartbeat.pong_deadline(),
            Some(start + Duration::from_millis(650))
        );
        tokio::time::advance(Duration::from_millis(100)).await;
        heartbeat.on_other_packet();
        assert_eq!(heartbeat.deadline(), start + Duration::from_millis(650));
        tokio::time::advance(Duration::from_millis(100)).await;
        assert_eq!(heartbeat.on_deadline(), Beat::TimedOut);
    }

    #[tokio::test(start_paused = true)]
    async fn each_ping_allows_one_restart_of_its_own() {
        let start = Instant::now();
        let mut heartbeat = ping_300_pong_200(start);
        tokio::time::advance(Duration::from_millis(300)).await;
        assert_eq!(heartbeat.on_deadline(), Beat::Ping);
        heartbeat.on_other_packet();
        heartbeat.on_pong();
        tokio::time::advance(Duration::from_millis(300)).await;
        assert_eq!(heartbeat.on_deadline(), Beat::Ping);
        tokio::time::advance(Duration::from_millis(100)).await;
        heartbeat.on_other_packet();
        assert_eq!(
            heartbeat.pong_deadline(),
            Some(start + Duration::from_millis(900))
        );
    }
}
