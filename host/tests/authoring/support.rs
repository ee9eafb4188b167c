//! What the authoring tests share: the `synchost` binary under test, scratch plugins workspaces
//! made from the real `plugins/Cargo.toml` (members emptied, the SDK by absolute path), cargo runs
//! on them in a target folder of their own (kept, so reruns build warm), the built examples, and a
//! bare HTTP/1.1 POST for the trigger.

use std::io::{Read as _, Write as _};
use std::net::TcpStream;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};
use std::sync::OnceLock;
use std::time::Duration;

/// The repository root.
pub fn repo() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .map(Path::to_path_buf)
        .unwrap_or_default()
}

/// The `synchost` binary cargo built for these tests.
pub fn synchost() -> Command {
    Command::new(env!("CARGO_BIN_EXE_synchost"))
}

/// The target folder of the scratch workspaces' builds, kept between runs so they build warm.
/// Never `scripts/build-plugins`' own: a cdylib's file name has no hash, so a scratch copy of an
/// example built there would overwrite the real example's component.
pub fn wasm_target_dir() -> PathBuf {
    repo().join("target/authoring-wasm")
}

/// A workspace at `dir` with the real workspace settings and no members, plus its lock file.
pub fn scratch_workspace(dir: &Path) -> PathBuf {
    let real = std::fs::read_to_string(repo().join("plugins/Cargo.toml")).unwrap();
    let sdk = repo().join("guest-sdk");
    let start = real.find("\nmembers = [").unwrap() + 1;
    let end = start + real[start..].find(']').unwrap() + 1;
    let manifest = format!("{}members = []{}", &real[..start], &real[end..]).replace(
        r#"path = "../guest-sdk""#,
        &format!("path = {:?}", sdk.display().to_string()),
    );
    let workspace = dir.join("ws");
    std::fs::create_dir_all(&workspace).unwrap();
    std::fs::write(workspace.join("Cargo.toml"), manifest).unwrap();
    std::fs::copy(
        repo().join("plugins/Cargo.lock"),
        workspace.join("Cargo.lock"),
    )
    .unwrap();
    workspace
}

/// `cargo <args>` on the workspace at `workspace`, in the shared wasm target folder.
pub fn cargo(workspace: &Path, args: &[&str]) -> Output {
    Command::new("cargo")
        .args(args)
        .arg("--manifest-path")
        .arg(workspace.join("Cargo.toml"))
        .env("CARGO_TARGET_DIR", wasm_target_dir())
        .output()
        .unwrap()
}

/// The example handlers built by `scripts/build-plugins` (once per test binary).
pub fn built_examples() -> &'static Path {
    static BUILT: OnceLock<PathBuf> = OnceLock::new();
    BUILT.get_or_init(|| {
        let out = repo().join("target/test-plugins/examples");
        let status = Command::new(repo().join("scripts/build-plugins"))
            .arg(&out)
            .status()
            .unwrap();
        assert!(status.success(), "scripts/build-plugins failed");
        out
    })
}

/// Text of a process's output streams, for assertion messages.
pub fn text(output: &Output) -> String {
    format!(
        "status {}\nstdout:\n{}\nstderr:\n{}",
        output.status,
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    )
}

/// POSTs `body` (JSON) to `path` on `address`; the status and the body.
pub fn post(address: &str, path: &str, body: &str) -> std::io::Result<(u16, String)> {
    let mut stream = TcpStream::connect(address)?;
    stream.set_read_timeout(Some(Duration::from_secs(60)))?;
    write!(
        stream,
        "POST {path} HTTP/1.1\r\nHost: {address}\r\nContent-Type: application/json\r\n\
         Content-Length: {}\r\nConnection: close\r\n\r\n{body}",
        body.len()
    )?;
    let mut response = String::new();
    stream.read_to_string(&mut response)?;
    let status = response
        .split(' ')
        .nth(1)
        .and_then(|code| code.parse().ok())
        .unwrap_or(0);
    let body = response
        .split_once("\r\n\r\n")
        .map(|(_, body)| body.to_owned())
        .unwrap_or_default();
    Ok((status, body))
}
