//! Plugin output to the host log: the `host.log` import and the guest's stdout/stderr, tagged with
//! the plugin and rate-limited per plugin.
//!
//! A plugin can write as fast as it can loop, so every line goes through [`LogLimiter`] (a one-second
//! window of `log_lines_per_s` lines); dropped lines are counted and reported once per window.
//!
//! A plugin's text must never pass for the host's own: every line is escaped before it reaches the
//! log ([`escape`]: line breaks, terminal escapes, other control characters and Unicode direction
//! overrides become visible `\n`, `\u{1b}`, ... sequences), so one call is one line, and the
//! escaped line is cut at [`MAX_LINE_BYTES`]. Nothing here ever blocks or fails the guest.
//!
//! Each line carries the plugin's label (`page/name@vN:stage`) and the number of the sync it was
//! written in ([`in_sync`]; `0` outside a sync, e.g. at load), so the lines of one sync's server
//! and client stages can be told from those of the syncs around it.

use std::borrow::Cow;
use std::cell::Cell;
use std::fmt::Write as _;
use std::sync::Arc;
use std::sync::atomic::{AtomicU32, AtomicU64, Ordering};
use std::time::{SystemTime, UNIX_EPOCH};

use bytes::Bytes;
use wasmtime_wasi::cli::{IsTerminal, StdoutStream};
use wasmtime_wasi::p2::{OutputStream, Pollable, StreamResult};

use super::bindings::Level;

/// Longest line kept, after escaping; the rest is cut.
pub const MAX_LINE_BYTES: usize = 4096;

thread_local! {
    /// The sync the calling worker thread is running a stage for (0: none).
    static SYNC: Cell<u64> = const { Cell::new(0) };
}

/// Runs `call` with `sync` as the number its plugin log lines carry.
pub fn in_sync<T>(sync: u64, call: impl FnOnce() -> T) -> T {
    let outer = SYNC.replace(sync);
    let result = call();
    SYNC.set(outer);
    result
}

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
        let text = escape(text);
        let plugin = self.label.as_str();
        let sync = SYNC.get();
        match level {
            Level::Trace => tracing::trace!(plugin, sync, source, "{text}"),
            Level::Debug => tracing::debug!(plugin, sync, source, "{text}"),
            Level::Info => tracing::info!(plugin, sync, source, "{text}"),
            Level::Warn => tracing::warn!(plugin, sync, source, "{text}"),
            Level::Error => tracing::error!(plugin, sync, source, "{text}"),
        }
    }
}

/// Whether `c` could change how a log line reads: C0 and C1 controls (line breaks, ESC, BEL, DEL,
/// ...), the Unicode line and paragraph separators, and the bidirectional overrides and isolates.
fn needs_escape(c: char) -> bool {
    c.is_control()
        || matches!(c, '\u{2028}' | '\u{2029}' | '\u{202a}'..='\u{202e}' | '\u{2066}'..='\u{2069}')
}

/// `text` as one inert log line of at most [`MAX_LINE_BYTES`]: every character that
/// [`needs_escape`] is written as `\n`, `\r`, `\t` or `\u{..}`, and the line is cut on a
/// character (never inside an escape) once it is full. Borrowed when nothing needs changing.
pub fn escape(text: &str) -> Cow<'_, str> {
    if text.len() <= MAX_LINE_BYTES && !text.chars().any(needs_escape) {
        return Cow::Borrowed(text);
    }
    let mut line = String::with_capacity(text.len().min(MAX_LINE_BYTES));
    let mut escaped = String::new();
    for c in text.chars() {
        escaped.clear();
        match c {
            '\n' => escaped.push_str("\\n"),
            '\r' => escaped.push_str("\\r"),
            '\t' => escaped.push_str("\\t"),
            c if needs_escape(c) => {
                let _ = write!(escaped, "\\u{{{:x}}}", u32::from(c));
            }
            c => escaped.push(c),
        }
        if line.len() + escaped.len() > MAX_LINE_BYTES {
            break;
        }
        line.push_str(&escaped);
    }
    Cow::Owned(line)
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
    fn the_sync_number_holds_inside_the_call_only() {
        assert_eq!(SYNC.get(), 0);
        let inner = in_sync(7, || (SYNC.get(), in_sync(8, || SYNC.get()), SYNC.get()));
        assert_eq!(inner, (7, 8, 7));
        assert_eq!(SYNC.get(), 0);
    }

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
        let line = escape(&text);
        assert!(line.len() <= MAX_LINE_BYTES);
        assert!(line.chars().all(|c| c == 'é'));
        let controls = "\u{1b}".repeat(MAX_LINE_BYTES);
        let line = escape(&controls);
        assert!(line.len() <= MAX_LINE_BYTES, "{}", line.len());
        assert!(line.ends_with("\\u{1b}"), "an escape is never cut in half");
    }

    #[test]
    fn breaks_and_control_characters_are_made_visible() {
        assert!(matches!(escape("plain text, é ✓"), Cow::Borrowed(_)));
        assert_eq!(
            escape("a\nb\r\tc\u{1b}[2J\u{7}\u{7f}\u{85}"),
            "a\\nb\\r\\tc\\u{1b}[2J\\u{7}\\u{7f}\\u{85}"
        );
        assert_eq!(
            escape("x\u{2028}y\u{202e}z\u{2066}"),
            "x\\u{2028}y\\u{202e}z\\u{2066}"
        );
        assert!(!escape("\u{0}\u{1f}\u{9b}").chars().any(needs_escape));
    }
}
