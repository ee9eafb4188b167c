//! What the registry reports to operators and tests: served routes with the hash of each stage,
//! join handlers, versions refused for a missing stage, files that failed to load, ignored files, config reload
//! state and compile-cache counters.
//!
//! These are plain snapshots, detached from the live registry; taking one never blocks a request.

use std::path::PathBuf;

use super::loader::cache::CacheStats;
use crate::config::RouteKey;
use crate::config::Stage;

/// A published stage, as status reports it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StageStatus {
    /// SHA-256 of the served file content.
    pub hash: String,
    /// The file, relative to the plugins root.
    pub path: PathBuf,
}

/// A published route, as status reports it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RouteStatus {
    /// The route.
    pub key: RouteKey,
    /// Its server stage, if any.
    pub server: Option<StageStatus>,
    /// Its client stage, if any.
    pub client: Option<StageStatus>,
}

/// A loaded join handler, as status reports it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct JoinStatus {
    /// The handler, as a room policy names it.
    pub key: RouteKey,
    /// Its file.
    pub handler: StageStatus,
}

/// A published version refused because one of the stages it was first published with is missing.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UnavailableRoute {
    /// The version.
    pub key: RouteKey,
    /// The missing stage (the server stage when both are).
    pub stage: Stage,
    /// Why, in words for operators.
    pub reason: String,
}

/// A file whose latest content could not be loaded.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FileError {
    /// The file, relative to the plugins root.
    pub path: PathBuf,
    /// Why.
    pub message: String,
}

/// How often one stage file of a route version was loaded, counted while the file is present.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct LoadCount {
    /// Contents loaded and published (the first load and every reload).
    pub loads: u64,
    /// Contents that failed to load (the previous version, if any, kept serving).
    pub failures: u64,
}

/// A snapshot of the registry, for operators and tests.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RegistryStatus {
    /// Increases with every change of the published table.
    pub generation: u64,
    /// Completed scans.
    pub scans: u64,
    /// Successful config (re)loads applied since start, including the first.
    pub config_loads: u64,
    /// Served routes, sorted.
    pub routes: Vec<RouteStatus>,
    /// Published versions refused until a missing stage is back, sorted.
    pub unavailable: Vec<UnavailableRoute>,
    /// Loaded join handlers, sorted.
    pub joins: Vec<JoinStatus>,
    /// Files whose latest content failed to load.
    pub errors: Vec<FileError>,
    /// Files that do not match the naming scheme.
    pub ignored: Vec<PathBuf>,
    /// Why the latest config file change was rejected, if it was.
    pub config_error: Option<String>,
    /// Compile cache counters.
    pub cache: CacheStats,
    /// Loaded stages in memory: the published ones plus old versions a request still pins. Equal to
    /// [`RegistryStatus::published_stages`] once no request holds an old version.
    pub versions_alive: usize,
    /// The engine's instance pool.
    pub pool: PoolStats,
    /// Loads and load failures per route version and stage whose file is present, sorted.
    pub loads: Vec<(RouteKey, Stage, LoadCount)>,
}

/// The engine's instance pool: linear-memory slots in use and idle, and what idle slots keep.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct PoolStats {
    /// Memory slots holding a live instance's memory.
    pub memories_in_use: usize,
    /// Memory slots used before and idle now (they may keep pages resident).
    pub memories_idle: usize,
    /// Bytes idle memory and table slots keep resident.
    pub idle_resident_bytes: usize,
}

impl PoolStats {
    /// Memory slots ever touched and not given back to the OS: in use plus idle.
    pub fn memories_touched(&self) -> usize {
        self.memories_in_use + self.memories_idle
    }
}

impl RegistryStatus {
    /// Stages in the published table, join handlers included.
    pub fn published_stages(&self) -> usize {
        let stages: usize = self
            .routes
            .iter()
            .map(|route| usize::from(route.server.is_some()) + usize::from(route.client.is_some()))
            .sum();
        stages + self.joins.len()
    }
}
