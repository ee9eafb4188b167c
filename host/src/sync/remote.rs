//! Syncs prepared on other nodes, delivered to this node's members.
//!
//! A node of a cluster receives every sync published on the bus. It runs the client stage for its
//! own members with their own sessions, exactly as the sender's node does for its members, and
//! encodes once per distinct frame. Order: each sender's syncs arrive from the bus in the order they
//! were published and are delivered on one of a fixed set of lanes chosen by the sender, so they stay
//! in order while different senders are delivered in parallel. The server stage never runs here.
//!
//! Rolling deploys: when this node's current version of the route has the same stage contents as the
//! sender pinned, that is what runs. Otherwise this node's current version runs and the sync is
//! counted (`other_version`); if the sender's version had a client stage and this node's has none,
//! nothing is delivered (fail closed: unfiltered output never reaches members), and it is counted.

use std::hash::{BuildHasher, RandomState};
use std::sync::Arc;

use bytes::Bytes;
use tokio::sync::mpsc;

use super::bus::{BusStats, WireSync};
use super::convert::msgpack_to_json;
use super::fanout::{Audience, Delivery};
use super::lane::Lane;
use super::service::SyncService;

/// Lanes remote syncs are spread over, by sender.
const REMOTE_LANES: usize = 64;
/// Syncs one lane holds before the bus reader waits for it.
const LANE_DEPTH: usize = 256;

impl SyncService {
    /// Delivers the syncs other nodes publish, until the bus stops. Run it once per node, on its own
    /// task, with the receiving end of the cluster bus.
    pub async fn serve_remote(self: Arc<Self>, mut incoming: mpsc::Receiver<Bytes>) {
        let lanes: Vec<Lane> = (0..REMOTE_LANES).map(|_| Lane::start(LANE_DEPTH)).collect();
        let hasher = RandomState::new();
        while let Some(bytes) = incoming.recv().await {
            let stats = self.bus_stats();
            BusStats::count(&stats.received);
            let sync = match WireSync::decode(&bytes) {
                Ok(sync) => sync,
                Err(error) => {
                    BusStats::count(&stats.undecodable);
                    tracing::warn!(%error, "dropped a sync from the bus");
                    continue;
                }
            };
            let sender = (&sync.sender_socket, &sync.sender_user);
            let lane = &lanes[(hasher.hash_one(sender) % REMOTE_LANES as u64) as usize];
            let Ok(slot) = lane.reserve_waiting().await else {
                return;
            };
            let service = self.clone();
            slot.run(async move { service.deliver_remote(sync).await });
        }
    }

    async fn deliver_remote(&self, sync: WireSync) {
        let stats = self.bus_stats();
        let key = sync.route();
        let Some(route) = self.runtime.route(&key) else {
            BusStats::count(&stats.undeliverable);
            tracing::warn!(route = %key, "sync from another node for a route not published here");
            return;
        };
        let same = route.server().map(|stage| stage.hash()) == sync.server_hash.as_deref()
            && route.client().map(|stage| stage.hash()) == sync.client_hash.as_deref();
        if !same {
            if sync.client_hash.is_some() && route.client().is_none() {
                BusStats::count(&stats.undeliverable);
                tracing::warn!(route = %key, "sync from another node needs a client stage this node lacks; not delivered");
                return;
            }
            BusStats::count(&stats.other_version);
        }
        let server_json = match sync
            .server_output
            .as_deref()
            .map(|output| msgpack_to_json(output))
        {
            Some(Ok(json)) => Some(json),
            Some(Err(error)) => {
                BusStats::count(&stats.undeliverable);
                tracing::warn!(route = %key, %error, "server output from another node is not representable as JSON");
                return;
            }
            None => None,
        };
        let call = self.runtime.begin(route);
        self.deliver_here(Delivery {
            key: &key,
            audience: Audience {
                room: sync.room.clone(),
                except_socket: sync.sender_socket.clone().filter(|_| sync.ignore_self),
                except_user: sync.sender_user.clone().filter(|_| sync.ignore_self),
            },
            call,
            input: Bytes::from(sync.input),
            server_output: sync
                .server_output
                .map(|output| Bytes::from(output.into_vec())),
            server_json: server_json.as_deref(),
            early: None,
        })
        .await;
    }
}
