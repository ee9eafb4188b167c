//! TypeScript handlers in `synchost dev`: files named `<page>/_sync/<name>_<server|client|join>_v<n>.ts`
//! in the workspace are built by the TypeScript SDK's build server (`guest-sdk/ts/build/serve.mjs`),
//! one Node process started once and kept for the whole session, so a save pays for bundling and
//! componentize-js alone, not for starting and warming up Node's tools again. The server places each
//! component at its served name itself (written beside it and renamed), exactly as
//! `scripts/build-plugins` does; this side asks for builds and reports them like the Rust ones.
//!
//! It must never stop serving because of a build: a file that fails keeps its last good component,
//! and a build server that dies is started again on the next save.

use std::collections::HashMap;
use std::io::{BufRead as _, BufReader, Write as _};
use std::path::{Path, PathBuf};
use std::process::{Child, ChildStdin, ChildStdout, Command, Stdio};

use anyhow::Context;
use serde::Deserialize;

use synchost::plugin::names::{FileKind, PluginFileName, classify};

/// The build server's script, relative to the SDK folder.
const SERVER_SCRIPT: &str = "build/serve.mjs";

/// Builds the workspace's TypeScript handler files through one long-lived build server.
pub struct TsBuilder {
    /// The workspace root: the source tree of handler files.
    root: PathBuf,
    /// The TypeScript SDK folder (`guest-sdk/ts`).
    sdk: PathBuf,
    /// The plugins root the host serves.
    out: PathBuf,
    server: Option<BuildServer>,
    /// The last error printed per file, so a repeated failure is not printed again.
    printed: HashMap<PathBuf, String>,
}

/// The running build server and its two pipes.
struct BuildServer {
    child: Child,
    requests: ChildStdin,
    replies: BufReader<ChildStdout>,
}

impl Drop for BuildServer {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// One line from the build server.
#[derive(Deserialize)]
struct Reply {
    #[serde(default)]
    file: String,
    dest: Option<PathBuf>,
    #[serde(default)]
    written: bool,
    #[serde(default)]
    seconds: f64,
    error: Option<String>,
    #[serde(default)]
    done: bool,
}

/// The route and stage a TypeScript handler file stands for, when `relative` (to the workspace
/// root) is one: `<page>/_sync/<name>_<server|client|join>_v<n>.ts`.
pub fn handler_file(relative: &Path) -> Option<PluginFileName> {
    if relative.extension()? != "ts" {
        return None;
    }
    match classify(&relative.with_extension("wasm")) {
        FileKind::Plugin(file) => Some(file),
        _ => None,
    }
}

impl TsBuilder {
    /// A builder for the handler files under `root`, through the SDK at `sdk`, placing under `out`.
    pub fn new(root: PathBuf, sdk: PathBuf, out: PathBuf) -> Self {
        Self {
            root,
            sdk,
            out,
            server: None,
            printed: HashMap::new(),
        }
    }

    /// Every TypeScript handler file under the workspace, relative to it, sorted.
    pub fn handler_files(&self) -> Vec<PathBuf> {
        let mut found = Vec::new();
        walk(&self.root, &self.root, &mut found);
        found.sort();
        found
    }

    /// Why the SDK cannot build here, if it cannot.
    pub fn missing_tools(&self) -> Option<String> {
        if !self.sdk.join(SERVER_SCRIPT).is_file() {
            return Some(format!(
                "{} is not the TypeScript SDK (no {SERVER_SCRIPT}); pass --ts-sdk",
                self.sdk.display()
            ));
        }
        if !self.sdk.join("node_modules").is_dir() {
            return Some(format!(
                "its build tools are not installed: run `npm ci` in {}",
                self.sdk.display()
            ));
        }
        None
    }

    /// Builds `files` (relative to the workspace; every handler file when empty) and reports each
    /// to stderr. Returns how many failed.
    pub fn build(&mut self, files: &[PathBuf]) -> usize {
        let replies = match self.request(files) {
            Ok(replies) => replies,
            Err(error) => {
                // A dead or broken server is replaced on the next request.
                self.server = None;
                eprintln!("✗ TypeScript handlers: {error:#}");
                return files.len().max(1);
            }
        };
        let mut failed = 0;
        for reply in replies {
            let relative = PathBuf::from(&reply.file);
            let label = handler_file(&relative).map_or_else(
                || reply.file.clone(),
                |file| format!("{} {}", file.key, file.stage.as_str()),
            );
            if let Some(error) = reply.error {
                failed += 1;
                if self.printed.get(&relative) == Some(&error) {
                    eprintln!(
                        "✗ {label}: still failing with the same error; the last good version keeps serving"
                    );
                } else {
                    eprintln!(
                        "✗ {label}: build failed; the last good version keeps serving\n{error}"
                    );
                    self.printed.insert(relative, error);
                }
                continue;
            }
            let fixed = self.printed.remove(&relative).is_some();
            let seconds = reply.seconds;
            match reply.dest {
                Some(dest) if reply.written => eprintln!(
                    "✓ {label}: built in {seconds:.2} s, placed {}{}",
                    dest.display(),
                    if fixed { " (fixed)" } else { "" }
                ),
                _ if !files.is_empty() => {
                    eprintln!("= {label}: built in {seconds:.2} s, unchanged")
                }
                _ => {}
            }
        }
        failed
    }

    /// Sends one request and collects its replies up to `done`.
    fn request(&mut self, files: &[PathBuf]) -> anyhow::Result<Vec<Reply>> {
        if self.server.is_none() {
            self.server = Some(self.start()?);
        }
        let server = self.server.as_mut().context("the build server")?;
        let names: Vec<String> = files
            .iter()
            .map(|file| file.to_string_lossy().into_owned())
            .collect();
        let line = serde_json::to_string(&names)?;
        writeln!(server.requests, "{line}")
            .and_then(|()| server.requests.flush())
            .context("the TypeScript build server is gone")?;
        let mut replies = Vec::new();
        let mut text = String::new();
        loop {
            text.clear();
            let read = server
                .replies
                .read_line(&mut text)
                .context("cannot read the TypeScript build server")?;
            anyhow::ensure!(read > 0, "the TypeScript build server stopped");
            let reply: Reply = serde_json::from_str(text.trim())
                .with_context(|| format!("unexpected line from the build server: {text}"))?;
            if reply.done {
                return Ok(replies);
            }
            replies.push(reply);
        }
    }

    fn start(&self) -> anyhow::Result<BuildServer> {
        let mut child = Command::new("node")
            .arg(self.sdk.join(SERVER_SCRIPT))
            .arg(&self.root)
            .arg(&self.out)
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit())
            .spawn()
            .context("cannot start node for the TypeScript build server")?;
        let requests = child.stdin.take().context("the build server's stdin")?;
        let replies = BufReader::new(child.stdout.take().context("the build server's stdout")?);
        Ok(BuildServer {
            child,
            requests,
            replies,
        })
    }
}

/// Collects handler files under `dir`, skipping dotted folders, `target` and `node_modules`.
fn walk(root: &Path, dir: &Path, found: &mut Vec<PathBuf>) {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return;
    };
    for entry in entries.filter_map(Result::ok) {
        let name = entry.file_name();
        let name = name.to_string_lossy();
        if name.starts_with('.') || name == "target" || name == "node_modules" {
            continue;
        }
        let path = entry.path();
        if entry.file_type().is_ok_and(|kind| kind.is_dir()) {
            walk(root, &path, found);
        } else if let Ok(relative) = path.strip_prefix(root)
            && handler_file(relative).is_some()
        {
            found.push(relative.to_owned());
        }
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    #[test]
    fn only_files_at_the_served_layout_are_handlers() {
        for (path, handler) in [
            ("chess/_sync/move_server_v1.ts", true),
            ("chess/_sync/move_client_v2.ts", true),
            ("chess/_sync/game_join_v1.ts", true),
            ("chess/_sync/move.test.ts", false),
            ("chess/_sync/shared.ts", false),
            ("chess/lib/move_server_v1.ts", false),
            ("chess/_sync/move_server_v1.rs", false),
        ] {
            assert_eq!(handler_file(Path::new(path)).is_some(), handler, "{path}");
        }
    }

    #[test]
    fn handler_files_are_found_outside_build_output() {
        let dir = tempfile::tempdir().unwrap();
        for file in [
            "a/_sync/x_server_v1.ts",
            "a/_sync/x.test.ts",
            "node_modules/b/_sync/y_server_v1.ts",
            "target/c/_sync/z_server_v1.ts",
            ".cache/d/_sync/w_client_v1.ts",
        ] {
            let path = dir.path().join(file);
            std::fs::create_dir_all(path.parent().unwrap()).unwrap();
            std::fs::write(path, "").unwrap();
        }
        let builder = TsBuilder::new(dir.path().into(), "sdk".into(), "out".into());
        assert_eq!(
            builder.handler_files(),
            [PathBuf::from("a/_sync/x_server_v1.ts")]
        );
    }
}
