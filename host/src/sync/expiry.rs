//! Sessions end with their token, and a connection can renew its token without reconnecting.
//!
//! Once a second, every socket whose session has passed its token's `exp` (plus the leeway) gets a
//! `sessionExpired` event (an error envelope, code `auth.sessionExpired`) and then, as `[auth]
//! on_expiry` says, either loses its session (it stays connected as an anonymous peer and leaves
//! the rooms anonymous members may not be in; its user's remembered rooms are kept for its return)
//! or is disconnected. A `renew` event carries a new token for the same user: the session is
//! replaced (or restored, after it ran out, with the user's remembered rooms rejoined) and the ack
//! says when the new one ends. A token that does not verify changes nothing.

use std::sync::Arc;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use serde_json::value::RawValue;

use super::envelope::Envelopes;
use super::failure::{Code, Failure};
use super::peer::Peer;
use super::room_policy::admit;
use super::service::SyncService;
use crate::config::OnExpiry;
use crate::protocol::Socket;
use crate::session::token_from_auth;

/// The event telling a socket its session ended.
pub const SESSION_EXPIRED_EVENT: &str = "sessionExpired";

/// How often expired sessions are looked for.
const SWEEP_EVERY: Duration = Duration::from_secs(1);

/// Now, in Unix seconds.
pub(super) fn now_s() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |elapsed| elapsed.as_secs())
}

impl SyncService {
    /// Ends expired sessions once a second, for as long as the service lives.
    pub async fn expire_sessions(self: Arc<Self>) {
        let mut tick = tokio::time::interval(SWEEP_EVERY);
        tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        loop {
            tick.tick().await;
            self.end_expired(now_s());
        }
    }

    /// Ends the sessions of this node's sockets that expired by `now` (Unix seconds); returns how
    /// many.
    pub fn end_expired(&self, now: u64) -> usize {
        let mut ended = 0;
        for socket in self.namespace.broadcast().sockets() {
            let Some(peer) = Peer::current(&socket) else {
                continue;
            };
            if peer.expired(now) {
                self.end_session(&socket, &peer);
                ended += 1;
            }
        }
        ended
    }

    fn end_session(&self, socket: &Socket, peer: &Peer) {
        let now = now_s();
        let close = self.config().auth.on_expiry == OnExpiry::Close;
        // Decided on the peer as it is now: a renewal that got in after the sweep looked keeps its
        // session. Room tokens were granted to the user, so they go with the session.
        let Some((before, after)) = Peer::update(socket, |current| {
            if !current.expired(now) || close {
                return current.clone();
            }
            Peer {
                session: None,
                expires_at: None,
                granted: Arc::default(),
                ..current.clone()
            }
        }) else {
            return;
        };
        if !before.expired(now) {
            return;
        }
        tracing::info!(
            socket = socket.id(),
            user = peer.user_id(),
            "session expired"
        );
        self.tell(
            socket,
            SESSION_EXPIRED_EVENT,
            &Failure::new(Code::SessionExpired),
            &peer.language,
        );
        if close {
            socket.disconnect();
            return;
        }
        let config = self.config();
        for room in socket.rooms() {
            if &*room == socket.id() {
                continue;
            }
            // A join handler decided for the session, not for an anonymous member: fail closed, but
            // keep the room remembered, since the handler's verdict on the user still stands.
            let guarded = config.rooms.policy_for(&room).join.is_some();
            let refused = admit(&config.rooms, &room, None).is_err();
            if guarded || refused {
                self.take_out(socket, &after, &room, refused);
            }
        }
        // Room queries (`rooms.members`) now see this member without its old session.
        self.report_session(socket, None);
    }

    /// A `renew` event: verifies the new token and replaces the socket's session; returns the
    /// JSON answer (`{"status":"success","expiresAt":<unix s>}` or an error envelope).
    pub async fn renew(&self, socket: &Socket, arg: Option<&RawValue>) -> String {
        let peer = Peer::of(socket);
        match self.renewed(socket, &peer, arg).await {
            Ok(expires) => Envelopes::success_with(&format!(r#""expiresAt":{expires}"#)),
            Err(failure) => self.envelopes.error(&failure, &peer.language),
        }
    }

    async fn renewed(
        &self,
        socket: &Socket,
        peer: &Peer,
        arg: Option<&RawValue>,
    ) -> Result<u64, Failure> {
        let invalid = || Failure::new(Code::InvalidRequest).text("field", "token");
        let arg = arg.ok_or_else(invalid)?;
        let token = match serde_json::from_str::<String>(arg.get()) {
            Ok(token) => Some(token.trim().to_owned()).filter(|token| !token.is_empty()),
            Err(_) => token_from_auth(arg),
        }
        .ok_or_else(invalid)?;
        let (session, expires) = self
            .verifier
            .verify_expiring(&token)
            .map_err(|error| Failure::token(&error))?;
        match &peer.signed_in_as {
            Some(user) if **user == *session.id => {}
            Some(_) => return Err(Failure::new(Code::RenewOtherUser)),
            // An anonymous connection signs in by connecting with a token, not by renewing.
            None => return Err(Failure::auth(&crate::session::AuthFailure::LoginRequired)),
        }
        let session = Arc::new(session);
        let now = now_s();
        let Some((before, renewed)) = Peer::update(socket, |current| Peer {
            session: Some(session.clone()),
            expires_at: Some(expires),
            ..current.clone()
        }) else {
            return Err(invalid());
        };
        self.report_session(socket, renewed.session.as_ref());
        if before.session.is_none() || before.expired(now) {
            self.rejoin(socket, &renewed).await;
        }
        Ok(expires)
    }

    /// Tells the presence the socket's rooms hold it with `session` now (a member is reported once,
    /// with the session it joined with, so the old entry goes first).
    fn report_session(&self, socket: &Socket, session: Option<&Arc<crate::plugin::Session>>) {
        for room in socket.rooms() {
            if &*room == socket.id() {
                continue;
            }
            self.seams.presence.left(socket.id(), &room);
            self.seams.presence.joined(socket.id(), &room, session);
        }
    }
}
