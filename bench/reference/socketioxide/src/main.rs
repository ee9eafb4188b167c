//! socketioxide reference server for the broadcast benchmark: the scenario of `bench/SCENARIO.md`
//! on socketioxide 0.18 with its defaults, except that only the WebSocket transport is offered.
//!
//! It must stay a plain room broadcast with no tuning or extra work, so that the comparison
//! measures socketioxide itself. It binds 127.0.0.1 only; the port comes from the first
//! argument or `PORT`.

use std::convert::Infallible;

use anyhow::Context;
use serde_json::Value;
use socketioxide::{
    SocketIo, TransportType,
    extract::{AckSender, Data, SocketRef},
    handler::ConnectHandler,
};

/// Registers the event handlers from a connect middleware, i.e. before the CONNECT reply goes out.
/// socketioxide sends CONNECT and only then spawns the connect handler, and it drops events that
/// have no handler yet, so handlers registered in the connect handler can miss a `join` emitted
/// right after CONNECT (seen under load: a join never acked).
async fn register_handlers(socket: SocketRef) -> Result<(), Infallible> {
    socket.on(
        "join",
        async |socket: SocketRef, Data::<String>(room), ack: AckSender| {
            socket.join(room);
            // A failed ack only means the client left; nothing to clean up.
            ack.send("ok").ok();
        },
    );

    socket.on(
        "publish",
        async |socket: SocketRef, Data::<(String, Value)>((room, payload)), ack: AckSender| {
            // The publisher is never a room member, so `to` reaches exactly the room. A full
            // per-socket queue makes the emit fail for that socket; the load generator counts it
            // as a lost message, which is the behaviour under test.
            if let Err(error) = socket.to(room).emit("msg", &payload).await {
                eprintln!("broadcast incomplete: {error}");
            }
            // socketioxide drops the ack when the publisher's queue (128 packets) is full.
            if let Err(error) = ack.send("ok") {
                eprintln!("publish ack not sent: {error}");
            }
        },
    );
    Ok(())
}

async fn on_connect() {}

fn port_from_args() -> anyhow::Result<u16> {
    let raw = std::env::args()
        .nth(1)
        .or_else(|| std::env::var("PORT").ok())
        .unwrap_or_else(|| "3000".to_owned());
    raw.parse().with_context(|| format!("invalid port: {raw}"))
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let port = port_from_args()?;
    let (layer, io) = SocketIo::builder()
        .transports([TransportType::Websocket])
        .build_layer();
    io.ns("/", on_connect.with(register_handlers));

    let app = axum::Router::new().layer(layer);
    let listener = tokio::net::TcpListener::bind(("127.0.0.1", port))
        .await
        .with_context(|| format!("cannot bind 127.0.0.1:{port}"))?;
    println!("socketioxide 0.18 listening on 127.0.0.1:{port}");
    // SIGTERM/SIGINT end the process outright: the bench script stops servers that way.
    axum::serve(listener, app).await.context("server failed")
}
