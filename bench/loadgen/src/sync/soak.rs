//! The soak parts of a sync run: hot-swapping a handler's component on disk between two builds,
//! and sampling the server's resident memory.
//!
//! Swaps write the other build under a temporary name beside the served file and rename it over
//! the served path (atomic, as a deploy would), so the host never reads half a file.

use std::path::{Path, PathBuf};
use std::sync::Mutex;
use std::time::Duration;

use anyhow::Context;
use serde::Serialize;
use tokio::time::Instant;

use crate::procfs;

/// A served file and the two builds it alternates between.
#[derive(Debug, Clone)]
pub struct Swap {
    /// The served path.
    pub live: PathBuf,
    /// The two builds (the first is what `live` holds at the start).
    pub builds: [PathBuf; 2],
    /// Time between swaps.
    pub every: Duration,
}

/// Swaps done and failed.
#[derive(Debug, Default, Serialize)]
pub struct SwapReport {
    done: u64,
    failed: u64,
    first_error: Option<String>,
}

impl SwapReport {
    /// Swaps that failed.
    pub fn failed(&self) -> u64 {
        self.failed
    }
}

/// Swaps until `until`; the first swap installs the second build.
pub async fn swap_until(swap: Swap, until: Instant) -> anyhow::Result<SwapReport> {
    let builds = [
        tokio::fs::read(&swap.builds[0])
            .await
            .with_context(|| format!("read {}", swap.builds[0].display()))?,
        tokio::fs::read(&swap.builds[1])
            .await
            .with_context(|| format!("read {}", swap.builds[1].display()))?,
    ];
    let mut report = SwapReport::default();
    let mut next = 1;
    loop {
        let due = Instant::now() + swap.every;
        if due >= until {
            break;
        }
        tokio::time::sleep_until(due).await;
        match install(&swap.live, &builds[next]).await {
            Ok(()) => {
                report.done += 1;
                next = 1 - next;
            }
            Err(error) => {
                report.failed += 1;
                report.first_error.get_or_insert(format!("{error:#}"));
            }
        }
    }
    Ok(report)
}

async fn install(live: &Path, bytes: &[u8]) -> anyhow::Result<()> {
    let name = live
        .file_name()
        .context("served path has no file name")?
        .to_string_lossy();
    let temporary = live.with_file_name(format!(".{name}.swap.tmp"));
    tokio::fs::write(&temporary, bytes).await?;
    tokio::fs::rename(&temporary, live).await?;
    Ok(())
}

/// Resident memory over the run.
#[derive(Debug, Default, Serialize)]
pub struct RssReport {
    /// `[seconds since publishing started (negative: before), MB]`.
    pub samples: Vec<(f64, f64)>,
    /// Before the clients connected.
    pub before_connect_mb: Option<f64>,
    /// The first sample at or after the warm-up.
    pub after_warmup_mb: Option<f64>,
    /// The last sample.
    pub end_mb: Option<f64>,
    /// The highest sample after the warm-up.
    pub max_after_warmup_mb: Option<f64>,
    /// Least-squares slope over the samples after the warm-up, MB per minute.
    pub slope_mb_per_min: Option<f64>,
}

/// Samples `pid`'s RSS every `every` into a shared list of `(instant, bytes)`.
pub struct RssSampler {
    samples: Mutex<Vec<(Instant, u64)>>,
}

impl RssSampler {
    /// An empty sampler.
    pub fn new() -> Self {
        Self {
            samples: Mutex::new(Vec::new()),
        }
    }

    /// Takes one sample now (ignored when `/proc` cannot be read).
    pub fn sample(&self, pid: u32) {
        if let Ok(bytes) = procfs::rss_bytes(pid) {
            self.samples
                .lock()
                .unwrap_or_else(|p| p.into_inner())
                .push((Instant::now(), bytes));
        }
    }

    /// Samples until `stop` flips.
    pub async fn run(
        &self,
        pid: u32,
        every: Duration,
        mut stop: tokio::sync::watch::Receiver<bool>,
    ) {
        let mut ticker = tokio::time::interval(every);
        loop {
            tokio::select! {
                _ = ticker.tick() => self.sample(pid),
                _ = stop.changed() => break,
            }
        }
    }

    /// The report, with times relative to `start` and the warm-up ending at `warm`.
    pub fn report(&self, before_connect: Option<u64>, start: Instant, warm: Instant) -> RssReport {
        let samples = self.samples.lock().unwrap_or_else(|p| p.into_inner());
        let relative = |at: Instant| {
            if at >= start {
                (at - start).as_secs_f64()
            } else {
                -(start - at).as_secs_f64()
            }
        };
        let mb = |bytes: u64| bytes as f64 / 1_000_000.0;
        let points: Vec<(f64, f64)> = samples
            .iter()
            .map(|(at, bytes)| (relative(*at), mb(*bytes)))
            .collect();
        let warm_secs = relative(warm);
        let after: Vec<(f64, f64)> = points
            .iter()
            .copied()
            .filter(|(t, _)| *t >= warm_secs)
            .collect();
        RssReport {
            before_connect_mb: before_connect.map(mb),
            after_warmup_mb: after.first().map(|(_, m)| *m),
            end_mb: points.last().map(|(_, m)| *m),
            max_after_warmup_mb: after.iter().map(|(_, m)| *m).reduce(f64::max),
            slope_mb_per_min: slope(&after).map(|per_sec| per_sec * 60.0),
            samples: points,
        }
    }
}

/// Least-squares slope of `points`; `None` for fewer than two distinct times.
fn slope(points: &[(f64, f64)]) -> Option<f64> {
    let n = points.len() as f64;
    let mean_t = points.iter().map(|(t, _)| t).sum::<f64>() / n;
    let mean_y = points.iter().map(|(_, y)| y).sum::<f64>() / n;
    let covariance: f64 = points
        .iter()
        .map(|(t, y)| (t - mean_t) * (y - mean_y))
        .sum();
    let variance: f64 = points.iter().map(|(t, _)| (t - mean_t).powi(2)).sum();
    (points.len() >= 2 && variance > 0.0).then(|| covariance / variance)
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    #[test]
    fn slope_of_a_line_and_of_too_few_points() {
        let line = [(0.0, 10.0), (1.0, 12.0), (2.0, 14.0)];
        assert!((slope(&line).unwrap() - 2.0).abs() < 1e-9);
        assert_eq!(slope(&[(1.0, 3.0)]), None);
        assert_eq!(slope(&[]), None);
    }

    #[tokio::test]
    async fn a_swap_renames_the_other_build_into_place() {
        let dir = std::env::temp_dir().join(format!("loadgen-swap-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let (live, a, b) = (dir.join("live.wasm"), dir.join("a"), dir.join("b"));
        std::fs::write(&a, b"first").unwrap();
        std::fs::write(&b, b"second").unwrap();
        std::fs::copy(&a, &live).unwrap();
        install(&live, b"second").await.unwrap();
        assert_eq!(std::fs::read(&live).unwrap(), b"second");
        let leftovers = std::fs::read_dir(&dir).unwrap().count();
        assert_eq!(leftovers, 3, "no temporary file is left behind");
        std::fs::remove_dir_all(&dir).unwrap();
    }
}
