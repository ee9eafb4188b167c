//! The frames of one fan-out: how they are written ([`Frames`]) and how a client-stage fan-out
//! hands them out ([`Built`]). A distinct frame is built once; its last recipient gets it moved into
//! its queue, the others share it, so a frame meant for one recipient is never reference-counted.

use super::envelope::{Envelopes, FrameNames};
use super::failure::Failure;
use crate::protocol::emit::EventTemplate;
use crate::protocol::{Args, Socket, emit};
use crate::transport::Message;

/// What one recipient of a client-stage fan-out gets.
pub(super) enum Planned {
    /// Frame `n` of [`Built`].
    Frame(usize),
    /// Its own error frame.
    Error(Vec<Message>),
    /// Nothing.
    Skip,
}

/// The distinct success frames of one fan-out, each with the number of recipients still to get it.
#[derive(Default)]
pub(super) struct Built {
    frames: Vec<(Option<Message>, usize)>,
}

impl Built {
    /// Adds a frame for one recipient; returns its index.
    pub(super) fn add(&mut self, frame: Message) -> usize {
        self.frames.push((Some(frame), 1));
        self.frames.len() - 1
    }

    /// One more recipient of frame `index`.
    pub(super) fn share(&mut self, index: usize) -> usize {
        if let Some((_, uses)) = self.frames.get_mut(index) {
            *uses += 1;
        }
        index
    }

    /// Queues frame `index` for `socket`: moved to its last recipient, shared with the others.
    /// Returns whether the queue took it.
    pub(super) fn send(&mut self, index: usize, socket: &Socket) -> bool {
        let Some((frame, uses)) = self.frames.get_mut(index) else {
            return false;
        };
        *uses = uses.saturating_sub(1);
        let sent = if *uses == 0 {
            frame.take().map(|frame| socket.send_frames(frame, false))
        } else {
            frame
                .as_ref()
                .map(|shared| socket.send_frames(std::slice::from_ref(shared), false))
        };
        matches!(sent, Some(Ok(())))
    }
}

/// Builds the `sync` frames of one fan-out.
pub(super) struct Frames<'a> {
    pub(super) namespace: &'a str,
    pub(super) names: &'a FrameNames,
    pub(super) server_json: Option<&'a str>,
    pub(super) envelopes: &'a Envelopes,
}

impl Frames<'_> {
    /// The success frame without a client output.
    pub(super) fn plain_success(&self) -> Message {
        self.success_template().fill("null")
    }

    /// The success frame with the client output left to fill in.
    pub(super) fn success_template(&self) -> EventTemplate {
        EventTemplate::new(
            self.namespace,
            "sync",
            &Envelopes::recipient_success_head(self.names, self.server_json),
        )
    }

    pub(super) fn error(&self, failure: &Failure, language: &str) -> Vec<Message> {
        self.encode(
            &self
                .envelopes
                .recipient_error(self.names, failure, language),
        )
    }

    fn encode(&self, payload: &str) -> Vec<Message> {
        let args = Args::from_compact_unchecked(format!("[{payload}]"));
        emit::event(self.namespace, "sync", &args, &[], None)
    }
}
