//! `synchost dev`: the authors' loop. It builds every handler crate and TypeScript handler file of
//! the plugins workspace once, places the components and message files in the served folder, runs
//! the host on that folder exactly as `synchost serve` would (same flags, same config, hot reload
//! on), and then watches the workspace: a saved source rebuilds only its crate (or its TypeScript
//! file), and the new component is placed at its served name, where the running host swaps it in.
//!
//! It must never stop serving because of a build: a crate that fails to compile leaves its last
//! good component in place, and the failure is reported in the terminal with the route it belongs to.

mod build;
mod typescript;
mod watch;

use std::path::PathBuf;
use std::sync::mpsc;
use std::time::Duration;

use anyhow::Context;
use clap::Args;
use notify_debouncer_full::notify::RecursiveMode;
use notify_debouncer_full::{DebounceEventResult, new_debouncer};

use super::serve::{ServeArgs, run};
use super::workspace::Workspace;
use build::{Builder, place_file};
use typescript::TsBuilder;
use watch::Changes;

/// How long the watcher waits for an editor's burst of writes to settle.
const SETTLE: Duration = Duration::from_millis(50);

/// Arguments of `synchost dev`: those of `synchost serve`, plus the workspace.
#[derive(Debug, Args)]
pub struct DevArgs {
    #[command(flatten)]
    serve: ServeArgs,
    /// The plugins workspace to build and watch (the folder of its `Cargo.toml`).
    #[arg(long, default_value = "plugins")]
    workspace: PathBuf,
    /// The Cargo profile handler crates are built with (the workspace defines `live`).
    #[arg(long, default_value = "live")]
    profile: String,
    /// The TypeScript SDK that builds `<page>/_sync/*_v<n>.ts` handler files (its `npm ci` done).
    #[arg(long, default_value = "guest-sdk/ts")]
    ts_sdk: PathBuf,
}

/// Both builders: the crates through cargo, the TypeScript files through the SDK's build server
/// (absent when the workspace has none or the SDK cannot build).
struct Builders {
    rust: Builder,
    typescript: Option<TsBuilder>,
    /// The TypeScript SDK folder, for a builder started later in the session.
    ts_sdk: PathBuf,
}

/// Runs `synchost dev` until a shutdown signal.
pub async fn dev(args: DevArgs) -> anyhow::Result<()> {
    let serving = args.serve.resolve()?;
    let out = serving.config.server.plugins_root.clone();
    std::fs::create_dir_all(&out).with_context(|| format!("cannot create {}", out.display()))?;
    let (workspace_path, profile, sdk) = (args.workspace, args.profile, args.ts_sdk);
    let builder = tokio::task::spawn_blocking(move || -> anyhow::Result<Builders> {
        let workspace = Workspace::read(&workspace_path)?;
        let mut rust = Builder::new(workspace, profile, out.clone());
        eprintln!(
            "synchost dev: building {} handler crates in {}",
            rust.workspace.crates.len(),
            rust.workspace.root.display()
        );
        rust.build(&[]);
        let mut builders = Builders {
            typescript: typescript_builder(&rust.workspace.root, sdk.clone(), out),
            rust,
            ts_sdk: sdk,
        };
        if let Some(typescript) = &mut builders.typescript {
            typescript.build(&[]);
        }
        copy_messages(&builders, None);
        Ok(builders)
    })
    .await??;
    let (events, inbox) = mpsc::channel::<DebounceEventResult>();
    let mut watcher = new_debouncer(SETTLE, None, events).context("cannot watch the workspace")?;
    let root = builder.rust.workspace.root.clone();
    watcher
        .watch(&root, RecursiveMode::Recursive)
        .with_context(|| format!("cannot watch {}", root.display()))?;
    eprintln!(
        "synchost dev: watching {} ({} profile)",
        root.display(),
        builder.rust.profile
    );
    std::thread::Builder::new()
        .name("dev-builder".into())
        .spawn(move || rebuild_on_changes(builder, &inbox))
        .context("cannot start the build thread")?;
    let served = run(serving).await;
    drop(watcher);
    served
}

/// The TypeScript builder for the workspace at `root`, when it has TypeScript handler files and
/// the SDK at `sdk` can build them; otherwise says why once and returns `None`.
fn typescript_builder(root: &std::path::Path, sdk: PathBuf, out: PathBuf) -> Option<TsBuilder> {
    let builder = TsBuilder::new(root.to_owned(), sdk, out);
    let files = builder.handler_files().len();
    if files == 0 {
        return None;
    }
    if let Some(why) = builder.missing_tools() {
        eprintln!("synchost dev: {files} TypeScript handler files are not built: {why}");
        return None;
    }
    eprintln!("synchost dev: building {files} TypeScript handler files");
    Some(builder)
}

/// The build thread: waits for file events and does what they ask, one build at a time; events
/// that arrive during a build are folded into the next one.
fn rebuild_on_changes(mut builders: Builders, inbox: &mpsc::Receiver<DebounceEventResult>) {
    while let Ok(batch) = inbox.recv() {
        let mut changes = changes_of(&builders.rust, &batch);
        while let Ok(more) = inbox.try_recv() {
            changes.merge(changes_of(&builders.rust, &more));
        }
        if changes.is_empty() {
            continue;
        }
        if changes.manifest {
            match Workspace::read(&builders.rust.workspace.root) {
                Ok(workspace) => {
                    eprintln!(
                        "synchost dev: the workspace changed; building its {} crates",
                        workspace.crates.len()
                    );
                    builders.rust.workspace = workspace;
                    builders.rust.build(&[]);
                    copy_messages(&builders, None);
                }
                Err(error) => eprintln!("✗ the workspace: {error:#}"),
            }
            // Every crate was built and every message file copied; TypeScript files saved in the
            // same batch still need their build below.
            changes.packages.clear();
            changes.messages.clear();
            changes.library = false;
        }
        if changes.library {
            builders.rust.build(&[]);
        } else if !changes.packages.is_empty() {
            let packages: Vec<String> = changes.packages.into_iter().collect();
            builders.rust.build(&packages);
        }
        if changes.typescript_all || !changes.typescript.is_empty() {
            if builders.typescript.is_none() {
                // The first TypeScript handler of the session (or the SDK got its tools since).
                builders.typescript = typescript_builder(
                    &builders.rust.workspace.root,
                    builders.ts_sdk.clone(),
                    builders.rust.out.clone(),
                );
            }
            if let Some(typescript) = &mut builders.typescript {
                let files: Vec<PathBuf> = if changes.typescript_all {
                    Vec::new()
                } else {
                    changes.typescript.into_iter().collect()
                };
                typescript.build(&files);
            }
        }
        for message in &changes.messages {
            copy_messages(&builders, Some(message));
        }
    }
}

fn changes_of(builder: &Builder, batch: &DebounceEventResult) -> Changes {
    let Ok(events) = batch else {
        eprintln!("synchost dev: the file watcher reported errors; save again to rebuild");
        return Changes::default();
    };
    let paths = events
        .iter()
        .filter(|event| !event.kind.is_access())
        .flat_map(|event| event.paths.iter().map(PathBuf::as_path));
    Changes::sort(&builder.workspace, paths)
}

/// Copies one message file (relative to the workspace), or every `<page>/_sync/<lang>.ftl` of the
/// workspace's pages (those with a handler crate or a TypeScript handler file), to the served folder.
fn copy_messages(builders: &Builders, only: Option<&PathBuf>) {
    let builder = &builders.rust;
    let files: Vec<PathBuf> = match only {
        Some(file) => vec![file.clone()],
        None => {
            let typescript = builders
                .typescript
                .as_ref()
                .map(TsBuilder::handler_files)
                .unwrap_or_default();
            let folders: std::collections::BTreeSet<PathBuf> = builder
                .workspace
                .crates
                .iter()
                .map(|krate| PathBuf::from(&krate.served))
                .chain(typescript)
                .filter_map(|served| served.parent().map(PathBuf::from))
                .collect();
            folders
                .iter()
                .filter_map(|folder| {
                    std::fs::read_dir(builder.workspace.root.join(folder))
                        .ok()
                        .map(|entries| (folder, entries))
                })
                .flat_map(|(folder, entries)| {
                    entries
                        .filter_map(Result::ok)
                        .map(move |entry| folder.join(entry.file_name()))
                })
                .filter(|relative| watch::is_message_file(relative))
                .collect()
        }
    };
    for relative in files {
        let from = builder.workspace.root.join(&relative);
        if !from.is_file() {
            continue;
        }
        match place_file(&from, &builder.out.join(&relative)) {
            Ok(Some(dest)) => eprintln!("✓ messages: placed {}", dest.display()),
            Ok(None) => {}
            Err(error) => eprintln!("✗ messages {}: {error:#}", relative.display()),
        }
    }
}
