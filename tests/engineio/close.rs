//! Close checks (E-C1, E-C2) and closes started by the server.

use std::sync::{Arc, Mutex};
use std::time::Duration;

use synchost::conformance::engineio_config;
use synchost::transport::{CloseReason, EngineConnection, EngineHandler, Incoming};
use synchost_tests::engineio::{EngineServer, STEP};
use synchost_tests::http_client::HttpClient;

#[tokio::test]
async fn e_c1_client_close_over_polling_flushes_the_held_get_with_a_noop() {
    let server = EngineServer::start().await.unwrap();
    let http = HttpClient::new();
    let sid = server.open_polling(&http).await.unwrap();
    let url = server.session_url(&sid);
    let (poll, close) = tokio::join!(http.get(&url), http.post(&url, "1"));
    assert_eq!(close.unwrap().status, 200);
    let poll = poll.unwrap();
    assert_eq!((poll.status.as_u16(), poll.text().as_str()), (200, "6"));
    assert_eq!(http.get(&url).await.unwrap().status, 400);
}

#[tokio::test]
async fn e_c2_client_close_over_websocket_closes_at_once() {
    let server = EngineServer::start().await.unwrap();
    let (mut ws, _) = server.open_websocket().await.unwrap();
    ws.send_text("1").await.unwrap();
    ws.wait_closed(Duration::from_secs(2)).await.unwrap();
}

/// Keeps every socket so the test can close them from outside.
#[derive(Default, Clone)]
struct Keeper {
    sockets: Arc<Mutex<Vec<EngineConnection>>>,
    closes: Arc<Mutex<Vec<CloseReason>>>,
}

impl EngineHandler for Keeper {
    type Connection = ();

    fn on_open(&self, socket: EngineConnection) {
        self.sockets.lock().unwrap().push(socket);
    }

    fn on_message(&self, _: &(), _: Incoming) {}

    fn on_close(&self, _: &(), reason: CloseReason) {
        self.closes.lock().unwrap().push(reason);
    }
}

#[tokio::test]
async fn server_close_from_another_thread_reaches_both_transports() {
    let keeper = Keeper::default();
    let server = EngineServer::start_handler(engineio_config(), keeper.clone())
        .await
        .unwrap();
    let http = HttpClient::new();
    let sid = server.open_polling(&http).await.unwrap();
    let held = tokio::spawn({
        let (http, url) = (http.clone(), server.session_url(&sid));
        async move { http.get(&url).await }
    });
    let mut ws =
        synchost_tests::ws_client::WsClient::connect(&server.ws_url("EIO=4&transport=websocket"))
            .await
            .unwrap();
    ws.next_text(STEP).await.unwrap();
    let sockets = keeper.sockets.lock().unwrap().clone();
    assert_eq!(sockets.len(), 2);
    std::thread::spawn(move || {
        sockets
            .iter()
            .for_each(|s| s.close(CloseReason::ServerClose))
    })
    .join()
    .unwrap();
    ws.wait_closed(STEP).await.unwrap();
    let held = held.await.unwrap().unwrap();
    // Either the held GET got the close packet, or it arrived after the close and was refused.
    assert!(
        (held.status == 200 && held.text() == "1") || held.status == 400,
        "{} {}",
        held.status,
        held.text()
    );
    assert_eq!(
        http.get(&server.session_url(&sid)).await.unwrap().status,
        400
    );
    let deadline = tokio::time::Instant::now() + STEP;
    while keeper.closes.lock().unwrap().len() < 2 {
        assert!(
            tokio::time::Instant::now() < deadline,
            "on_close not called for both"
        );
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    assert_eq!(
        *keeper.closes.lock().unwrap(),
        [CloseReason::ServerClose, CloseReason::ServerClose]
    );
}
