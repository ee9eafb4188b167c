//! `synchost dev`: the authors' loop. It builds every handler crate of the plugins workspace once,
//! places the components and message files in the served folder, runs the host on that folder
//! exactly as `synchost serve` would (same flags, same config, hot reload on), and then watches
//! the workspace: a saved source rebuilds only its crate, and the new component is placed at its
//! served name, where the running host swaps it in.
//!
//! It must never stop serving because of a build: a crate that fails to compile leaves its last
//! good component in place, and the failure is reported in the terminal with the route it belongs to.

mod build;
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
}

/// Runs `synchost dev` until a shutdown signal.
pub async fn dev(args: DevArgs) -> anyhow::Result<()> {
    let serving = args.serve.resolve()?;
    let out = serving.config.server.plugins_root.clone();
    std::fs::create_dir_all(&out).with_context(|| format!("cannot create {}", out.display()))?;
    let (workspace_path, profile) = (args.workspace, args.profile);
    let builder = tokio::task::spawn_blocking(move || -> anyhow::Result<Builder> {
        let workspace = Workspace::read(&workspace_path)?;
        let mut builder = Builder::new(workspace, profile, out);
        eprintln!(
            "synchost dev: building {} handler crates in {}",
            builder.workspace.crates.len(),
            builder.workspace.root.display()
        );
        builder.build(&[]);
        copy_messages(&builder, None);
        Ok(builder)
    })
    .await??;
    let (events, inbox) = mpsc::channel::<DebounceEventResult>();
    let mut watcher = new_debouncer(SETTLE, None, events).context("cannot watch the workspace")?;
    watcher
        .watch(&builder.workspace.root, RecursiveMode::Recursive)
        .with_context(|| format!("cannot watch {}", builder.workspace.root.display()))?;
    eprintln!(
        "synchost dev: watching {} ({} profile)",
        builder.workspace.root.display(),
        builder.profile
    );
    std::thread::Builder::new()
        .name("dev-builder".into())
        .spawn(move || rebuild_on_changes(builder, &inbox))
        .context("cannot start the build thread")?;
    let served = run(serving).await;
    drop(watcher);
    served
}

/// The build thread: waits for file events and does what they ask, one build at a time; events
/// that arrive during a build are folded into the next one.
fn rebuild_on_changes(mut builder: Builder, inbox: &mpsc::Receiver<DebounceEventResult>) {
    while let Ok(batch) = inbox.recv() {
        let mut changes = changes_of(&builder, &batch);
        while let Ok(more) = inbox.try_recv() {
            changes.merge(changes_of(&builder, &more));
        }
        if changes.is_empty() {
            continue;
        }
        if changes.manifest {
            match Workspace::read(&builder.workspace.root) {
                Ok(workspace) => {
                    eprintln!(
                        "synchost dev: the workspace changed; building its {} crates",
                        workspace.crates.len()
                    );
                    builder.workspace = workspace;
                    builder.build(&[]);
                    copy_messages(&builder, None);
                }
                Err(error) => eprintln!("✗ the workspace: {error:#}"),
            }
            continue;
        }
        if !changes.packages.is_empty() {
            let packages: Vec<String> = changes.packages.into_iter().collect();
            builder.build(&packages);
        }
        for message in &changes.messages {
            copy_messages(&builder, Some(message));
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
/// workspace's pages, to the served folder.
fn copy_messages(builder: &Builder, only: Option<&PathBuf>) {
    let files: Vec<PathBuf> = match only {
        Some(file) => vec![file.clone()],
        None => {
            let folders: std::collections::BTreeSet<PathBuf> = builder
                .workspace
                .crates
                .iter()
                .filter_map(|krate| PathBuf::from(&krate.served).parent().map(PathBuf::from))
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
