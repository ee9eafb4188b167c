//! The `[plugins]` section: per-plugin limits, capabilities and config values, and how layers of it
//! combine into the [`StageLimits`] of one stage.
//!
//! Layers, later wins: built-in stage defaults (adjusted for the kind of guest, [`Guest`]),
//! `[plugins.defaults]`, `[plugins.defaults.<stage>]`,
//! `[plugins.routes."<page>/<name>"]`, its `.<stage>` table, then the same two for
//! `"<page>/<name>/v<n>"`. Resolution is pure; the runtime re-resolves when the file changes.

use std::collections::BTreeMap;
use std::sync::Arc;

use serde::Deserialize;

use super::Error;

/// The largest `max_output_depth` an operator may set: the checker's fixed stack, and the bound
/// the JSON conversion of an output never recurses past.
pub const MAX_OUTPUT_DEPTH_CEILING: u32 = 128;

/// Which stage a plugin file implements: one of a sync's two, or a room's join handler.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Stage {
    /// Runs once per sync.
    Server,
    /// Runs once per recipient (in batches).
    Client,
    /// Decides a join to a room whose policy names it; never part of a sync.
    Join,
}

impl Stage {
    /// The stage as written in file names and config keys.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Server => "server",
            Self::Client => "client",
            Self::Join => "join",
        }
    }
}

/// What runs inside a component, as far as the built-in defaults go (read from the file by
/// `plugin::loader::guest`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Guest {
    /// Compiled code (Rust and the like): the built-in defaults as they are.
    #[default]
    Compiled,
    /// A JavaScript engine with a garbage-collected heap (componentize-js): warm instances are
    /// replaced after [`JAVASCRIPT_MAX_INVOCATIONS`] calls unless the config says otherwise.
    JavaScript,
}

/// The built-in `max_invocations` of a JavaScript component. The engine's heap keeps about
/// 2 KB per call, and a collection walks the whole heap inside whichever call triggers it, so its
/// cost grows with the calls an instance has served: measured with `examples-ts/updateCounter`,
/// 2.7–3.8 million instructions in the first thousand calls, up to 9.8 million by call 4,000 (the
/// server stage's whole default budget is 10 million), and one of 286 million by call 27,000. A fresh
/// instance costs about 47 µs plus its start-up allowance (1.6 million instructions), well under 1%
/// of a thousand warm calls of about 79 µs each.
pub const JAVASCRIPT_MAX_INVOCATIONS: u64 = 1_000;

/// Whether a plugin's instances are kept warm between syncs.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum InstancePolicy {
    /// Warm instances are reused across syncs and recycled after `max_invocations` or any trap.
    #[default]
    Reuse,
    /// A fresh instance per sync, shared by that sync's server call and all its client calls.
    PerRequest,
}

/// A host capability beyond log/time/random, granted per plugin (deny by default).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Capability {
    /// The durable key-value store (`kv` interface).
    Kv,
    /// Room queries (`rooms` interface).
    Rooms,
    /// Operator config values (`config` interface).
    Config,
}

/// A set of granted capabilities.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Capabilities(u8);

impl Capabilities {
    /// The set holding exactly `list`.
    pub fn from_list(list: &[Capability]) -> Self {
        Self(
            list.iter()
                .fold(0, |bits, capability| bits | Self::bit(*capability)),
        )
    }

    /// Whether `capability` is granted.
    pub fn contains(self, capability: Capability) -> bool {
        self.0 & Self::bit(capability) != 0
    }

    fn bit(capability: Capability) -> u8 {
        match capability {
            Capability::Kv => 1,
            Capability::Rooms => 2,
            Capability::Config => 4,
        }
    }
}

/// One layer of overrides; every key is optional. See the operator README for each key's meaning.
#[derive(Debug, Clone, Default, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct LimitsPatch {
    /// Instruction budget per call (per recipient for the client stage); 0 = unlimited.
    pub fuel: Option<u64>,
    /// Wall-clock budget per call (per recipient for the client stage); 0 = unlimited.
    pub timeout_ms: Option<u64>,
    /// Linear memory cap per instance.
    pub memory_mb: Option<u32>,
    /// Largest accepted client input.
    pub max_input_kb: Option<u32>,
    /// Largest accepted output (server output, or each recipient's client output).
    pub max_output_kb: Option<u32>,
    /// Deepest nesting of arrays and maps accepted in an output (1 to 128).
    pub max_output_depth: Option<u32>,
    /// Most bytes the client outputs of one sync may take, summed over its recipients.
    pub max_fan_out_mb: Option<u32>,
    /// Warm reuse or one instance per sync.
    pub instance_policy: Option<InstancePolicy>,
    /// Calls after which a warm instance is replaced.
    pub max_invocations: Option<u64>,
    /// Recipients per client-stage call.
    pub client_batch_size: Option<u32>,
    /// Log lines (host log + stdout/stderr) per second before lines are dropped.
    pub log_lines_per_s: Option<u32>,
    /// Most keys a page's kv namespace may hold.
    pub kv_max_keys: Option<u64>,
    /// Most bytes (keys + values) a page's kv namespace may hold.
    pub kv_max_bytes: Option<u64>,
    /// Syncs per minute one user (or one IP address when anonymous) may send to the route; 0 = no
    /// limit. The stage that governs auth governs this too (the server stage when there is one).
    pub rate_limit_per_minute: Option<u32>,
    /// Granted capabilities (replaces, does not merge with, earlier layers).
    pub capabilities: Option<Vec<Capability>>,
    /// Values returned by the `config` interface (merged key by key over earlier layers).
    pub config: Option<BTreeMap<String, String>>,
    /// Overrides for the server stage only.
    pub server: Option<Box<LimitsPatch>>,
    /// Overrides for the client stage only.
    pub client: Option<Box<LimitsPatch>>,
    /// Overrides for join handlers only.
    pub join: Option<Box<LimitsPatch>>,
}

/// `[plugins]`: defaults and per-route overrides.
#[derive(Debug, Clone, Default, PartialEq, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct PluginsSection {
    /// Applies to every plugin.
    pub defaults: LimitsPatch,
    /// Keyed by `"<page>/<name>"` (all versions) or `"<page>/<name>/v<n>"` (one version).
    pub routes: BTreeMap<String, LimitsPatch>,
}

/// The resolved limits of one stage of one route version.
#[derive(Debug, Clone, PartialEq)]
pub struct StageLimits {
    /// Instruction budget per call (per recipient for the client stage); 0 = unlimited.
    pub fuel: u64,
    /// Wall-clock budget per call (per recipient for the client stage); 0 = unlimited.
    pub timeout_ms: u64,
    /// Linear memory cap per instance.
    pub memory_mb: u32,
    /// Largest accepted client input, in KiB.
    pub max_input_kb: u32,
    /// Largest accepted output, in KiB.
    pub max_output_kb: u32,
    /// Deepest nesting of arrays and maps (as JSON) accepted in an output.
    pub max_output_depth: u32,
    /// Most bytes, in MiB, the client outputs of one sync may take: the result buffers the client
    /// stage returns plus the frames encoded from them. Recipients past it get
    /// `plugin.fanOutTooLarge`.
    pub max_fan_out_mb: u32,
    /// Warm reuse or one instance per sync.
    pub instance_policy: InstancePolicy,
    /// Calls after which a warm instance is replaced.
    pub max_invocations: u64,
    /// Recipients per client-stage call.
    pub client_batch_size: u32,
    /// Log lines per second.
    pub log_lines_per_s: u32,
    /// Kv key quota of the page's namespace.
    pub kv_max_keys: u64,
    /// Kv byte quota of the page's namespace.
    pub kv_max_bytes: u64,
    /// Syncs per minute per user (or IP address) on the route; 0 = no limit.
    pub rate_limit_per_minute: u32,
    /// Granted capabilities.
    pub capabilities: Capabilities,
    /// Operator config values.
    pub config: Arc<BTreeMap<String, String>>,
}

impl StageLimits {
    /// The built-in defaults of a stage, before any config layer.
    pub fn builtin(stage: Stage) -> Self {
        let (fuel, timeout_ms) = match stage {
            Stage::Server => (10_000_000, 200),
            Stage::Client => (1_000_000, 20),
            Stage::Join => (5_000_000, 100),
        };
        Self {
            fuel,
            timeout_ms,
            memory_mb: 32,
            max_input_kb: 64,
            max_output_kb: 256,
            max_output_depth: 32,
            max_fan_out_mb: 32,
            instance_policy: InstancePolicy::Reuse,
            max_invocations: 10_000,
            client_batch_size: 128,
            log_lines_per_s: 50,
            kv_max_keys: 10_000,
            kv_max_bytes: 10 * 1024 * 1024,
            rate_limit_per_minute: 600,
            capabilities: Capabilities::default(),
            config: Arc::default(),
        }
    }

    /// Largest accepted input in bytes.
    pub fn max_input_bytes(&self) -> usize {
        (self.max_input_kb as usize).saturating_mul(1024)
    }

    /// Largest accepted output in bytes.
    pub fn max_output_bytes(&self) -> usize {
        (self.max_output_kb as usize).saturating_mul(1024)
    }

    /// Most bytes the client outputs of one sync may take.
    pub fn max_fan_out_bytes(&self) -> usize {
        (self.max_fan_out_mb as usize).saturating_mul(1024 * 1024)
    }

    fn apply(&mut self, patch: &LimitsPatch) {
        macro_rules! take {
            ($($field:ident),*) => { $( if let Some(value) = patch.$field { self.$field = value; } )* };
        }
        take!(
            fuel,
            timeout_ms,
            memory_mb,
            max_input_kb,
            max_output_kb,
            max_output_depth,
            max_fan_out_mb,
            instance_policy,
            max_invocations
        );
        take!(
            client_batch_size,
            log_lines_per_s,
            kv_max_keys,
            kv_max_bytes,
            rate_limit_per_minute
        );
        if let Some(list) = &patch.capabilities {
            self.capabilities = Capabilities::from_list(list);
        }
        if let Some(values) = &patch.config {
            let mut merged = (*self.config).clone();
            merged.extend(
                values
                    .iter()
                    .map(|(key, value)| (key.clone(), value.clone())),
            );
            self.config = Arc::new(merged);
        }
    }

    fn apply_layer(&mut self, layer: &LimitsPatch, stage: Stage) {
        self.apply(layer);
        let stage_patch = match stage {
            Stage::Server => &layer.server,
            Stage::Client => &layer.client,
            Stage::Join => &layer.join,
        };
        if let Some(patch) = stage_patch {
            self.apply(patch);
        }
    }
}

impl PluginsSection {
    /// The limits of one stage of `<page>/<name>` version `version`, for a file whose guest is
    /// `guest`.
    pub fn limits_for(
        &self,
        page: &str,
        name: &str,
        version: u32,
        stage: Stage,
        guest: Guest,
    ) -> StageLimits {
        let mut limits = StageLimits::builtin(stage);
        if guest == Guest::JavaScript {
            limits.max_invocations = JAVASCRIPT_MAX_INVOCATIONS;
        }
        limits.apply_layer(&self.defaults, stage);
        let route = format!("{page}/{name}");
        if let Some(layer) = self.routes.get(&route) {
            limits.apply_layer(layer, stage);
        }
        if let Some(layer) = self.routes.get(&format!("{route}/v{version}")) {
            limits.apply_layer(layer, stage);
        }
        limits
    }

    pub(super) fn validate(&self, max_memory_mb: u32) -> Result<(), Error> {
        check_layer("plugins.defaults", &self.defaults, max_memory_mb)?;
        for (key, layer) in &self.routes {
            let path = format!("plugins.routes.\"{key}\"");
            if key.split('/').filter(|segment| !segment.is_empty()).count() < 2
                || key.contains("//")
            {
                return Err(Error::Invalid {
                    key: path,
                    reason: "expected \"<page>/<name>\" or \"<page>/<name>/v<n>\"".into(),
                });
            }
            check_layer(&path, layer, max_memory_mb)?;
        }
        Ok(())
    }
}

fn check_layer(path: &str, layer: &LimitsPatch, max_memory_mb: u32) -> Result<(), Error> {
    check_patch(path, layer, max_memory_mb)?;
    let stages = [
        ("server", &layer.server),
        ("client", &layer.client),
        ("join", &layer.join),
    ];
    for (stage, patch) in stages {
        if let Some(patch) = patch {
            let stage_path = format!("{path}.{stage}");
            if patch.server.is_some() || patch.client.is_some() || patch.join.is_some() {
                return Err(Error::Invalid {
                    key: stage_path,
                    reason: "stage tables cannot nest".into(),
                });
            }
            check_patch(&stage_path, patch, max_memory_mb)?;
        }
    }
    Ok(())
}

fn check_patch(path: &str, patch: &LimitsPatch, max_memory_mb: u32) -> Result<(), Error> {
    let invalid = |key: &str, reason: String| Error::Invalid {
        key: format!("{path}.{key}"),
        reason,
    };
    if patch
        .memory_mb
        .is_some_and(|memory_mb| memory_mb == 0 || memory_mb > max_memory_mb)
    {
        return Err(invalid(
            "memory_mb",
            format!("must be between 1 and runtime.max_memory_mb ({max_memory_mb})"),
        ));
    }
    if patch
        .client_batch_size
        .is_some_and(|size| !(1..=4096).contains(&size))
    {
        return Err(invalid(
            "client_batch_size",
            "must be between 1 and 4096".into(),
        ));
    }
    if patch.max_invocations == Some(0) {
        return Err(invalid("max_invocations", "must be at least 1".into()));
    }
    if patch
        .max_output_depth
        .is_some_and(|depth| !(1..=MAX_OUTPUT_DEPTH_CEILING).contains(&depth))
    {
        return Err(invalid(
            "max_output_depth",
            format!("must be between 1 and {MAX_OUTPUT_DEPTH_CEILING}"),
        ));
    }
    for (key, value) in [
        ("max_input_kb", patch.max_input_kb),
        ("max_output_kb", patch.max_output_kb),
        ("max_fan_out_mb", patch.max_fan_out_mb),
    ] {
        if value == Some(0) {
            return Err(invalid(key, "must be at least 1".into()));
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::super::Config;
    use super::*;

    #[test]
    fn layers_apply_in_order() {
        let config = Config::from_toml(
            r#"
            [plugins.defaults]
            fuel = 5
            capabilities = ["kv"]
            config = { a = "1", b = "1" }
            [plugins.defaults.client]
            fuel = 6
            [plugins.routes."shop/cart"]
            timeout_ms = 7
            config = { b = "2" }
            [plugins.routes."shop/cart/v2".server]
            fuel = 8
            capabilities = ["rooms", "config"]
            "#,
        )
        .unwrap();
        let server_v1 =
            config
                .plugins
                .limits_for("shop", "cart", 1, Stage::Server, Guest::Compiled);
        assert_eq!((server_v1.fuel, server_v1.timeout_ms), (5, 7));
        assert!(server_v1.capabilities.contains(Capability::Kv));
        assert_eq!(server_v1.config.get("b").map(String::as_str), Some("2"));
        assert_eq!(server_v1.config.get("a").map(String::as_str), Some("1"));
        let client_v2 =
            config
                .plugins
                .limits_for("shop", "cart", 2, Stage::Client, Guest::Compiled);
        assert_eq!(client_v2.fuel, 6);
        let server_v2 =
            config
                .plugins
                .limits_for("shop", "cart", 2, Stage::Server, Guest::Compiled);
        assert_eq!(server_v2.fuel, 8);
        assert!(!server_v2.capabilities.contains(Capability::Kv));
        assert!(server_v2.capabilities.contains(Capability::Rooms));
        let other = config
            .plugins
            .limits_for("other", "cart", 1, Stage::Server, Guest::Compiled);
        assert_eq!(other.timeout_ms, 200);
    }

    #[test]
    fn a_javascript_guest_is_recycled_sooner_unless_the_config_says_otherwise() {
        let config =
            Config::from_toml("[plugins.routes.\"shop/cart\".client]\nmax_invocations = 50\n")
                .unwrap();
        let limits = |stage, guest| {
            config
                .plugins
                .limits_for("shop", "cart", 1, stage, guest)
                .max_invocations
        };
        assert_eq!(limits(Stage::Server, Guest::Compiled), 10_000);
        assert_eq!(
            limits(Stage::Server, Guest::JavaScript),
            JAVASCRIPT_MAX_INVOCATIONS
        );
        assert_eq!(limits(Stage::Client, Guest::JavaScript), 50);
    }

    #[test]
    fn bad_route_key_and_nested_stage_are_rejected() {
        assert!(Config::from_toml("[plugins.routes.\"lonely\"]\nfuel = 1\n").is_err());
        assert!(Config::from_toml("[plugins.defaults.server.client]\nfuel = 1\n").is_err());
        for bad in [
            "max_output_depth = 0",
            "max_output_depth = 129",
            "max_fan_out_mb = 0",
        ] {
            assert!(
                Config::from_toml(&format!("[plugins.defaults]\n{bad}\n")).is_err(),
                "{bad}"
            );
        }
        assert!(Config::from_toml("[plugins.defaults]\nmax_output_depth = 128\n").is_ok());
        assert!(
            Config::from_toml("[plugins.defaults]\ncapabilities = [\"net\"]\n")
                .unwrap_err()
                .to_string()
                .contains("net")
        );
    }
}
