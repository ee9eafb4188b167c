//! `/metrics` in the Prometheus text format: connection and queue counters from the transport, and
//! the plugin registry's state. Rendering reads atomic counters and the registry's published report
//! (never its scan lock), so it answers while a scan compiles; it never blocks a request.

use std::fmt::Write as _;

use super::Server;
use crate::sync::BusStats;

/// The metrics page.
pub fn render(server: &Server) -> String {
    let transport = server.engine.metrics().snapshot();
    let registry = server.runtime.status();
    let sync = server.sync.stats().totals();
    let mut page = String::new();
    let mut metric = |name: &str, kind: &str, help: &str, value: u64| {
        // Writing to a String cannot fail.
        let _ = writeln!(
            page,
            "# HELP {name} {help}\n# TYPE {name} {kind}\n{name} {value}"
        );
    };
    metric(
        "synchost_connections_opened_total",
        "counter",
        "Engine.IO connections opened.",
        transport.opened,
    );
    metric(
        "synchost_connections_closed_total",
        "counter",
        "Engine.IO connections closed.",
        transport.closed,
    );
    metric(
        "synchost_connections_open",
        "gauge",
        "Engine.IO connections open now.",
        server.engine.metrics().open_connections(),
    );
    metric(
        "synchost_slow_consumer_closes_total",
        "counter",
        "Connections closed because their outgoing queue was full.",
        transport.queue_full_closes,
    );
    metric(
        "synchost_volatile_drops_total",
        "counter",
        "Volatile messages dropped because a queue was full.",
        transport.volatile_drops,
    );
    metric(
        "synchost_routes",
        "gauge",
        "Served sync routes.",
        registry.routes.len() as u64,
    );
    metric(
        "synchost_routes_unavailable",
        "gauge",
        "Published versions refused because a stage they were published with is missing.",
        registry.unavailable.len() as u64,
    );
    metric(
        "synchost_plugin_file_errors",
        "gauge",
        "Handler files whose latest content failed to load.",
        registry.errors.len() as u64,
    );
    metric(
        "synchost_plugin_versions_published",
        "gauge",
        "Handler stages in the published route table.",
        registry.published_stages() as u64,
    );
    metric(
        "synchost_plugin_versions_alive",
        "gauge",
        "Handler stages in memory: published ones plus old versions still pinned by a request.",
        registry.versions_alive as u64,
    );
    metric(
        "synchost_plugin_pool_memories_in_use",
        "gauge",
        "Instance-pool memory slots holding a live instance.",
        registry.pool.memories_in_use as u64,
    );
    metric(
        "synchost_plugin_pool_memories_idle",
        "gauge",
        "Instance-pool memory slots used before and idle now.",
        registry.pool.memories_idle as u64,
    );
    metric(
        "synchost_plugin_pool_idle_resident_bytes",
        "gauge",
        "Bytes that idle instance-pool slots keep resident.",
        registry.pool.idle_resident_bytes as u64,
    );
    metric(
        "synchost_plugin_compiles_total",
        "counter",
        "Handler files compiled.",
        registry.cache.compiles,
    );
    metric(
        "synchost_plugin_cache_hits_total",
        "counter",
        "Handler files loaded from the precompiled cache.",
        registry.cache.hits,
    );
    metric(
        "synchost_plugin_function_cache_hits_total",
        "counter",
        "Functions of compiled handler files copied from the per-function cache.",
        registry.cache.function_hits,
    );
    metric(
        "synchost_plugin_function_cache_misses_total",
        "counter",
        "Functions of compiled handler files that Cranelift compiled.",
        registry.cache.function_misses,
    );
    metric(
        "synchost_syncs_accepted_total",
        "counter",
        "Syncs that passed every check and their server stage.",
        sync.accepted,
    );
    metric(
        "synchost_syncs_refused_total",
        "counter",
        "Syncs answered with an error envelope.",
        sync.refused,
    );
    metric(
        "synchost_syncs_in_progress",
        "gauge",
        "Syncs, room events and HTTP triggers accepted and not finished yet.",
        server.sync.drain().working() as u64,
    );
    metric(
        "synchost_sync_frames_delivered_total",
        "counter",
        "Recipient frames queued by sync fan-outs.",
        sync.delivered,
    );
    metric(
        "synchost_sync_recipients_skipped_total",
        "counter",
        "Recipients a client stage chose to skip.",
        sync.skipped,
    );
    metric(
        "synchost_sync_recipient_errors_total",
        "counter",
        "Recipients that got an error frame from their client stage.",
        sync.recipient_errors,
    );
    let bus = server.sync.bus_stats();
    for (name, help, value) in [
        (
            "synchost_cluster_syncs_published_total",
            "Syncs handed to the other nodes.",
            &bus.published,
        ),
        (
            "synchost_cluster_syncs_dropped_total",
            "Syncs the other nodes did not get (bus queue full or Redis unreachable).",
            &bus.dropped,
        ),
        (
            "synchost_cluster_syncs_received_total",
            "Syncs received from other nodes.",
            &bus.received,
        ),
        (
            "synchost_cluster_syncs_other_version_total",
            "Syncs from other nodes run with this node's current version: the pinned one is not here.",
            &bus.other_version,
        ),
        (
            "synchost_cluster_syncs_undeliverable_total",
            "Syncs from other nodes not delivered here: route not published, or no client stage to filter.",
            &bus.undeliverable,
        ),
        (
            "synchost_cluster_syncs_undecodable_total",
            "Bytes from the bus that were not a sync this node reads.",
            &bus.undecodable,
        ),
    ] {
        metric(name, "counter", help, BusStats::read(value));
    }
    metric(
        "synchost_cluster_rate_fallbacks_total",
        "counter",
        "Rate-limit checks this node answered from its own windows because Redis was unreachable.",
        server.sync.rate_fallbacks(),
    );
    metric(
        "synchost_cluster_presence_failures_total",
        "counter",
        "Plugins' room queries that failed with storage because Redis was unreachable.",
        server.sync.presence_failures(),
    );
    page
}
