//! The limits a hostile handler pushes on: memories per component and per instance, output depth,
//! the bytes of one fan-out, WASI random, forged log lines and HTTP statuses. Each attack is
//! contained with its own code, and another route keeps answering while the hostile one runs.

use std::io::Write;
use std::sync::{Arc, Mutex, OnceLock, PoisonError};

use serde_json::json;
use synchost::plugin::{
    ClientBatchCall, PluginRuntime, RecipientOutcome, RouteKey, ServerCall, StageError,
};
use synchost::sync::Failure;
use synchost_tests::compose::with_extra_memories;
use synchost_tests::plugins::{PluginSandbox, fixture_plugins, pack, session, unpack, wait_for};

use crate::support::{failure_code, outcome_code};

const LIMITS_SERVER: &str = "hostile/_sync/limits_server_v1.wasm";
const LIMITS_CLIENT: &str = "hostile/_sync/limits_client_v1.wasm";
/// The bystander: another route whose `ok` must keep answering.
const ATTACK_SERVER: &str = "hostile/_sync/attack_server_v1.wasm";
/// Where composed many-memory components are written.
const MEMORIES: &str = "hostile/_sync/memories_server_v1.wasm";

fn sandbox(runtime: &str, limits: &str) -> PluginSandbox {
    let sandbox = PluginSandbox::new().unwrap();
    for file in [LIMITS_SERVER, LIMITS_CLIENT, ATTACK_SERVER] {
        sandbox.add(fixture_plugins(), file).unwrap();
    }
    sandbox.write_config_with_runtime(runtime, limits).unwrap();
    sandbox
}

async fn attack(runtime: &PluginRuntime, name: &str, n: u64) -> Result<bytes::Bytes, StageError> {
    let route = runtime
        .route(&RouteKey::new("hostile", "limits", 1))
        .unwrap();
    let call = ServerCall {
        input: pack(&json!({ "attack": name, "n": n })),
        caller: None,
        room: "lab".into(),
    };
    runtime.call_server(&route, call).await
}

/// Another route answers.
async fn bystander(runtime: &PluginRuntime) {
    let route = runtime
        .route(&RouteKey::new("hostile", "attack", 1))
        .unwrap();
    let call = ServerCall {
        input: pack(&json!({ "attack": "ok" })),
        caller: None,
        room: "lab".into(),
    };
    let output = runtime.call_server(&route, call).await.unwrap();
    assert_eq!(unpack(&output).unwrap(), json!({ "ok": true }));
}

/// Runs `hostile` while the bystander route is called; both must complete.
async fn alongside<T>(runtime: &PluginRuntime, hostile: impl Future<Output = T>) -> T {
    let (result, ()) = tokio::join!(hostile, bystander(runtime));
    result
}

fn failure_detail(result: &Result<bytes::Bytes, StageError>) -> &str {
    match result {
        Err(StageError::Failed(error)) => &error.detail,
        other => panic!("expected a plugin failure, got {other:?}"),
    }
}

#[tokio::test]
async fn outputs_nested_past_max_output_depth_are_refused_with_their_own_code() {
    let sandbox = sandbox("", "");
    let runtime = sandbox.start().unwrap();
    let output = alongside(&runtime, attack(&runtime, "deepOutput", 32)).await;
    assert!(output.is_ok(), "{output:?}");
    for depth in [33, 1000, 100_000] {
        let result = alongside(&runtime, attack(&runtime, "deepOutput", depth)).await;
        assert_eq!(
            failure_code(&result),
            "plugin.outputTooDeep",
            "depth {depth}"
        );
    }
    // The bound (default 32) applies to each recipient's client output too.
    let route = runtime
        .route(&RouteKey::new("hostile", "limits", 1))
        .unwrap();
    for (deep, code) in [(32, None), (33, Some("plugin.outputTooDeep"))] {
        let call = ClientBatchCall {
            input: pack(&json!({ "deep": deep })),
            server_output: None,
            room: "lab".into(),
            recipients: vec![Some(Arc::new(session("a"))), Some(Arc::new(session("b")))],
        };
        let outcomes = alongside(&runtime, runtime.call_clients(&route, call))
            .await
            .unwrap();
        for outcome in &outcomes {
            assert_eq!(outcome_code(outcome), code, "deep {deep}: {outcome:?}");
        }
    }
    let ok = attack(&runtime, "ok", 0).await.unwrap();
    assert_eq!(unpack(&ok).unwrap(), json!({ "ok": true }));
}

/// Memory never shrinks: an instance that keeps `n` bytes on every call would fail a call once it
/// reached `memory_mb`. It is retired before that, and every call succeeds.
#[tokio::test]
async fn an_instance_whose_memory_keeps_growing_is_retired_before_a_call_fails() {
    let sandbox = sandbox("", "[plugins.routes.\"hostile/limits\"]\nmemory_mb = 8\n");
    let runtime = sandbox.start().unwrap();
    // 256 KiB kept per call: about 25 calls fill 8 MiB.
    for call in 0..120 {
        let result = attack(&runtime, "leak", 256 * 1024).await;
        assert!(result.is_ok(), "call {call}: {result:?}");
    }
    // A single call larger than the cap still fails with its code.
    let result = attack(&runtime, "leak", 16 << 20).await;
    assert_eq!(failure_code(&result), "plugin.memoryLimit");
}

#[tokio::test]
async fn wasi_random_is_capped_at_the_documented_4096_bytes() {
    let sandbox = sandbox("", "");
    let runtime = sandbox.start().unwrap();
    let output = alongside(&runtime, attack(&runtime, "wasiRandom", 4096))
        .await
        .unwrap();
    assert_eq!(unpack(&output).unwrap(), json!({ "len": 4096 }));
    for len in [4097, 64 << 20, u64::MAX] {
        let result = alongside(&runtime, attack(&runtime, "wasiRandom", len)).await;
        assert_eq!(failure_code(&result), "plugin.trap", "len {len}");
        assert!(
            failure_detail(&result).contains("4096"),
            "{}",
            failure_detail(&result)
        );
    }
    assert!(attack(&runtime, "ok", 0).await.is_ok());
}

/// Every plugin log line the host writes in this test binary, formatted as `synchost serve`
/// formats them (without colours).
fn captured_plugin_log() -> &'static Mutex<Vec<u8>> {
    static LOG: OnceLock<Arc<Mutex<Vec<u8>>>> = OnceLock::new();
    LOG.get_or_init(|| {
        use tracing_subscriber::filter::{LevelFilter, Targets};
        use tracing_subscriber::layer::SubscriberExt;
        let log = Arc::new(Mutex::new(Vec::new()));
        let sink = log.clone();
        let layer = tracing_subscriber::fmt::layer()
            .with_ansi(false)
            .with_writer(move || Capture(sink.clone()));
        let subscriber = tracing_subscriber::registry()
            .with(layer)
            .with(Targets::new().with_target("synchost::plugin::log", LevelFilter::TRACE));
        tracing::subscriber::set_global_default(subscriber).unwrap();
        log
    })
}

struct Capture(Arc<Mutex<Vec<u8>>>);

impl Write for Capture {
    fn write(&mut self, bytes: &[u8]) -> std::io::Result<usize> {
        self.0
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .extend_from_slice(bytes);
        Ok(bytes.len())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

#[tokio::test]
async fn plugin_log_lines_cannot_forge_host_lines_or_send_terminal_codes() {
    let log = captured_plugin_log();
    let sandbox = sandbox("", "");
    let runtime = sandbox.start().unwrap();
    let output = alongside(&runtime, attack(&runtime, "logForge", 0))
        .await
        .unwrap();
    assert_eq!(unpack(&output).unwrap(), json!({ "ok": true }));
    // The log import, stdout and stderr: one host line each, the forged text inside it, escaped.
    let lines = wait_for("the three plugin lines", || {
        let text = String::from_utf8_lossy(&log.lock().unwrap_or_else(PoisonError::into_inner))
            .into_owned();
        let mine: Vec<String> = text
            .split('\n')
            .filter(|line| line.contains("hostile/limits@v1"))
            .map(str::to_owned)
            .collect();
        let forged = mine
            .iter()
            .filter(|line| line.contains("forged host line"))
            .count();
        (forged >= 3).then_some((text, mine))
    })
    .unwrap();
    let (text, mine) = lines;
    assert!(
        !text
            .split('\n')
            .any(|line| line.starts_with("2026-01-01T00:00:00")),
        "a forged line starts a log line:\n{text}"
    );
    assert!(
        !text.contains(['\u{1b}', '\r', '\u{7}']),
        "control characters reached the log:\n{text:?}"
    );
    for line in mine.iter().filter(|line| line.contains("forged host line")) {
        assert!(line.contains("\\u{1b}[2J\\r\\u{7}"), "{line}");
    }
    // The log import gets one line per call, its line break shown, not taken.
    assert!(
        mine.iter()
            .any(|line| line.contains("plugin says hi\\n2026-01-01")),
        "{mine:#?}"
    );
}

#[tokio::test]
async fn plugin_log_lines_name_their_route_and_the_sync_they_were_written_in() {
    let log = captured_plugin_log();
    let sandbox = sandbox("", "");
    let runtime = sandbox.start().unwrap();
    let route = runtime
        .route(&RouteKey::new("hostile", "limits", 1))
        .unwrap();
    let mut ids = Vec::new();
    for _ in 0..2 {
        let sync = runtime.begin(route.clone());
        let call = ServerCall {
            input: pack(&json!({ "attack": "logForge", "n": 0 })),
            caller: None,
            room: "lab".into(),
        };
        sync.server(call).await.unwrap();
        ids.push(sync.id());
    }
    assert_ne!(ids[0], ids[1], "each sync has its own number");
    for id in ids {
        // That one call's lines: one from the log import, two each from stdout and stderr.
        let tag = format!("sync={id} ");
        wait_for("the sync's five plugin lines", || {
            let text = String::from_utf8_lossy(&log.lock().unwrap_or_else(PoisonError::into_inner))
                .into_owned();
            let count = text
                .split('\n')
                .filter(|line| line.contains("hostile/limits@v1:server") && line.contains(&tag))
                .count();
            (count == 5).then_some(())
        })
        .unwrap_or_else(|error| {
            let text = String::from_utf8_lossy(&log.lock().unwrap_or_else(PoisonError::into_inner))
                .into_owned();
            panic!("{error:#}: no five lines with {tag:?} in\n{text}")
        });
    }
}

#[tokio::test]
async fn a_refusal_status_outside_400_to_599_never_reaches_http() {
    let sandbox = sandbox("", "");
    let runtime = sandbox.start().unwrap();
    for (given, sent) in [
        (200, 500),
        (302, 500),
        (99, 500),
        (700, 500),
        (422, 422),
        (503, 503),
    ] {
        let result = alongside(&runtime, attack(&runtime, "badStatus", given)).await;
        let failure = Failure::stage(result.unwrap_err());
        assert_eq!(
            (failure.code.as_str(), failure.status),
            ("hostile.badStatus", sent),
            "httpStatus {given}"
        );
    }
}

#[tokio::test]
async fn one_sync_s_client_outputs_are_bounded_by_max_fan_out_mb() {
    // 100 distinct outputs of 200 KiB: 20 MiB of outputs, 40 MiB with their frames, over the
    // default max_fan_out_mb of 32.
    const OUTPUT: usize = 200 * 1024;
    const RECIPIENTS: usize = 100;
    const BUDGET: usize = 32 * 1024 * 1024;
    let sandbox = sandbox(
        "",
        "[plugins.routes.\"hostile/limits\".client]\nclient_batch_size = 4\nfuel = 1_000_000_000\ntimeout_ms = 60_000\n",
    );
    let runtime = sandbox.start().unwrap();
    let route = runtime
        .route(&RouteKey::new("hostile", "limits", 1))
        .unwrap();
    let mut recipients: Vec<_> = (0..RECIPIENTS)
        .map(|index| Some(Arc::new(session(&format!("r{index}")))))
        .collect();
    recipients.push(None);
    let call = ClientBatchCall {
        input: pack(&json!({ "size": OUTPUT })),
        server_output: None,
        room: "lab".into(),
        recipients,
    };
    let sync = runtime.begin(route);
    let outcomes = alongside(&runtime, sync.clients(call)).await.unwrap();
    assert_eq!(outcomes.len(), RECIPIENTS + 1);
    let delivered = outcomes
        .iter()
        .take_while(|outcome| matches!(outcome, RecipientOutcome::Deliver(_)))
        .count();
    // Fail-closed: everyone past the budget is refused with the code, in order, none skipped.
    // Each output counts twice: its buffer, and ahead for the frame to be built from it.
    assert!(
        delivered > 0 && delivered * OUTPUT * 2 <= BUDGET,
        "{delivered}"
    );
    for outcome in &outcomes[delivered..RECIPIENTS] {
        assert_eq!(
            outcome_code(outcome),
            Some("plugin.fanOutTooLarge"),
            "{outcome:?}"
        );
    }
    // A recipient the stage serves without an output holds nothing and is still served.
    assert_eq!(outcomes[RECIPIENTS], RecipientOutcome::DeliverPlain);
    let budget = sync.fan_out_budget();
    assert!(
        budget.used() <= budget.limit(),
        "{} > {}",
        budget.used(),
        budget.limit()
    );
    assert_eq!(budget.refused(), (RECIPIENTS - delivered) as u64);
    // Under the budget, everyone is served.
    let small = ClientBatchCall {
        input: pack(&json!({ "size": 100 })),
        server_output: None,
        room: "lab".into(),
        recipients: vec![Some(Arc::new(session("a"))); 20],
    };
    let route = runtime
        .route(&RouteKey::new("hostile", "limits", 1))
        .unwrap();
    let outcomes = runtime.call_clients(&route, small).await.unwrap();
    assert!(
        outcomes
            .iter()
            .all(|outcome| matches!(outcome, RecipientOutcome::Deliver(_)))
    );
}

/// Writes `component` as the memories route and waits until the registry has an answer for it.
fn load_error_of(sandbox: &PluginSandbox, runtime: &PluginRuntime, component: &[u8]) -> String {
    sandbox.write_plugin(MEMORIES, component).unwrap();
    runtime.rescan();
    let status = runtime.status();
    assert!(
        runtime
            .route(&RouteKey::new("hostile", "memories", 1))
            .is_none(),
        "the component was published"
    );
    status
        .errors
        .iter()
        .find(|error| error.path.ends_with("memories_server_v1.wasm"))
        .map(|error| error.message.clone())
        .unwrap_or_else(|| panic!("no load error: {status:?}"))
}

#[tokio::test]
async fn a_component_with_more_memories_than_allowed_is_refused_at_load() {
    // The defaults: max_memories_per_component = 2, max_core_instances_per_component = 8.
    let sandbox = sandbox("", "");
    let runtime = sandbox.start().unwrap();
    let built = std::fs::read(fixture_plugins().join(LIMITS_SERVER)).unwrap();
    // Four more memories (and core instances: seven in all).
    let hostile = with_extra_memories(&built, 4, 1).unwrap();
    let message = load_error_of(&sandbox, &runtime, &hostile);
    assert!(message.contains("max_memories_per_component"), "{message}");
    assert!(message.contains("linear memories"), "{message}");
    assert!(message.contains("maximum of 2"), "{message}");
    bystander(&runtime).await;
    // Sixty more: the core instances are over their bound too, and that is said first.
    let hostile = with_extra_memories(&built, 60, 1).unwrap();
    let message = load_error_of(&sandbox, &runtime, &hostile);
    assert!(message.contains("core module instances"), "{message}");
    assert!(message.contains("maximum of 8"), "{message}");
    // A fresh instance of another plugin still finds pool slots.
    let per_request = "[plugins.routes.\"hostile/attack\"]\ninstance_policy = \"per-request\"\n";
    sandbox.write_config(per_request).unwrap();
    runtime.apply_config(sandbox.config().unwrap());
    bystander(&runtime).await;
}

#[tokio::test]
async fn a_component_refused_for_pool_limits_is_not_compiled_again() {
    let sandbox = sandbox("", "");
    let runtime = sandbox.start().unwrap();
    let built = std::fs::read(fixture_plugins().join(LIMITS_SERVER)).unwrap();
    let hostile = with_extra_memories(&built, 4, 1).unwrap();
    load_error_of(&sandbox, &runtime, &hostile);
    let compiles = runtime.status().cache.compiles;
    // The same bytes under another name (a retried deploy): refused again, without compiling.
    let again = "hostile/_sync/memories_server_v2.wasm";
    sandbox.write_plugin(again, &hostile).unwrap();
    runtime.rescan();
    let status = runtime.status();
    let message = status
        .errors
        .iter()
        .find(|error| error.path.ends_with("memories_server_v2.wasm"))
        .map(|error| error.message.clone())
        .unwrap_or_else(|| panic!("no load error: {status:?}"));
    assert!(message.contains("max_memories_per_component"), "{message}");
    assert_eq!(status.cache.compiles, compiles);
    bystander(&runtime).await;
}

#[tokio::test]
async fn memory_is_capped_per_instance_over_all_its_memories() {
    let sandbox = sandbox("", "");
    let runtime = sandbox.start().unwrap();
    let built = std::fs::read(fixture_plugins().join(LIMITS_SERVER)).unwrap();
    // One more memory of exactly memory_mb (32 MiB = 512 pages): each memory fits the cap, the
    // two together do not.
    let hostile = with_extra_memories(&built, 1, 512).unwrap();
    let message = load_error_of(&sandbox, &runtime, &hostile);
    assert!(message.contains("plugin.memoryLimit"), "{message}");
    assert!(
        message.contains("over the cap of 33554432 bytes"),
        "{message}"
    );
    bystander(&runtime).await;
    // One extra memory of 20 MiB fits: the composed component itself is sound.
    let fits = with_extra_memories(&built, 1, 320).unwrap();
    sandbox.write_plugin(MEMORIES, &fits).unwrap();
    runtime.rescan();
    let route = runtime
        .route(&RouteKey::new("hostile", "memories", 1))
        .expect("one extra memory within memory_mb loads");
    let call = ServerCall {
        input: pack(&json!({ "attack": "ok" })),
        caller: None,
        room: "lab".into(),
    };
    let output = alongside(&runtime, runtime.call_server(&route, call))
        .await
        .unwrap();
    assert_eq!(unpack(&output).unwrap(), json!({ "ok": true }));
}
