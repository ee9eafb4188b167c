//! TypeScript handlers (built from `plugins/examples-ts` and `tests/fixtures/plugins/hostile-ts` by
//! `scripts/build-plugins`) through the real runtime: the same contract as the Rust components,
//! the client stage batched across chunks, and failures contained with their codes.

use std::sync::Arc;

use serde_json::json;
use synchost::config::JAVASCRIPT_MAX_INVOCATIONS;
use synchost::plugin::{ClientBatchCall, RecipientOutcome, RouteKey, ServerCall};
use synchost_tests::plugins::{
    PluginSandbox, example_plugins, fixture_plugins, pack, session, session_with, unpack,
};

const SERVER: &str = "examples-ts/_sync/updateCounter_server_v1.wasm";
const CLIENT: &str = "examples-ts/_sync/updateCounter_client_v1.wasm";
const TEAM_CLIENT: &str = "examples-ts/_sync/teamMessage_client_v1.wasm";
const ATTACK: &str = "hostile-ts/_sync/attack_server_v1.wasm";

/// The stages' default budgets: a fresh JavaScript engine's start-up (1-2 million instructions on
/// its first call) is measured at load and allowed once per instance on top of them.
fn sandbox() -> PluginSandbox {
    let sandbox = PluginSandbox::new().unwrap();
    sandbox.write_config("").unwrap();
    sandbox
}

#[tokio::test]
async fn update_counter_in_typescript_answers_like_the_rust_one() {
    let sandbox = sandbox();
    for file in [SERVER, CLIENT] {
        sandbox.add(example_plugins(), file).unwrap();
    }
    let runtime = sandbox.start().unwrap();
    let route = runtime
        .route(&RouteKey::new("examples-ts", "updateCounter", 1))
        .unwrap();
    assert!(route.server_metadata().is_some_and(|m| !m.auth.login));
    let sync = runtime.begin(route);
    let input = pack(&json!({ "amount": 5 }));
    let output = sync
        .server(ServerCall {
            input: input.clone(),
            caller: None,
            room: "r".into(),
        })
        .await
        .unwrap();
    assert_eq!(unpack(&output).unwrap(), json!({ "newValue": 6 }));

    // 300 recipients: more than one chunk of 128, every outcome in recipient order.
    let recipients: Vec<_> = (0..300)
        .map(|n| (n % 3 != 1).then(|| Arc::new(session(&format!("user-{n}")))))
        .collect();
    let outcomes = sync
        .clients(ClientBatchCall {
            input,
            server_output: Some(output),
            room: "r".into(),
            recipients,
        })
        .await
        .unwrap();
    assert_eq!(outcomes.len(), 300);
    for (n, outcome) in outcomes.iter().enumerate() {
        match outcome {
            RecipientOutcome::Deliver(bytes) if n % 3 != 1 => {
                assert_eq!(
                    unpack(bytes).unwrap(),
                    json!({ "receivedBy": format!("user-{n}") })
                );
            }
            RecipientOutcome::DeliverPlain if n % 3 == 1 => {}
            other => panic!("recipient {n}: {other:?}"),
        }
    }
}

#[tokio::test]
async fn a_claim_filter_in_typescript_skips_other_teams() {
    let sandbox = sandbox();
    sandbox.add(example_plugins(), TEAM_CLIENT).unwrap();
    let runtime = sandbox.start().unwrap();
    let route = runtime
        .route(&RouteKey::new("examples-ts", "teamMessage", 1))
        .unwrap();
    let sync = runtime.begin(route);
    let team = |id: &str, team: &str| Some(Arc::new(session_with(id, &json!({ "team": team }))));
    let outcomes = sync
        .clients(ClientBatchCall {
            input: pack(&json!({ "team": "red", "text": "hi" })),
            server_output: Some(pack(&json!({ "sentBy": "ann" }))),
            room: "r".into(),
            recipients: vec![team("a", "red"), team("b", "blue"), None],
        })
        .await
        .unwrap();
    assert_eq!(
        outcomes,
        vec![
            RecipientOutcome::DeliverPlain,
            RecipientOutcome::Skip,
            RecipientOutcome::Skip
        ]
    );
}

/// Under `per-request` every sync gets a fresh instance, so every client call is an engine's first
/// call: it succeeds within the default per-recipient budget only because the start-up measured at
/// load is allowed on top, once per instance.
#[tokio::test]
async fn a_fresh_typescript_instance_starts_within_the_default_budget() {
    let sandbox = PluginSandbox::new().unwrap();
    sandbox
        .write_config(
            "[plugins.routes.\"examples-ts/teamMessage\".client]\ninstance_policy = \"per-request\"\n",
        )
        .unwrap();
    sandbox.add(example_plugins(), TEAM_CLIENT).unwrap();
    let runtime = sandbox.start().unwrap();
    let route = runtime
        .route(&RouteKey::new("examples-ts", "teamMessage", 1))
        .unwrap();
    for round in 0..3 {
        let sync = runtime.begin(route.clone());
        let outcomes = sync
            .clients(ClientBatchCall {
                input: pack(&json!({ "team": "red", "text": "hi" })),
                server_output: Some(pack(&json!({ "sentBy": "ann" }))),
                room: "r".into(),
                recipients: vec![Some(Arc::new(session_with("a", &json!({ "team": "red" }))))],
            })
            .await
            .unwrap();
        assert_eq!(
            outcomes,
            vec![RecipientOutcome::DeliverPlain],
            "round {round}"
        );
    }
}

#[tokio::test]
async fn async_main_settles_and_failures_come_back_as_codes() {
    let sandbox = sandbox();
    sandbox.add(fixture_plugins(), ATTACK).unwrap();
    let runtime = sandbox.start().unwrap();
    let route = runtime
        .route(&RouteKey::new("hostile-ts", "attack", 1))
        .unwrap();
    let sync = runtime.begin(route);
    let attack = |attack: &str| ServerCall {
        input: pack(&json!({ "attack": attack })),
        caller: None,
        room: "r".into(),
    };
    let settled = sync.server(attack("async")).await.unwrap();
    assert_eq!(unpack(&settled).unwrap(), json!({ "steps": 100 }));
    let code =
        |result: Result<_, synchost::plugin::StageError>| result.unwrap_err().code().to_owned();
    assert_eq!(
        code(sync.server(attack("pending")).await),
        "plugin.asyncNotSettled"
    );
    assert_eq!(
        code(sync.server(attack("throw")).await),
        "sync.serverExecutionFailed"
    );
    assert_eq!(code(sync.server(attack("refuse")).await), "hostile.refused");
    let looped = code(sync.server(attack("loop")).await);
    assert!(
        looped == "plugin.outOfFuel" || looped == "plugin.timeout",
        "{looped}"
    );
    // The trapped instance is gone; the next call gets a fresh one.
    assert_eq!(
        unpack(&sync.server(attack("ok")).await.unwrap()).unwrap(),
        json!({ "attack": "ok" })
    );
}

/// Every TypeScript component embeds the same JavaScript engine, so once one has compiled, the
/// per-function cache gives the next one almost all of its code.
#[test]
fn a_second_typescript_component_reuses_the_first_ones_compiled_functions() {
    let sandbox = PluginSandbox::new().unwrap();
    let private_cache = sandbox.dir().join("private-cache");
    std::fs::create_dir(&private_cache).unwrap();
    sandbox.write_config_with_cache("", &private_cache).unwrap();
    sandbox.add(example_plugins(), SERVER).unwrap();
    let first = sandbox.start().unwrap().status().cache;
    assert_eq!(first.compiles, 1);
    assert!(first.function_misses > 1000, "{first:?}");

    sandbox.remove(SERVER).unwrap();
    sandbox
        .add(
            example_plugins(),
            "examples-ts/_sync/durableCounter_server_v1.wasm",
        )
        .unwrap();
    let second = sandbox.start().unwrap().status().cache;
    assert_eq!(second.compiles, 1, "a different file: compiled, not loaded");
    let total = second.function_hits + second.function_misses;
    assert!(
        second.function_misses * 10 < total,
        "at most a tenth of its functions compiled again: {second:?}"
    );
}

#[tokio::test]
async fn typescript_instances_are_recycled_sooner_than_rust_ones_unless_configured() {
    let sandbox = sandbox();
    sandbox.add(example_plugins(), SERVER).unwrap();
    sandbox
        .add(
            example_plugins(),
            "examples/_sync/updateCounter_server_v1.wasm",
        )
        .unwrap();
    let runtime = sandbox.start().unwrap();
    let max_invocations = |page: &str| {
        runtime
            .route(&RouteKey::new(page, "updateCounter", 1))
            .and_then(|route| route.server().map(|stage| stage.limits().max_invocations))
    };
    // componentize-js declares `language: JavaScript`; the Rust toolchain does not.
    assert_eq!(
        max_invocations("examples-ts"),
        Some(JAVASCRIPT_MAX_INVOCATIONS)
    );
    assert_eq!(max_invocations("examples"), Some(10_000));

    // A config change re-resolves the limits with the same guest; the operator's value wins.
    sandbox
        .write_config("[plugins.routes.\"examples-ts/updateCounter\"]\nfuel = 20_000_000\n")
        .unwrap();
    runtime.apply_config(sandbox.config().unwrap());
    assert_eq!(
        max_invocations("examples-ts"),
        Some(JAVASCRIPT_MAX_INVOCATIONS)
    );
    sandbox
        .write_config("[plugins.defaults]\nmax_invocations = 5\n")
        .unwrap();
    runtime.apply_config(sandbox.config().unwrap());
    assert_eq!(max_invocations("examples-ts"), Some(5));
    assert_eq!(max_invocations("examples"), Some(5));
}
