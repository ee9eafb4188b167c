//! `synchost types`: loads a plugins root the way `synchost plugins` does and prints (or writes)
//! `apiTypes.generated.ts`, the TypeScript types of every route it publishes.

use std::path::PathBuf;

use anyhow::Context;
use clap::Args;

use synchost::plugin::{PluginRuntime, RuntimeOptions};
use synchost::typegen;

use super::ConfigArgs;

/// Arguments of `synchost types`.
#[derive(Debug, Args)]
pub struct TypesArgs {
    /// The plugins root; defaults to the config's `server.plugins_root`.
    #[arg(long)]
    pub root: Option<PathBuf>,
    /// Write the file here (only if its content changed); default: print to stdout.
    #[arg(long)]
    pub out: Option<PathBuf>,
    #[command(flatten)]
    pub config: ConfigArgs,
}

/// Runs `synchost types`: the file's text when no `--out` was given, else `None` after writing.
pub fn types(args: &TypesArgs) -> anyhow::Result<Option<String>> {
    let (_, config) = args.config.load()?;
    let root = args
        .root
        .clone()
        .unwrap_or_else(|| config.server.plugins_root.clone());
    let options = RuntimeOptions {
        hot_reload: false,
        ..RuntimeOptions::default()
    };
    let runtime = PluginRuntime::start_with(config, &root, options)
        .with_context(|| format!("cannot load the plugins in {}", root.display()))?;
    // Files that failed to load have no types: say so, but still write what did load.
    for error in &runtime.status().errors {
        eprintln!(
            "warning: {} not loaded, its route has no types: {}",
            error.path.display(),
            error.message
        );
    }
    let text = typegen::generate(&runtime);
    let Some(out) = &args.out else {
        return Ok(Some(text));
    };
    let written = typegen::write_if_changed(out, &text)
        .with_context(|| format!("cannot write {}", out.display()))?;
    eprintln!(
        "{} {}",
        if written { "wrote" } else { "unchanged" },
        out.display()
    );
    Ok(None)
}
