//! `bench/relay` v1, client stage: `bench_relay::approve` as a component (bench/SCENARIO.md).

synchost_sdk::client!(handler = bench_relay::approve);
