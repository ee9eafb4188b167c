//! Packs a client batch into its flat form: the input, the server output, the room and every
//! recipient's session (`packed-session` ranges) in one `data` buffer, so lowering a batch costs
//! three guest allocations however many recipients it holds.
//!
//! The [`BatchBuffer`] keeps the payloads as a prefix of `data` and is refilled for every chunk of
//! a call, keeping its capacity, so a fan-out allocates its buffers once. It must never produce a
//! range outside `data` or `roles`: the guest SDK trusts these ranges to be in bounds and on UTF-8
//! boundaries.

use std::sync::Arc;

use super::bindings::{ClientBatch, PackedSession, Session, Span};

/// Bytes reserved for session data up front: enough for a few typical sessions without regrowth.
const SESSION_DATA_CAPACITY: usize = 512;

/// The client batch of one call, refilled chunk by chunk.
pub struct BatchBuffer {
    batch: ClientBatch,
    /// Length of the payload prefix of `data` (input, server output, room).
    prefix: usize,
}

/// Appends `bytes` to `data` and returns their range. Past 4 GiB of session data (never reached
/// by real sessions) the bytes are cut to fit, so every range stays addressable.
fn push(data: &mut Vec<u8>, bytes: &[u8]) -> Span {
    push_within(data, bytes, u32::MAX)
}

/// [`push`] with `data` capped at `limit` bytes.
fn push_within(data: &mut Vec<u8>, bytes: &[u8], limit: u32) -> Span {
    let start = u32::try_from(data.len()).unwrap_or(limit).min(limit);
    let room = (limit - start) as usize;
    let mut kept = bytes.len().min(room);
    // Never cut a string inside a character.
    while kept < bytes.len() && kept > 0 && (bytes[kept] & 0xc0) == 0x80 {
        kept -= 1;
    }
    data.extend_from_slice(&bytes[..kept]);
    Span {
        start,
        len: kept as u32,
    }
}

fn pack(data: &mut Vec<u8>, roles: &mut Vec<Span>, session: &Session) -> PackedSession {
    let first_role = roles.len();
    roles.extend(session.roles.iter().map(|role| push(data, role.as_bytes())));
    PackedSession {
        id: push(data, session.id.as_bytes()),
        name: session
            .name
            .as_deref()
            .map(|name| push(data, name.as_bytes())),
        email: session
            .email
            .as_deref()
            .map(|email| push(data, email.as_bytes())),
        language: session
            .language
            .as_deref()
            .map(|language| push(data, language.as_bytes())),
        admin: session.admin,
        roles: Span {
            start: u32::try_from(first_role).unwrap_or(u32::MAX),
            len: u32::try_from(roles.len() - first_role).unwrap_or(0),
        },
        extra: push(data, &session.extra),
    }
}

impl BatchBuffer {
    /// A buffer for a call with these payloads.
    pub fn new(input: &[u8], server_output: Option<&[u8]>, room: &str) -> Self {
        let mut data = Vec::with_capacity(
            input.len() + server_output.map_or(0, <[u8]>::len) + room.len() + SESSION_DATA_CAPACITY,
        );
        let input = push(&mut data, input);
        let server_output = server_output.map(|output| push(&mut data, output));
        let room = push(&mut data, room.as_bytes());
        Self {
            prefix: data.len(),
            batch: ClientBatch {
                data,
                input,
                server_output,
                room,
                roles: Vec::new(),
                recipients: Vec::new(),
            },
        }
    }

    /// Replaces the batch's recipients with `recipients` and returns the batch to send.
    pub fn fill(&mut self, recipients: &[Option<Arc<Session>>]) -> &ClientBatch {
        let batch = &mut self.batch;
        batch.data.truncate(self.prefix);
        batch.roles.clear();
        batch.recipients.clear();
        batch.recipients.extend(recipients.iter().map(|recipient| {
            recipient
                .as_ref()
                .map(|session| pack(&mut batch.data, &mut batch.roles, session))
        }));
        &self.batch
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    fn text(batch: &ClientBatch, span: Span) -> &str {
        let bytes = &batch.data[span.start as usize..][..span.len as usize];
        std::str::from_utf8(bytes).unwrap()
    }

    #[test]
    fn every_field_round_trips_through_its_range() {
        let ann = Session {
            id: "ann".into(),
            name: Some("Ann Ö".into()),
            email: None,
            language: Some("nl".into()),
            admin: true,
            roles: vec!["editor".into(), "owner".into()],
            extra: vec![0x81, 0xa1, b'a', 0x01],
        };
        let bob = Session {
            id: "bob".into(),
            roles: vec!["viewer".into()],
            extra: vec![],
            ..ann.clone()
        };
        let mut buffer = BatchBuffer::new(&[0x80, 0xc0], Some(&[0x07]), "room");
        // A second fill replaces the first entirely.
        buffer.fill(&[Some(Arc::new(bob.clone()))]);
        let batch = buffer.fill(&[
            Some(Arc::new(ann.clone())),
            None,
            Some(Arc::new(bob.clone())),
        ]);
        assert_eq!(batch.recipients.len(), 3);
        assert_eq!(
            &batch.data[batch.input.start as usize..][..2],
            &[0x80, 0xc0]
        );
        let output = batch.server_output.unwrap();
        assert_eq!(
            &batch.data[output.start as usize..][..output.len as usize],
            &[0x07]
        );
        assert_eq!(text(batch, batch.room), "room");
        assert!(batch.recipients[1].is_none());
        for (packed, session) in [(0, &ann), (2, &bob)] {
            let packed = batch.recipients[packed].unwrap();
            assert_eq!(text(batch, packed.id), session.id);
            assert_eq!(
                packed.name.map(|span| text(batch, span)),
                session.name.as_deref()
            );
            assert_eq!(packed.email, None);
            assert_eq!(packed.language.map(|span| text(batch, span)), Some("nl"));
            assert!(packed.admin);
            let roles: Vec<&str> = batch.roles[packed.roles.start as usize..]
                [..packed.roles.len as usize]
                .iter()
                .map(|span| text(batch, *span))
                .collect();
            assert_eq!(roles, session.roles);
            let extra = &batch.data[packed.extra.start as usize..][..packed.extra.len as usize];
            assert_eq!(extra, session.extra.as_slice());
        }
    }

    #[test]
    fn a_range_is_cut_to_fit_and_never_splits_a_character() {
        let mut data = vec![0; 8];
        let span = push_within(&mut data, "aé".as_bytes(), 10);
        assert_eq!((span.start, span.len), (8, 1));
        let span = push_within(&mut data, b"xyz", 10);
        assert_eq!((span.start, span.len), (9, 1));
        let span = push_within(&mut data, b"xyz", 10);
        assert_eq!((span.start, span.len), (10, 0));
        assert_eq!(data.len(), 10);
    }
}
