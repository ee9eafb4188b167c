//! Wall-clock budgets that hold whatever the plugin does: a handler blocked in a host call (a
//! sleep is a WASI poll on a clock) gets `plugin.timeout` and frees its worker, so other routes keep
//! answering even when more sleepers are in flight than there are workers.

use std::time::Duration;

use serde_json::json;
use synchost::plugin::{PluginRuntime, RouteKey, ServerCall, StageError};
use synchost_tests::plugins::{PluginSandbox, fixture_plugins, pack, unpack};

use crate::support::failure_code;

const SLEEP_SERVER: &str = "hostile/_sync/sleep_server_v1.wasm";
const ATTACK_SERVER: &str = "hostile/_sync/attack_server_v1.wasm";
/// Guards against a hang only; the calls under test end long before.
const HANG_GUARD: Duration = Duration::from_secs(60);
/// Longer than the guard: if the budget did not apply, the sleeper would outlive the test.
const FOREVER_MS: u64 = 600_000;

fn sandbox(workers: usize) -> PluginSandbox {
    let sandbox = PluginSandbox::new().unwrap();
    sandbox.add(fixture_plugins(), SLEEP_SERVER).unwrap();
    sandbox.add(fixture_plugins(), ATTACK_SERVER).unwrap();
    sandbox
        .write_config_with_runtime(
            &format!("workers = {workers}"),
            "[plugins.routes.\"hostile/sleep\"]\ntimeout_ms = 300\n",
        )
        .unwrap();
    sandbox
}

async fn sleep_call(
    runtime: &PluginRuntime,
    how: &str,
    ms: u64,
) -> Result<bytes::Bytes, StageError> {
    let route = runtime
        .route(&RouteKey::new("hostile", "sleep", 1))
        .unwrap();
    let call = ServerCall {
        input: pack(&json!({ "how": how, "ms": ms })),
        caller: None,
        room: "lab".into(),
    };
    tokio::time::timeout(HANG_GUARD, runtime.call_server(&route, call))
        .await
        .expect("a sleeping call outlived its budget")
}

async fn other_route(runtime: &PluginRuntime) -> serde_json::Value {
    let route = runtime
        .route(&RouteKey::new("hostile", "attack", 1))
        .unwrap();
    let call = ServerCall {
        input: pack(&json!({ "attack": "ok" })),
        caller: None,
        room: "lab".into(),
    };
    let output = tokio::time::timeout(HANG_GUARD, runtime.call_server(&route, call))
        .await
        .expect("another route stopped answering while sleepers held the workers")
        .unwrap();
    unpack(&output).unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sleepers_beyond_the_worker_count_time_out_and_other_routes_answer() {
    let workers = 2;
    let sandbox = sandbox(workers);
    let runtime = std::sync::Arc::new(sandbox.start().unwrap());
    let sleepers: Vec<_> = (0..workers + 2)
        .map(|_| {
            let runtime = runtime.clone();
            tokio::spawn(async move { sleep_call(&runtime, "sleep", FOREVER_MS).await })
        })
        .collect();
    // Give the sleepers the workers first; the other route then queues behind them.
    tokio::time::sleep(Duration::from_millis(50)).await;
    assert_eq!(other_route(&runtime).await, json!({ "ok": true }));
    for sleeper in sleepers {
        let result = sleeper.await.unwrap();
        assert_eq!(failure_code(&result), "plugin.timeout");
    }
    assert_eq!(other_route(&runtime).await, json!({ "ok": true }));
}

#[tokio::test]
async fn a_sleep_within_the_budget_completes_and_stdin_is_closed() {
    let sandbox = sandbox(2);
    let runtime = sandbox.start().unwrap();
    let done = sleep_call(&runtime, "sleep", 1).await.unwrap();
    assert_eq!(unpack(&done).unwrap(), json!({ "ok": true }));
    let stdin = sleep_call(&runtime, "stdin", 0).await.unwrap();
    assert_eq!(unpack(&stdin).unwrap(), json!({ "read": 0 }));
}

#[tokio::test]
async fn the_timeout_detail_names_the_host_wait() {
    let sandbox = sandbox(1);
    let runtime = sandbox.start().unwrap();
    match sleep_call(&runtime, "sleep", FOREVER_MS).await {
        Err(StageError::Failed(error)) => {
            assert_eq!(error.code.as_str(), "plugin.timeout");
            assert!(error.detail.contains("host wait"), "{}", error.detail);
        }
        other => panic!("expected a timeout, got {other:?}"),
    }
}
