//! `synchost dev` on a scratch workspace holding a copy of `examples/updateCounter` v1: the first
//! build is served, a saved one-line edit becomes the version that answers `POST /sync/...`, and a
//! broken edit is reported once with its route while the last good version keeps answering.

use std::io::{BufRead as _, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Child, Stdio};
use std::sync::mpsc::{self, Receiver};
use std::time::{Duration, Instant};

use crate::support::{post, repo, scratch_workspace, synchost, wasm_target_dir};

/// Guards against a hang only; the first run builds the SDK and its dependencies.
const DEADLINE: Duration = Duration::from_secs(900);

/// Kills the dev process when the test ends, however it ends.
struct Running(Child);

impl Drop for Running {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

/// Lines of a child's stream, echoed to the test's own stderr for failure reports.
fn lines(stream: impl std::io::Read + Send + 'static) -> Receiver<String> {
    let (sender, receiver) = mpsc::channel();
    std::thread::spawn(move || {
        for line in BufReader::new(stream).lines().map_while(Result::ok) {
            eprintln!("[dev] {line}");
            if sender.send(line).is_err() {
                break;
            }
        }
    });
    receiver
}

/// Waits for a line containing `needle`; every line read on the way is returned too.
fn wait_for(lines: &Receiver<String>, needle: &str) -> Vec<String> {
    let until = Instant::now() + DEADLINE;
    let mut seen = Vec::new();
    loop {
        let left = until.saturating_duration_since(Instant::now());
        let line = lines
            .recv_timeout(left)
            .unwrap_or_else(|_| panic!("no line with {needle:?}; saw {seen:#?}"));
        let found = line.contains(needle);
        seen.push(line);
        if found {
            return seen;
        }
    }
}

/// `synchost dev` running on a scratch workspace, killed when dropped.
struct Dev {
    stderr: Receiver<String>,
    address: String,
    _running: Running,
}

impl Dev {
    /// Starts `synchost dev` in `dir` on `workspace` and waits until it listens.
    fn start(dir: &Path, workspace: &Path, config: &Path) -> Self {
        let mut child = synchost()
            .arg("dev")
            .arg("--workspace")
            .arg(workspace)
            .args(["--plugins", "out", "--host", "127.0.0.1", "--port", "0"])
            .args(["--types-out", "apiTypes.generated.ts"])
            .arg("--ts-sdk")
            .arg(repo().join("guest-sdk/ts"))
            .arg("--config")
            .arg(config)
            .current_dir(dir)
            .env("CARGO_TARGET_DIR", wasm_target_dir())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap();
        let stdout = lines(child.stdout.take().unwrap());
        let stderr = lines(child.stderr.take().unwrap());
        let running = Running(child);
        let listening = wait_for(&stdout, "synchost listening on http://");
        let address = listening
            .last()
            .and_then(|line| line.rsplit("http://").next())
            .unwrap()
            .to_owned();
        Self {
            stderr,
            address,
            _running: running,
        }
    }
}

fn new_value(address: &str) -> String {
    value_of(address, "examples")
}

/// The answer of `<page>/updateCounter` v1 to `{amount: 1}`, status first.
fn value_of(address: &str, page: &str) -> String {
    let body = r#"{"data":{"amount":1},"receiver":"lobby"}"#;
    let (status, body) = post(address, &format!("/sync/{page}/updateCounter/v1"), body).unwrap();
    format!("{status} {body}")
}

/// Asks `<page>/updateCounter` v1 until it answers `newValue` (the swap is asynchronous).
fn answers_once_swapped(address: &str, page: &str, new_value: u32) {
    let until = Instant::now() + DEADLINE;
    let expected = format!(r#""newValue":{new_value}"#);
    while !value_of(address, page).contains(&expected) {
        assert!(Instant::now() < until, "{page} never answered {expected}");
        std::thread::sleep(Duration::from_millis(100));
    }
}

/// The Rust example the tests edit.
const UPDATE_COUNTER: &str = "examples/_sync/updateCounter_server_v1";

/// Copies the example crate at `relative` (its manifest and `src/lib.rs`) into `workspace`; its folder.
fn copy_example_crate(workspace: &Path, relative: &str) -> PathBuf {
    let crate_dir = workspace.join(relative);
    std::fs::create_dir_all(crate_dir.join("src")).unwrap();
    for file in ["Cargo.toml", "src/lib.rs"] {
        std::fs::copy(
            repo().join("plugins").join(relative).join(file),
            crate_dir.join(file),
        )
        .unwrap();
    }
    crate_dir
}

fn edit(file: &Path, from: &str, to: &str) {
    let source = std::fs::read_to_string(file).unwrap();
    assert!(source.contains(from), "{from} in {}", file.display());
    std::fs::write(file, source.replacen(from, to, 1)).unwrap();
}

#[test]
fn a_saved_edit_goes_live_and_a_broken_one_keeps_the_last_good_version() {
    let dir = tempfile::tempdir().unwrap();
    let workspace = scratch_workspace(dir.path());
    let relative = UPDATE_COUNTER;
    let crate_dir = copy_example_crate(&workspace, relative);
    edit(
        &workspace.join("Cargo.toml"),
        "members = []",
        &format!("members = [{relative:?}]"),
    );
    let config = dir.path().join("synchost.toml");
    std::fs::write(&config, "[sync]\nrequire_membership = false\n").unwrap();

    let dev = Dev::start(dir.path(), &workspace, &config);
    let (stderr, address) = (&dev.stderr, dev.address.clone());
    assert!(
        dir.path()
            .join("out/examples/_sync/updateCounter_server_v1.wasm")
            .is_file()
    );
    assert!(new_value(&address).contains(r#""newValue":2"#));

    // A one-line edit: the served version answers with it once the swap is done.
    let source = crate_dir.join("src/lib.rs");
    edit(&source, "checked_add(1)", "checked_add(10)");
    wait_for(stderr, "✓ examples/updateCounter@v1 server: built");
    answers_once_swapped(&address, "examples", 11);
    let types = std::fs::read_to_string(dir.path().join("apiTypes.generated.ts")).unwrap();
    assert!(types.contains("updateCounter"), "{types}");

    // A broken edit: reported with the route and the compiler's error; the last good one serves.
    edit(&source, "checked_add(10)", "checked_add(10) +");
    let report = wait_for(stderr, "✗ examples/updateCounter@v1 server: build failed");
    let after = wait_for(stderr, "error");
    assert!(
        report
            .iter()
            .chain(&after)
            .any(|line| line.contains("error")),
        "{report:?}"
    );
    assert!(new_value(&address).contains(r#""newValue":11"#));

    // Saving the same broken text again does not print the errors again.
    let broken = std::fs::read_to_string(&source).unwrap();
    std::fs::write(&source, &broken).unwrap();
    let again = wait_for(stderr, "examples/updateCounter@v1 server: still failing");
    assert!(
        !again.iter().any(|line| line.contains("build failed")),
        "{again:?}"
    );
    assert!(new_value(&address).contains(r#""newValue":11"#));
}

#[test]
fn a_saved_typescript_edit_goes_live_and_a_broken_one_keeps_the_last_good_version() {
    let dir = tempfile::tempdir().unwrap();
    let workspace = scratch_workspace(dir.path());
    let relative = "examples-ts/_sync/updateCounter_server_v1.ts";
    let source = workspace.join(relative);
    std::fs::create_dir_all(source.parent().unwrap()).unwrap();
    std::fs::copy(repo().join("plugins").join(relative), &source).unwrap();
    let config = dir.path().join("synchost.toml");
    // The compile cache the plugin tests share: the JavaScript engine every TypeScript component
    // embeds is compiled once per machine, not once per test run.
    let cache = repo().join("target/test-plugins/cwasm-cache");
    std::fs::write(
        &config,
        format!("[runtime]\ncache_dir = {cache:?}\n\n[sync]\nrequire_membership = false\n"),
    )
    .unwrap();

    let dev = Dev::start(dir.path(), &workspace, &config);
    let (stderr, address) = (&dev.stderr, dev.address.clone());
    assert!(
        dir.path()
            .join("out/examples-ts/_sync/updateCounter_server_v1.wasm")
            .is_file()
    );
    assert!(value_of(&address, "examples-ts").contains(r#""newValue":2"#));

    // A one-line edit in the TypeScript file: the served version answers with it once swapped.
    edit(
        &source,
        "success\", newValue: amount + 1",
        "success\", newValue: amount + 10",
    );
    wait_for(stderr, "✓ examples-ts/updateCounter@v1 server: built");
    answers_once_swapped(&address, "examples-ts", 11);

    // A syntax error: reported with the route and esbuild's message; the last good one serves.
    edit(
        &source,
        "success\", newValue: amount + 10",
        "success\", newValue: amount + 10 +",
    );
    let report = wait_for(
        stderr,
        "✗ examples-ts/updateCounter@v1 server: build failed",
    );
    let after = wait_for(stderr, "ERROR");
    assert!(
        after.iter().any(|line| line.contains("ERROR")),
        "{report:?}"
    );
    assert!(value_of(&address, "examples-ts").contains(r#""newValue":11"#));

    // The same broken text saved again is not printed again; the fix goes live.
    let broken = std::fs::read_to_string(&source).unwrap();
    std::fs::write(&source, &broken).unwrap();
    wait_for(stderr, "examples-ts/updateCounter@v1 server: still failing");
    edit(
        &source,
        "success\", newValue: amount + 10 +",
        "success\", newValue: amount + 20",
    );
    wait_for(stderr, "(fixed)");
    answers_once_swapped(&address, "examples-ts", 21);
}

#[test]
fn a_library_the_handlers_share_is_built_and_its_edit_rebuilds_them() {
    let dir = tempfile::tempdir().unwrap();
    let workspace = scratch_workspace(dir.path());
    let relative = UPDATE_COUNTER;
    let crate_dir = copy_example_crate(&workspace, relative);
    // A library outside any _sync/ folder, which the handler takes its step from.
    let library = workspace.join("shared");
    std::fs::create_dir_all(library.join("src")).unwrap();
    std::fs::write(
        library.join("Cargo.toml"),
        "[package]\nname = \"shared\"\nversion.workspace = true\nedition.workspace = true\n\
         rust-version.workspace = true\nlicense.workspace = true\npublish.workspace = true\n",
    )
    .unwrap();
    std::fs::write(
        library.join("src/lib.rs"),
        "//! The step.\n\n/// How much is added.\npub const STEP: i64 = 1;\n",
    )
    .unwrap();
    edit(
        &crate_dir.join("Cargo.toml"),
        "[dependencies]\n",
        "[dependencies]\nshared = { path = \"../../../shared\" }\n",
    );
    edit(
        &crate_dir.join("src/lib.rs"),
        "checked_add(1)",
        "checked_add(shared::STEP)",
    );
    edit(
        &workspace.join("Cargo.toml"),
        "members = []",
        &format!("members = [{relative:?}, \"shared\"]"),
    );
    let config = dir.path().join("synchost.toml");
    std::fs::write(&config, "[sync]\nrequire_membership = false\n").unwrap();

    let dev = Dev::start(dir.path(), &workspace, &config);
    assert!(new_value(&dev.address).contains(r#""newValue":2"#));
    edit(
        &library.join("src/lib.rs"),
        "STEP: i64 = 1",
        "STEP: i64 = 10",
    );
    wait_for(&dev.stderr, "✓ examples/updateCounter@v1 server: built");
    answers_once_swapped(&dev.address, "examples", 11);
}
