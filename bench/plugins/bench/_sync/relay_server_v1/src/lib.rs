//! `bench/relay` v1, server stage: `bench_relay::serve` as a component (bench/SCENARIO.md).

synchost_sdk::server!(
    auth = synchost_sdk::Auth::public(),
    handler = bench_relay::serve
);
