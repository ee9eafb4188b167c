//! Hostile load-time code: a `metadata()` that sleeps or recurses ends with a clear load error
//! within the load budget, the previous good version keeps serving, and status (what `/metrics`
//! and `synchost plugins` read) and routing answer while the slow load is still in progress.

use std::sync::Arc;
use std::time::Duration;

use serde_json::json;
use synchost::plugin::{PluginRuntime, RouteKey, ServerCall};
use synchost_tests::plugins::{PluginSandbox, fixture_plugins, pack, unpack};

const SLEEP_SERVER: &str = "hostile/_sync/sleep_server_v1.wasm";
const ATTACK_SERVER: &str = "hostile/_sync/attack_server_v1.wasm";
const SLOW_METADATA: &str = "hostile/_sync/slowMetadata_server_v1.wasm";
const DEEP_METADATA: &str = "hostile/_sync/deepMetadata_server_v1.wasm";
/// Where the good build and then the slow one are deployed.
const SWAPPED: &str = "hostile/_sync/swapped_server_v1.wasm";
/// Guards against a hang only.
const HANG_GUARD: Duration = Duration::from_secs(60);

fn swapped_key() -> RouteKey {
    RouteKey::new("hostile", "swapped", 1)
}

async fn answers_ok(runtime: &PluginRuntime, key: &RouteKey, input: serde_json::Value) -> bool {
    let Some(route) = runtime.route(key) else {
        return false;
    };
    let call = ServerCall {
        input: pack(&input),
        caller: None,
        room: "lab".into(),
    };
    let output = tokio::time::timeout(HANG_GUARD, runtime.call_server(&route, call))
        .await
        .expect("a call hung");
    output.is_ok_and(|output| unpack(&output).ok() == Some(json!({ "ok": true })))
}

fn error_of(runtime: &PluginRuntime, file: &str) -> Option<String> {
    runtime
        .status()
        .errors
        .iter()
        .find(|error| error.path.ends_with(file))
        .map(|error| error.message.clone())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_load_whose_metadata_sleeps_fails_in_its_budget_and_never_blocks_status_or_routing() {
    let sandbox = PluginSandbox::new().unwrap();
    sandbox
        .add_as(fixture_plugins(), SLEEP_SERVER, SWAPPED)
        .unwrap();
    // The stage's own wall clock is unlimited: only the load budget can end the sleep.
    sandbox
        .write_config_with_runtime(
            "load_timeout_ms = 10_000",
            "[plugins.routes.\"hostile/swapped\"]\ntimeout_ms = 0\n",
        )
        .unwrap();
    let runtime = Arc::new(sandbox.start_with(None, false).unwrap());
    let good = json!({ "how": "ok" });
    assert!(answers_ok(&runtime, &swapped_key(), good.clone()).await);
    let scans = runtime.status().scans;

    sandbox
        .add_as(fixture_plugins(), SLOW_METADATA, SWAPPED)
        .unwrap();
    let scanning = {
        let runtime = runtime.clone();
        tokio::task::spawn_blocking(move || runtime.rescan())
    };
    // Let the scan reach the sleeping metadata() call.
    tokio::time::sleep(Duration::from_millis(300)).await;
    let status = {
        let runtime = runtime.clone();
        tokio::time::timeout(
            HANG_GUARD,
            tokio::task::spawn_blocking(move || runtime.status()),
        )
        .await
        .expect("status waited for the scan")
        .unwrap()
    };
    assert_eq!(status.scans, scans, "the scan had already ended");
    assert!(answers_ok(&runtime, &swapped_key(), good.clone()).await);
    assert!(
        !scanning.is_finished(),
        "status and routing answered only after the scan"
    );

    tokio::time::timeout(HANG_GUARD, scanning)
        .await
        .expect("the load outlived its budget")
        .unwrap();
    let message = error_of(&runtime, SWAPPED).expect("the slow file is reported");
    assert!(
        message.contains("metadata() failed: plugin.timeout"),
        "{message}"
    );
    assert!(answers_ok(&runtime, &swapped_key(), good).await);
}

#[tokio::test]
async fn a_metadata_recursion_deeper_than_the_scanning_thread_stack_is_a_load_error() {
    let sandbox = PluginSandbox::new().unwrap();
    sandbox.add(fixture_plugins(), DEEP_METADATA).unwrap();
    sandbox.add(fixture_plugins(), ATTACK_SERVER).unwrap();
    // A wasm stack as large as the test thread's own (2 MiB, some of it in use): the load must
    // not run on it.
    sandbox
        .write_config_with_runtime(
            "max_wasm_stack_kb = 2048",
            "[plugins.routes.\"hostile/deepMetadata\"]\nfuel = 0\n",
        )
        .unwrap();
    let runtime = sandbox.start_with(None, false).unwrap();
    let message = error_of(&runtime, DEEP_METADATA).expect("the deep file is reported");
    assert!(
        message.contains("metadata() failed: plugin.stackOverflow"),
        "{message}"
    );
    assert!(
        runtime
            .route(&RouteKey::new("hostile", "deepMetadata", 1))
            .is_none()
    );
    let attack = RouteKey::new("hostile", "attack", 1);
    assert!(answers_ok(&runtime, &attack, json!({ "attack": "ok" })).await);
}
