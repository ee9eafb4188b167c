//! The plugins folder rules through a real runtime: symlinks (to files or folders, inside or
//! outside the root), FIFOs and oversized files are refused unread with their reason in status,
//! the scan never hangs, and a good file replaced by a refused entry keeps its version published.

use std::path::Path;
use std::time::Duration;

use serde_json::json;
use synchost::plugin::{PluginRuntime, RouteKey, ServerCall};
use synchost_tests::plugins::{PluginSandbox, fixture_plugins, pack, unpack};

const ATTACK_SERVER: &str = "hostile/_sync/attack_server_v1.wasm";
/// Guards against a hang only.
const HANG_GUARD: Duration = Duration::from_secs(60);

fn mkfifo(path: &Path) {
    std::fs::create_dir_all(path.parent().unwrap()).unwrap();
    let status = std::process::Command::new("mkfifo")
        .arg(path)
        .status()
        .unwrap();
    assert!(status.success());
}

fn symlink(target: &Path, link: &Path) {
    std::fs::create_dir_all(link.parent().unwrap()).unwrap();
    std::os::unix::fs::symlink(target, link).unwrap();
}

fn message_for(runtime: &PluginRuntime, relative: &str) -> Option<String> {
    runtime
        .status()
        .errors
        .into_iter()
        .find(|error| error.path == Path::new(relative))
        .map(|error| error.message)
}

async fn attack_ok(runtime: &PluginRuntime) -> bool {
    let Some(route) = runtime.route(&RouteKey::new("hostile", "attack", 1)) else {
        return false;
    };
    let call = ServerCall {
        input: pack(&json!({ "attack": "ok" })),
        caller: None,
        room: "lab".into(),
    };
    let output = runtime.call_server(&route, call).await;
    output.is_ok_and(|output| unpack(&output).ok() == Some(json!({ "ok": true })))
}

async fn start(sandbox: &PluginSandbox) -> PluginRuntime {
    let config = sandbox.config().unwrap();
    let root = sandbox.root.clone();
    let options = synchost::plugin::RuntimeOptions {
        hot_reload: false,
        ..synchost::plugin::RuntimeOptions::default()
    };
    tokio::time::timeout(
        HANG_GUARD,
        tokio::task::spawn_blocking(move || PluginRuntime::start_with(config, root, options)),
    )
    .await
    .expect("the scan hung on a special file")
    .unwrap()
    .unwrap()
}

#[tokio::test]
async fn links_fifos_and_oversized_files_are_refused_with_their_reason() {
    let sandbox = PluginSandbox::new().unwrap();
    sandbox.add(fixture_plugins(), ATTACK_SERVER).unwrap();
    sandbox
        .write_config_with_runtime("max_plugin_file_kb = 1024", "")
        .unwrap();
    let root = &sandbox.root;
    let outside = fixture_plugins().join(ATTACK_SERVER);
    symlink(&outside, &root.join("hostile/_sync/outside_server_v1.wasm"));
    symlink(
        &root.join(ATTACK_SERVER),
        &root.join("hostile/_sync/inside_server_v1.wasm"),
    );
    symlink(&fixture_plugins().join("hostile"), &root.join("linked"));
    mkfifo(&root.join("hostile/_sync/fifo_server_v1.wasm"));
    std::fs::write(
        root.join("hostile/_sync/big_server_v1.wasm"),
        vec![0u8; 1025 * 1024],
    )
    .unwrap();

    let runtime = start(&sandbox).await;
    assert!(attack_ok(&runtime).await);
    for (relative, reason) in [
        ("hostile/_sync/outside_server_v1.wasm", "symbolic link"),
        ("hostile/_sync/inside_server_v1.wasm", "symbolic link"),
        ("linked", "symbolic link"),
        ("hostile/_sync/fifo_server_v1.wasm", "FIFO"),
        (
            "hostile/_sync/big_server_v1.wasm",
            "1049600 bytes exceed max_plugin_file_kb = 1024",
        ),
    ] {
        let message =
            message_for(&runtime, relative).unwrap_or_else(|| panic!("{relative} not reported"));
        assert!(
            message.contains("refused") && message.contains(reason),
            "{relative}: {message}"
        );
    }
    let routes: Vec<String> = runtime
        .status()
        .routes
        .iter()
        .map(|route| route.key.to_string())
        .collect();
    assert_eq!(
        routes,
        vec![RouteKey::new("hostile", "attack", 1).to_string()]
    );
}

#[tokio::test]
async fn a_good_file_replaced_by_a_link_or_fifo_keeps_its_version() {
    let sandbox = PluginSandbox::new().unwrap();
    sandbox.add(fixture_plugins(), ATTACK_SERVER).unwrap();
    let runtime = start(&sandbox).await;
    let hash = runtime.status().routes[0].server.clone().unwrap().hash;
    let file = sandbox.root.join(ATTACK_SERVER);

    std::fs::remove_file(&file).unwrap();
    symlink(&fixture_plugins().join(ATTACK_SERVER), &file);
    runtime.rescan();
    assert!(
        message_for(&runtime, ATTACK_SERVER)
            .unwrap()
            .contains("symbolic link")
    );
    assert_eq!(
        runtime.status().routes[0].server.clone().unwrap().hash,
        hash
    );
    assert!(attack_ok(&runtime).await);

    std::fs::remove_file(&file).unwrap();
    mkfifo(&file);
    let rescan = {
        let runtime = std::sync::Arc::new(runtime);
        let scanning = runtime.clone();
        tokio::time::timeout(
            HANG_GUARD,
            tokio::task::spawn_blocking(move || scanning.rescan()),
        )
        .await
        .expect("the rescan hung on a FIFO")
        .unwrap();
        runtime
    };
    assert!(
        message_for(&rescan, ATTACK_SERVER)
            .unwrap()
            .contains("FIFO")
    );
    assert!(attack_ok(&rescan).await);

    // A regular file again: the refusal is over.
    std::fs::remove_file(&file).unwrap();
    sandbox.add(fixture_plugins(), ATTACK_SERVER).unwrap();
    rescan.rescan();
    assert_eq!(message_for(&rescan, ATTACK_SERVER), None);
}
