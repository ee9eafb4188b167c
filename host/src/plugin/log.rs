//! Plugin output to the host log: the `host.log` import and the guest's stdout/stderr, tagged with
//! the plugin and rate-limited per plugin.
//!
//! A plugin can write as fast as it can loop, so every line goes through [`LogLimiter`] (a one-second
//! window of `log_lines_per_s` lines); dropped lines are counted and reported once per window. Lines
//! are cut at [`MAX_LINE_BYTES`]. Nothing here ever blocks or fails the guest.

use std::sync::Arc;
use std::sync::atomic::{AtomicU32, AtomicU64, Ordering};
use std::time::{SystemTime, UNIX_EPOCH};

use bytes::Bytes;
use wasmtime_wasi::cli::{IsTerminal, StdoutStream};
use wasmtime_wasi::p2::{OutputStream, Pollable, StreamResult};

use super::bindings::Level;

/// Longest line kept; the rest is cut.
pub const MAX_LINE_BYTES: usize = 4096;

/// A per-plugin line budget over one-second windows.
#[derive(Debug, Default)]
pub struct LogLimiter {
    window: AtomicU64,
    used: AtomicU32,
    dropped: AtomicU64,
}

impl LogLimiter {
    /// Whether one more line may be written now under `per_second`. Reports drops of the previous
    /// window when a new one starts.
    fn admit(&self, per_second: u32, label: &str) -> bool {
        let now = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .map_or(0, |elapsed| elapsed.as_secs());
        if self.window.swap(now, Ordering::Relaxed) != now {
            self.used.store(0, Ordering::Relaxed);
            let dropped = self.dropped.swap(0, Ordering::Relaxed);
            if dropped > 0 {
                tracing::warn!(
                    plugin = label,
                    dropped,
                    "plugin log lines dropped by the rate limit"
                );
            }
        }
        if self.used.fetch_add(1, Ordering::Relaxed) < per_second {
            true
        } else {
            self.dropped.fetch_add(1, Ordering::Relaxed);
            false
        }
    }
}

/// Where a plugin's lines go: its label and its limiter. Shared by all its instances.
#[derive(Debug)]
pub struct PluginLog {
    /// `page/name@vN:stage`.
    pub label: String,
    limiter: LogLimiter,
    per_second: AtomicU32,
}

impl PluginLog {
    /// A log for the plugin called `label`.
    pub fn new(label: String, per_second: u32) -> Self {
        Self {
            label,
            limiter: LogLimiter::default(),
            per_second: AtomicU32::new(per_second),
        }
    }

    /// Applies a new `log_lines_per_s`.
    pub fn set_rate(&self, per_second: u32) {
        self.per_second.store(per_second, Ordering::Relaxed);
    }

    /// Writes one line at `level` if the budget allows.
    pub fn line(&self, level: Level, source: &'static str, text: &str) {
        if !self
            .limiter
            .admit(self.per_second.load(Ordering::Relaxed), &self.label)
        {
            return;
        }
        let text = cut(text);
        let plugin = self.label.as_str();
        match level {
            Level::Trace => tracing::trace!(plugin, source, "{text}"),
            Level::Debug => tracing::debug!(plugin, source, "{text}"),
            Level::Info => tracing::info!(plugin, source, "{text}"),
            Level::Warn => tracing::warn!(plugin, source, "{text}"),
            Level::Error => tracing::error!(plugin, source, "{text}"),
        }
    }
}

fn cut(text: &str) -> &str {
    if text.len() <= MAX_LINE_BYTES {
        return text;
    }
    let mut end = MAX_LINE_BYTES;
    while !text.is_char_boundary(end) {
        end -= 1;
    }
    &text[..end]
}

/// The guest's stdout or stderr: each write becomes log lines.
#[derive(Debug, Clone)]
pub struct GuestOutput {
    log: Arc<PluginLog>,
    source: &'static str,
    level: Level,
}

impl GuestOutput {
    /// The guest's stdout (info lines).
    pub fn stdout(log: Arc<PluginLog>) -> Self {
        Self {
            log,
            source: "stdout",
            level: Level::Info,
        }
    }

    /// The guest's stderr (warn lines).
    pub fn stderr(log: Arc<PluginLog>) -> Self {
        Self {
            log,
            source: "stderr",
            level: Level::Warn,
        }
    }
}

impl IsTerminal for GuestOutput {
    fn is_terminal(&self) -> bool {
        false
    }
}

impl StdoutStream for GuestOutput {
    fn p2_stream(&self) -> Box<dyn OutputStream> {
        Box::new(self.clone())
    }

    fn async_stream(&self) -> Box<dyn tokio::io::AsyncWrite + Send + Sync> {
        // Only WASI p2 is linked; p3 streams never reach this.
        Box::new(tokio::io::sink())
    }
}

#[async_trait::async_trait]
impl Pollable for GuestOutput {
    async fn ready(&mut self) {}
}

impl OutputStream for GuestOutput {
    fn write(&mut self, bytes: Bytes) -> StreamResult<()> {
        let text = String::from_utf8_lossy(&bytes);
        for line in text.lines().filter(|line| !line.trim().is_empty()) {
            self.log.line(self.level, self.source, line);
        }
        Ok(())
    }

    fn flush(&mut self) -> StreamResult<()> {
        Ok(())
    }

    fn check_write(&mut self) -> StreamResult<usize> {
        Ok(64 * 1024)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn limiter_admits_the_budget_then_drops() {
        let limiter = LogLimiter::default();
        let admitted = (0..20).filter(|_| limiter.admit(5, "x")).count();
        // At most two windows can be touched by 20 quick calls.
        assert!((5..=10).contains(&admitted), "{admitted}");
    }

    #[test]
    fn long_lines_are_cut_on_a_char_boundary() {
        let text = "é".repeat(MAX_LINE_BYTES);
        assert!(cut(&text).len() <= MAX_LINE_BYTES);
        assert!(cut(&text).is_char_boundary(cut(&text).len()));
    }
}
