//! What a peer can make the host hold, in heap bytes: the whole `synchost serve` stack (transport,
//! Socket.IO, the sync gateway) in this process, behind a global allocator that counts live and peak
//! heap bytes. One pending connection (N polling handshakes over one keep-alive connection), and one
//! POST body of tiny packets. Its own test binary, and its tests take turns, so nothing else
//! allocates while one measures.
//!
//! The figures are printed (`cargo test -p synchost-tests --test memory -- --nocapture`) and the
//! README quotes them; the assertions are the bounds the README states.
#![allow(clippy::unwrap_used)]

use std::alloc::{GlobalAlloc, Layout, System};
use std::sync::atomic::{AtomicIsize, Ordering};

use synchost_tests::http_client::HttpClient;
use synchost_tests::plugins::PluginSandbox;

/// The system allocator, counting the bytes currently allocated.
struct Counting;

static LIVE: AtomicIsize = AtomicIsize::new(0);
static PEAK: AtomicIsize = AtomicIsize::new(0);

/// The tests of this binary run one at a time.
static SERIAL: tokio::sync::Mutex<()> = tokio::sync::Mutex::const_new(());

fn count(delta: isize) {
    let live = LIVE.fetch_add(delta, Ordering::Relaxed) + delta;
    PEAK.fetch_max(live, Ordering::Relaxed);
}

// SAFETY: every call is forwarded unchanged to the system allocator; only a counter is added.
unsafe impl GlobalAlloc for Counting {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        count(layout.size() as isize);
        // SAFETY: same contract as the caller's.
        unsafe { System.alloc(layout) }
    }

    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        LIVE.fetch_sub(layout.size() as isize, Ordering::Relaxed);
        // SAFETY: same contract as the caller's.
        unsafe { System.dealloc(ptr, layout) }
    }

    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        count(new_size as isize - layout.size() as isize);
        // SAFETY: same contract as the caller's.
        unsafe { System.realloc(ptr, layout, new_size) }
    }
}

#[global_allocator]
static ALLOCATOR: Counting = Counting;

/// Sessions opened per measurement.
const SESSIONS: usize = 500;

/// What the README promises a pending connection costs at most, without the headers it keeps.
const FIXED_BOUND: usize = 8 * 1024;

/// The largest request head the host reads (`http::MAX_HEAD_BYTES`).
const HEAD: usize = synchost::http::MAX_HEAD_BYTES;

/// Opens `SESSIONS` handshakes, each with `headers`, and returns the live heap bytes they added
/// per session.
async fn per_session(http: &HttpClient, url: &str, headers: &[(&str, &str)]) -> usize {
    let handshake = || async {
        let response = http
            .send(hyper::Method::GET, url, headers, bytes::Bytes::new())
            .await
            .unwrap();
        assert_eq!(response.status, 200, "{}", response.text());
    };
    // Warm up: the connection, its buffers and the session table's first growth.
    for _ in 0..20 {
        handshake().await;
    }
    let before = LIVE.load(Ordering::Relaxed);
    for _ in 0..SESSIONS {
        handshake().await;
    }
    let after = LIVE.load(Ordering::Relaxed);
    usize::try_from(after - before).unwrap_or(0) / SESSIONS
}

/// The whole server with no handlers, on 127.0.0.1:0; returns its polling handshake URL.
async fn start_host(sandbox: &PluginSandbox) -> String {
    let mut config = sandbox.config().unwrap();
    config.server.plugins_root = sandbox.root.clone();
    // Inside the sandbox, not the working directory.
    config.auth.dev_secret_file = sandbox.dir().join("dev-secret");
    let router = synchost::server::router(config, None, None)
        .await
        .unwrap()
        .public;
    let listeners = synchost::http::bind("127.0.0.1", 0).await.unwrap();
    let addr = listeners[0].local_addr().unwrap();
    tokio::spawn(synchost::http::serve(
        listeners,
        router,
        std::future::pending::<()>(),
    ));
    format!("http://{addr}/socket.io/?EIO=4&transport=polling")
}

#[tokio::test]
async fn a_pending_session_costs_a_bounded_number_of_bytes() {
    let _turn = SERIAL.lock().await;
    let sandbox = PluginSandbox::new().unwrap();
    let url = start_host(&sandbox).await;
    // One client: its one pooled keep-alive connection carries every handshake.
    let http = HttpClient::new();

    // A browser-like handshake.
    let plain = per_session(
        &http,
        &url,
        &[("user-agent", "Mozilla/5.0"), ("accept-language", "nl")],
    )
    .await;
    // 14 KiB of headers the host does not read.
    let junk: Vec<(String, String)> = (0..14)
        .map(|i| (format!("x-junk-{i}"), "j".repeat(1000)))
        .collect();
    let junk: Vec<(&str, &str)> = junk.iter().map(|(n, v)| (n.as_str(), v.as_str())).collect();
    let padded = per_session(&http, &url, &junk).await;
    // The worst case: the head filled with a header the host does keep (the cookie).
    let cookie = format!("token={}", "c".repeat(HEAD - 512));
    let kept = per_session(&http, &url, &[("cookie", cookie.as_str())]).await;

    println!(
        "live heap bytes per pending connection: plain {plain}, with 14 KiB of unread headers \
         {padded}, with a {} B cookie {kept}",
        cookie.len()
    );
    assert!(
        plain <= FIXED_BOUND,
        "plain handshake: {plain} B per session"
    );
    assert!(
        padded <= FIXED_BOUND,
        "unread headers were kept: {padded} B per session"
    );
    assert!(
        kept <= FIXED_BOUND + HEAD,
        "kept headers: {kept} B per session"
    );
}

/// The largest polling body (`engine.max_payload_bytes`' default).
const MAX_PAYLOAD: usize = 1_000_000;

#[tokio::test]
async fn a_body_of_tiny_packets_costs_about_its_own_size() {
    let _turn = SERIAL.lock().await;
    let sandbox = PluginSandbox::new().unwrap();
    let url = start_host(&sandbox).await;
    let http = HttpClient::new();
    let open = http.get(&url).await.unwrap();
    let sid = synchost_tests::engineio::open_packet_sid(&open.text()).unwrap();
    // Half a million noops: the most packets one body can carry.
    let mut body = "6\x1e".repeat(MAX_PAYLOAD / 2 - 1);
    body.push('6');
    let session = format!("{url}&sid={sid}");
    let before = LIVE.load(Ordering::Relaxed);
    PEAK.store(before, Ordering::Relaxed);
    let response = http.post(&session, &body).await.unwrap();
    assert_eq!(response.status, 200, "{}", response.text());
    let peak = usize::try_from(PEAK.load(Ordering::Relaxed) - before).unwrap_or(0);
    println!(
        "peak heap bytes while a {} B body of noops is handled: {peak}",
        body.len()
    );
    // The body itself (read into one buffer, growing by doubling) and the connection's buffers.
    assert!(
        peak <= 4 * MAX_PAYLOAD,
        "a {} B body took {peak} B",
        body.len()
    );
}
