//! `synchost new <page>/<name>`: creates a sync's handler crates (or, with `--join`, a room's join
//! handler) at their served path in the plugins workspace, adds them to its members and adds the English message of their error code to the
//! page's `en.ftl`.
//!
//! It never overwrites: if a crate folder, a TypeScript handler of the same served name or a member
//! entry exists already, nothing at all is written. The message file is only ever appended to.

use std::path::{Path, PathBuf};

use anyhow::{Context, bail};
use clap::Args;

use synchost::plugin::Stage;

use super::scaffold::Scaffold;
use super::workspace::add_members;

/// Arguments of `synchost new`.
#[derive(Debug, Args)]
pub struct NewArgs {
    /// `<page>/<name>`, e.g. `chess/moveChessPiece` (pages may nest: `test/nestedTest/room`).
    pub route: String,
    /// Create the server stage (runs once per sync). With neither flag, both stages.
    #[arg(long)]
    pub server: bool,
    /// Create the client stage (runs once per recipient). With neither flag, both stages.
    #[arg(long)]
    pub client: bool,
    /// Create a room's join handler instead of a sync (named by a `[rooms]` policy's `join`).
    #[arg(long, conflicts_with_all = ["server", "client"])]
    pub join: bool,
    /// The version number.
    #[arg(long, default_value_t = 1)]
    pub version: u32,
    /// The plugins workspace (the folder of its `Cargo.toml`).
    #[arg(long, default_value = "plugins")]
    pub workspace: PathBuf,
}

/// Runs `synchost new`; returns what it wrote, one path per line.
///
/// # Errors
/// A route that cannot be served, anything that exists already, or a file that cannot be written.
pub fn new(args: &NewArgs) -> anyhow::Result<String> {
    let (server, client) = match (args.server, args.client, args.join) {
        (_, _, true) => (false, false),
        (false, false, false) => (true, true),
        (server, client, false) => (server, client),
    };
    let scaffold = Scaffold::new(&args.route, args.version, server)?;
    let stages: Vec<Stage> = [
        (server, Stage::Server),
        (client, Stage::Client),
        (args.join, Stage::Join),
    ]
    .into_iter()
    .filter_map(|(wanted, stage)| wanted.then_some(stage))
    .collect();
    let workspace = &args.workspace;
    let manifest_path = workspace.join("Cargo.toml");
    let manifest = std::fs::read_to_string(&manifest_path).with_context(|| {
        format!(
            "cannot read {} (give the plugins workspace with --workspace)",
            manifest_path.display()
        )
    })?;
    let dirs: Vec<String> = stages
        .iter()
        .map(|&stage| scaffold.crate_dir(stage))
        .collect();
    for dir in &dirs {
        for existing in [workspace.join(dir), workspace.join(format!("{dir}.ts"))] {
            if existing.symlink_metadata().is_ok() {
                bail!(
                    "{} exists already; nothing was written (pick another name or --version)",
                    existing.display()
                );
            }
        }
    }
    let manifest = add_members(&manifest, &dirs)
        .with_context(|| format!("cannot add the crates to {}", manifest_path.display()))?;

    let mut written = Vec::new();
    let mut sources = Vec::new();
    for (&stage, dir) in stages.iter().zip(&dirs) {
        let root = workspace.join(dir);
        create_new(&root.join("Cargo.toml"), &scaffold.manifest(stage))?;
        create_new(&root.join("src/lib.rs"), &scaffold.source(stage))?;
        sources.push(root.join("src/lib.rs"));
        written.push(root.display().to_string());
    }
    format_sources(&sources);
    std::fs::write(&manifest_path, manifest)
        .with_context(|| format!("cannot write {}", manifest_path.display()))?;
    written.push(format!("{} (members)", manifest_path.display()));
    // The stage that refuses: the server stage, or the join handler.
    let refusing = [(server, Stage::Server), (args.join, Stage::Join)]
        .into_iter()
        .find_map(|(wanted, stage)| wanted.then_some(stage));
    if let Some(stage) = refusing {
        let messages = workspace.join(&scaffold.page).join("_sync/en.ftl");
        if append_message(&messages, &scaffold, stage)? {
            written.push(format!(
                "{} ({})",
                messages.display(),
                scaffold.error_code(stage)
            ));
        }
    }
    Ok(written.join("\n") + "\n")
}

/// Lays the new sources out as `cargo fmt` would (names change line lengths); without rustfmt
/// they stay as rendered, which builds just the same.
fn format_sources(sources: &[PathBuf]) {
    let formatted = std::process::Command::new("rustfmt")
        .args(["--edition", "2024"])
        .args(sources)
        .status();
    if !formatted.is_ok_and(|status| status.success()) {
        eprintln!("note: rustfmt did not run; the new sources are not formatted");
    }
}

/// Writes `text` to a file that must not exist yet, creating its folder.
fn create_new(path: &Path, text: &str) -> anyhow::Result<()> {
    use std::io::Write as _;
    if let Some(folder) = path.parent() {
        std::fs::create_dir_all(folder)
            .with_context(|| format!("cannot create {}", folder.display()))?;
    }
    let mut file = std::fs::OpenOptions::new()
        .write(true)
        .create_new(true)
        .open(path)
        .with_context(|| format!("cannot create {}", path.display()))?;
    file.write_all(text.as_bytes())
        .with_context(|| format!("cannot write {}", path.display()))
}

/// Appends the scaffold's message to the page's `en.ftl` unless its id is there; whether it did.
fn append_message(path: &Path, scaffold: &Scaffold, stage: Stage) -> anyhow::Result<bool> {
    use std::io::Write as _;
    let id = scaffold.error_code(stage).replace('.', "-");
    let existing = match std::fs::read_to_string(path) {
        Ok(text) => text,
        Err(error) if error.kind() == std::io::ErrorKind::NotFound => String::new(),
        Err(error) => return Err(error).with_context(|| format!("cannot read {}", path.display())),
    };
    if existing
        .lines()
        .any(|line| line.split('=').next().map(str::trim) == Some(id.as_str()))
    {
        return Ok(false);
    }
    let mut text = String::new();
    if existing.is_empty() {
        text.push_str("# Messages of this page's handlers; ids are error codes with dots replaced by dashes.\n\n");
    } else if !existing.ends_with('\n') {
        text.push('\n');
    }
    text.push_str(&scaffold.message(stage));
    let mut file = std::fs::OpenOptions::new()
        .create(true)
        .append(true)
        .open(path)
        .with_context(|| format!("cannot open {}", path.display()))?;
    file.write_all(text.as_bytes())
        .with_context(|| format!("cannot write {}", path.display()))?;
    Ok(true)
}
