//! The plugins workspace as `synchost new` and `synchost dev` see it: its member list (edited as
//! text, so the author's comments and layout stay) and its handler crates as cargo describes them
//! (`cargo metadata`: where each crate lives, the served path it becomes, its artifact's name).
//!
//! A crate's served path is its folder relative to the workspace root, exactly as
//! `scripts/build-plugins` maps it. A crate outside any `_sync/` folder is a library the handlers
//! share (built, never served); one inside `_sync/` at any other path is never guessed at, it is
//! reported.

use std::path::{Path, PathBuf};
use std::process::Command;

use anyhow::{Context, bail};
use serde::Deserialize;

use synchost::plugin::names::{FileKind, PluginFileName, classify};

/// One handler crate of the workspace; cargo names its component when it builds it.
#[derive(Debug, Clone)]
pub struct HandlerCrate {
    /// The Cargo package name (`cargo build -p`).
    pub package: String,
    /// The crate's folder.
    pub dir: PathBuf,
    /// Its folder relative to the workspace root: `<page>/_sync/<name>_<stage>_v<n>`.
    pub served: String,
    /// The route and stage the served name stands for.
    pub file: PluginFileName,
}

/// The workspace's handler crates and where cargo builds them.
#[derive(Debug, Clone)]
pub struct Workspace {
    /// The workspace root.
    pub root: PathBuf,
    /// Cargo's target directory for it (honours `CARGO_TARGET_DIR`).
    pub target_dir: PathBuf,
    /// Every handler crate, sorted by served path.
    pub crates: Vec<HandlerCrate>,
    /// The folders of the library crates the handlers share (members outside any `_sync/`).
    pub libraries: Vec<PathBuf>,
}

#[derive(Deserialize)]
struct Metadata {
    workspace_root: PathBuf,
    target_directory: PathBuf,
    packages: Vec<Package>,
}

#[derive(Deserialize)]
struct Package {
    name: String,
    manifest_path: PathBuf,
    targets: Vec<Target>,
}

#[derive(Deserialize)]
struct Target {
    crate_types: Vec<String>,
}

impl Workspace {
    /// Asks cargo about the workspace at `root`.
    ///
    /// # Errors
    /// When cargo cannot be run or a member under `_sync/` is not a handler crate at a served path.
    pub fn read(root: &Path) -> anyhow::Result<Self> {
        let output = Command::new("cargo")
            .args([
                "metadata",
                "--format-version",
                "1",
                "--no-deps",
                "--offline",
            ])
            .arg("--manifest-path")
            .arg(root.join("Cargo.toml"))
            .output()
            .context("cannot run cargo metadata")?;
        if !output.status.success() {
            bail!(
                "cargo metadata failed for {}:\n{}",
                root.display(),
                String::from_utf8_lossy(&output.stderr)
            );
        }
        let metadata: Metadata =
            serde_json::from_slice(&output.stdout).context("cannot read cargo metadata")?;
        let mut crates = Vec::new();
        let mut libraries = Vec::new();
        for package in metadata.packages {
            let dir = package
                .manifest_path
                .parent()
                .map(Path::to_path_buf)
                .unwrap_or_default();
            let served = dir
                .strip_prefix(&metadata.workspace_root)
                .ok()
                .and_then(Path::to_str)
                .map(str::to_owned)
                .unwrap_or_default();
            if !Path::new(&served)
                .components()
                .any(|part| part.as_os_str() == "_sync")
            {
                libraries.push(dir);
                continue;
            }
            let FileKind::Plugin(file) = classify(Path::new(&format!("{served}.wasm"))) else {
                bail!(
                    "{}: a handler crate's folder must be <page>/_sync/<name>_<server|client|join>_v<n>",
                    dir.display()
                );
            };
            let cdylib = package
                .targets
                .iter()
                .any(|target| target.crate_types.iter().any(|kind| kind == "cdylib"));
            if !cdylib {
                bail!("{}: crate-type must include cdylib", dir.display());
            }
            crates.push(HandlerCrate {
                package: package.name,
                dir,
                served,
                file,
            });
        }
        crates.sort_by(|a, b| a.served.cmp(&b.served));
        Ok(Self {
            root: metadata.workspace_root,
            target_dir: metadata.target_directory,
            crates,
            libraries,
        })
    }

    /// The crate whose folder holds `path`, if any.
    pub fn crate_of(&self, path: &Path) -> Option<&HandlerCrate> {
        self.crates
            .iter()
            .find(|krate| path.starts_with(&krate.dir))
    }

    /// The library crate whose folder holds `path`, if any.
    pub fn library_of(&self, path: &Path) -> Option<&Path> {
        self.libraries
            .iter()
            .map(PathBuf::as_path)
            .find(|dir| path.starts_with(dir))
    }
}

/// `manifest` (a workspace `Cargo.toml`) with `added` in its `members` list, one per line, sorted.
///
/// # Errors
/// When the file has no `[workspace]` `members` array, or one of `added` is listed already.
pub fn add_members(manifest: &str, added: &[String]) -> anyhow::Result<String> {
    #[derive(Deserialize)]
    struct Manifest {
        workspace: Option<WorkspaceTable>,
    }
    #[derive(Deserialize)]
    struct WorkspaceTable {
        members: Option<Vec<String>>,
    }
    let parsed: Manifest = toml::from_str(manifest).context("the workspace Cargo.toml")?;
    let Some(mut members) = parsed.workspace.and_then(|workspace| workspace.members) else {
        bail!("the workspace Cargo.toml has no [workspace] members list");
    };
    for member in added {
        if members.contains(member) {
            bail!("{member} is already a member of the workspace");
        }
        members.push(member.clone());
    }
    members.sort();
    // The list is strings without `]`: it ends at the first `]` after `members = [`.
    let start = manifest
        .find("\nmembers")
        .map(|at| at + 1)
        .or_else(|| manifest.starts_with("members").then_some(0))
        .context("cannot find `members = [` at the start of a line")?;
    let end = manifest[start..]
        .find(']')
        .map(|at| start + at + 1)
        .context("the members list does not end")?;
    let mut list = String::from("members = [\n");
    for member in &members {
        list.push_str(&format!("    \"{member}\",\n"));
    }
    list.push(']');
    Ok(format!("{}{list}{}", &manifest[..start], &manifest[end..]))
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    #[test]
    fn members_are_added_in_order_and_the_rest_is_kept() {
        let manifest = "# comment\n[workspace]\nresolver = \"3\"\nmembers = [\"b\", \"d\"]\n\n[profile.release]\nlto = true\n";
        let edited = add_members(manifest, &["c".to_owned(), "a".to_owned()]).unwrap();
        assert_eq!(
            edited,
            "# comment\n[workspace]\nresolver = \"3\"\nmembers = [\n    \"a\",\n    \"b\",\n    \"c\",\n    \"d\",\n]\n\n[profile.release]\nlto = true\n"
        );
        assert!(add_members(&edited, &["b".to_owned()]).is_err());
        assert!(add_members("[package]\nname = \"x\"\n", &["a".to_owned()]).is_err());
    }
}
