//! The per-plugin part of `/metrics`: one series per published route version and stage (labels
//! `route`, `version`, `stage`, and `code` for errors) for calls, errors, call duration and fuel
//! histograms, warm instances, instance memory, loads and load failures.
//!
//! Collected at scrape time from the runtime's route table, its [`PluginMetrics`] and the
//! registry's load counts. Before collecting, the series of versions no longer published are
//! dropped, so the exposition never grows with versions that are gone.

use std::fmt;
use std::sync::Arc;

use prometheus_client::collector::Collector;
use prometheus_client::encoding::{DescriptorEncoder, EncodeMetric};
use prometheus_client::metrics::MetricType;
use prometheus_client::metrics::counter::ConstCounter;
use prometheus_client::metrics::gauge::ConstGauge;
use prometheus_client::registry::Unit;

use crate::plugin::metrics::StageSeries;
use crate::plugin::{LoadCount, PluginRuntime, RouteKey, Stage};

type Labels = Vec<(&'static str, String)>;

/// One published stage at scrape time.
#[derive(Debug)]
struct StageRow {
    labels: Labels,
    series: Arc<StageSeries>,
    warm: usize,
}

/// What one scrape shows of the plugins.
#[derive(Debug)]
pub struct PluginCollector {
    stages: Vec<StageRow>,
    loads: Vec<(Labels, LoadCount)>,
}

fn labels(key: &RouteKey, stage: Stage) -> Labels {
    vec![
        ("route", format!("{}/{}", key.page, key.name)),
        ("version", key.version.to_string()),
        ("stage", stage.as_str().to_owned()),
    ]
}

impl PluginCollector {
    /// Drops the series of versions that are gone, then takes what this scrape shows.
    pub fn collect(runtime: &PluginRuntime) -> Self {
        let routes = runtime.routes();
        let metrics = runtime.metrics();
        metrics.retain(|key| {
            routes
                .binary_search_by(|route| route.key().cmp(key))
                .is_ok()
        });
        let mut stages = Vec::new();
        for route in &routes {
            let series = metrics.route(route.key());
            for (stage, loaded) in [
                (Stage::Server, route.server()),
                (Stage::Client, route.client()),
            ] {
                if let (Some(loaded), Some(stage_series)) = (loaded, series.stage(stage)) {
                    stages.push(StageRow {
                        labels: labels(route.key(), stage),
                        series: stage_series.clone(),
                        warm: loaded.idle_instances(),
                    });
                }
            }
        }
        let status = runtime.status();
        metrics.retain_joins(|key| status.joins.iter().any(|join| &join.key == key));
        for join in &status.joins {
            if let Some(loaded) = runtime.join_handler(&join.key) {
                stages.push(StageRow {
                    labels: labels(&join.key, Stage::Join),
                    series: metrics.join(&join.key),
                    warm: loaded.idle_instances(),
                });
            }
        }
        let loads = status
            .loads
            .into_iter()
            .map(|(key, stage, count)| (labels(&key, stage), count))
            .collect();
        Self { stages, loads }
    }

    fn per_stage(
        &self,
        encoder: &mut DescriptorEncoder,
        (name, help, unit, kind): (&str, &str, Option<&Unit>, MetricType),
        metric: impl Fn(&StageRow, prometheus_client::encoding::MetricEncoder) -> fmt::Result,
    ) -> fmt::Result {
        let mut family = encoder.encode_descriptor(name, help, unit, kind)?;
        for row in &self.stages {
            metric(row, family.encode_family(&row.labels)?)?;
        }
        Ok(())
    }
}

impl Collector for PluginCollector {
    fn encode(&self, mut encoder: DescriptorEncoder) -> fmt::Result {
        self.per_stage(
            &mut encoder,
            (
                "synchost_plugin_calls",
                "Calls into a stage's wasm (a server call, or one client batch).",
                None,
                MetricType::Counter,
            ),
            |row, out| row.series.calls().encode(out),
        )?;
        {
            let mut family = encoder.encode_descriptor(
                "synchost_plugin_errors",
                "Stage failures by code; code=\"refused\" counts the handler's own refusals.",
                None,
                MetricType::Counter,
            )?;
            for row in &self.stages {
                for (code, counter) in row.series.errors() {
                    let mut labels = row.labels.clone();
                    labels.push(("code", code.to_owned()));
                    counter.encode(family.encode_family(&labels)?)?;
                }
            }
        }
        self.per_stage(
            &mut encoder,
            (
                "synchost_plugin_call_duration",
                "Wall-clock time of one call into a stage's wasm.",
                Some(&Unit::Seconds),
                MetricType::Histogram,
            ),
            |row, out| row.series.duration().encode(out),
        )?;
        self.per_stage(
            &mut encoder,
            (
                "synchost_plugin_call_fuel",
                "Fuel (wasm instructions, roughly) one call into a stage spent.",
                None,
                MetricType::Histogram,
            ),
            |row, out| row.series.fuel().encode(out),
        )?;
        self.per_stage(
            &mut encoder,
            (
                "synchost_plugin_instances_warm",
                "Warm instances of a stage waiting for the next call.",
                None,
                MetricType::Gauge,
            ),
            |row, out| ConstGauge::new(i64::try_from(row.warm).unwrap_or(i64::MAX)).encode(out),
        )?;
        self.per_stage(
            &mut encoder,
            (
                "synchost_plugin_instance_memory",
                "Linear memory of the instance that ran the stage's latest call.",
                Some(&Unit::Bytes),
                MetricType::Gauge,
            ),
            |row, out| row.series.memory().encode(out),
        )?;
        for (name, help, pick) in [
            (
                "synchost_plugin_loads",
                "Stage files loaded and published (first load and every reload).",
                (|count: &LoadCount| count.loads) as fn(&LoadCount) -> u64,
            ),
            (
                "synchost_plugin_load_failures",
                "Stage file contents that failed to load (the previous version kept serving).",
                |count: &LoadCount| count.failures,
            ),
        ] {
            let mut family = encoder.encode_descriptor(name, help, None, MetricType::Counter)?;
            for (labels, count) in &self.loads {
                ConstCounter::new(pick(count)).encode(family.encode_family(labels)?)?;
            }
        }
        Ok(())
    }
}
