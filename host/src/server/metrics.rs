//! `/metrics` in the Prometheus text format (0.0.4), encoded by the `prometheus-client` crate:
//! connection and queue counters from the transport, the sync pipeline's totals, the plugin
//! registry's state, and per plugin (route, version, stage) the series of `plugin_metrics`.
//! Rendering reads atomic counters and the registry's published report (never its scan lock), so
//! it answers while a scan compiles; it never blocks a request.

use axum::http::{HeaderValue, header};
use axum::response::{IntoResponse, Response};
use prometheus_client::encoding::prometheus_text;
use prometheus_client::metrics::counter::ConstCounter;
use prometheus_client::metrics::gauge::ConstGauge;
use prometheus_client::registry::Registry;

use super::Server;
use super::plugin_metrics::PluginCollector;
use crate::sync::BusStats;

/// The content type of the Prometheus text format.
const CONTENT_TYPE: &str = "text/plain; version=0.0.4; charset=utf-8";

/// The metrics page.
pub fn render(server: &Server) -> Response {
    let mut page = String::new();
    // Writing to a String cannot fail, and every name and label is valid by construction.
    let _ = prometheus_text::encode(&mut page, &registry(server));
    let content_type = [(header::CONTENT_TYPE, HeaderValue::from_static(CONTENT_TYPE))];
    (content_type, page).into_response()
}

/// A counter; the encoder appends `_total` to `name`.
fn counter(registry: &mut Registry, name: &str, help: &str, value: u64) {
    registry.register(name, help, ConstCounter::new(value));
}

fn gauge(registry: &mut Registry, name: &str, help: &str, value: usize) {
    registry.register(
        name,
        help,
        ConstGauge::new(i64::try_from(value).unwrap_or(i64::MAX)),
    );
}

/// Everything this scrape shows, read now.
fn registry(server: &Server) -> Registry {
    let transport = server.engine.metrics().snapshot();
    let status = server.runtime.status();
    let sync = server.sync.stats().totals();
    let mut registry = Registry::default();
    counter(
        &mut registry,
        "synchost_connections_opened",
        "Engine.IO connections opened.",
        transport.opened,
    );
    counter(
        &mut registry,
        "synchost_connections_closed",
        "Engine.IO connections closed.",
        transport.closed,
    );
    gauge(
        &mut registry,
        "synchost_connections_open",
        "Engine.IO connections open now.",
        to_usize(server.engine.metrics().open_connections()),
    );
    counter(
        &mut registry,
        "synchost_slow_consumer_closes",
        "Connections closed because their outgoing queue was full.",
        transport.queue_full_closes,
    );
    counter(
        &mut registry,
        "synchost_volatile_drops",
        "Volatile messages dropped because a queue was full.",
        transport.volatile_drops,
    );
    gauge(
        &mut registry,
        "synchost_routes",
        "Served sync routes.",
        status.routes.len(),
    );
    gauge(
        &mut registry,
        "synchost_routes_unavailable",
        "Published versions refused because a stage they were published with is missing.",
        status.unavailable.len(),
    );
    gauge(
        &mut registry,
        "synchost_plugin_file_errors",
        "Handler files whose latest content failed to load.",
        status.errors.len(),
    );
    gauge(
        &mut registry,
        "synchost_plugin_versions_published",
        "Handler stages in the published route table.",
        status.published_stages(),
    );
    gauge(
        &mut registry,
        "synchost_plugin_versions_alive",
        "Handler stages in memory: published ones plus old versions still pinned by a request.",
        status.versions_alive,
    );
    gauge(
        &mut registry,
        "synchost_plugin_pool_memories_in_use",
        "Instance-pool memory slots holding a live instance.",
        status.pool.memories_in_use,
    );
    gauge(
        &mut registry,
        "synchost_plugin_pool_memories_idle",
        "Instance-pool memory slots used before and idle now.",
        status.pool.memories_idle,
    );
    gauge(
        &mut registry,
        "synchost_plugin_pool_idle_resident_bytes",
        "Bytes that idle instance-pool slots keep resident.",
        status.pool.idle_resident_bytes,
    );
    counter(
        &mut registry,
        "synchost_plugin_compiles",
        "Handler files compiled.",
        status.cache.compiles,
    );
    counter(
        &mut registry,
        "synchost_plugin_cache_hits",
        "Handler files loaded from the precompiled cache.",
        status.cache.hits,
    );
    counter(
        &mut registry,
        "synchost_plugin_function_cache_hits",
        "Functions of compiled handler files copied from the per-function cache.",
        status.cache.function_hits,
    );
    counter(
        &mut registry,
        "synchost_plugin_function_cache_misses",
        "Functions of compiled handler files that Cranelift compiled.",
        status.cache.function_misses,
    );
    counter(
        &mut registry,
        "synchost_syncs_accepted",
        "Syncs that passed every check and their server stage.",
        sync.accepted,
    );
    counter(
        &mut registry,
        "synchost_syncs_refused",
        "Syncs answered with an error envelope.",
        sync.refused,
    );
    gauge(
        &mut registry,
        "synchost_syncs_in_progress",
        "Syncs, room events and HTTP triggers accepted and not finished yet.",
        server.sync.drain().working(),
    );
    counter(
        &mut registry,
        "synchost_sync_frames_delivered",
        "Recipient frames queued by sync fan-outs.",
        sync.delivered,
    );
    counter(
        &mut registry,
        "synchost_sync_recipients_skipped",
        "Recipients a client stage chose to skip.",
        sync.skipped,
    );
    counter(
        &mut registry,
        "synchost_sync_recipient_errors",
        "Recipients that got an error frame from their client stage.",
        sync.recipient_errors,
    );
    let bus = server.sync.bus_stats();
    for (name, help, value) in [
        (
            "synchost_cluster_syncs_published",
            "Syncs handed to the other nodes.",
            &bus.published,
        ),
        (
            "synchost_cluster_syncs_dropped",
            "Syncs the other nodes did not get (bus queue full or Redis unreachable).",
            &bus.dropped,
        ),
        (
            "synchost_cluster_syncs_received",
            "Syncs received from other nodes.",
            &bus.received,
        ),
        (
            "synchost_cluster_syncs_other_version",
            "Syncs from other nodes run with this node's current version: the pinned one is not here.",
            &bus.other_version,
        ),
        (
            "synchost_cluster_syncs_undeliverable",
            "Syncs from other nodes not delivered here: route not published, or no client stage to filter.",
            &bus.undeliverable,
        ),
        (
            "synchost_cluster_syncs_undecodable",
            "Bytes from the bus that were not a sync this node reads.",
            &bus.undecodable,
        ),
    ] {
        counter(&mut registry, name, help, BusStats::read(value));
    }
    counter(
        &mut registry,
        "synchost_cluster_rate_fallbacks",
        "Rate-limit checks this node answered from its own windows because Redis was unreachable.",
        server.sync.rate_fallbacks(),
    );
    counter(
        &mut registry,
        "synchost_cluster_presence_failures",
        "Plugins' room queries that failed with storage because Redis was unreachable.",
        server.sync.presence_failures(),
    );
    registry.register_collector(Box::new(PluginCollector::collect(&server.runtime)));
    registry
}

fn to_usize(value: u64) -> usize {
    usize::try_from(value).unwrap_or(usize::MAX)
}
