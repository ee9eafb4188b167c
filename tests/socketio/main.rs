//! The 32 checks of the official Socket.IO conformance suite, re-written from their descriptions and
//! run against a real server on `127.0.0.1:0` with the conformance handlers (`/` and `/custom`).
//!
//! Frames are read through a buffered queue with a timeout, so frames that arrive together are never
//! lost (the official suite's flakiness) and a missing frame fails instead of hanging.
#![allow(clippy::unwrap_used)]

mod client;
mod connect;
mod engine;
mod harness;
mod messages;
mod peer_limits;
