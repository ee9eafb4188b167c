//! Fan-out: one already-encoded packet to every member of some rooms, minus exceptions.
//!
//! The frames are built once by the caller and shared (`Bytes` clones) by all recipients, so the cost
//! per recipient is a queue push. A member in several target rooms receives the packet once. Nothing
//! here may block or allocate per recipient: the only allocations are the two key sets, sized once
//! per broadcast and only when several rooms or exceptions are involved.

use std::collections::HashSet;
use std::sync::atomic::{AtomicU64, Ordering};

use super::registry::{Delivery, Member, RoomRegistry};
use crate::transport::Message;

/// Who receives a broadcast.
#[derive(Debug, Clone, Copy, Default)]
pub struct Targets<'a> {
    /// The target rooms; empty means every member of the namespace.
    pub rooms: &'a [&'a str],
    /// Members of these rooms are left out (a socket id is a room holding just that socket).
    pub except: &'a [&'a str],
}

/// The outcome of one broadcast.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct FanOut {
    /// Recipients whose queue took the packet.
    pub sent: u64,
    /// Volatile deliveries dropped because the queue was full.
    pub dropped: u64,
    /// Recipients that were closed or overflowed (and are being closed).
    pub failed: u64,
}

/// Running totals over every broadcast of a namespace.
#[derive(Debug, Default)]
pub struct BroadcastStats {
    sent: AtomicU64,
    dropped: AtomicU64,
    failed: AtomicU64,
}

impl BroadcastStats {
    /// Totals so far.
    pub fn snapshot(&self) -> FanOut {
        FanOut {
            sent: self.sent.load(Ordering::Relaxed),
            dropped: self.dropped.load(Ordering::Relaxed),
            failed: self.failed.load(Ordering::Relaxed),
        }
    }

    fn add(&self, fan_out: FanOut) {
        self.sent.fetch_add(fan_out.sent, Ordering::Relaxed);
        self.dropped.fetch_add(fan_out.dropped, Ordering::Relaxed);
        self.failed.fetch_add(fan_out.failed, Ordering::Relaxed);
    }
}

impl<M: Member> RoomRegistry<M> {
    /// Queues `messages` (one packet and its attachments) on every target, once each.
    pub fn broadcast(&self, targets: Targets<'_>, messages: &[Message], volatile: bool) -> FanOut {
        let mut fan_out = FanOut::default();
        self.for_each_target(targets, |member| match member.deliver(messages, volatile) {
            Delivery::Sent => fan_out.sent += 1,
            Delivery::Dropped => fan_out.dropped += 1,
            Delivery::Failed => fan_out.failed += 1,
        });
        self.stats.add(fan_out);
        fan_out
    }

    /// The targets themselves, for callers that build a different packet per recipient.
    pub fn members(&self, targets: Targets<'_>) -> Vec<M> {
        let mut members = Vec::new();
        self.for_each_target(targets, |member| members.push(member.clone()));
        members
    }

    /// Visits each target member exactly once.
    fn for_each_target(&self, targets: Targets<'_>, mut visit: impl FnMut(&M)) {
        let mut excluded = HashSet::new();
        for room in targets.except {
            self.for_each_in_room(room, |member| {
                excluded.insert(member.key());
            });
        }
        match targets.rooms {
            [] => self.for_each_member(|member| {
                if !excluded.contains(&member.key()) {
                    visit(member);
                }
            }),
            [room] => self.for_each_in_room(room, |member| {
                if !excluded.contains(&member.key()) {
                    visit(member);
                }
            }),
            rooms => {
                // A member in several target rooms gets the packet once (Node keeps a Set of ids).
                let capacity = rooms.iter().map(|room| self.room_size(room)).sum();
                let mut seen = HashSet::with_capacity(capacity);
                for room in rooms {
                    self.for_each_in_room(room, |member| {
                        if !excluded.contains(&member.key()) && seen.insert(member.key()) {
                            visit(member);
                        }
                    });
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]

    use std::sync::{Arc, Mutex};

    use super::*;

    /// A member that records what it receives; `full` makes it refuse (as a full queue would).
    #[derive(Clone)]
    struct Recorder {
        key: u64,
        full: bool,
        got: Arc<Mutex<Vec<Message>>>,
    }

    impl Member for Recorder {
        fn key(&self) -> u64 {
            self.key
        }
        fn deliver(&self, messages: &[Message], volatile: bool) -> Delivery {
            if self.full {
                return if volatile {
                    Delivery::Dropped
                } else {
                    Delivery::Failed
                };
            }
            self.got.lock().unwrap().extend_from_slice(messages);
            Delivery::Sent
        }
    }

    fn setup(count: u64) -> (RoomRegistry<Recorder>, Vec<Recorder>) {
        let registry = RoomRegistry::new();
        let members: Vec<_> = (0..count)
            .map(|key| Recorder {
                key,
                full: false,
                got: Arc::default(),
            })
            .collect();
        for member in &members {
            registry.add(member.clone());
        }
        (registry, members)
    }

    fn received(member: &Recorder) -> usize {
        member.got.lock().unwrap().len()
    }

    #[test]
    fn member_in_two_target_rooms_receives_once() {
        let (registry, members) = setup(3);
        registry.join(0, "a");
        registry.join(0, "b");
        registry.join(1, "b");
        let out = registry.broadcast(
            Targets {
                rooms: &["a", "b"],
                except: &[],
            },
            &[Message::text("x")],
            false,
        );
        assert_eq!(
            out,
            FanOut {
                sent: 2,
                dropped: 0,
                failed: 0
            }
        );
        assert_eq!(
            members.iter().map(received).collect::<Vec<_>>(),
            vec![1, 1, 0]
        );
    }

    #[test]
    fn exceptions_remove_members_of_excepted_rooms() {
        let (registry, members) = setup(4);
        for key in 0..4 {
            registry.join(key, "all");
        }
        registry.join(1, "muted");
        registry.join(3, "muted");
        registry.broadcast(
            Targets {
                rooms: &["all"],
                except: &["muted"],
            },
            &[Message::text("x")],
            false,
        );
        registry.broadcast(
            Targets {
                rooms: &[],
                except: &["muted", "nobody"],
            },
            &[Message::text("y")],
            false,
        );
        assert_eq!(
            members.iter().map(received).collect::<Vec<_>>(),
            vec![2, 0, 2, 0]
        );
    }

    #[test]
    fn frames_are_shared_not_copied() {
        let (registry, members) = setup(3);
        let frame = Message::text("2[\"x\"]");
        registry.broadcast(Targets::default(), std::slice::from_ref(&frame), false);
        let Message::Text(original) = &frame else {
            unreachable!()
        };
        for member in &members {
            let got = member.got.lock().unwrap();
            let Message::Text(bytes) = &got[0] else {
                panic!("expected text")
            };
            assert_eq!(bytes.as_ptr(), original.as_ptr());
        }
    }

    #[test]
    fn full_queues_are_counted() {
        let registry = RoomRegistry::new();
        registry.add(Recorder {
            key: 0,
            full: true,
            got: Arc::default(),
        });
        registry.add(Recorder {
            key: 1,
            full: false,
            got: Arc::default(),
        });
        assert_eq!(
            registry
                .broadcast(Targets::default(), &[Message::text("v")], true)
                .dropped,
            1
        );
        assert_eq!(
            registry
                .broadcast(Targets::default(), &[Message::text("n")], false)
                .failed,
            1
        );
        assert_eq!(
            registry.stats().snapshot(),
            FanOut {
                sent: 2,
                dropped: 1,
                failed: 1
            }
        );
    }

    #[test]
    fn leave_and_remove_clean_up_rooms() {
        let (registry, _members) = setup(2);
        registry.join(0, "a");
        registry.join(0, "b");
        registry.join(1, "a");
        registry.leave(0, "a");
        assert_eq!(registry.room_size("a"), 1);
        let mut rooms = registry.rooms_of(0);
        rooms.sort();
        assert_eq!(rooms, vec![Arc::from("b")]);
        registry.remove(0);
        assert_eq!(registry.room_size("b"), 0);
        assert!(registry.rooms_of(0).is_empty());
        assert!(!registry.join(0, "c"), "a removed member cannot join");
        assert_eq!(registry.len(), 1);
        assert_eq!(
            registry
                .members(Targets {
                    rooms: &["a"],
                    except: &[]
                })
                .len(),
            1
        );
    }
}
