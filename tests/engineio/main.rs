//! Engine.IO v4 behaviour through real sockets: the 24 checks of the official engine.io-protocol suite
//! (re-implemented from their descriptions), then bad input, CORS, backpressure and floods.
//!
//! Every test starts its own server on 127.0.0.1:0 with the suite's settings (ping 300/200, maxPayload
//! 1e6, echo handler) unless it says otherwise.
#![allow(clippy::unwrap_used)]

mod bad_input;
mod close;
mod cors;
mod handshake;
mod heartbeat;
mod messages;
mod peer_limits;
mod queue;
mod upgrade;
