//! Read-only questions about rooms (capability `rooms`).

use crate::Session;
use crate::backend;
use crate::host::HostError;

/// Number of connections in `room`, anonymous ones included (on every live node of a cluster).
///
/// # Errors
/// [`HostError::NotGranted`] without the `rooms` capability; [`HostError::Storage`] when a node of
/// a cluster cannot reach the other nodes' members (Redis down), rather than a partial count.
///
/// ```
/// let crowd = synchost_sdk::rooms::size("lobby").unwrap_or(0);
/// # let _ = crowd;
/// ```
pub fn size(room: &str) -> Result<u32, HostError> {
    backend::rooms_size(room)
}

/// Sessions of `room`'s logged-in members, `limit` of them starting at `offset`, in an order that
/// stays the same between pages while the room does not change.
///
/// # Errors
/// [`HostError::NotGranted`] without the `rooms` capability; [`HostError::Storage`] as for
/// [`size`].
pub fn members(room: &str, offset: u32, limit: u32) -> Result<Vec<Session>, HostError> {
    backend::rooms_members(room, offset, limit)
}
