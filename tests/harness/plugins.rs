//! Plugin fixtures for tests: the real example and hostile components, built once per test binary by
//! `scripts/build-plugins`, copied into a private plugins root per test; plus waiting helpers, file
//! replacement the way deployers do it (temp file + rename), and MessagePack/JSON conversion.

use std::path::{Path, PathBuf};
use std::sync::{Arc, OnceLock};
use std::time::{Duration, Instant};

use anyhow::{Context, bail, ensure};
use serde_json::Value;
use synchost::config::Config;
use synchost::plugin::{PluginRuntime, RoomDirectory, RuntimeOptions, ScanHook, Session};

/// How long an event wait may take before the test fails as hung.
pub const EVENT_DEADLINE: Duration = Duration::from_secs(60);

fn workspace_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .map(Path::to_path_buf)
        .unwrap_or_default()
}

fn target_dir() -> PathBuf {
    std::env::var_os("CARGO_TARGET_DIR")
        .map_or_else(|| workspace_root().join("target"), PathBuf::from)
}

fn build(kind: &str, flag: Option<&str>) -> anyhow::Result<PathBuf> {
    let out = target_dir().join("test-plugins").join(kind);
    let mut command = std::process::Command::new(workspace_root().join("scripts/build-plugins"));
    if let Some(flag) = flag {
        command.arg(flag);
    }
    let status = command
        .arg(&out)
        .status()
        .context("cannot run scripts/build-plugins")?;
    ensure!(
        status.success(),
        "scripts/build-plugins {flag:?} failed with {status}"
    );
    Ok(out)
}

/// The built example plugins root (`<page>/_sync/<name>_<stage>_v<n>.wasm`), built on first use.
pub fn example_plugins() -> &'static Path {
    static BUILT: OnceLock<Result<PathBuf, String>> = OnceLock::new();
    let built = BUILT.get_or_init(|| build("examples", None).map_err(|error| format!("{error:#}")));
    match built {
        Ok(path) => path,
        Err(error) => panic!("example plugins unavailable: {error}"),
    }
}

/// The built hostile fixture plugins root, built on first use.
pub fn fixture_plugins() -> &'static Path {
    static BUILT: OnceLock<Result<PathBuf, String>> = OnceLock::new();
    let built = BUILT.get_or_init(|| {
        build("fixtures", Some("--fixtures")).map_err(|error| format!("{error:#}"))
    });
    match built {
        Ok(path) => path,
        Err(error) => panic!("fixture plugins unavailable: {error}"),
    }
}

/// A compile cache shared by every test of this process, so each component compiles once.
pub fn shared_cache_dir() -> PathBuf {
    target_dir().join("test-plugins").join("cwasm-cache")
}

/// A private plugins root, config file, kv file and cache folder for one test.
pub struct PluginSandbox {
    dir: tempfile::TempDir,
    /// The plugins root the runtime serves.
    pub root: PathBuf,
    /// The config file the runtime watches.
    pub config_path: PathBuf,
}

impl PluginSandbox {
    /// An empty sandbox whose config uses the shared cache and a private kv file.
    pub fn new() -> anyhow::Result<Self> {
        let dir = tempfile::tempdir()?;
        let root = dir.path().join("plugins");
        std::fs::create_dir_all(&root)?;
        let config_path = dir.path().join("synchost.toml");
        let sandbox = Self {
            dir,
            root,
            config_path,
        };
        sandbox.write_config("")?;
        Ok(sandbox)
    }

    /// The private folder (for extra files such as a private cache).
    pub fn dir(&self) -> &Path {
        self.dir.path()
    }

    /// Writes the config file: `[runtime]` and `[store]` pointing into the sandbox, then `extra`.
    /// Replaces the file atomically, so a watcher never sees it half-written.
    pub fn write_config(&self, extra: &str) -> anyhow::Result<()> {
        self.write_config_with_cache(extra, &shared_cache_dir())
    }

    /// As [`PluginSandbox::write_config`], with a chosen cache folder.
    pub fn write_config_with_cache(&self, extra: &str, cache: &Path) -> anyhow::Result<()> {
        self.write_config_full("", extra, cache)
    }

    /// As [`PluginSandbox::write_config`], with more `[runtime]` keys (`runtime`, one per line).
    pub fn write_config_with_runtime(&self, runtime: &str, extra: &str) -> anyhow::Result<()> {
        self.write_config_full(runtime, extra, &shared_cache_dir())
    }

    fn write_config_full(&self, runtime: &str, extra: &str, cache: &Path) -> anyhow::Result<()> {
        let text = format!(
            "[runtime]\ncache_dir = {cache:?}\ndebounce_ms = 50\nmax_instances = 64\n{runtime}\n\n[store]\npath = {kv:?}\n\n{extra}\n",
            kv = self.dir.path().join("kv.redb"),
        );
        write_atomically(&self.config_path, text.as_bytes())
    }

    /// The config as currently written.
    pub fn config(&self) -> anyhow::Result<Config> {
        Ok(Config::load(&self.config_path)?)
    }

    /// Copies `relative` (e.g. `examples/_sync/updateCounter_server_v1.wasm`) from a built tree.
    pub fn add(&self, from: &Path, relative: &str) -> anyhow::Result<()> {
        self.add_as(from, relative, relative)
    }

    /// Copies built file `relative` into the root under another name, by temp file + rename.
    pub fn add_as(&self, from: &Path, relative: &str, as_relative: &str) -> anyhow::Result<()> {
        let bytes = std::fs::read(from.join(relative))
            .with_context(|| format!("missing built plugin {relative}"))?;
        self.write_plugin(as_relative, &bytes)
    }

    /// Writes raw bytes as a plugin file, by temp file + rename.
    pub fn write_plugin(&self, relative: &str, bytes: &[u8]) -> anyhow::Result<()> {
        let path = self.root.join(relative);
        if let Some(parent) = path.parent() {
            std::fs::create_dir_all(parent)?;
        }
        write_atomically(&path, bytes)
    }

    /// Deletes a plugin file.
    pub fn remove(&self, relative: &str) -> anyhow::Result<()> {
        Ok(std::fs::remove_file(self.root.join(relative))?)
    }

    /// Starts a runtime on this sandbox with hot reload, watching the config file.
    pub fn start(&self) -> anyhow::Result<PluginRuntime> {
        self.start_with(None, true)
    }

    /// Starts a runtime with hot reload that calls `hook` after every scan.
    pub fn start_hooked(&self, hook: ScanHook) -> anyhow::Result<PluginRuntime> {
        let options = RuntimeOptions {
            config_path: Some(self.config_path.clone()),
            after_scan: Some(hook),
            ..RuntimeOptions::default()
        };
        Ok(PluginRuntime::start_with(
            self.config()?,
            &self.root,
            options,
        )?)
    }

    /// Starts a runtime with a room directory and a choice of hot reload.
    pub fn start_with(
        &self,
        rooms: Option<Arc<dyn RoomDirectory>>,
        hot_reload: bool,
    ) -> anyhow::Result<PluginRuntime> {
        let mut options = RuntimeOptions {
            config_path: Some(self.config_path.clone()),
            hot_reload,
            ..RuntimeOptions::default()
        };
        if let Some(rooms) = rooms {
            options.rooms = rooms;
        }
        Ok(PluginRuntime::start_with(
            self.config()?,
            &self.root,
            options,
        )?)
    }
}

/// Writes `bytes` to a temporary sibling, then renames it over `path` (atomic on one filesystem).
pub fn write_atomically(path: &Path, bytes: &[u8]) -> anyhow::Result<()> {
    let name = path
        .file_name()
        .context("path without a file name")?
        .to_string_lossy();
    let temporary = path.with_file_name(format!(".{name}.tmp"));
    std::fs::write(&temporary, bytes)?;
    std::fs::rename(&temporary, path)?;
    Ok(())
}

/// Polls `probe` every few milliseconds until it returns `Some`, failing after [`EVENT_DEADLINE`].
pub fn wait_for<T>(what: &str, mut probe: impl FnMut() -> Option<T>) -> anyhow::Result<T> {
    let deadline = Instant::now() + EVENT_DEADLINE;
    loop {
        if let Some(value) = probe() {
            return Ok(value);
        }
        if Instant::now() > deadline {
            bail!("timed out waiting for {what}");
        }
        std::thread::sleep(Duration::from_millis(5));
    }
}

/// MessagePack of a JSON value (maps keep their string keys).
pub fn pack(value: &Value) -> bytes::Bytes {
    bytes::Bytes::from(rmp_serde::to_vec_named(value).unwrap_or_default())
}

/// JSON of a MessagePack value.
pub fn unpack(bytes: &[u8]) -> anyhow::Result<Value> {
    Ok(rmp_serde::from_slice(bytes)?)
}

/// A session with just an id.
pub fn session(id: &str) -> Session {
    session_with(id, &serde_json::json!({}))
}

/// A session with extra claims (a JSON object).
pub fn session_with(id: &str, extra: &Value) -> Session {
    Session {
        id: id.to_owned(),
        name: None,
        email: None,
        language: None,
        admin: false,
        roles: Vec::new(),
        extra: rmp_serde::to_vec_named(extra).unwrap_or_default(),
    }
}
