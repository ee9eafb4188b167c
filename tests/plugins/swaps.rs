//! Hot swaps free what they replace: after many swaps of a client stage with syncs in between, the
//! versions alive return to the published count, a version pinned by a sync lives exactly as long
//! as the sync, and the instance pool touches no more memory slots than after the first swaps
//! (each new version reuses freed slots instead of taking fresh ones that stay resident).

use std::sync::Arc;

use serde_json::json;
use synchost::plugin::{ClientBatchCall, PluginRuntime, RouteKey, ServerCall, SyncCall};
use synchost_tests::plugins::{PluginSandbox, example_plugins, pack, session};

const SERVER: &str = "examples/_sync/updateCounter_server_v1.wasm";
const CLIENT: &str = "examples/_sync/updateCounter_client_v1.wasm";
const SWAPS: usize = 50;

fn key() -> RouteKey {
    RouteKey::new("examples", "updateCounter", 1)
}

/// The client build with a custom section naming `build`: a new content hash, the same code.
fn client_build(build: u8) -> Vec<u8> {
    let mut bytes = std::fs::read(example_plugins().join(CLIENT)).unwrap();
    let name = b"swap-build";
    bytes.extend_from_slice(&[0, (1 + name.len() + 1) as u8, name.len() as u8]);
    bytes.extend_from_slice(name);
    bytes.push(build);
    bytes
}

async fn sync_once(sync: &SyncCall) {
    let output = sync
        .server(ServerCall {
            input: pack(&json!({ "amount": 1 })),
            caller: None,
            room: "r".into(),
        })
        .await
        .unwrap();
    let outcomes = sync
        .clients(ClientBatchCall {
            input: pack(&json!({ "amount": 1 })),
            server_output: Some(output),
            room: "r".into(),
            recipients: (0..8)
                .map(|i| Some(Arc::new(session(&format!("u{i}")))))
                .collect(),
        })
        .await
        .unwrap();
    assert_eq!(outcomes.len(), 8);
}

fn swap(sandbox: &PluginSandbox, runtime: &PluginRuntime, build: u8) {
    sandbox.write_plugin(CLIENT, &client_build(build)).unwrap();
    runtime.rescan();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn swapped_versions_are_freed_and_their_pool_slots_reused() {
    let sandbox = PluginSandbox::new().unwrap();
    sandbox.add(example_plugins(), SERVER).unwrap();
    sandbox.write_plugin(CLIENT, &client_build(0)).unwrap();
    let runtime = sandbox.start_with(None, false).unwrap();
    let published = runtime.status().published_stages();
    assert_eq!(published, 2);

    // A sync pinned across a swap keeps its version alive until it ends.
    let pinned = runtime.begin(runtime.route(&key()).unwrap());
    swap(&sandbox, &runtime, 1);
    assert_eq!(runtime.status().versions_alive, published + 1);
    sync_once(&pinned).await;
    drop(pinned);
    assert_eq!(runtime.status().versions_alive, published);

    let mut touched_early = 0;
    for round in 2..=SWAPS {
        swap(&sandbox, &runtime, (round % 2) as u8);
        for _ in 0..3 {
            sync_once(&runtime.begin(runtime.route(&key()).unwrap())).await;
        }
        if round == 4 {
            touched_early = runtime.status().pool.memories_touched();
        }
    }
    let status = runtime.status();
    assert_eq!(
        status.generation as usize,
        SWAPS + 1,
        "every swap was published"
    );
    assert_eq!(status.versions_alive, status.published_stages());
    assert!(
        status.pool.memories_touched() <= touched_early,
        "pool memory slots touched grew from {touched_early} after 4 swaps to {} after {SWAPS}",
        status.pool.memories_touched()
    );
}
