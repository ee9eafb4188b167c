//! Building handler crates for `synchost dev`: one `cargo build` for the crates that changed, its
//! JSON messages read to learn which crate produced which component and which crate failed with
//! which diagnostics, and each new component placed at its served name atomically (written under a
//! dotfile name in the same folder, then renamed), so a watching host never reads half a file.
//!
//! A crate that fails keeps its last placed component: nothing is written for it. Its diagnostics
//! are printed once; the same failure again prints one line, not the whole text.

use std::collections::{BTreeMap, HashMap};
use std::io::{BufRead, BufReader, IsTerminal as _};
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::Instant;

use anyhow::Context;
use serde::Deserialize;

use crate::cli::workspace::{HandlerCrate, Workspace};

/// How handler crates are built and where their components go.
pub struct Builder {
    /// The workspace, as cargo described it.
    pub workspace: Workspace,
    /// The Cargo profile (`live` by default).
    pub profile: String,
    /// The plugins root the host serves.
    pub out: PathBuf,
    /// The last diagnostics printed per package, so a repeated failure is not printed again.
    printed: HashMap<String, String>,
}

/// One line of cargo's `--message-format json` output, the parts read here.
#[derive(Deserialize)]
struct Message {
    reason: String,
    manifest_path: Option<PathBuf>,
    filenames: Option<Vec<PathBuf>>,
    message: Option<Diagnostic>,
}

#[derive(Deserialize)]
struct Diagnostic {
    rendered: Option<String>,
    level: String,
}

/// What one build did to one crate.
#[derive(Debug, Default)]
struct Outcome {
    component: Option<PathBuf>,
    errors: String,
    warnings: String,
}

impl Builder {
    /// A builder for `workspace` placing components under `out`.
    pub fn new(workspace: Workspace, profile: String, out: PathBuf) -> Self {
        Self {
            workspace,
            profile,
            out,
            printed: HashMap::new(),
        }
    }

    /// Builds `packages` (every crate when empty) and places what built; reports to stderr.
    /// Returns how many crates failed.
    pub fn build(&mut self, packages: &[String]) -> usize {
        if self.workspace.crates.is_empty() {
            eprintln!(
                "synchost dev: the workspace has no handler crates yet (`synchost new <page>/<name>`)"
            );
            return 0;
        }
        let started = Instant::now();
        let outcomes = match self.run_cargo(packages) {
            Ok(outcomes) => outcomes,
            Err(error) => {
                let which: Vec<String> = self
                    .workspace
                    .crates
                    .iter()
                    .filter(|krate| packages.contains(&krate.package))
                    .map(label)
                    .collect();
                let which = if which.is_empty() {
                    "the workspace".to_owned()
                } else {
                    which.join(", ")
                };
                eprintln!("✗ {which}: {error:#}");
                return packages.len().max(1);
            }
        };
        let seconds = started.elapsed().as_secs_f64();
        for library in &self.workspace.libraries {
            let errors = outcomes
                .get(library)
                .map(|outcome| outcome.errors.as_str())
                .unwrap_or_default();
            if !errors.is_empty() {
                eprintln!(
                    "✗ library {}: build failed; the handlers that use it keep their last good version\n{errors}",
                    library.display()
                );
            }
        }
        let crates: Vec<HandlerCrate> = self
            .workspace
            .crates
            .iter()
            .filter(|krate| packages.is_empty() || packages.contains(&krate.package))
            .cloned()
            .collect();
        let mut failed = 0;
        for krate in &crates {
            let outcome = outcomes.get(&krate.dir);
            let label = label(krate);
            match outcome {
                Some(outcome) if !outcome.errors.is_empty() || outcome.component.is_none() => {
                    failed += 1;
                    let text = outcome.errors.clone();
                    if self.printed.get(&krate.package) == Some(&text) {
                        eprintln!(
                            "✗ {label}: still failing with the same errors; the last good version keeps serving"
                        );
                    } else {
                        eprintln!(
                            "✗ {label}: build failed; the last good version keeps serving\n{text}"
                        );
                        self.printed.insert(krate.package.clone(), text);
                    }
                }
                Some(outcome) => {
                    let had_failed = self.printed.remove(&krate.package).is_some();
                    if !outcome.warnings.is_empty() {
                        eprintln!("! {label}: warnings\n{}", outcome.warnings);
                    }
                    let Some(component) = &outcome.component else {
                        continue;
                    };
                    match self.place(krate, component) {
                        Ok(Some(dest)) => eprintln!(
                            "✓ {label}: built in {seconds:.2} s, placed {}{}",
                            dest.display(),
                            if had_failed { " (fixed)" } else { "" }
                        ),
                        Ok(None) if !packages.is_empty() => {
                            eprintln!("= {label}: built in {seconds:.2} s, unchanged")
                        }
                        Ok(None) => {}
                        Err(error) => {
                            failed += 1;
                            eprintln!("✗ {label}: {error:#}");
                        }
                    }
                }
                None => {
                    failed += 1;
                    eprintln!(
                        "✗ {label}: cargo reported nothing for {}",
                        krate.dir.display()
                    );
                }
            }
        }
        failed
    }

    /// Runs cargo once and sorts its messages by crate folder.
    fn run_cargo(&self, packages: &[String]) -> anyhow::Result<BTreeMap<PathBuf, Outcome>> {
        let mut command = Command::new("cargo");
        command
            .args(["build", "--target", "wasm32-wasip2", "--keep-going"])
            .arg("--message-format")
            .arg(if std::io::stderr().is_terminal() {
                "json-diagnostic-rendered-ansi"
            } else {
                "json"
            })
            .arg("--profile")
            .arg(&self.profile)
            .arg("--manifest-path")
            .arg(self.workspace.root.join("Cargo.toml"))
            .stdout(Stdio::piped())
            .stderr(Stdio::piped());
        if packages.is_empty() {
            command.arg("--workspace");
        }
        for package in packages {
            command.args(["-p", package]);
        }
        let mut child = command.spawn().context("cannot run cargo")?;
        let stderr = child.stderr.take();
        // Cargo's own lines (lock waits, resolver errors) are kept for when no crate explains a failure.
        let cargo_lines = std::thread::spawn(move || {
            stderr.map_or_else(String::new, |stream| {
                BufReader::new(stream)
                    .lines()
                    .map_while(Result::ok)
                    .filter(|line| !line.trim_start().starts_with("Compiling"))
                    .collect::<Vec<_>>()
                    .join("\n")
            })
        });
        let mut outcomes: BTreeMap<PathBuf, Outcome> = BTreeMap::new();
        if let Some(stdout) = child.stdout.take() {
            for line in BufReader::new(stdout).lines().map_while(Result::ok) {
                let Ok(message) = serde_json::from_str::<Message>(&line) else {
                    continue;
                };
                let Some(dir) = message
                    .manifest_path
                    .as_deref()
                    .and_then(Path::parent)
                    .map(Path::to_path_buf)
                else {
                    continue;
                };
                if self.workspace.crate_of(&dir).is_none()
                    && self.workspace.library_of(&dir).is_none()
                {
                    continue; // a dependency
                }
                let outcome = outcomes.entry(dir).or_default();
                match message.reason.as_str() {
                    "compiler-artifact" => {
                        outcome.component = message
                            .filenames
                            .unwrap_or_default()
                            .into_iter()
                            .find(|file| file.extension().is_some_and(|ext| ext == "wasm"));
                    }
                    "compiler-message" => {
                        let Some(diagnostic) = message.message else {
                            continue;
                        };
                        let text = diagnostic.rendered.unwrap_or_default();
                        if diagnostic.level.starts_with("error") {
                            outcome.errors.push_str(&text);
                        } else {
                            outcome.warnings.push_str(&text);
                        }
                    }
                    _ => {}
                }
            }
        }
        let status = child.wait().context("cannot wait for cargo")?;
        let cargo_lines = cargo_lines.join().unwrap_or_default();
        if !status.success() && outcomes.values().all(|outcome| outcome.errors.is_empty()) {
            anyhow::bail!("cargo build failed:\n{cargo_lines}");
        }
        Ok(outcomes)
    }

    /// Copies `component` to the crate's served name unless the bytes there are the same; the
    /// destination when it wrote.
    fn place(&self, krate: &HandlerCrate, component: &Path) -> anyhow::Result<Option<PathBuf>> {
        let dest = self.out.join(format!("{}.wasm", krate.served));
        place_file(component, &dest)
    }
}

/// Copies `from` to `dest` through a dotfile beside it and a rename, unless `dest` has the same
/// bytes already; `Some(dest)` when it wrote.
pub fn place_file(from: &Path, dest: &Path) -> anyhow::Result<Option<PathBuf>> {
    let bytes = std::fs::read(from).with_context(|| format!("cannot read {}", from.display()))?;
    if std::fs::read(dest).is_ok_and(|existing| existing == bytes) {
        return Ok(None);
    }
    let folder = dest.parent().context("a served path has a folder")?;
    std::fs::create_dir_all(folder)
        .with_context(|| format!("cannot create {}", folder.display()))?;
    let file_name = dest
        .file_name()
        .and_then(|name| name.to_str())
        .context("a served path has a file name")?;
    let temporary = folder.join(format!(".{file_name}.tmp.{}", std::process::id()));
    std::fs::write(&temporary, &bytes)
        .with_context(|| format!("cannot write {}", temporary.display()))?;
    std::fs::rename(&temporary, dest)
        .with_context(|| format!("cannot rename into {}", dest.display()))?;
    Ok(Some(dest.to_owned()))
}

/// `examples/updateCounter@v1 server`: how a crate is named in the terminal.
pub fn label(krate: &HandlerCrate) -> String {
    format!("{} {}", krate.file.key, krate.file.stage.as_str())
}
