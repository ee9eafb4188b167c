//! Each example handler through the real runtime.

use std::sync::Arc;

use serde_json::json;
use synchost::plugin::{
    ClientBatchCall, MemoryRooms, RecipientOutcome, RouteKey, Scalar, ServerCall,
};
use synchost_tests::plugins::{
    PluginSandbox, example_plugins, pack, session, session_with, unpack,
};

use crate::support::{param, refused};

const UPDATE_SERVER_V1: &str = "examples/_sync/updateCounter_server_v1.wasm";
const UPDATE_CLIENT_V1: &str = "examples/_sync/updateCounter_client_v1.wasm";
const UPDATE_SERVER_V2: &str = "examples/_sync/updateCounter_server_v2.wasm";

fn server_call(input: serde_json::Value) -> ServerCall {
    ServerCall {
        input: pack(&input),
        caller: Some(session("ann")),
        room: "room-1".into(),
    }
}

#[tokio::test]
async fn update_counter_runs_server_then_client_for_each_recipient() {
    let sandbox = PluginSandbox::new().unwrap();
    for file in [UPDATE_SERVER_V1, UPDATE_CLIENT_V1] {
        sandbox.add(example_plugins(), file).unwrap();
    }
    let runtime = sandbox.start().unwrap();
    let route = runtime
        .route(&RouteKey::new("examples", "updateCounter", 1))
        .unwrap();
    assert!(
        route
            .server_metadata()
            .is_some_and(|metadata| !metadata.auth.login)
    );
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

    let recipients = vec![Some(session("ann")), None, Some(session("bob"))];
    let call = ClientBatchCall {
        input,
        server_output: Some(output),
        room: "r".into(),
        recipients: recipients.into_iter().map(|r| r.map(Arc::new)).collect(),
    };
    let outcomes = sync.clients(call).await.unwrap();
    assert_eq!(outcomes.len(), 3);
    let delivered = |outcome: &RecipientOutcome| match outcome {
        RecipientOutcome::Deliver(bytes) => unpack(bytes).unwrap(),
        other => panic!("expected a delivery, got {other:?}"),
    };
    assert_eq!(delivered(&outcomes[0]), json!({ "receivedBy": "ann" }));
    assert_eq!(outcomes[1], RecipientOutcome::DeliverPlain);
    assert_eq!(delivered(&outcomes[2]), json!({ "receivedBy": "bob" }));
}

#[tokio::test]
async fn v2_is_served_beside_v1_with_its_own_output() {
    let sandbox = PluginSandbox::new().unwrap();
    for file in [UPDATE_SERVER_V1, UPDATE_CLIENT_V1, UPDATE_SERVER_V2] {
        sandbox.add(example_plugins(), file).unwrap();
    }
    let runtime = sandbox.start().unwrap();
    let v1 = runtime
        .route(&RouteKey::new("examples", "updateCounter", 1))
        .unwrap();
    let v2 = runtime
        .route(&RouteKey::new("examples", "updateCounter", 2))
        .unwrap();
    assert!(v2.client().is_none(), "v2 ships no client stage");
    let out1 = runtime
        .call_server(&v1, server_call(json!({ "amount": 1 })))
        .await
        .unwrap();
    let out2 = runtime
        .call_server(&v2, server_call(json!({ "amount": 1 })))
        .await
        .unwrap();
    assert_eq!(unpack(&out1).unwrap(), json!({ "newValue": 2 }));
    assert_eq!(
        unpack(&out2).unwrap(),
        json!({ "newValue": 2, "version": 2 })
    );
    let error = refused(
        runtime
            .call_server(&v1, server_call(json!({ "amount": i64::MAX })))
            .await,
    );
    assert_eq!(error.code, "examples.amountOutOfRange");
    assert_eq!(param(&error, "amount"), Some(&Scalar::Integer(i64::MAX)));
}

#[tokio::test]
async fn nested_page_route_is_served() {
    let sandbox = PluginSandbox::new().unwrap();
    sandbox
        .add(
            example_plugins(),
            "test/nestedTest/_sync/room_server_v1.wasm",
        )
        .unwrap();
    let runtime = sandbox.start().unwrap();
    let route = runtime
        .route(&RouteKey::new("test/nestedTest", "room", 1))
        .unwrap();
    let output = runtime
        .call_server(&route, server_call(json!({ "step": 3, "active": true })))
        .await
        .unwrap();
    assert_eq!(
        unpack(&output).unwrap(),
        json!({ "step": 3, "active": true, "nextStep": 4 })
    );
    let error = refused(
        runtime
            .call_server(&route, server_call(json!({ "step": 101, "active": false })))
            .await,
    );
    assert_eq!(error.code, "test.stepOutOfRange");
    assert_eq!(param(&error, "max"), Some(&Scalar::Integer(100)));
}

#[tokio::test]
async fn chess_accepts_legal_moves_and_refuses_illegal_ones_with_code_params_status() {
    let sandbox = PluginSandbox::new().unwrap();
    sandbox
        .add(
            example_plugins(),
            "chess/_sync/moveChessPiece_server_v1.wasm",
        )
        .unwrap();
    let runtime = sandbox.start().unwrap();
    let route = runtime
        .route(&RouteKey::new("chess", "moveChessPiece", 1))
        .unwrap();
    assert!(
        route.server_metadata().unwrap().auth.login,
        "chess requires a login"
    );
    let legal = runtime
        .call_server(&route, server_call(json!({ "from": "E2", "to": "e4" })))
        .await
        .unwrap();
    assert_eq!(
        unpack(&legal).unwrap(),
        json!({ "from": "e2", "to": "e4", "movedBy": "ann" })
    );
    let error = refused(
        runtime
            .call_server(&route, server_call(json!({ "from": "a1", "to": "b4" })))
            .await,
    );
    assert_eq!(error.code, "chess.illegalMove");
    assert_eq!(error.http_status, Some(422));
    assert_eq!(param(&error, "from"), Some(&Scalar::Text("a1".into())));
    assert_eq!(param(&error, "to"), Some(&Scalar::Text("b4".into())));
    assert_eq!(
        param(&error, "reason"),
        Some(&Scalar::Text("noPieceMovesLikeThis".into()))
    );
}

#[tokio::test]
async fn team_message_uses_config_and_rooms_and_filters_recipients_by_claim() {
    let sandbox = PluginSandbox::new().unwrap();
    for file in [
        "examples/_sync/teamMessage_server_v1.wasm",
        "examples/_sync/teamMessage_client_v1.wasm",
    ] {
        sandbox.add(example_plugins(), file).unwrap();
    }
    sandbox
        .write_config(
            "[plugins.routes.\"examples/teamMessage\".server]\ncapabilities = [\"config\", \"rooms\"]\nconfig = { maxLength = \"10\" }\n",
        )
        .unwrap();
    let rooms = Arc::new(MemoryRooms::new());
    rooms.set(
        "office",
        vec![Some(session("ann")), None, Some(session("bob"))],
    );
    let runtime = sandbox.start_with(Some(rooms), false).unwrap();
    let route = runtime
        .route(&RouteKey::new("examples", "teamMessage", 1))
        .unwrap();
    let sync = runtime.begin(route.clone());
    let input = pack(&json!({ "team": "red", "text": " hi team " }));
    let call = ServerCall {
        input: input.clone(),
        caller: Some(session("ann")),
        room: "office".into(),
    };
    let output = sync.server(call).await.unwrap();
    assert_eq!(
        unpack(&output).unwrap(),
        json!({ "team": "red", "text": "hi team", "sentBy": "ann", "roomSize": 3 })
    );

    let long = ServerCall {
        input: pack(&json!({ "team": "red", "text": "far too long" })),
        caller: Some(session("ann")),
        room: "office".into(),
    };
    let error = refused(runtime.call_server(&route, long).await);
    assert_eq!(error.code, "examples.messageTooLong");
    assert_eq!(param(&error, "max"), Some(&Scalar::Integer(10)));

    let recipients = vec![
        Some(session_with("red", &json!({ "team": "red" }))),
        Some(session_with("blue", &json!({ "team": "blue" }))),
        None,
    ];
    let call = ClientBatchCall {
        input,
        server_output: Some(output),
        room: "office".into(),
        recipients: recipients.into_iter().map(|r| r.map(Arc::new)).collect(),
    };
    let outcomes = sync.clients(call).await.unwrap();
    assert_eq!(
        outcomes,
        vec![
            RecipientOutcome::DeliverPlain,
            RecipientOutcome::Skip,
            RecipientOutcome::Skip
        ]
    );
}

#[tokio::test]
async fn ungranted_capabilities_are_denied_by_default() {
    let sandbox = PluginSandbox::new().unwrap();
    sandbox
        .add(
            example_plugins(),
            "examples/_sync/teamMessage_server_v1.wasm",
        )
        .unwrap();
    let runtime = sandbox.start().unwrap();
    let route = runtime
        .route(&RouteKey::new("examples", "teamMessage", 1))
        .unwrap();
    let call = ServerCall {
        input: pack(&json!({ "team": "red", "text": "hi" })),
        caller: Some(session("ann")),
        room: "office".into(),
    };
    let error = refused(runtime.call_server(&route, call).await);
    assert_eq!(error.code, "plugin.hostCallFailed");
    assert_eq!(
        param(&error, "reason"),
        Some(&Scalar::Text("notGranted".into()))
    );
}

#[tokio::test]
async fn durable_counter_persists_across_a_runtime_restart() {
    let sandbox = PluginSandbox::new().unwrap();
    sandbox
        .add(
            example_plugins(),
            "examples/_sync/durableCounter_server_v1.wasm",
        )
        .unwrap();
    sandbox
        .write_config("[plugins.routes.\"examples/durableCounter\"]\ncapabilities = [\"kv\"]\n")
        .unwrap();
    let key = RouteKey::new("examples", "durableCounter", 1);
    {
        let runtime = sandbox.start_with(None, false).unwrap();
        let route = runtime.route(&key).unwrap();
        let output = runtime
            .call_server(&route, server_call(json!({ "amount": 5 })))
            .await
            .unwrap();
        assert_eq!(unpack(&output).unwrap(), json!({ "value": 5 }));
    }
    let runtime = sandbox.start_with(None, false).unwrap();
    let route = runtime.route(&key).unwrap();
    let output = runtime
        .call_server(&route, server_call(json!({ "amount": 2 })))
        .await
        .unwrap();
    assert_eq!(unpack(&output).unwrap(), json!({ "value": 7 }));
}

#[tokio::test]
async fn client_only_sync_runs_without_server_output() {
    let sandbox = PluginSandbox::new().unwrap();
    sandbox
        .add(example_plugins(), "examples/_sync/cursor_client_v1.wasm")
        .unwrap();
    let runtime = sandbox.start().unwrap();
    let route = runtime
        .route(&RouteKey::new("examples", "cursor", 1))
        .unwrap();
    assert!(route.server().is_none());
    let call = |input| ClientBatchCall {
        input,
        server_output: None,
        room: "canvas".into(),
        recipients: vec![Some(Arc::new(session("a"))), None],
    };
    let outcomes = runtime
        .call_clients(&route, call(pack(&json!({ "x": 0.25, "y": 1 }))))
        .await
        .unwrap();
    for outcome in &outcomes {
        let RecipientOutcome::Deliver(bytes) = outcome else {
            panic!("expected a delivery, got {outcome:?}")
        };
        assert_eq!(unpack(bytes).unwrap(), json!({ "x": 0.25, "y": 1.0 }));
    }
    let outcomes = runtime
        .call_clients(&route, call(pack(&json!({ "x": 2, "y": 0 }))))
        .await
        .unwrap();
    for outcome in outcomes {
        let RecipientOutcome::Refused(error) = outcome else {
            panic!("expected a refusal, got {outcome:?}")
        };
        assert_eq!(error.code, "examples.cursorOutOfRange");
    }
    let missing = runtime.call_server(&route, server_call(json!(null))).await;
    assert_eq!(
        crate::support::failure_code(&missing),
        "plugin.stageMissing"
    );
}
