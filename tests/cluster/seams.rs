//! `Seams::redis` on what `cluster::connect` builds: the pipeline's remembered rooms and rate windows
//! are the cluster's.

use std::sync::Arc;

use synchost::store::RoomMemory;
use synchost::sync::{Identity, NoPresence, RateWindows, Seams, SoloBus};
use synchost_tests::redis::RedisServer;

use crate::node::Node;

#[test]
fn seams_built_on_the_shared_state_see_the_other_node() {
    let redis = RedisServer::start();
    let (a, b) = (Node::on(&redis), Node::on(&redis));
    let seams = Seams::redis(
        a.state.memory.clone(),
        a.state.rates.clone(),
        Arc::new(SoloBus::default()),
        Arc::new(NoPresence),
    );
    assert!(b.state.memory.join("u", "lobby", 4).unwrap());
    assert_eq!(seams.memory.rooms("u").unwrap(), ["lobby"]);
    let user = || Identity::User("u".into());
    assert_eq!(b.state.rates.check("r", user(), 1), Ok(()));
    assert!(seams.rates.check("r", user(), 1).is_err());
}
