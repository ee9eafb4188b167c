//! The Redis harness itself: it answers, forgets on restart unless persistent, and comes back on the
//! same port.

use synchost_tests::redis::RedisServer;

#[test]
fn an_in_memory_server_forgets_its_keys_when_restarted_on_the_same_port() {
    let mut redis = RedisServer::start();
    let port = redis.port();
    assert_eq!(redis.command("SET k 1"), "+OK");
    assert_eq!(redis.command("GET k"), "1");
    redis.stop();
    assert!(!redis.is_running());
    assert!(std::net::TcpStream::connect(("127.0.0.1", port)).is_err());
    redis.restart();
    assert_eq!(redis.port(), port);
    assert_eq!(redis.command("PING"), "+PONG");
    assert_eq!(redis.command("GET k"), "(nil)");
}

#[test]
fn a_persistent_server_keeps_its_keys_across_a_kill_and_restart() {
    let mut redis = RedisServer::start_persistent();
    assert_eq!(redis.command("INCRBY n 5"), ":5");
    redis.restart();
    assert_eq!(redis.command("INCRBY n 1"), ":6");
}

#[test]
fn dropping_the_server_kills_it() {
    let redis = RedisServer::start();
    let port = redis.port();
    drop(redis);
    assert!(std::net::TcpStream::connect(("127.0.0.1", port)).is_err());
}
