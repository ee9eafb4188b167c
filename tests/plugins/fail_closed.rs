//! Routes fail closed: a version is served only with every stage it was first published with. A
//! deleted or broken stage makes the version unavailable (never a server-only route that would deliver
//! unfiltered output, never a client-only one that would borrow the client stage's auth), also after a
//! restart. A stage added beside a published one joins the version and is required from then on, and
//! a new version seen with one stage waits a scan, so a two-file deploy is not served half.

use std::path::Path;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};

use synchost::plugin::{PluginRuntime, Route, RouteKey, ScanHook, Stage};
use synchost_tests::plugins::{PluginSandbox, example_plugins, wait_for};

const SERVER_V1: &str = "examples/_sync/updateCounter_server_v1.wasm";
const CLIENT_V1: &str = "examples/_sync/updateCounter_client_v1.wasm";

fn key() -> RouteKey {
    RouteKey::new("examples", "updateCounter", 1)
}

fn two_stages() -> PluginSandbox {
    let sandbox = PluginSandbox::new().unwrap();
    sandbox.add(example_plugins(), SERVER_V1).unwrap();
    sandbox.add(example_plugins(), CLIENT_V1).unwrap();
    sandbox
}

/// The missing stage and the reason, once the version is refused.
fn refused(runtime: &PluginRuntime) -> (Stage, String) {
    let refused = wait_for("the version to be refused", || runtime.unavailable(&key())).unwrap();
    assert!(
        runtime.route(&key()).is_none(),
        "a refused version is not served"
    );
    let listed = runtime.status().unavailable;
    assert_eq!(listed.len(), 1);
    assert_eq!(listed[0].key, key());
    (refused.stage, refused.reason)
}

fn served_with_both(runtime: &PluginRuntime) {
    let route = wait_for("both stages to be served", || {
        runtime
            .route(&key())
            .filter(|route| route.server().is_some() && route.client().is_some())
    })
    .unwrap();
    assert_eq!(route.key(), &key());
    assert!(runtime.unavailable(&key()).is_none());
}

#[tokio::test]
async fn a_deleted_client_stage_makes_the_version_unavailable_until_it_is_back() {
    let sandbox = two_stages();
    let runtime = sandbox.start().unwrap();
    served_with_both(&runtime);
    sandbox.remove(CLIENT_V1).unwrap();
    let (stage, reason) = refused(&runtime);
    assert_eq!(stage, Stage::Client);
    assert!(reason.contains("gone"), "{reason}");
    sandbox.add(example_plugins(), CLIENT_V1).unwrap();
    served_with_both(&runtime);
}

#[tokio::test]
async fn a_deleted_server_stage_never_leaves_a_client_only_route() {
    let sandbox = two_stages();
    let runtime = sandbox.start().unwrap();
    served_with_both(&runtime);
    sandbox.remove(SERVER_V1).unwrap();
    assert_eq!(refused(&runtime).0, Stage::Server);
}

#[tokio::test]
async fn a_version_with_every_file_deleted_is_unpublished() {
    let sandbox = two_stages();
    let runtime = sandbox.start().unwrap();
    served_with_both(&runtime);
    sandbox.remove(CLIENT_V1).unwrap();
    refused(&runtime);
    sandbox.remove(SERVER_V1).unwrap();
    wait_for("the version to go", || {
        runtime.unavailable(&key()).is_none().then_some(())
    })
    .unwrap();
    assert!(runtime.route(&key()).is_none());
    assert!(runtime.status().unavailable.is_empty());
}

#[tokio::test]
async fn a_client_stage_that_does_not_load_on_a_fresh_start_refuses_the_version() {
    let sandbox = PluginSandbox::new().unwrap();
    sandbox.add(example_plugins(), SERVER_V1).unwrap();
    sandbox.write_plugin(CLIENT_V1, b"not a component").unwrap();
    let runtime = sandbox.start().unwrap();
    let (stage, reason) = refused(&runtime);
    assert_eq!(stage, Stage::Client);
    assert!(reason.contains("did not load"), "{reason}");
    sandbox.add(example_plugins(), CLIENT_V1).unwrap();
    served_with_both(&runtime);
}

#[tokio::test]
async fn a_stage_deleted_while_the_host_was_down_still_refuses_the_version() {
    let sandbox = two_stages();
    let runtime = sandbox.start().unwrap();
    served_with_both(&runtime);
    drop(runtime);
    sandbox.remove(CLIENT_V1).unwrap();
    let runtime = sandbox.start().unwrap();
    let (stage, reason) = refused(&runtime);
    assert_eq!(stage, Stage::Client);
    assert!(reason.contains("server and client"), "{reason}");
}

#[tokio::test]
async fn a_stage_added_to_a_published_version_joins_it_and_is_required_from_then_on() {
    let sandbox = PluginSandbox::new().unwrap();
    sandbox.add(example_plugins(), SERVER_V1).unwrap();
    let runtime = sandbox.start().unwrap();
    let route = runtime.route(&key()).unwrap();
    assert!(route.client().is_none());
    sandbox.add(example_plugins(), CLIENT_V1).unwrap();
    served_with_both(&runtime);
    sandbox.remove(CLIENT_V1).unwrap();
    assert_eq!(refused(&runtime).0, Stage::Client);
}

#[tokio::test]
async fn a_two_stage_deploy_whose_files_land_one_scan_apart_is_never_served_half() {
    let sandbox = Arc::new(PluginSandbox::new().unwrap());
    let half_served = Arc::new(AtomicBool::new(false));
    let client_written = Arc::new(AtomicBool::new(false));
    let hook: ScanHook = Arc::new({
        let (sandbox, half_served, client_written) =
            (sandbox.clone(), half_served.clone(), client_written.clone());
        move |root: &Path, routes: &[Arc<Route>]| {
            if routes
                .iter()
                .any(|route| route.key() == &key() && route.client().is_none())
            {
                half_served.store(true, Ordering::SeqCst);
            }
            // The scan that saw the server stage alone is over: only now does the client stage land.
            if root.join(SERVER_V1).exists() && !client_written.swap(true, Ordering::SeqCst) {
                sandbox.add(example_plugins(), CLIENT_V1).unwrap();
            }
        }
    });
    let runtime = sandbox.start_hooked(hook).unwrap();
    sandbox.add(example_plugins(), SERVER_V1).unwrap();
    served_with_both(&runtime);
    assert!(client_written.load(Ordering::SeqCst));
    assert!(
        !half_served.load(Ordering::SeqCst),
        "a scan published the server stage alone"
    );
}

#[tokio::test]
async fn a_new_one_stage_version_is_published_one_scan_later() {
    let sandbox = two_stages();
    let runtime = sandbox.start().unwrap();
    served_with_both(&runtime);
    sandbox
        .add_as(
            example_plugins(),
            SERVER_V1,
            "examples/_sync/updateCounter_server_v9.wasm",
        )
        .unwrap();
    let route = wait_for("the new version", || {
        runtime.route(&RouteKey::new("examples", "updateCounter", 9))
    })
    .unwrap();
    assert!(route.client().is_none());
}
