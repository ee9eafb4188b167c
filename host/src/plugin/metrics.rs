//! Per-plugin metrics: how often each route version's stages were called, how those calls ended,
//! what they cost (wall-clock time, fuel) and how much memory the instance that ran them held.
//!
//! The series are keyed by route, version and stage only, plus an error code from a closed list
//! (the runtime's [`ErrorCode`]s, and `refused` for every refusal a handler makes itself, whatever
//! code it chose): nothing a client or a plugin sends can create a series. The series of a version
//! that left the route table are dropped by [`PluginMetrics::retain`], so their number follows the
//! published versions. Recording is a few atomic adds; the exposition format lives in `server/`.

use std::collections::BTreeMap;
use std::sync::{Arc, Mutex, PoisonError, RwLock};
use std::time::Duration;

use prometheus_client::metrics::counter::Counter;
use prometheus_client::metrics::gauge::Gauge;
use prometheus_client::metrics::histogram::Histogram;

use super::error::ErrorCode;
use crate::config::{RouteKey, Stage};

/// The error label of a handler's own refusal (its code is the handler's to choose, so it is not a
/// label).
pub const REFUSED: &str = "refused";

/// Upper bounds of the call duration histogram, in seconds: 100 µs to 10 s.
const DURATION_BUCKETS: [f64; 16] = [
    0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5,
    5.0, 10.0,
];
/// Upper bounds of the fuel histogram: 10 thousand to about 40 billion units, ×4 each.
const FUEL_BUCKETS: (f64, f64, u16) = (10_000.0, 4.0, 12);

/// One stage of one route version: its counters and histograms.
#[derive(Debug)]
pub struct StageSeries {
    calls: Counter,
    errors: Mutex<BTreeMap<&'static str, Counter>>,
    duration: Histogram,
    fuel: Histogram,
    memory: Gauge,
}

impl Default for StageSeries {
    fn default() -> Self {
        let (start, factor, count) = FUEL_BUCKETS;
        Self {
            calls: Counter::default(),
            errors: Mutex::default(),
            duration: Histogram::new(DURATION_BUCKETS),
            fuel: Histogram::new(prometheus_client::metrics::histogram::exponential_buckets(
                start, factor, count,
            )),
            memory: Gauge::default(),
        }
    }
}

impl StageSeries {
    /// Counts one call into the stage's wasm (a server call, or one client batch).
    pub fn record_call(&self, elapsed: Duration, fuel: u64, memory_bytes: usize) {
        self.calls.inc();
        self.duration.observe(elapsed.as_secs_f64());
        self.fuel.observe(fuel as f64);
        self.memory
            .set(i64::try_from(memory_bytes).unwrap_or(i64::MAX));
    }

    /// Counts one failure of the runtime's.
    pub fn record_error(&self, code: ErrorCode) {
        self.record_labelled(code.as_str());
    }

    /// Counts one refusal the handler made itself.
    pub fn record_refusal(&self) {
        self.record_labelled(REFUSED);
    }

    fn record_labelled(&self, label: &'static str) {
        self.errors
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .entry(label)
            .or_default()
            .inc();
    }

    /// Calls so far.
    pub fn calls(&self) -> &Counter {
        &self.calls
    }

    /// Failures so far, by code (`refused` for the handler's own refusals), sorted.
    pub fn errors(&self) -> Vec<(&'static str, Counter)> {
        self.errors
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .iter()
            .map(|(code, counter)| (*code, counter.clone()))
            .collect()
    }

    /// Seconds per call.
    pub fn duration(&self) -> &Histogram {
        &self.duration
    }

    /// Fuel spent per call.
    pub fn fuel(&self) -> &Histogram {
        &self.fuel
    }

    /// Bytes of linear memory held by the instance that ran the latest call.
    pub fn memory(&self) -> &Gauge {
        &self.memory
    }

    /// Calls that ended with a failure or refusal.
    pub fn error_total(&self) -> u64 {
        self.errors().iter().map(|(_, counter)| counter.get()).sum()
    }
}

/// The series of both stages of one route version.
#[derive(Debug, Default)]
pub struct RouteSeries {
    /// The server stage's.
    pub server: Arc<StageSeries>,
    /// The client stage's.
    pub client: Arc<StageSeries>,
}

impl RouteSeries {
    /// The series of `stage`; `None` for a join handler, whose series are kept apart (see
    /// [`PluginMetrics::join`]).
    pub fn stage(&self, stage: Stage) -> Option<&Arc<StageSeries>> {
        match stage {
            Stage::Server => Some(&self.server),
            Stage::Client => Some(&self.client),
            Stage::Join => None,
        }
    }
}

/// Every route version's series, and every join handler's.
#[derive(Debug, Default)]
pub struct PluginMetrics {
    routes: RwLock<BTreeMap<RouteKey, Arc<RouteSeries>>>,
    /// Join handlers are versions of their own kind (never in the route table), so their series are
    /// dropped by [`PluginMetrics::retain_joins`].
    joins: RwLock<BTreeMap<RouteKey, Arc<StageSeries>>>,
}

impl PluginMetrics {
    /// The series of `key`, created on first use.
    pub fn route(&self, key: &RouteKey) -> Arc<RouteSeries> {
        if let Some(series) = self
            .routes
            .read()
            .unwrap_or_else(PoisonError::into_inner)
            .get(key)
        {
            return series.clone();
        }
        self.routes
            .write()
            .unwrap_or_else(PoisonError::into_inner)
            .entry(key.clone())
            .or_default()
            .clone()
    }

    /// The series of join handler `key`, created on first use.
    pub fn join(&self, key: &RouteKey) -> Arc<StageSeries> {
        if let Some(series) = self
            .joins
            .read()
            .unwrap_or_else(PoisonError::into_inner)
            .get(key)
        {
            return series.clone();
        }
        self.joins
            .write()
            .unwrap_or_else(PoisonError::into_inner)
            .entry(key.clone())
            .or_default()
            .clone()
    }

    /// Drops the series of every join handler `live` says is gone.
    pub fn retain_joins(&self, live: impl Fn(&RouteKey) -> bool) {
        self.joins
            .write()
            .unwrap_or_else(PoisonError::into_inner)
            .retain(|key, _| live(key));
    }

    /// Drops the series of every version `live` says is gone.
    pub fn retain(&self, live: impl Fn(&RouteKey) -> bool) {
        self.routes
            .write()
            .unwrap_or_else(PoisonError::into_inner)
            .retain(|key, _| live(key));
    }

    /// Every route version with series, sorted.
    pub fn snapshot(&self) -> Vec<(RouteKey, Arc<RouteSeries>)> {
        self.routes
            .read()
            .unwrap_or_else(PoisonError::into_inner)
            .iter()
            .map(|(key, series)| (key.clone(), series.clone()))
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn errors_are_counted_by_code_and_gone_versions_drop_out() {
        let metrics = PluginMetrics::default();
        let (v1, v2) = (RouteKey::new("p", "s", 1), RouteKey::new("p", "s", 2));
        let server = metrics.route(&v1).server.clone();
        server.record_call(Duration::from_millis(3), 1_000, 65_536);
        server.record_error(ErrorCode::Timeout);
        server.record_error(ErrorCode::Timeout);
        server.record_refusal();
        metrics.route(&v2).client.record_call(Duration::ZERO, 0, 0);
        let errors: Vec<(&str, u64)> = server
            .errors()
            .into_iter()
            .map(|(code, counter)| (code, counter.get()))
            .collect();
        assert_eq!(errors, [("plugin.timeout", 2), (REFUSED, 1)]);
        assert_eq!(server.calls().get(), 1);
        assert_eq!(server.memory().get(), 65_536);
        assert_eq!(server.error_total(), 3);
        metrics.retain(|key| key.version == 2);
        let left: Vec<RouteKey> = metrics.snapshot().into_iter().map(|(key, _)| key).collect();
        assert_eq!(left, [v2]);
    }
}
