//! socketioxide reference server for the sync benchmark (bench/SCENARIO.md): synchost's sync wire
//! on socketioxide 0.18 with its defaults (WebSocket transport only), running the two bench routes
//! as native Rust closures, the unsandboxed ceiling. The token is verified once at CONNECT and the
//! session kept in the socket's extensions; a `sync` checks its route and the sender's membership,
//! runs the server closure, acks, then for each member of the room reads that member's session
//! from its extensions, runs the client closure and emits that member's frame.
//!
//! It must stay the way one would plainly write this on socketioxide: no tuning beyond the
//! defaults, no batching or encode-once of per-recipient frames, no caching. It binds 127.0.0.1
//! only. Usage: `BENCH_JWT_SECRET=... bench-socketioxide-sync <port>`.

mod handlers;
mod token;
mod wire;

use std::sync::Arc;

use anyhow::Context;
use serde::Serialize;
use socketioxide::{
    SocketIo, TransportType,
    extract::{AckSender, SocketRef, TryData},
    handler::ConnectHandler,
};

use handlers::{Input, Route, ServerOutput};
use token::{Session, Verifier};
use wire::{
    Auth, ErrorFrame, Failure, Frame, FrameNames, JoinAck, JoinRequest, SyncAck, SyncRequest,
};

/// The longest room name, in characters.
const MAX_ROOM_CHARS: usize = 256;

/// The connect middleware: verifies the token (a bad one refuses the CONNECT), keeps the session
/// and registers the event handlers. It registers them here, before the CONNECT reply goes out,
/// because socketioxide drops events that arrive before their handler exists (see src/main.rs).
fn admit(
    socket: &SocketRef,
    auth: Result<Auth, impl std::fmt::Display>,
    verifier: &Verifier,
) -> Result<(), Failure> {
    // An auth payload that is not `{token?: string}` is a bad token.
    let auth = auth.map_err(|_| Failure::InvalidToken)?;
    if let Some(token) = auth.token {
        let session = verifier.verify(&token)?;
        socket.extensions.insert(Arc::new(session));
    }
    socket.on("joinRoom", on_join_room);
    socket.on("sync", on_sync);
    Ok(())
}

async fn on_connect() {}

async fn on_join_room(socket: SocketRef, TryData(request): TryData<JoinRequest>, ack: AckSender) {
    let room = request
        .ok()
        .map(JoinRequest::into_room)
        .filter(|room| (1..=MAX_ROOM_CHARS).contains(&room.chars().count()));
    let Some(room) = room else {
        return send_ack(ack, &Failure::InvalidRoomName.envelope());
    };
    socket.join(room);
    let own = socket.id.as_str();
    let mut rooms: Vec<String> = socket
        .rooms()
        .into_iter()
        .filter(|room| room != own)
        .map(|room| room.into_owned())
        .collect();
    rooms.sort();
    send_ack(
        ack,
        &JoinAck {
            status: "success",
            rooms,
        },
    );
}

async fn on_sync(socket: SocketRef, TryData(request): TryData<SyncRequest>, ack: AckSender) {
    let Ok(request) = request else {
        return send_ack(ack, &Failure::InvalidRequest.envelope());
    };
    let Some(route) = handlers::route(&request.name, &request.version) else {
        return send_ack(ack, &Failure::NotFound.envelope());
    };
    if !socket.rooms().iter().any(|room| *room == request.receiver) {
        return send_ack(ack, &Failure::NotRoomMember.envelope());
    }
    let Ok(input) = serde_json::from_value::<Input>(request.data) else {
        return send_ack(ack, &Failure::InvalidInput.envelope());
    };
    let sender = socket.extensions.get::<Arc<Session>>();
    let output = match (route.server)(&input, sender.as_deref()) {
        Ok(output) => output,
        Err(failure) => return send_ack(ack, &failure.envelope()),
    };
    send_ack(
        ack,
        &SyncAck {
            status: "success",
            result: &output,
        },
    );

    let full_name = format!("sync/{}/{}", request.name, request.version);
    let names = FrameNames {
        name: &request.name,
        version: &request.version,
        full_name: &full_name,
    };
    for recipient in socket.within(request.receiver).sockets() {
        deliver(&recipient, route, &input, &output, &names);
    }
}

/// One recipient: the client closure with its own session, then its frame.
fn deliver(
    recipient: &SocketRef,
    route: &Route,
    input: &Input,
    output: &ServerOutput,
    names: &FrameNames<'_>,
) {
    let session = recipient.extensions.get::<Arc<Session>>();
    let sent = match (route.client)(input, output, session.as_deref()) {
        Ok(client_output) => recipient.emit(
            "sync",
            &Frame {
                names,
                status: "success",
                server_output: output,
                client_output,
            },
        ),
        Err(failure) => recipient.emit(
            "sync",
            &ErrorFrame {
                names,
                envelope: failure.envelope(),
            },
        ),
    };
    // A full per-socket queue (socketioxide's default, 128 packets) loses this frame; the load
    // generator counts it as lost, which is the behaviour under test.
    if let Err(error) = sent {
        eprintln!("sync frame not delivered to {}: {error}", recipient.id);
    }
}

fn send_ack(ack: AckSender, answer: &impl Serialize) {
    // A failed ack means the sender left or its queue is full; nothing to clean up.
    if let Err(error) = ack.send(answer) {
        eprintln!("sync ack not sent: {error}");
    }
}

fn port_from_args() -> anyhow::Result<u16> {
    let raw = std::env::args()
        .nth(1)
        .context("usage: BENCH_JWT_SECRET=... bench-socketioxide-sync <port>")?;
    raw.parse().with_context(|| format!("invalid port: {raw}"))
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let port = port_from_args()?;
    let secret = std::env::var("BENCH_JWT_SECRET")
        .ok()
        .filter(|secret| !secret.is_empty())
        .context("BENCH_JWT_SECRET is required")?;
    let verifier = Arc::new(Verifier::new(secret));

    let (layer, io) = SocketIo::builder()
        .transports([TransportType::Websocket])
        .build_layer();
    io.ns(
        "/",
        on_connect.with(move |socket: SocketRef, TryData(auth): TryData<Auth>| {
            let verifier = verifier.clone();
            async move { admit(&socket, auth, &verifier) }
        }),
    );

    let app = axum::Router::new().layer(layer);
    let listener = tokio::net::TcpListener::bind(("127.0.0.1", port))
        .await
        .with_context(|| format!("cannot bind 127.0.0.1:{port}"))?;
    println!("socketioxide 0.18 sync reference listening on 127.0.0.1:{port}");
    // SIGTERM/SIGINT end the process outright: the bench script stops servers that way.
    axum::serve(listener, app).await.context("server failed")
}
