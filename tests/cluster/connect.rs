//! `cluster::connect` refuses what it cannot use, at start-up, with an error that says why.

use synchost::cluster::{ClusterError, connect};
use synchost::config::ClusterSection;
use synchost_tests::redis::RedisServer;

fn try_connect(redis_url: Option<String>) -> Result<(), ClusterError> {
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(1)
        .enable_all()
        .build()
        .unwrap();
    let section = ClusterSection {
        redis_url,
        timeout_ms: 200,
        ..ClusterSection::default()
    };
    runtime.block_on(connect(&section)).map(|_| ())
}

#[test]
fn no_url_an_unusable_url_and_a_silent_redis_are_refused() {
    assert!(matches!(try_connect(None), Err(ClusterError::NoUrl)));
    assert!(matches!(
        try_connect(Some("redis://127.0.0.1:notaport/".into())),
        Err(ClusterError::Redis(_))
    ));
    let mut redis = RedisServer::start();
    let url = redis.url().replace("127.0.0.1", ":secret@127.0.0.1");
    redis.stop();
    let Err(ClusterError::Redis(error)) = try_connect(Some(url)) else {
        panic!("connected to a stopped Redis");
    };
    let shown = error.to_string();
    assert!(
        shown.contains("did not answer") && !shown.contains("secret"),
        "{shown}"
    );
    redis.restart();
    try_connect(Some(redis.url())).unwrap();
}
