//! The slow-consumer policy: a full queue closes the connection; volatile sends are dropped and counted.

use synchost::conformance::engineio_config;
use synchost::transport::{
    CloseReason, EngineConfig, EngineConnection, EngineHandler, Incoming, Message, SendError,
};
use synchost_tests::engineio::{EngineServer, STEP};
use synchost_tests::http_client::HttpClient;

const CAPACITY: usize = 8;

/// Fills the queue on request. Messages are queued from inside `on_message`, which runs on the
/// connection's own task, so nothing is written out while the queue fills.
struct Filler;

impl EngineHandler for Filler {
    type Connection = EngineConnection;

    fn on_open(&self, socket: EngineConnection) -> EngineConnection {
        socket
    }

    fn on_message(&self, socket: &EngineConnection, message: Incoming) {
        let Incoming::Text(text) = message else {
            return;
        };
        match text.as_str() {
            "overflow" => {
                for i in 0..CAPACITY {
                    socket.send(Message::text(&format!("m{i}"))).unwrap();
                }
                assert_eq!(
                    socket.send(Message::text("one too many")),
                    Err(SendError::QueueFull)
                );
                assert_eq!(socket.send(Message::text("after")), Err(SendError::Closed));
            }
            "volatile" => {
                for i in 0..CAPACITY {
                    socket.send(Message::text(&format!("v{i}"))).unwrap();
                }
                assert!(
                    !socket
                        .send_volatile(&[Message::text("dropped 1"), Message::text("dropped 2")])
                );
            }
            other => socket.send(Message::text(other)).unwrap(),
        }
    }

    fn on_close(&self, _: &EngineConnection, _: CloseReason) {}
}

fn config() -> EngineConfig {
    EngineConfig {
        queue_capacity: CAPACITY,
        ping_interval_ms: 10_000,
        ..engineio_config()
    }
}

#[tokio::test]
async fn a_full_queue_closes_a_websocket_connection_and_is_counted() {
    let server = EngineServer::start_handler(config(), Filler).await.unwrap();
    let (mut ws, _) = server.open_websocket().await.unwrap();
    ws.send_text("4overflow").await.unwrap();
    ws.wait_closed(STEP).await.unwrap();
    assert_eq!(server.engine.metrics().snapshot().queue_full_closes, 1);
}

#[tokio::test]
async fn volatile_sends_are_dropped_when_full_and_the_connection_stays_open() {
    let server = EngineServer::start_handler(config(), Filler).await.unwrap();
    let (mut ws, _) = server.open_websocket().await.unwrap();
    ws.send_text("4volatile").await.unwrap();
    for i in 0..CAPACITY {
        assert_eq!(ws.next_text(STEP).await.unwrap(), format!("4v{i}"));
    }
    ws.send_text("4next").await.unwrap();
    assert_eq!(ws.next_text(STEP).await.unwrap(), "4next");
    let metrics = server.engine.metrics().snapshot();
    assert_eq!((metrics.volatile_drops, metrics.queue_full_closes), (2, 0));
}

#[tokio::test]
async fn a_full_queue_closes_a_polling_session() {
    let server = EngineServer::start_handler(config(), Filler).await.unwrap();
    let http = HttpClient::new();
    let sid = server.open_polling(&http).await.unwrap();
    http.post(&server.session_url(&sid), "4overflow")
        .await
        .unwrap();
    let poll = http.get(&server.session_url(&sid)).await.unwrap();
    // The session closed before this GET, or while it was held (then it carries the close packet).
    assert!(
        poll.status == 400 || poll.text().ends_with('1'),
        "{} {}",
        poll.status,
        poll.text()
    );
    assert_eq!(
        http.get(&server.session_url(&sid)).await.unwrap().status,
        400
    );
    assert_eq!(server.engine.metrics().snapshot().queue_full_closes, 1);
}
