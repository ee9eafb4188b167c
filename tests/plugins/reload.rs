//! Hot reload through the real watcher: replace, add, break, delete files and edit the config while
//! the runtime serves, and the compile cache across restarts.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};

use serde_json::json;
use synchost::plugin::{ClientBatchCall, RecipientOutcome, RouteKey, ServerCall};
use synchost_tests::plugins::{
    PluginSandbox, example_plugins, fixture_plugins, pack, session, unpack, wait_for,
};

use crate::support::failure_code;

const SERVER_V1: &str = "examples/_sync/updateCounter_server_v1.wasm";
const CLIENT_V1: &str = "examples/_sync/updateCounter_client_v1.wasm";
const SERVER_V2: &str = "examples/_sync/updateCounter_server_v2.wasm";
/// Build B's client: a fixture that ignores input and server output and delivers `{to: <id>}`.
const OTHER_CLIENT: &str = "hostile/_sync/attack_client_v1.wasm";

fn key_v1() -> RouteKey {
    RouteKey::new("examples", "updateCounter", 1)
}

fn input() -> bytes::Bytes {
    pack(&json!({ "amount": 5 }))
}

fn started_v1() -> (PluginSandbox, synchost::plugin::PluginRuntime) {
    let sandbox = PluginSandbox::new().unwrap();
    sandbox.add(example_plugins(), SERVER_V1).unwrap();
    sandbox.add(example_plugins(), CLIENT_V1).unwrap();
    let runtime = sandbox.start().unwrap();
    (sandbox, runtime)
}

fn hashes(runtime: &synchost::plugin::PluginRuntime) -> Option<(String, String)> {
    let route = runtime.route(&key_v1())?;
    Some((
        route.server()?.hash().to_owned(),
        route.client()?.hash().to_owned(),
    ))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_sync_keeps_the_version_it_pinned_while_files_are_replaced() {
    let (sandbox, runtime) = started_v1();
    let old = hashes(&runtime).unwrap();
    let sync = runtime.begin(runtime.route(&key_v1()).unwrap());
    let server_output = sync
        .server(ServerCall {
            input: input(),
            caller: None,
            room: "r".into(),
        })
        .await
        .unwrap();
    assert_eq!(unpack(&server_output).unwrap(), json!({ "newValue": 6 }));

    // Build B: the v2 server and another client, deployed under the v1 names.
    sandbox
        .add_as(example_plugins(), SERVER_V2, SERVER_V1)
        .unwrap();
    sandbox
        .add_as(fixture_plugins(), OTHER_CLIENT, CLIENT_V1)
        .unwrap();
    let new = wait_for("build B to be published", || {
        hashes(&runtime).filter(|(server, client)| server != &old.0 && client != &old.1)
    })
    .unwrap();
    assert_ne!(new, old);

    // The sync opened before the swap still runs build A's client stage.
    let call = ClientBatchCall {
        input: input(),
        server_output: Some(server_output),
        room: "r".into(),
        recipients: vec![Some(Arc::new(session("ann")))],
    };
    let outcomes = sync.clients(call.clone()).await.unwrap();
    let RecipientOutcome::Deliver(bytes) = &outcomes[0] else {
        panic!("{outcomes:?}")
    };
    assert_eq!(unpack(bytes).unwrap(), json!({ "receivedBy": "ann" }));

    // A new sync sees build B for both stages.
    let fresh = runtime.begin(runtime.route(&key_v1()).unwrap());
    let output = fresh
        .server(ServerCall {
            input: input(),
            caller: None,
            room: "r".into(),
        })
        .await
        .unwrap();
    assert_eq!(
        unpack(&output).unwrap(),
        json!({ "newValue": 6, "version": 2 })
    );
    let outcomes = fresh.clients(call).await.unwrap();
    let RecipientOutcome::Deliver(bytes) = &outcomes[0] else {
        panic!("{outcomes:?}")
    };
    assert_eq!(unpack(bytes).unwrap(), json!({ "to": "ann" }));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn calls_in_flight_during_swaps_each_see_exactly_one_version() {
    let (sandbox, runtime) = started_v1();
    let runtime = Arc::new(runtime);
    let (server_a, client_a) = hashes(&runtime).unwrap();
    let stop = Arc::new(AtomicBool::new(false));
    let checked = Arc::new(AtomicUsize::new(0));
    let mut callers = Vec::new();
    for _ in 0..2 {
        let (runtime, stop, checked) = (runtime.clone(), stop.clone(), checked.clone());
        let (server_a, client_a) = (server_a.clone(), client_a.clone());
        callers.push(tokio::spawn(async move {
            while !stop.load(Ordering::Relaxed) {
                let route = runtime.route(&key_v1()).unwrap();
                let server_is_a = route.server().unwrap().hash() == server_a;
                let client_is_a = route.client().unwrap().hash() == client_a;
                let sync = runtime.begin(route);
                let output = sync
                    .server(ServerCall {
                        input: input(),
                        caller: None,
                        room: "r".into(),
                    })
                    .await
                    .unwrap();
                let expected = if server_is_a {
                    json!({ "newValue": 6 })
                } else {
                    json!({ "newValue": 6, "version": 2 })
                };
                assert_eq!(unpack(&output).unwrap(), expected);
                let recipients = vec![Some(session("ann")); 3];
                let call = ClientBatchCall {
                    input: input(),
                    server_output: Some(output),
                    room: "r".into(),
                    recipients: recipients.into_iter().map(|r| r.map(Arc::new)).collect(),
                };
                let expected = if client_is_a {
                    json!({ "receivedBy": "ann" })
                } else {
                    json!({ "to": "ann" })
                };
                for outcome in sync.clients(call).await.unwrap() {
                    let RecipientOutcome::Deliver(bytes) = outcome else {
                        panic!("{outcome:?}")
                    };
                    assert_eq!(unpack(&bytes).unwrap(), expected);
                }
                checked.fetch_add(1, Ordering::Relaxed);
            }
        }));
    }
    for round in 0..4 {
        let before = runtime.status().generation;
        if round % 2 == 0 {
            sandbox
                .add_as(example_plugins(), SERVER_V2, SERVER_V1)
                .unwrap();
            sandbox
                .add_as(fixture_plugins(), OTHER_CLIENT, CLIENT_V1)
                .unwrap();
        } else {
            sandbox.add(example_plugins(), SERVER_V1).unwrap();
            sandbox.add(example_plugins(), CLIENT_V1).unwrap();
        }
        let want_a = round % 2 == 1;
        let runtime = runtime.clone();
        let (server_a, client_a) = (server_a.clone(), client_a.clone());
        wait_for("the swap to be published", || {
            let (server, client) = hashes(&runtime)?;
            let done = (server == server_a) == want_a && (client == client_a) == want_a;
            (done && runtime.status().generation > before).then_some(())
        })
        .unwrap();
        let seen = checked.load(Ordering::Relaxed);
        wait_for("calls on the new version", || {
            (checked.load(Ordering::Relaxed) > seen + 2).then_some(())
        })
        .unwrap();
    }
    stop.store(true, Ordering::Relaxed);
    for caller in callers {
        caller.await.unwrap();
    }
}

#[tokio::test]
async fn a_new_version_appears_beside_the_old_one() {
    let (sandbox, runtime) = started_v1();
    sandbox.add(example_plugins(), SERVER_V2).unwrap();
    let v2 = wait_for("v2", || {
        runtime.route(&RouteKey::new("examples", "updateCounter", 2))
    })
    .unwrap();
    let output = runtime
        .call_server(
            &v2,
            ServerCall {
                input: input(),
                caller: None,
                room: "r".into(),
            },
        )
        .await
        .unwrap();
    assert_eq!(
        unpack(&output).unwrap(),
        json!({ "newValue": 6, "version": 2 })
    );
    assert!(runtime.route(&key_v1()).is_some());
}

#[tokio::test]
async fn a_broken_or_wrong_world_file_keeps_the_good_version() {
    let (sandbox, runtime) = started_v1();
    let good = hashes(&runtime).unwrap();
    sandbox
        .write_plugin(SERVER_V1, b"\0asm but not really")
        .unwrap();
    wait_for("the load error", || {
        runtime
            .status()
            .errors
            .iter()
            .any(|error| error.path.ends_with("updateCounter_server_v1.wasm"))
            .then_some(())
    })
    .unwrap();
    assert_eq!(hashes(&runtime).unwrap(), good);
    let route = runtime.route(&key_v1()).unwrap();
    let output = runtime
        .call_server(
            &route,
            ServerCall {
                input: input(),
                caller: None,
                room: "r".into(),
            },
        )
        .await
        .unwrap();
    assert_eq!(unpack(&output).unwrap(), json!({ "newValue": 6 }));

    // A client component deployed under the server's name is also refused.
    let scans = runtime.status().scans;
    sandbox
        .add_as(example_plugins(), CLIENT_V1, SERVER_V1)
        .unwrap();
    let status = wait_for("a rescan with the wrong world", || {
        let status = runtime.status();
        let wrong = status
            .errors
            .iter()
            .any(|error| error.message.contains("wrong world"));
        (status.scans > scans && wrong).then_some(status)
    })
    .unwrap();
    assert!(status.routes.iter().any(|route| route.key == key_v1()));
    assert_eq!(hashes(&runtime).unwrap(), good);

    // Putting a good file back clears the error.
    sandbox.add(example_plugins(), SERVER_V1).unwrap();
    wait_for("the error to clear", || {
        runtime.status().errors.is_empty().then_some(())
    })
    .unwrap();
}

#[tokio::test]
async fn a_limit_changed_in_the_config_file_applies_without_restart() {
    let (sandbox, runtime) = started_v1();
    let route = runtime.route(&key_v1()).unwrap();
    let call = || ServerCall {
        input: input(),
        caller: None,
        room: "r".into(),
    };
    runtime.call_server(&route, call()).await.unwrap();
    let loads = runtime.status().config_loads;
    sandbox
        .write_config("[plugins.routes.\"examples/updateCounter\".server]\nfuel = 50\n")
        .unwrap();
    wait_for("the config reload", || {
        (runtime.status().config_loads > loads).then_some(())
    })
    .unwrap();
    let result = runtime.call_server(&route, call()).await;
    assert_eq!(failure_code(&result), "plugin.outOfFuel");

    // A broken config is rejected and the previous one stays in force.
    sandbox
        .write_config("[plugins.defaults]\nfule = 1\n")
        .unwrap();
    let error = wait_for("the rejection", || runtime.status().config_error).unwrap();
    assert!(error.contains("fule"), "{error}");
    let in_force = runtime.route(&key_v1()).unwrap();
    assert_eq!(in_force.server().unwrap().limits().fuel, 50);

    sandbox.write_config("").unwrap();
    wait_for("the limit to lift", || {
        runtime.status().config_error.is_none().then_some(())
    })
    .unwrap();
    runtime.call_server(&route, call()).await.unwrap();
}

#[tokio::test]
async fn the_compile_cache_avoids_recompiling_across_restarts_and_renames() {
    let sandbox = PluginSandbox::new().unwrap();
    let cache = sandbox.dir().join("private-cache");
    sandbox.write_config_with_cache("", &cache).unwrap();
    sandbox.add(example_plugins(), SERVER_V1).unwrap();
    sandbox.add(example_plugins(), CLIENT_V1).unwrap();
    {
        let runtime = sandbox.start().unwrap();
        let stats = runtime.status().cache;
        assert_eq!((stats.compiles, stats.hits), (2, 0));
    }
    let runtime = sandbox.start().unwrap();
    assert_eq!(runtime.status().cache.compiles, 0);
    assert_eq!(runtime.status().cache.hits, 2);
    // The same bytes under a new name load from the cache.
    sandbox
        .add_as(
            example_plugins(),
            SERVER_V1,
            "examples/_sync/updateCounter_server_v3.wasm",
        )
        .unwrap();
    wait_for("v3", || {
        runtime.route(&RouteKey::new("examples", "updateCounter", 3))
    })
    .unwrap();
    let stats = runtime.status().cache;
    assert_eq!((stats.compiles, stats.hits), (0, 3));
}
