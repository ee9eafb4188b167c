//! Plugin runtime benchmark (no assertions): warm client-stage call (on the calling thread and
//! through the worker pool), per-recipient cost in a 1,000-recipient batch, fresh instantiation,
//! and reload latency (rename -> serving) from the cache and cold. Each figure is the median of
//! several runs. Builds the example plugins with `scripts/build-plugins` first.
//!
//! Run: `cargo bench -p synchost --bench plugins [-- <section>...]` with sections `warm`, `server`,
//! `pool`, `fanout`, `fresh`, `reload` (default: all). `SYNCHOST_BENCH_PAGE=examples-ts`
//! measures the TypeScript twins of the same handlers instead of the Rust ones;
//! `SYNCHOST_BENCH_ROOT=<built tree>` takes the components from there instead of building. For instruction
//! counts under callgrind, `-- count-warm <n>` and `-- count-fanout <n>` make exactly `n` calls after a fixed warm-up and
//! print nothing else; the difference between two counts divided by the difference in `n` is the
//! cost of one call.
#![allow(clippy::unwrap_used, missing_docs)]

use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::{Duration, Instant};

use bytes::Bytes;
use synchost::config::Config;
use synchost::plugin::{
    ClientBatchCall, PluginRuntime, Route, RouteKey, ServerCall, Session, SyncCall,
};

const RUNS: usize = 5;

/// The page whose updateCounter is measured: `examples` (Rust) or `examples-ts` (TypeScript).
fn page() -> String {
    std::env::var("SYNCHOST_BENCH_PAGE").unwrap_or_else(|_| "examples".into())
}

fn stage_file(stage: &str, version: u32) -> String {
    format!("{}/_sync/updateCounter_{stage}_v{version}.wasm", page())
}

fn workspace() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .unwrap()
        .to_path_buf()
}

/// The examples built by `scripts/build-plugins`, or the built tree `SYNCHOST_BENCH_ROOT` names
/// (to compare builds of the same handlers, e.g. with other componentize-js options).
fn build_examples() -> PathBuf {
    if let Some(root) = std::env::var_os("SYNCHOST_BENCH_ROOT") {
        return PathBuf::from(root);
    }
    let out = workspace().join("target/test-plugins/examples");
    let status = std::process::Command::new(workspace().join("scripts/build-plugins"))
        .arg(&out)
        .status()
        .unwrap();
    assert!(status.success(), "scripts/build-plugins failed");
    out
}

fn session(id: &str) -> Session {
    Session {
        id: id.into(),
        name: Some("Ann".into()),
        email: None,
        language: Some("en".into()),
        admin: false,
        roles: vec![],
        extra: vec![0x80],
    }
}

fn median(mut values: Vec<f64>) -> f64 {
    values.sort_by(f64::total_cmp);
    values[values.len() / 2]
}

fn percentile(sorted: &[f64], fraction: f64) -> f64 {
    sorted[((sorted.len() - 1) as f64 * fraction) as usize]
}

fn copy_atomically(from: &Path, to: &Path, extra_section: Option<u64>) {
    let mut bytes = std::fs::read(from).unwrap();
    if let Some(nonce) = extra_section {
        // A custom section (id 0) changes the content hash without changing behaviour.
        let name = b"bench-nonce";
        let payload = nonce.to_le_bytes();
        bytes.push(0);
        bytes.push((1 + name.len() + payload.len()) as u8);
        bytes.push(name.len() as u8);
        bytes.extend_from_slice(name);
        bytes.extend_from_slice(&payload);
    }
    std::fs::create_dir_all(to.parent().unwrap()).unwrap();
    let temporary = to.with_file_name(".bench.tmp");
    std::fs::write(&temporary, bytes).unwrap();
    std::fs::rename(&temporary, to).unwrap();
}

struct Bench {
    runtime: PluginRuntime,
    route: Arc<Route>,
    key: RouteKey,
    input: Bytes,
    server_output: Bytes,
    built: PathBuf,
    root: PathBuf,
    _dir: tempfile::TempDir,
}

impl Bench {
    /// `small_pool`: the engine's smallest instance pool, whose address-space reservation fits
    /// under valgrind.
    fn start(small_pool: bool) -> Self {
        let built = build_examples();
        let dir = tempfile::tempdir().unwrap();
        let root = dir.path().join("plugins");
        for file in [stage_file("server", 1), stage_file("client", 1)] {
            copy_atomically(&built.join(&file), &root.join(&file), None);
        }
        let mut config = Config::default();
        config.runtime.cache_dir = dir.path().join("cache");
        config.store.path = dir.path().join("kv.redb");
        if small_pool {
            config.runtime.max_instances = 8;
        }
        if page() != "examples" {
            // Timing, not budgets: a JavaScript engine's garbage collection now and then spends
            // more than a stage's default fuel in one call (README, "Writing a handler in
            // TypeScript"), which would end the run.
            config.plugins.defaults.fuel = Some(0);
            config.plugins.defaults.timeout_ms = Some(0);
        }
        let compiling = Instant::now();
        let runtime = PluginRuntime::start(config, &root).unwrap();
        println!(
            "start with both stages compiled cold {:>8.0} ms",
            compiling.elapsed().as_secs_f64() * 1e3
        );
        let key = RouteKey::new(page(), "updateCounter", 1);
        let route = runtime.route(&key).unwrap();
        let encode = |value| Bytes::from(rmp_serde::to_vec_named(&value).unwrap());
        Self {
            runtime,
            route,
            key,
            input: encode(serde_json::json!({ "amount": 5 })),
            server_output: encode(serde_json::json!({ "newValue": 6 })),
            built,
            root,
            _dir: dir,
        }
    }

    fn call(&self, recipients: Vec<Option<Session>>) -> ClientBatchCall {
        ClientBatchCall {
            input: self.input.clone(),
            server_output: Some(self.server_output.clone()),
            room: "bench".into(),
            recipients: recipients.into_iter().map(|r| r.map(Arc::new)).collect(),
        }
    }
}

fn fan_out_recipients() -> Vec<Option<Session>> {
    (0..1_000)
        .map(|index| Some(session(&format!("user-{index}"))))
        .collect()
}

/// Warm client-stage call on the calling thread: one recipient per call on a warm instance.
fn warm(bench: &Bench, sync: &SyncCall) {
    let (mut p50s, mut p99s) = (Vec::new(), Vec::new());
    for _ in 0..RUNS {
        let mut samples: Vec<f64> = (0..20_000)
            .map(|_| {
                let recipients = vec![Some(session("ann"))];
                let started = Instant::now();
                sync.clients_blocking(bench.call(recipients)).unwrap();
                started.elapsed().as_secs_f64() * 1e6
            })
            .collect();
        samples.sort_by(f64::total_cmp);
        p50s.push(percentile(&samples, 0.5));
        p99s.push(percentile(&samples, 0.99));
    }
    println!(
        "warm client call, 1 recipient      p50 {:>8.2} us   p99 {:>8.2} us",
        median(p50s),
        median(p99s)
    );
}

/// Warm server-stage call on the calling thread: `{amount}` in, `{newValue}` out.
fn server(bench: &Bench, sync: &SyncCall) {
    let mut p50s = Vec::new();
    let mut p99s = Vec::new();
    let mut maxima = Vec::new();
    for _ in 0..RUNS {
        let mut samples: Vec<f64> = (0..5_000)
            .map(|_| {
                let call = ServerCall {
                    input: bench.input.clone(),
                    caller: Some(session("ann")),
                    room: "bench".into(),
                };
                let started = Instant::now();
                sync.server_blocking(call).unwrap();
                started.elapsed().as_secs_f64() * 1e6
            })
            .collect();
        samples.sort_by(f64::total_cmp);
        p50s.push(percentile(&samples, 0.5));
        p99s.push(percentile(&samples, 0.99));
        maxima.push(samples.last().copied().unwrap_or(0.0));
    }
    println!(
        "warm server call                   p50 {:>8.2} us   p99 {:>8.2} us   max {:>8.0} us",
        median(p50s),
        median(p99s),
        median(maxima)
    );
}

/// The same call submitted from an async task to the worker pool: adds the hand-off to a worker
/// thread and the wake-up of the waiting task.
fn pool(bench: &Bench, sync: &SyncCall) {
    let tokio = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    let (mut p50s, mut p99s) = (Vec::new(), Vec::new());
    tokio.block_on(async {
        for _ in 0..RUNS {
            let mut samples = Vec::with_capacity(20_000);
            for _ in 0..20_000 {
                let recipients = vec![Some(session("ann"))];
                let started = Instant::now();
                sync.clients(bench.call(recipients)).await.unwrap();
                samples.push(started.elapsed().as_secs_f64() * 1e6);
            }
            samples.sort_by(f64::total_cmp);
            p50s.push(percentile(&samples, 0.5));
            p99s.push(percentile(&samples, 0.99));
        }
    });
    println!(
        "warm client call via worker pool   p50 {:>8.2} us   p99 {:>8.2} us",
        median(p50s),
        median(p99s)
    );
}

/// 1,000 recipients in batches of client_batch_size (default 128).
fn fanout(bench: &Bench, sync: &SyncCall) {
    let recipients = fan_out_recipients();
    let per_recipient: Vec<f64> = (0..RUNS * 20)
        .map(|_| {
            let batch = bench.call(recipients.clone());
            let started = Instant::now();
            let outcomes = sync.clients_blocking(batch).unwrap();
            let elapsed = started.elapsed().as_secs_f64() * 1e6;
            assert_eq!(outcomes.len(), 1_000);
            elapsed / 1_000.0
        })
        .collect();
    println!(
        "1,000-recipient fan-out            {:>8.3} us per recipient",
        median(per_recipient)
    );
}

/// Fresh instantiation (store + locked-down WASI + instantiate), parked or dropped.
fn fresh(bench: &Bench) {
    let client = bench.route.client().unwrap().clone();
    let fresh: Vec<f64> = (0..RUNS * 200)
        .map(|_| {
            let started = Instant::now();
            client.warm_up().unwrap();
            started.elapsed().as_secs_f64() * 1e6
        })
        .collect();
    println!(
        "fresh instance                     {:>8.2} us",
        median(fresh)
    );
}

/// Reload: rename -> serving, through the watcher (debounce 150 ms by default).
fn reload(bench: &Bench) {
    let (runtime, key) = (&bench.runtime, &bench.key);
    let reload = |nonce: Option<u64>, source: &str| {
        let before = runtime
            .route(key)
            .unwrap()
            .server()
            .unwrap()
            .hash()
            .to_owned();
        let started = Instant::now();
        copy_atomically(
            &bench.built.join(source),
            &bench.root.join(stage_file("server", 1)),
            nonce,
        );
        loop {
            let route = runtime.route(key).unwrap();
            if route.server().unwrap().hash() != before {
                return started.elapsed().as_secs_f64() * 1e3;
            }
            assert!(
                started.elapsed() < Duration::from_secs(60),
                "reload never happened"
            );
            std::thread::sleep(Duration::from_micros(500));
        }
    };
    // Two builds that differ only in a custom section: both are in the cache after one round.
    let server = stage_file("server", 1);
    reload(Some(1_000), &server);
    reload(Some(1_001), &server);
    let cached: Vec<f64> = (0..RUNS * 2)
        .map(|round| reload(Some(1_000 + round as u64 % 2), &server))
        .collect();
    println!(
        "reload from cache, rename->serving {:>8.1} ms",
        median(cached)
    );
    let cold: Vec<f64> = (0..RUNS)
        .map(|round| reload(Some(round as u64 + 1), &server))
        .collect();
    println!(
        "reload cold compile, rename->serving {:>6.1} ms",
        median(cold)
    );
    let stats = runtime.status().cache;
    println!(
        "cache: {} compiled, {} loaded from cache",
        stats.compiles, stats.hits
    );
}

/// Exactly `calls` untimed calls, for instruction counting.
fn count(bench: &Bench, sync: &SyncCall, what: &str, calls: usize) {
    let recipients = match what {
        "count-warm" => vec![Some(session("ann"))],
        _ => fan_out_recipients(),
    };
    for _ in 0..calls {
        std::hint::black_box(
            sync.clients_blocking(bench.call(recipients.clone()))
                .unwrap(),
        );
    }
}

fn main() {
    // `cargo bench` passes `--bench`; everything else names sections.
    let args: Vec<String> = std::env::args()
        .skip(1)
        .filter(|arg| !arg.starts_with("--"))
        .collect();
    let counting = args.first().is_some_and(|arg| arg.starts_with("count-"));
    let bench = Bench::start(counting);
    let sync = bench.runtime.begin(bench.route.clone());
    for _ in 0..2_000 {
        sync.clients_blocking(bench.call(vec![Some(session("ann"))]))
            .unwrap();
    }
    if let [what, calls] = args.as_slice()
        && counting
    {
        return count(&bench, &sync, what, calls.parse().unwrap());
    }
    let wanted = |name: &str| args.is_empty() || args.iter().any(|arg| arg == name);
    if wanted("warm") {
        warm(&bench, &sync);
    }
    if wanted("server") {
        server(&bench, &sync);
    }
    if wanted("pool") {
        pool(&bench, &sync);
    }
    if wanted("fanout") {
        fanout(&bench, &sync);
    }
    if wanted("fresh") {
        fresh(&bench);
    }
    if wanted("reload") {
        reload(&bench);
    }
}
