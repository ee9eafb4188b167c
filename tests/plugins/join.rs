//! Join handlers through real components: the chess example decides from the room name, the session
//! and the kv store; the hostile gate is contained like a sync stage (its own codes, its own
//! `.join` limits, the next call answers); a file of the wrong world is refused at load; a swapped
//! file decides from the next join on; a deleted one is no longer there to say yes.

use std::time::Instant;

use synchost::plugin::{PluginRuntime, RouteKey, StageError};
use synchost_tests::plugins::{PluginSandbox, example_plugins, fixture_plugins, session, wait_for};

const GAME: &str = "chess/_sync/game_join_v1.wasm";
const GATE: &str = "hostile/_sync/gate_join_v1.wasm";
const INVITE: &str = "chess/_sync/invite_server_v1.wasm";

fn game() -> RouteKey {
    RouteKey::new("chess", "game", 1)
}

fn gate() -> RouteKey {
    RouteKey::new("hostile", "gate", 1)
}

async fn decide(
    runtime: &PluginRuntime,
    key: &RouteKey,
    room: &str,
    user: Option<&str>,
) -> Result<(), StageError> {
    let handler = runtime
        .join_handler(key)
        .expect("the join handler is loaded");
    runtime
        .decide_join(handler, room.to_owned(), user.map(session))
        .await
}

fn refusal(result: Result<(), StageError>) -> String {
    match result {
        Err(error) => error.code().to_owned(),
        Ok(()) => panic!("expected a refusal"),
    }
}

#[tokio::test]
async fn the_chess_handler_lets_in_the_two_players_and_invited_spectators_only() {
    chess_lets_in_players_and_invited_spectators("chess").await;
}

#[tokio::test]
async fn the_typescript_chess_handler_decides_like_the_rust_one() {
    chess_lets_in_players_and_invited_spectators("chess-ts").await;
}

/// The chess example of `page` (`chess`, or its TypeScript twin `chess-ts`): its join handler and
/// the invite stage that shares the page's kv with it.
async fn chess_lets_in_players_and_invited_spectators(page: &str) {
    let sandbox = PluginSandbox::new().unwrap();
    sandbox
        .add(
            example_plugins(),
            &format!("{page}/_sync/game_join_v1.wasm"),
        )
        .unwrap();
    sandbox
        .add(
            example_plugins(),
            &format!("{page}/_sync/invite_server_v1.wasm"),
        )
        .unwrap();
    sandbox
        .write_config(&format!(
            "[plugins.routes.\"{page}/game\".join]\ncapabilities = [\"kv\"]\n\
             [plugins.routes.\"{page}/invite\"]\ncapabilities = [\"kv\"]\n"
        ))
        .unwrap();
    let game = RouteKey::new(page, "game", 1);
    let runtime = sandbox.start().unwrap();
    let status = runtime.status();
    assert_eq!(status.joins.len(), 1, "{status:?}");
    assert_eq!(status.joins[0].key, game);
    assert!(
        runtime.route(&game).is_none(),
        "a join handler is never a sync route"
    );
    let room = "chess:ann:bob";
    assert!(decide(&runtime, &game, room, Some("ann")).await.is_ok());
    assert!(decide(&runtime, &game, room, Some("bob")).await.is_ok());
    assert_eq!(
        refusal(decide(&runtime, &game, room, Some("eve")).await),
        "chess.notInvited"
    );
    assert_eq!(
        refusal(decide(&runtime, &game, "lobby", Some("ann")).await),
        "chess.notAGame"
    );
    // Bob invites Eve through the real server stage, which shares the page's kv with the handler.
    let invite = runtime.route(&RouteKey::new(page, "invite", 1)).unwrap();
    let call = synchost::plugin::ServerCall {
        input: synchost_tests::plugins::pack(&serde_json::json!({ "user": "eve" })),
        caller: Some(session("bob")),
        room: room.to_owned(),
    };
    runtime.call_server(&invite, call).await.unwrap();
    assert!(decide(&runtime, &game, room, Some("eve")).await.is_ok());
    assert_eq!(
        refusal(decide(&runtime, &game, "chess:ann:carl", Some("eve")).await),
        "chess.notInvited"
    );
}

#[tokio::test]
async fn a_hostile_typescript_join_handler_is_contained_and_only_success_lets_in() {
    let sandbox = PluginSandbox::new().unwrap();
    sandbox
        .add(fixture_plugins(), "hostile-ts/_sync/gate_join_v1.wasm")
        .unwrap();
    sandbox.write_config("").unwrap();
    let runtime = sandbox.start().unwrap();
    let gate = RouteKey::new("hostile-ts", "gate", 1);
    for (room, codes) in [
        ("room-loop", &["plugin.outOfFuel", "plugin.timeout"][..]),
        ("room-throw", &["room.joinHandlerFailed"][..]),
        ("room-invalid", &["room.joinHandlerFailed"][..]),
        ("room-refuse", &["hostile.gateClosed"][..]),
        ("room-pending", &["plugin.asyncNotSettled"][..]),
    ] {
        let code = refusal(decide(&runtime, &gate, room, None).await);
        assert!(codes.contains(&code.as_str()), "{room}: {code}");
        assert!(
            decide(&runtime, &gate, "room", None).await.is_ok(),
            "after {room}"
        );
    }
}

#[tokio::test]
async fn a_hostile_join_handler_is_contained_with_its_codes_and_its_own_limits() {
    let sandbox = PluginSandbox::new().unwrap();
    sandbox.add(fixture_plugins(), GATE).unwrap();
    sandbox
        .write_config("[plugins.routes.\"hostile/gate\".join]\ntimeout_ms = 150\n")
        .unwrap();
    let runtime = sandbox.start().unwrap();
    let handler = runtime.join_handler(&gate()).unwrap();
    assert_eq!(handler.limits().timeout_ms, 150, "the .join table applies");
    for (room, codes) in [
        ("room-loop", &["plugin.outOfFuel", "plugin.timeout"][..]),
        ("room-sleep", &["plugin.timeout"][..]),
        ("room-panic", &["plugin.trap"][..]),
        ("room-refuse", &["hostile.gateClosed"][..]),
    ] {
        let started = Instant::now();
        let code = refusal(decide(&runtime, &gate(), room, None).await);
        assert!(codes.contains(&code.as_str()), "{room}: {code}");
        // Guards against a hang only; the budget is 150 ms.
        assert!(started.elapsed().as_secs() < 30, "{room} was not cut short");
        assert!(
            decide(&runtime, &gate(), "room", None).await.is_ok(),
            "after {room}"
        );
    }
}

#[tokio::test]
async fn a_file_of_another_world_is_refused_and_a_swap_decides_from_the_next_join() {
    let sandbox = PluginSandbox::new().unwrap();
    // A server stage served under a join handler's name.
    sandbox
        .add_as(example_plugins(), INVITE, "chess/_sync/game_join_v1.wasm")
        .unwrap();
    let runtime = sandbox.start().unwrap();
    assert!(runtime.join_handler(&game()).is_none());
    let errors = runtime.status().errors;
    assert!(
        errors
            .iter()
            .any(|error| error.message.contains("expected `join-handler`")
                && error.message.contains("server-stage")),
        "{errors:?}"
    );
    // The real handler replaces it, then the gate fixture replaces that: each decides at once.
    sandbox.add(example_plugins(), GAME).unwrap();
    wait_for("the chess handler", || runtime.join_handler(&game())).unwrap();
    assert_eq!(
        refusal(decide(&runtime, &game(), "lobby", Some("ann")).await),
        "chess.notAGame"
    );
    sandbox
        .add_as(fixture_plugins(), GATE, "chess/_sync/game_join_v1.wasm")
        .unwrap();
    let mut swapped = false;
    for _ in 0..600 {
        if decide(&runtime, &game(), "lobby", Some("ann"))
            .await
            .is_ok()
        {
            swapped = true;
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
    assert!(swapped, "the swapped handler lets ann into the lobby");
    sandbox.remove("chess/_sync/game_join_v1.wasm").unwrap();
    wait_for("the deleted handler to be gone", || {
        runtime.join_handler(&game()).is_none().then_some(())
    })
    .unwrap();
}
