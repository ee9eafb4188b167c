//! Namespaces and broadcasts: the server-side handle on a namespace's sockets.
//!
//! A broadcast is encoded once into frames that every recipient's queue shares; the room registry
//! does the fan-out. Nothing here blocks or encodes per recipient.

use std::sync::Arc;

use bytes::Bytes;

use super::args::Args;
use super::emit;
use super::handler::NamespaceHandler;
use super::socket::Socket;
use super::tap::EventTap;
use crate::rooms::{FanOut, RoomRegistry, Targets};
use crate::transport::Message;

/// The sockets of one namespace and the rooms they are in: everything a namespace is except its
/// handler. It exists before the handler does, so the layers a handler is built on (room queries,
/// delivery) can be given it at construction instead of being attached afterwards.
#[derive(Clone)]
pub struct NamespaceRooms {
    inner: Arc<RoomsInner>,
}

struct RoomsInner {
    name: String,
    registry: RoomRegistry<Socket>,
    tap: Option<EventTap>,
}

impl std::fmt::Debug for NamespaceRooms {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("NamespaceRooms")
            .field("name", &self.inner.name)
            .finish_non_exhaustive()
    }
}

impl NamespaceRooms {
    /// The (empty) rooms of the namespace `name`, e.g. `/`.
    pub fn new(name: impl Into<String>) -> Self {
        Self::make(name.into(), None)
    }

    /// As [`NamespaceRooms::new`], with `tap` recording the events its sockets receive and those
    /// emitted to one of them (see `tap`).
    pub fn tapped(name: impl Into<String>, tap: EventTap) -> Self {
        Self::make(name.into(), Some(tap))
    }

    fn make(name: String, tap: Option<EventTap>) -> Self {
        Self {
            inner: Arc::new(RoomsInner {
                name,
                registry: RoomRegistry::new(),
                tap,
            }),
        }
    }

    /// The namespace's event tap, if it was made with one.
    pub(crate) fn tap(&self) -> Option<&EventTap> {
        self.inner.tap.as_ref()
    }

    pub(crate) fn registry(&self) -> &RoomRegistry<Socket> {
        &self.inner.registry
    }

    /// The namespace name, e.g. `/`.
    pub fn name(&self) -> &str {
        &self.inner.name
    }

    /// A broadcast to the sockets in `room`.
    pub fn to(&self, room: impl Into<String>) -> Broadcast {
        Broadcast::new(self.clone()).to(room)
    }

    /// A broadcast to every socket of the namespace.
    pub fn broadcast(&self) -> Broadcast {
        Broadcast::new(self.clone())
    }

    /// The socket with this id, if it is in the namespace.
    pub fn socket(&self, socket_id: &str) -> Option<Socket> {
        self.inner
            .registry
            .members(Targets {
                rooms: &[socket_id],
                except: &[],
            })
            .into_iter()
            .next()
    }

    /// The number of sockets in `room`.
    pub fn room_size(&self, room: &str) -> usize {
        self.inner.registry.room_size(room)
    }

    /// The number of sockets (connecting ones included).
    pub fn len(&self) -> usize {
        self.inner.registry.len()
    }

    /// Whether the namespace has no sockets.
    pub fn is_empty(&self) -> bool {
        self.inner.registry.is_empty()
    }

    /// Delivery totals of every broadcast so far (sent, volatile drops, failures).
    pub fn stats(&self) -> FanOut {
        self.inner.registry.stats().snapshot()
    }
}

/// What the server keeps per namespace: its rooms and its handler.
pub(crate) struct NamespaceShared {
    pub(crate) rooms: NamespaceRooms,
    pub(crate) handler: Arc<dyn NamespaceHandler>,
}

impl NamespaceShared {
    pub(crate) fn name(&self) -> &str {
        self.rooms.name()
    }
}

impl std::fmt::Debug for NamespaceShared {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Namespace")
            .field("name", &self.name())
            .finish_non_exhaustive()
    }
}

/// A handle on one namespace; cheap to clone.
#[derive(Debug, Clone)]
pub struct Namespace {
    shared: Arc<NamespaceShared>,
}

impl Namespace {
    pub(crate) fn new(rooms: NamespaceRooms, handler: Arc<dyn NamespaceHandler>) -> Self {
        Self {
            shared: Arc::new(NamespaceShared { rooms, handler }),
        }
    }

    pub(crate) fn shared(&self) -> &Arc<NamespaceShared> {
        &self.shared
    }

    /// Its sockets and rooms.
    pub fn rooms(&self) -> &NamespaceRooms {
        &self.shared.rooms
    }
}

impl std::ops::Deref for Namespace {
    type Target = NamespaceRooms;

    fn deref(&self) -> &NamespaceRooms {
        &self.shared.rooms
    }
}

/// A broadcast being set up: target rooms (none = everyone), exceptions, volatility.
#[derive(Debug, Clone)]
#[must_use = "a broadcast does nothing until emitted"]
pub struct Broadcast {
    namespace: NamespaceRooms,
    rooms: Vec<String>,
    except: Vec<String>,
    volatile: bool,
}

impl Broadcast {
    pub(crate) fn new(namespace: NamespaceRooms) -> Self {
        Self {
            namespace,
            rooms: Vec::new(),
            except: Vec::new(),
            volatile: false,
        }
    }

    /// Adds a target room.
    pub fn to(mut self, room: impl Into<String>) -> Self {
        self.rooms.push(room.into());
        self
    }

    /// Leaves out the sockets of `room` (pass a socket id to leave out one socket).
    pub fn except(mut self, room: impl Into<String>) -> Self {
        self.except.push(room.into());
        self
    }

    /// Drops the packet for recipients whose queue is full instead of closing them.
    pub fn volatile(mut self) -> Self {
        self.volatile = true;
        self
    }

    /// Emits an event to every target, encoded once.
    pub fn emit(&self, event: &str, args: &Args) -> FanOut {
        self.emit_binary(event, args, &[])
    }

    /// Emits an event with binary attachments to every target, encoded once.
    pub fn emit_binary(&self, event: &str, args: &Args, binaries: &[Bytes]) -> FanOut {
        self.send_frames(&emit::event(
            self.namespace.name(),
            event,
            args,
            binaries,
            None,
        ))
    }

    /// Queues frames built once by the caller (with [`emit::event`] for this namespace) on every target.
    pub fn send_frames(&self, frames: &[Message]) -> FanOut {
        let (rooms, except) = (as_strs(&self.rooms), as_strs(&self.except));
        self.namespace.registry().broadcast(
            Targets {
                rooms: &rooms,
                except: &except,
            },
            frames,
            self.volatile,
        )
    }

    /// The targeted sockets, each once, for callers that build a different packet per recipient.
    pub fn sockets(&self) -> Vec<Socket> {
        let (rooms, except) = (as_strs(&self.rooms), as_strs(&self.except));
        self.namespace.registry().members(Targets {
            rooms: &rooms,
            except: &except,
        })
    }
}

fn as_strs(strings: &[String]) -> Vec<&str> {
    strings.iter().map(String::as_str).collect()
}
