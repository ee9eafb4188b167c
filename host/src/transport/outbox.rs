//! The bounded outgoing queue of one connection: many senders (broadcasts, acks, the connection's own
//! replies), one receiver (the transport that writes to the network).
//!
//! A broadcast to a large room pushes onto thousands of these queues in a row, so a push touches as
//! little memory as possible: one lock word, the queue and, only when the queue was empty, the
//! receiver's waker. The receiver is woken once per burst, not once per message; it re-checks the queue
//! after registering, so no wake-up is lost. The queue lives inside the connection's shared state
//! (`socket.rs`) and knows nothing of close reasons or metrics.
//!
//! It is bounded twice: by messages and by bytes. The byte bound is what caps the memory a reader
//! that never reads can pin (replies can be as large as the requests that caused them); a push into
//! an empty queue is always taken, so one message larger than the byte bound still gets through.

use std::collections::VecDeque;
use std::future::poll_fn;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Mutex, MutexGuard, PoisonError};
use std::task::{Context, Poll};

use futures_util::task::AtomicWaker;

use super::{EngineConnection, Message};

/// Why messages were not queued.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Refused {
    /// The queue cannot take them all.
    Full,
    /// The receiver is gone: the connection's transport has finished.
    Closed,
}

/// Messages handed to a queue together: borrowed ones are cloned in, owned ones moved in (a frame
/// built for one recipient never needs a second reference).
pub trait Outgoing {
    /// The messages, in order.
    fn messages(&self) -> &[Message];
    /// Appends them to `queue`.
    fn append_to(self, queue: &mut VecDeque<Message>);
}

impl<T: AsRef<[Message]> + ?Sized> Outgoing for &T {
    fn messages(&self) -> &[Message] {
        (*self).as_ref()
    }
    fn append_to(self, queue: &mut VecDeque<Message>) {
        queue.extend(self.as_ref().iter().cloned());
    }
}

impl Outgoing for Vec<Message> {
    fn messages(&self) -> &[Message] {
        self
    }
    fn append_to(self, queue: &mut VecDeque<Message>) {
        queue.extend(self);
    }
}

impl Outgoing for Message {
    fn messages(&self) -> &[Message] {
        std::slice::from_ref(self)
    }
    fn append_to(self, queue: &mut VecDeque<Message>) {
        queue.push_back(self);
    }
}

/// The shared half: what senders push onto.
#[derive(Debug)]
pub(crate) struct OutQueue {
    messages: Mutex<Queued>,
    capacity: usize,
    max_bytes: usize,
    receiver_gone: AtomicBool,
    waker: AtomicWaker,
}

/// The queued messages and their bytes on the wire.
#[derive(Debug, Default)]
struct Queued {
    messages: VecDeque<Message>,
    bytes: usize,
}

impl OutQueue {
    /// An empty queue that holds at most `capacity` messages (at least one) and, unless a single
    /// push finds it empty, at most `max_bytes` bytes.
    pub(crate) fn new(capacity: usize, max_bytes: usize) -> Self {
        Self {
            messages: Mutex::new(Queued::default()),
            capacity: capacity.max(1),
            max_bytes,
            receiver_gone: AtomicBool::new(false),
            waker: AtomicWaker::new(),
        }
    }

    /// Queues all of `messages` or none of them.
    pub(crate) fn push_all(&self, outgoing: impl Outgoing) -> Result<(), Refused> {
        let messages = outgoing.messages();
        let was_empty = {
            let mut queue = self.lock();
            // Read under the lock: the receiver sets it under the same lock, so nothing is queued after
            // the receiver has emptied the queue for good.
            if self.receiver_gone.load(Ordering::Relaxed) {
                return Err(Refused::Closed);
            }
            if queue.messages.len() + messages.len() > self.capacity {
                return Err(Refused::Full);
            }
            let bytes: usize = messages.iter().map(Message::wire_len).sum();
            let was_empty = queue.messages.is_empty();
            if !was_empty && queue.bytes.saturating_add(bytes) > self.max_bytes {
                return Err(Refused::Full);
            }
            queue.bytes = queue.bytes.saturating_add(bytes);
            outgoing.append_to(&mut queue.messages);
            was_empty
        };
        // A receiver only waits on an empty queue; a non-empty one was already signalled.
        if was_empty {
            self.waker.wake();
        }
        Ok(())
    }

    /// Whether the receiver is gone.
    pub(crate) fn is_closed(&self) -> bool {
        self.receiver_gone.load(Ordering::Acquire)
    }

    fn pop(&self) -> Option<Message> {
        let mut queue = self.lock();
        let message = queue.messages.pop_front()?;
        queue.bytes = queue.bytes.saturating_sub(message.wire_len());
        Some(message)
    }

    fn poll_pop(&self, cx: &mut Context<'_>) -> Poll<Message> {
        if let Some(message) = self.pop() {
            return Poll::Ready(message);
        }
        self.waker.register(cx.waker());
        // A push between the first look and the registration found no waker to wake: look again.
        match self.pop() {
            Some(message) => Poll::Ready(message),
            None => Poll::Pending,
        }
    }

    fn close_receiver(&self) {
        let dropped = {
            let mut queue = self.lock();
            self.receiver_gone.store(true, Ordering::Release);
            std::mem::take(&mut *queue)
        };
        // Messages are dropped outside the lock.
        drop(dropped);
    }

    fn lock(&self) -> MutexGuard<'_, Queued> {
        // A queue operation cannot panic half-way (push, pop and take only), so a poisoned lock still
        // holds a consistent queue.
        self.messages.lock().unwrap_or_else(PoisonError::into_inner)
    }
}

/// The receiving half, owned by whichever transport currently writes the connection. Dropping it
/// closes the queue: later sends fail with [`Refused::Closed`].
#[derive(Debug)]
pub struct Outbox {
    socket: EngineConnection,
}

impl Outbox {
    pub(crate) fn new(socket: EngineConnection) -> Self {
        Self { socket }
    }

    /// The next message, waiting for one if the queue is empty.
    pub async fn recv(&mut self) -> Message {
        poll_fn(|cx| self.socket.queue().poll_pop(cx)).await
    }

    /// The next message if one is queued.
    pub fn try_recv(&mut self) -> Option<Message> {
        self.socket.queue().pop()
    }
}

impl Drop for Outbox {
    fn drop(&mut self) {
        self.socket.queue().close_receiver();
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use std::sync::Arc;
    use std::time::Duration;

    use super::*;
    use crate::transport::RequestInfo;

    fn socket(capacity: usize) -> (EngineConnection, Outbox) {
        let request = RequestInfo {
            headers: Default::default(),
            query: String::new(),
            remote_addr: None,
        };
        EngineConnection::detached("a", request, capacity)
    }

    #[test]
    fn all_or_none_up_to_the_capacity() {
        let queue = OutQueue::new(3, usize::MAX);
        let two = [Message::text("1"), Message::text("2")];
        assert_eq!(queue.push_all(&two), Ok(()));
        assert_eq!(queue.push_all(&two), Err(Refused::Full));
        assert_eq!(queue.push_all(&two[..1]), Ok(()));
        assert_eq!(queue.lock().messages.len(), 3);
        assert_eq!(
            OutQueue::new(1, usize::MAX).push_all(&two),
            Err(Refused::Full)
        );
    }

    #[test]
    fn bytes_are_bounded_but_an_empty_queue_takes_any_one_push() {
        // Each message is 4 bytes on the wire ("4" + three characters).
        let queue = OutQueue::new(100, 10);
        let big = Message::text(&"x".repeat(50));
        assert_eq!(queue.push_all(std::slice::from_ref(&big)), Ok(()));
        assert_eq!(queue.push_all(&[Message::text("abc")]), Err(Refused::Full));
        assert!(queue.pop().is_some());
        assert_eq!(queue.lock().bytes, 0);
        let small = [Message::text("abc"), Message::text("def")];
        assert_eq!(queue.push_all(&small), Ok(()));
        assert_eq!(queue.push_all(&[Message::text("ghi")]), Err(Refused::Full));
        assert_eq!(queue.lock().bytes, 8);
        assert!(queue.pop().is_some());
        assert_eq!(queue.push_all(&[Message::text("ghi")]), Ok(()));
    }

    #[tokio::test]
    async fn a_waiting_receiver_is_woken_by_a_push_from_another_task() {
        let (socket, mut outbox) = socket(8);
        let sender = tokio::spawn(async move {
            tokio::time::sleep(Duration::from_millis(20)).await;
            socket.send(Message::text("late")).unwrap();
            socket
        });
        let received = tokio::time::timeout(Duration::from_secs(5), outbox.recv()).await;
        assert_eq!(received.unwrap().as_text(), Some("late"));
        drop(sender.await.unwrap());
    }

    #[tokio::test]
    async fn messages_come_out_in_order_across_bursts() {
        // Roomy enough never to fill: a full queue would close the connection.
        let (socket, mut outbox) = socket(1024);
        let socket = Arc::new(socket);
        let sender = {
            let socket = socket.clone();
            tokio::spawn(async move {
                for n in 0..1000 {
                    socket.send(Message::text(&n.to_string())).unwrap();
                    if n % 7 == 0 {
                        tokio::task::yield_now().await;
                    }
                }
            })
        };
        for n in 0..1000 {
            let message = tokio::time::timeout(Duration::from_secs(5), outbox.recv())
                .await
                .unwrap();
            assert_eq!(message.as_text(), Some(n.to_string().as_str()));
        }
        sender.await.unwrap();
        assert!(outbox.try_recv().is_none());
    }

    #[test]
    fn dropping_the_receiver_closes_the_queue_and_frees_what_was_queued() {
        let (socket, outbox) = socket(4);
        let message = Message::text("kept?");
        socket.send(message.clone()).unwrap();
        drop(outbox);
        assert!(socket.is_closed());
        assert!(socket.send(message).is_err());
        assert!(socket.queue().lock().messages.is_empty());
    }
}
