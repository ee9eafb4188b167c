//! `GET /admin/plugins`: what an operator needs to know about the plugins in one JSON document.
//! For every published route version and stage: the file and its hash, the limits in force, the
//! granted capabilities, calls and errors by code, warm instances, loads and load failures; then
//! the versions refused for a missing stage (with the reason), the files whose latest content
//! failed to load (with the error), and the config file's state.
//!
//! Admin-only like every operator endpoint (see `admin`). It reads the same snapshots as
//! `/metrics` and never waits for a scan. Config values granted to a plugin are not shown, only
//! their keys: they may hold credentials.

use serde_json::{Value, json};

use super::Server;
use crate::config::{Capability, InstancePolicy, StageLimits};
use crate::plugin::metrics::StageSeries;
use crate::plugin::{LoadCount, LoadedStage, RouteKey, Stage};

/// The document.
pub fn report(server: &Server) -> Value {
    let runtime = &server.runtime;
    let status = runtime.status();
    let metrics = runtime.metrics();
    let load_count = |key: &RouteKey, stage: Stage| {
        status
            .loads
            .iter()
            .find(|(k, s, _)| k == key && *s == stage)
            .map(|(_, _, count)| *count)
            .unwrap_or_default()
    };
    let routes: Vec<Value> = runtime
        .routes()
        .iter()
        .map(|route| {
            let key = route.key();
            let series = metrics.route(key);
            let mut stages = serde_json::Map::new();
            for (stage, loaded) in [
                (Stage::Server, route.server()),
                (Stage::Client, route.client()),
            ] {
                if let (Some(loaded), Some(stage_series)) = (loaded, series.stage(stage)) {
                    stages.insert(
                        stage.as_str().to_owned(),
                        stage_json(loaded, stage_series, load_count(key, stage)),
                    );
                }
            }
            json!({
                "route": format!("{}/{}", key.page, key.name),
                "version": key.version,
                "stages": stages,
            })
        })
        .collect();
    let joins: Vec<Value> = status
        .joins
        .iter()
        .filter_map(|join| {
            let loaded = runtime.join_handler(&join.key)?;
            let series = metrics.join(&join.key);
            Some(json!({
                "route": format!("{}/{}", join.key.page, join.key.name),
                "version": join.key.version,
                "handler": stage_json(&loaded, &series, load_count(&join.key, Stage::Join)),
            }))
        })
        .collect();
    let unavailable: Vec<Value> = status
        .unavailable
        .iter()
        .map(|refused| {
            json!({
                "route": format!("{}/{}", refused.key.page, refused.key.name),
                "version": refused.key.version,
                "stage": refused.stage.as_str(),
                "reason": refused.reason,
            })
        })
        .collect();
    let errors: Vec<Value> = status
        .errors
        .iter()
        .map(|error| json!({ "path": error.path, "message": error.message }))
        .collect();
    json!({
        "generation": status.generation,
        "scans": status.scans,
        "routes": routes,
        "joinHandlers": joins,
        "unavailable": unavailable,
        "loadErrors": errors,
        "configError": status.config_error,
        "configLoads": status.config_loads,
        "versionsAlive": status.versions_alive,
    })
}

fn stage_json(loaded: &LoadedStage, series: &StageSeries, loads: LoadCount) -> Value {
    let limits = loaded.limits();
    let errors: serde_json::Map<String, Value> = series
        .errors()
        .into_iter()
        .map(|(code, counter)| (code.to_owned(), json!(counter.get())))
        .collect();
    json!({
        "hash": loaded.hash(),
        "path": loaded.path(),
        "limits": limits_json(&limits),
        "capabilities": capabilities(&limits),
        "configKeys": limits.config.keys().collect::<Vec<_>>(),
        "calls": series.calls().get(),
        "errors": errors,
        "errorTotal": series.error_total(),
        "warmInstances": loaded.idle_instances(),
        "instanceMemoryBytes": series.memory().get(),
        "loads": loads.loads,
        "loadFailures": loads.failures,
    })
}

fn limits_json(limits: &StageLimits) -> Value {
    json!({
        "fuel": limits.fuel,
        "timeoutMs": limits.timeout_ms,
        "memoryMb": limits.memory_mb,
        "maxInputKb": limits.max_input_kb,
        "maxOutputKb": limits.max_output_kb,
        "maxOutputDepth": limits.max_output_depth,
        "maxFanOutMb": limits.max_fan_out_mb,
        "instancePolicy": match limits.instance_policy {
            InstancePolicy::Reuse => "reuse",
            InstancePolicy::PerRequest => "per-request",
        },
        "maxInvocations": limits.max_invocations,
        "clientBatchSize": limits.client_batch_size,
        "logLinesPerS": limits.log_lines_per_s,
        "kvMaxKeys": limits.kv_max_keys,
        "kvMaxBytes": limits.kv_max_bytes,
        "rateLimitPerMinute": limits.rate_limit_per_minute,
    })
}

fn capabilities(limits: &StageLimits) -> Vec<&'static str> {
    [
        (Capability::Kv, "kv"),
        (Capability::Rooms, "rooms"),
        (Capability::Config, "config"),
    ]
    .into_iter()
    .filter(|(capability, _)| limits.capabilities.contains(*capability))
    .map(|(_, name)| name)
    .collect()
}
