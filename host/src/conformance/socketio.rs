//! The Socket.IO suite's server on `/socket.io/`, plus a few test events that the suite never sends
//! and the end-to-end tests and the broadcast benchmark use:
//!
//! - `join(room)` / `leave(room)`, acknowledged with `"ok"`;
//! - `publish(room | [rooms], payload)`: `msg(payload)` to every member of those rooms (once each,
//!   publisher included when it is a member), then acknowledged with `"ok"`;
//! - `ask(value)`: the server emits `question(value)` with an ack and emits `answer(...reply)` back;
//! - `kick`: the server disconnects the socket from its namespace; `drop`: the server closes the
//!   whole connection.
//!
//! Everything else is the suite's echo handler ([`ConformanceEcho`]).

use std::time::Duration;

use axum::Router;
use serde::Deserialize;
use serde_json::value::RawValue;

use crate::http::engine_router;
use crate::protocol::{
    Args, BoxFuture, ConformanceEcho, ConnectError, Event, NamespaceHandler, Socket, SocketIo,
};
use crate::transport::{Engine, EngineConfig};

/// The suite's connect timeout (it checks that an idle connection is closed within 2 s).
const CONNECT_TIMEOUT: Duration = Duration::from_millis(1000);

/// How long `ask` waits for the client's answer.
const ASK_TIMEOUT: Duration = Duration::from_secs(5);

/// The suite's settings on `/socket.io/`: the Engine.IO suite's (ping 300/200, maxPayload 1e6, CORS
/// for any origin) on the Socket.IO path.
pub fn socketio_config() -> EngineConfig {
    EngineConfig {
        path: "/socket.io/".to_owned(),
        ..super::engineio_config()
    }
}

/// The suite's namespaces (`/` with the test events, `/custom`), with the suite's 1 s connect timeout.
pub fn testbed() -> SocketIo {
    testbed_with(CONNECT_TIMEOUT)
}

fn testbed_with(connect_timeout: Duration) -> SocketIo {
    SocketIo::builder()
        .connect_timeout(connect_timeout)
        .namespace("/", Testbed)
        .namespace("/custom", ConformanceEcho::custom())
        .build()
}

/// The Socket.IO testbed mounted with `config` and Node's default connect timeout (45 s), as the
/// broadcast benchmark's server: the suite's 1 s would close clients whose namespace CONNECT is
/// delayed on a loaded machine, which Node and socketioxide would keep.
///
/// # Errors
/// When `config` does not validate.
pub fn socketio_router_with(config: EngineConfig) -> Result<Router, crate::transport::ConfigError> {
    let connect_timeout = crate::protocol::Config::default().connect_timeout;
    Ok(engine_router(Engine::new(
        config,
        testbed_with(connect_timeout),
    )?))
}

/// The Socket.IO testbed with the suite's settings.
pub fn socketio_router() -> Router {
    // The settings above are constants known to pass validation.
    #[allow(clippy::expect_used)]
    let engine = Engine::new(socketio_config(), testbed()).expect("conformance settings are valid");
    engine_router(engine)
}

/// The main namespace: the suite's echo plus the test events.
struct Testbed;

impl NamespaceHandler for Testbed {
    fn on_connect(
        &self,
        socket: Socket,
        auth: Box<RawValue>,
    ) -> BoxFuture<Result<(), ConnectError>> {
        ConformanceEcho::main().on_connect(socket, auth)
    }

    fn on_event(&self, socket: &Socket, event: Event) {
        let ok = || Args::from_json(r#"["ok"]"#).unwrap_or_else(|_| Args::empty());
        match event.name.as_str() {
            "join" | "leave" => {
                let Some(room) = first_arg::<String>(&event.args) else {
                    return;
                };
                if event.name == "join" {
                    socket.join(&room);
                } else {
                    socket.leave(&room);
                }
                if let Some(ack) = event.ack {
                    let _ = ack.send(&ok());
                }
            }
            "publish" => publish(socket, event, ok()),
            "ask" => {
                let socket = socket.clone();
                tokio::spawn(async move {
                    let reply = socket
                        .emit_with_ack("question", &event.args, &event.binaries, ASK_TIMEOUT)
                        .await;
                    if let Ok(reply) = reply {
                        let _ = socket.emit_binary("answer", &reply.args, &reply.binaries);
                    }
                });
            }
            "kick" => socket.disconnect(),
            "drop" => socket.close_connection(),
            _ => ConformanceEcho::main().on_event(socket, event),
        }
    }
}

/// Rooms named by `publish`'s first argument: one name or a list of names.
#[derive(Deserialize)]
#[serde(untagged)]
enum RoomNames {
    One(String),
    Many(Vec<String>),
}

fn publish(socket: &Socket, event: Event, ok: Args) {
    let Ok(items) = event.args.raw_items() else {
        return;
    };
    let (Some(rooms), Some(payload)) = (items.first(), items.get(1)) else {
        return;
    };
    let rooms = match serde_json::from_str::<RoomNames>(rooms.get()) {
        Ok(RoomNames::One(room)) => vec![room],
        Ok(RoomNames::Many(rooms)) => rooms,
        Err(_) => return,
    };
    let Ok(message) = Args::from_json(&format!("[{}]", payload.get())) else {
        return;
    };
    let mut rooms = rooms.into_iter();
    if let Some(first) = rooms.next() {
        let broadcast = rooms.fold(socket.within(first), |broadcast, room| broadcast.to(room));
        broadcast.emit("msg", &message);
    }
    if let Some(ack) = event.ack {
        let _ = ack.send(&ok);
    }
}

fn first_arg<T: for<'de> Deserialize<'de>>(args: &Args) -> Option<T> {
    let items = args.raw_items().ok()?;
    serde_json::from_str(items.first()?.get()).ok()
}
