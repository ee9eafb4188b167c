//! Shared test harness: starts servers on loopback ports and provides raw clients that wait on events
//! with timeouts instead of sleeping.

pub mod plugins;
