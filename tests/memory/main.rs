//! What one pending session costs: the whole `synchost serve` stack (transport, Socket.IO, the sync
//! gateway) in this process, behind a global allocator that counts live heap bytes, and N polling
//! handshakes over one keep-alive connection. Its own test binary, so no other test allocates
//! meanwhile; it runs one test.
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

// SAFETY: every call is forwarded unchanged to the system allocator; only a counter is added.
unsafe impl GlobalAlloc for Counting {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        LIVE.fetch_add(layout.size() as isize, Ordering::Relaxed);
        // SAFETY: same contract as the caller's.
        unsafe { System.alloc(layout) }
    }

    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        LIVE.fetch_sub(layout.size() as isize, Ordering::Relaxed);
        // SAFETY: same contract as the caller's.
        unsafe { System.dealloc(ptr, layout) }
    }

    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        LIVE.fetch_add(new_size as isize - layout.size() as isize, Ordering::Relaxed);
        // SAFETY: same contract as the caller's.
        unsafe { System.realloc(ptr, layout, new_size) }
    }
}

#[global_allocator]
static ALLOCATOR: Counting = Counting;

/// Sessions opened per measurement.
const SESSIONS: usize = 500;

/// What the README promises a pending session costs at most, without the headers it keeps.
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

#[tokio::test]
async fn a_pending_session_costs_a_bounded_number_of_bytes() {
    let sandbox = PluginSandbox::new().unwrap();
    let mut config = sandbox
        .config()
        .unwrap();
    config.server.plugins_root = sandbox.root.clone();
    let router = synchost::server::router(config, None, None).await.unwrap();
    let listeners = synchost::http::bind("127.0.0.1", 0).await.unwrap();
    let addr = listeners[0].local_addr().unwrap();
    tokio::spawn(synchost::http::serve(
        listeners,
        router,
        std::future::pending::<()>(),
    ));
    let url = format!("http://{addr}/socket.io/?EIO=4&transport=polling");
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
        "live heap bytes per pending session: plain {plain}, with 14 KiB of unread headers \
         {padded}, with a {} B cookie {kept}",
        cookie.len()
    );
    assert!(plain <= FIXED_BOUND, "plain handshake: {plain} B per session");
    assert!(padded <= FIXED_BOUND, "unread headers were kept: {padded} B per session");
    assert!(kept <= FIXED_BOUND + HEAD, "kept headers: {kept} B per session");
}
