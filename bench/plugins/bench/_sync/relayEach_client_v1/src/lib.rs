//! `bench/relayEach` v1, client stage: `bench_relay::address` as a component (bench/SCENARIO.md).

synchost_sdk::client!(handler = bench_relay::address);
