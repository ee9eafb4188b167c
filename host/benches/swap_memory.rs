//! Memory across hot swaps (no assertions, not in CI): the resident set size of a runtime whose
//! client stage is swapped between two builds hundreds of times, with client batches through the
//! worker pool between swaps, against the same run where every rescan finds the file unchanged.
//!
//! Run each mode in its own process, so one does not inherit the other's heap:
//! `cargo bench -p synchost --bench swap_memory -- swap [swaps]` and `... -- steady [swaps]`
//! (default 300). Prints VmRSS and the versions alive every 50 swaps.
#![allow(clippy::unwrap_used, missing_docs)]

use std::path::{Path, PathBuf};
use std::sync::Arc;

use bytes::Bytes;
use synchost::config::Config;
use synchost::plugin::{
    ClientBatchCall, PluginRuntime, RouteKey, RuntimeOptions, ServerCall, Session,
};

const SERVER: &str = "examples/_sync/updateCounter_server_v1.wasm";
const CLIENT: &str = "examples/_sync/updateCounter_client_v1.wasm";
/// Client batches of `RECIPIENTS` between two swaps.
const CALLS_PER_SWAP: usize = 20;
const RECIPIENTS: usize = 200;

fn workspace() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .unwrap()
        .to_path_buf()
}

fn build_examples() -> PathBuf {
    let out = workspace().join("target/test-plugins/examples");
    let status = std::process::Command::new(workspace().join("scripts/build-plugins"))
        .arg(&out)
        .stdout(std::process::Stdio::null())
        .status()
        .unwrap();
    assert!(status.success(), "scripts/build-plugins failed");
    out
}

/// `bytes` with a custom section naming `build`: another content hash, the same behaviour.
fn build_variant(bytes: &[u8], build: u8) -> Vec<u8> {
    let mut bytes = bytes.to_vec();
    let name = b"swap-build";
    bytes.extend_from_slice(&[0, (1 + name.len() + 1) as u8, name.len() as u8]);
    bytes.extend_from_slice(name);
    bytes.push(build);
    bytes
}

fn place(path: &Path, bytes: &[u8]) {
    std::fs::create_dir_all(path.parent().unwrap()).unwrap();
    let temporary = path.with_file_name(".swap.tmp");
    std::fs::write(&temporary, bytes).unwrap();
    std::fs::rename(&temporary, path).unwrap();
}

fn rss_kb() -> u64 {
    let status = std::fs::read_to_string("/proc/self/status").unwrap_or_default();
    status
        .lines()
        .find_map(|line| line.strip_prefix("VmRSS:"))
        .and_then(|rest| rest.trim().trim_end_matches(" kB").trim().parse().ok())
        .unwrap_or(0)
}

fn session(id: usize) -> Option<Arc<Session>> {
    Some(Arc::new(Session {
        id: format!("user-{id}"),
        name: None,
        email: None,
        language: None,
        admin: false,
        roles: vec![],
        extra: vec![0x80],
    }))
}

async fn traffic(runtime: &PluginRuntime, key: &RouteKey) {
    let input = Bytes::from_static(&[0x81, 0xa6, b'a', b'm', b'o', b'u', b'n', b't', 0x01]);
    for _ in 0..CALLS_PER_SWAP {
        let route = runtime.route(key).unwrap();
        let sync = runtime.begin(route);
        let output = sync
            .server(ServerCall {
                input: input.clone(),
                caller: None,
                room: "r".into(),
            })
            .await
            .unwrap();
        let outcomes = sync
            .clients(ClientBatchCall {
                input: input.clone(),
                server_output: Some(output),
                room: "r".into(),
                recipients: (0..RECIPIENTS).map(session).collect(),
            })
            .await
            .unwrap();
        assert_eq!(outcomes.len(), RECIPIENTS);
    }
}

fn main() {
    let args: Vec<String> = std::env::args()
        .skip(1)
        .filter(|arg| arg != "--bench")
        .collect();
    let swap = match args.first().map(String::as_str) {
        Some("swap") => true,
        Some("steady") => false,
        _ => {
            eprintln!("usage: swap_memory swap|steady [swaps]");
            std::process::exit(2);
        }
    };
    let swaps: usize = args.get(1).and_then(|n| n.parse().ok()).unwrap_or(300);
    let built = build_examples();
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path().join("plugins");
    place(
        &root.join(SERVER),
        &std::fs::read(built.join(SERVER)).unwrap(),
    );
    let client = std::fs::read(built.join(CLIENT)).unwrap();
    let builds = [build_variant(&client, 1), build_variant(&client, 2)];
    place(&root.join(CLIENT), &builds[0]);
    let config_text = format!(
        "[runtime]\ncache_dir = {:?}\n[store]\npath = {:?}\n",
        dir.path().join("cache"),
        dir.path().join("kv.redb")
    );
    let config_path = dir.path().join("synchost.toml");
    std::fs::write(&config_path, config_text).unwrap();
    let config = Config::load(&config_path).unwrap();
    let options = RuntimeOptions {
        hot_reload: false,
        ..RuntimeOptions::default()
    };
    let runtime = PluginRuntime::start_with(config, &root, options).unwrap();
    let key = RouteKey::new("examples", "updateCounter", 1);
    let tokio = tokio::runtime::Builder::new_current_thread()
        .build()
        .unwrap();
    let report = |label: &str, runtime: &PluginRuntime| {
        let status = runtime.status();
        println!(
            "{label:>12}  rss {:>7} kB  versions alive {} (published {})  pool memories touched {} (idle resident {} kB)",
            rss_kb(),
            status.versions_alive,
            status.published_stages(),
            status.pool.memories_touched(),
            status.pool.idle_resident_bytes / 1024,
        );
    };
    tokio.block_on(traffic(&runtime, &key));
    report("warm", &runtime);
    for swap_index in 1..=swaps {
        // In steady mode the same bytes are written again: the scan hashes them and loads nothing.
        let build = if swap {
            &builds[swap_index % 2]
        } else {
            &builds[0]
        };
        place(&root.join(CLIENT), build);
        runtime.rescan();
        tokio.block_on(traffic(&runtime, &key));
        if swap_index % 50 == 0 {
            report(&format!("{swap_index} swaps"), &runtime);
        }
    }
    let mode = if swap { "swap" } else { "steady" };
    println!("{mode}: {swaps} rounds, final rss {} kB", rss_kb());
}
