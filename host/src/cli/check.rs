//! `synchost check <file.wasm>`: tells before a deploy whether the host would serve a component, and
//! at which name. The file is loaded exactly as the registry loads it (the same loader, linker,
//! world check and `metadata()` under the load budget), from a private copy of the plugins tree
//! holding only that file, so a check never touches a running host's folder or store.
//!
//! The report is printed line by line; the exit status says whether the file passed (for CI).

use std::path::{Path, PathBuf};

use anyhow::{Context, bail};
use clap::Args;

use synchost::plugin::loader::world_of;
use synchost::plugin::names::{FileKind, PluginFileName, classify};
use synchost::plugin::{PluginRuntime, RuntimeOptions, Stage, StageMetadata};

use super::ConfigArgs;

/// Arguments of `synchost check`.
#[derive(Debug, Args)]
pub struct CheckArgs {
    /// The component to check.
    pub file: PathBuf,
    /// The name it will be served at: `<page>/_sync/<name>_<server|client|join>_v<n>.wasm`.
    #[arg(long = "as", value_name = "SERVED_PATH")]
    pub served_as: Option<PathBuf>,
    /// The plugins root the file sits under (its served name is its path below it); defaults to
    /// the config's `server.plugins_root`. Ignored with `--as`.
    #[arg(long)]
    pub root: Option<PathBuf>,
    #[command(flatten)]
    pub config: ConfigArgs,
}

/// What `check` found: the report's lines and whether the file passed.
#[derive(Debug)]
pub struct CheckReport {
    /// One line per finding.
    pub lines: Vec<String>,
    /// Whether the host would serve the file.
    pub ok: bool,
}

/// Runs `synchost check`.
///
/// # Errors
/// When the served name cannot be told or is not a plugin name, or the file cannot be read; a file
/// the host would refuse is a report with `ok == false`, not an error.
pub fn check(args: &CheckArgs) -> anyhow::Result<CheckReport> {
    let (_, mut config) = args.config.load()?;
    let served = served_path(args, &config.server.plugins_root)?;
    let FileKind::Plugin(name) = classify(&served) else {
        bail!(
            "`{}` is not a served plugin name: expected <page>/_sync/<name>_<server|client|join>_v<n>.wasm",
            served.display()
        );
    };
    let bytes = std::fs::read(&args.file)
        .with_context(|| format!("cannot read {}", args.file.display()))?;
    let mut lines = vec![
        format!("file      {} ({} bytes)", args.file.display(), bytes.len()),
        format!(
            "served as {} (route {}, {} stage)",
            served.display(),
            name.key,
            name.stage.as_str()
        ),
    ];

    let scratch = Scratch::new()?;
    let copy = scratch.root().join(&served);
    if let Some(folder) = copy.parent() {
        std::fs::create_dir_all(folder)
            .with_context(|| format!("cannot create {}", folder.display()))?;
    }
    std::fs::write(&copy, &bytes).with_context(|| format!("cannot write {}", copy.display()))?;
    // A store of its own: a running host may hold the configured one.
    config.store.path = scratch.path.join("store.redb");
    let budget_ms = config.runtime.load_timeout_ms;
    let options = RuntimeOptions {
        hot_reload: false,
        ..RuntimeOptions::default()
    };
    let runtime = PluginRuntime::start_with(config, scratch.root(), options)
        .context("cannot start the plugin runtime")?;
    let status = runtime.status();
    if let Some(error) = status.errors.first() {
        lines.push(format!("refused   {}", error.message));
        return Ok(CheckReport { lines, ok: false });
    }
    if let Some(refused) = status.unavailable.first() {
        lines.push(format!("refused   {}", refused.reason));
        return Ok(CheckReport { lines, ok: false });
    }
    let Some(metadata) = metadata_of(&runtime, &name) else {
        lines.push("refused   the host loaded the file but published no route for it".to_owned());
        return Ok(CheckReport { lines, ok: false });
    };
    let world = world_of(name.stage);
    lines.push(format!("world     {world} of synchost:plugin@1.0.0"));
    lines.push("imports   only what the host provides".to_owned());
    lines.push(format!(
        "metadata  answered within the load budget ({budget_ms} ms); auth: {}",
        describe_auth(&metadata)
    ));
    let mut ok = true;
    // A join handler has no payload, so no types to describe.
    let schemas = [
        ("input", &metadata.input_schema),
        ("output", &metadata.output_schema),
    ];
    let typed = if name.stage == Stage::Join { 0 } else { 2 };
    for (which, schema) in schemas.into_iter().take(typed) {
        let line = match schema {
            None => format!("schema    {which}: none (its TypeScript type will be `unknown`)"),
            Some(text) => match serde_json::from_str::<serde_json::Value>(text) {
                Ok(_) => format!("schema    {which}: JSON Schema, {} bytes", text.len()),
                Err(error) => {
                    ok = false;
                    format!("refused   the {which} schema is not JSON: {error}")
                }
            },
        };
        lines.push(line);
    }
    lines.push(if ok { "ok" } else { "refused" }.to_owned());
    Ok(CheckReport { lines, ok })
}

/// The path the file will be served at, relative to the plugins root.
fn served_path(args: &CheckArgs, configured_root: &Path) -> anyhow::Result<PathBuf> {
    if let Some(served) = &args.served_as {
        return Ok(served.clone());
    }
    let root = args.root.as_deref().unwrap_or(configured_root);
    let canonical = |path: &Path| {
        path.canonicalize()
            .with_context(|| format!("cannot find {}", path.display()))
    };
    let (file, root_path) = (canonical(&args.file)?, canonical(root)?);
    match file.strip_prefix(&root_path) {
        Ok(relative) => Ok(relative.to_owned()),
        Err(_) => bail!(
            "{} is not under the plugins root {}: give its served name with \
             --as <page>/_sync/<name>_<stage>_v<n>.wasm, or the root with --root",
            args.file.display(),
            root.display()
        ),
    }
}

fn metadata_of(runtime: &PluginRuntime, name: &PluginFileName) -> Option<StageMetadata> {
    let metadata = match name.stage {
        Stage::Server => runtime.route(&name.key)?.server()?.metadata().clone(),
        Stage::Client => runtime.route(&name.key)?.client()?.metadata().clone(),
        Stage::Join => runtime.join_handler(&name.key)?.metadata().clone(),
    };
    Some(metadata)
}

fn describe_auth(metadata: &StageMetadata) -> String {
    let who = if metadata.auth.login {
        "sign-in required"
    } else {
        "public"
    };
    match metadata.auth.additional.len() {
        0 => who.to_owned(),
        conditions => format!("{who}, {conditions} condition(s)"),
    }
}

/// A private folder under the system's temporary folder, removed when dropped.
struct Scratch {
    path: PathBuf,
}

impl Scratch {
    fn new() -> anyhow::Result<Self> {
        let nanos = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map_or(0, |elapsed| elapsed.subsec_nanos());
        let path =
            std::env::temp_dir().join(format!("synchost-check-{}-{nanos}", std::process::id()));
        std::fs::create_dir_all(path.join("root"))
            .with_context(|| format!("cannot create {}", path.display()))?;
        Ok(Self { path })
    }

    fn root(&self) -> PathBuf {
        self.path.join("root")
    }
}

impl Drop for Scratch {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.path);
    }
}
