//! Rooms: which sockets of a namespace are in which rooms, and the fan-out of one encoded packet to
//! every socket of some rooms.
//!
//! This layer knows nothing of Socket.IO packets: a member is anything that can take a slice of
//! already-framed [`crate::transport::Message`]s ([`Member`]). It never encodes per recipient and
//! never blocks: delivery is a push onto each member's bounded queue.

mod broadcast;
mod registry;

pub use broadcast::{BroadcastStats, FanOut, Targets};
pub use registry::{Delivery, Member, RoomRegistry};
