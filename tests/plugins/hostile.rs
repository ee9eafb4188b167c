//! Hostile fixtures: every attack is contained with its own error code, and the host keeps serving.

use serde_json::json;
use std::sync::Arc;
use synchost::plugin::{
    ClientBatchCall, PluginRuntime, RecipientOutcome, RouteKey, Scalar, ServerCall,
};
use synchost_tests::plugins::{PluginSandbox, fixture_plugins, pack, session, unpack};

use crate::support::{failure_code, outcome_code, param, refused};

const ATTACK_SERVER: &str = "hostile/_sync/attack_server_v1.wasm";
const ATTACK_CLIENT: &str = "hostile/_sync/attack_client_v1.wasm";
const WRONG_WORLD: &str = "hostile/_sync/wrongWorld_server_v1.wasm";

/// Budgets large enough for the legitimate work of the memory and output attacks (bulk memory is
/// charged per byte), small enough that a loop ends quickly.
const HOSTILE_LIMITS: &str = "[plugins.routes.\"hostile/attack\"]\nfuel = 200_000_000\nmemory_mb = 48\ntimeout_ms = 10_000\n";

fn sandbox(limits: &str) -> PluginSandbox {
    let sandbox = PluginSandbox::new().unwrap();
    for file in [ATTACK_SERVER, ATTACK_CLIENT, WRONG_WORLD] {
        sandbox.add(fixture_plugins(), file).unwrap();
    }
    sandbox.write_config(limits).unwrap();
    sandbox
}

async fn attack(
    runtime: &PluginRuntime,
    name: &str,
) -> Result<bytes::Bytes, synchost::plugin::StageError> {
    let route = runtime
        .route(&RouteKey::new("hostile", "attack", 1))
        .unwrap();
    let call = ServerCall {
        input: pack(&json!({ "attack": name })),
        caller: None,
        room: "lab".into(),
    };
    runtime.call_server(&route, call).await
}

async fn assert_still_serving(runtime: &PluginRuntime) {
    let output = attack(runtime, "ok").await.unwrap();
    assert_eq!(unpack(&output).unwrap(), json!({ "ok": true }));
}

#[tokio::test]
async fn each_trap_has_its_own_code_and_the_next_call_succeeds() {
    let sandbox = sandbox(HOSTILE_LIMITS);
    let runtime = sandbox.start().unwrap();
    for (name, code) in [
        ("loop", "plugin.outOfFuel"),
        ("memory", "plugin.memoryLimit"),
        ("recursion", "plugin.stackOverflow"),
        ("panic", "plugin.trap"),
        ("bigOutput", "plugin.outputTooLarge"),
        ("malformed", "plugin.malformedOutput"),
    ] {
        let result = attack(&runtime, name).await;
        assert_eq!(failure_code(&result), code, "attack {name}");
        assert_still_serving(&runtime).await;
    }
}

#[tokio::test]
async fn with_fuel_unlimited_the_wall_clock_stops_a_loop() {
    let sandbox = sandbox("[plugins.routes.\"hostile/attack\"]\nfuel = 0\ntimeout_ms = 100\n");
    let runtime = sandbox.start().unwrap();
    let result = attack(&runtime, "loop").await;
    assert_eq!(failure_code(&result), "plugin.timeout");
    assert_still_serving(&runtime).await;
}

#[tokio::test]
async fn files_environment_and_sockets_are_denied() {
    let sandbox = sandbox(HOSTILE_LIMITS);
    let runtime = sandbox.start().unwrap();
    let error = refused(attack(&runtime, "readFile").await);
    assert_eq!(error.code, "hostile.fileDenied");
    let env = unpack(&attack(&runtime, "env").await.unwrap()).unwrap();
    assert_eq!(env, json!({ "visible": false, "count": 0 }));
    let socket = unpack(&attack(&runtime, "socket").await.unwrap()).unwrap();
    assert_eq!(socket["connected"], json!(false), "{socket}");
    assert_still_serving(&runtime).await;
}

#[tokio::test]
async fn oversized_input_is_refused_before_the_plugin_runs() {
    let sandbox = sandbox("[plugins.routes.\"hostile/attack\"]\nmax_input_kb = 1\n");
    let runtime = sandbox.start().unwrap();
    let route = runtime
        .route(&RouteKey::new("hostile", "attack", 1))
        .unwrap();
    let input = pack(&json!({ "attack": "ok", "padding": "x".repeat(2000) }));
    let result = runtime
        .call_server(
            &route,
            ServerCall {
                input,
                caller: None,
                room: "lab".into(),
            },
        )
        .await;
    assert_eq!(failure_code(&result), "plugin.inputTooLarge");
    assert_still_serving(&runtime).await;
}

#[tokio::test]
async fn a_component_of_the_wrong_world_is_rejected_at_load() {
    let sandbox = sandbox("");
    let runtime = sandbox.start().unwrap();
    assert!(
        runtime
            .route(&RouteKey::new("hostile", "wrongWorld", 1))
            .is_none()
    );
    let status = runtime.status();
    let error = status
        .errors
        .iter()
        .find(|error| error.path.ends_with("wrongWorld_server_v1.wasm"))
        .unwrap();
    assert!(error.message.contains("wrong world"), "{}", error.message);
    assert!(error.message.contains("client-stage"), "{}", error.message);
}

#[tokio::test]
async fn in_a_client_batch_only_the_bad_recipients_fail() {
    let sandbox = sandbox("[plugins.routes.\"hostile/attack\".client]\nclient_batch_size = 64\n");
    let runtime = sandbox.start().unwrap();
    let route = runtime
        .route(&RouteKey::new("hostile", "attack", 1))
        .unwrap();
    let ids = ["a", "victim", "b", "looper", "c"];
    let mut recipients: Vec<_> = ids.iter().map(|id| Some(session(id))).collect();
    recipients.push(None);
    let call = ClientBatchCall {
        input: pack(&json!({})),
        server_output: None,
        room: "lab".into(),
        recipients: recipients.into_iter().map(|r| r.map(Arc::new)).collect(),
    };
    let outcomes = runtime.call_clients(&route, call).await.unwrap();
    assert_eq!(outcomes.len(), 6);
    for (index, id) in ["a", "b", "c"].iter().enumerate() {
        let position = [0, 2, 4][index];
        let RecipientOutcome::Deliver(bytes) = &outcomes[position] else {
            panic!("{id}: {:?}", outcomes[position])
        };
        assert_eq!(unpack(bytes).unwrap(), json!({ "to": id }));
    }
    let RecipientOutcome::Refused(error) = &outcomes[1] else {
        panic!("victim: {:?}", outcomes[1])
    };
    assert_eq!(error.code, "hostile.victim");
    assert_eq!(param(error, "id"), Some(&Scalar::Text("victim".into())));
    assert_eq!(outcome_code(&outcomes[3]), Some("plugin.outOfFuel"));
    assert_eq!(outcomes[5], RecipientOutcome::DeliverPlain);
}

#[tokio::test]
async fn per_request_isolation_gives_each_sync_a_fresh_instance() {
    let sandbox =
        sandbox("[plugins.routes.\"hostile/attack\"]\ninstance_policy = \"per-request\"\n");
    let runtime = sandbox.start().unwrap();
    let route = runtime
        .route(&RouteKey::new("hostile", "attack", 1))
        .unwrap();
    let server = route.server().unwrap().clone();
    let idle_before = server.idle_instances();
    for _ in 0..3 {
        let sync = runtime.begin(route.clone());
        let call = ServerCall {
            input: pack(&json!({ "attack": "ok" })),
            caller: None,
            room: "lab".into(),
        };
        sync.server(call.clone()).await.unwrap();
        sync.server(call).await.unwrap();
    }
    // Per-request instances die with their sync and never join the warm pool.
    assert_eq!(server.idle_instances(), idle_before);
    assert_still_serving(&runtime).await;
}
