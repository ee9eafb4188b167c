//! The Redis implementations of the cluster seam against a real `redis-server` started by the
//! harness: the shared kv store, remembered rooms, rate windows and room presence, seen from two
//! "nodes" (two instances on one Redis), and their behaviour while Redis is down and after it is back.
#![allow(clippy::unwrap_used)]

mod connect;
mod harness;
mod kv;
mod node;
mod presence;
mod rates;
mod restart;
mod rooms;
mod seams;
