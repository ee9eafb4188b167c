//! `synchost types` through the real example components: the schemas their handlers publish
//! become the expected TypeScript, and `--types-out` follows hot reloads.

use synchost::typegen::{self, TypesWatcher};
use synchost_tests::plugins::{PluginSandbox, example_plugins, wait_for};

const FILES: [&str; 4] = [
    "examples/_sync/updateCounter_server_v1.wasm",
    "examples/_sync/updateCounter_client_v1.wasm",
    "examples/_sync/updateCounter_server_v2.wasm",
    "examples/_sync/cursor_client_v1.wasm",
];

#[test]
fn update_counter_and_cursor_produce_the_expected_types() {
    let sandbox = PluginSandbox::new().unwrap();
    for file in FILES {
        sandbox.add(example_plugins(), file).unwrap();
    }
    let runtime = sandbox.start_with(None, false).unwrap();
    let text = typegen::generate(&runtime);
    let expected = [
        "  \"examples/cursor\": {",
        "    v1: { clientInput: { x: number; y: number }; serverOutput: null; clientOutput: { x: number; y: number } | null };",
        "  };",
        "  \"examples/updateCounter\": {",
        "    v1: { clientInput: { amount: number }; serverOutput: { newValue: number }; clientOutput: { receivedBy: string } | null };",
        "    v2: { clientInput: { amount: number }; serverOutput: { newValue: number; version: number }; clientOutput: null };",
        "  };",
    ]
    .join("\n");
    assert!(text.starts_with(typegen::HEADER), "{text}");
    assert!(text.contains(&expected), "{text}");
    assert!(
        text.ends_with("declare module \"synchost-client\" {\n  interface Register {\n    syncTypes: SyncTypeMap;\n  }\n}\n"),
        "{text}"
    );
}

#[test]
fn the_watched_file_follows_a_hot_reload_and_is_left_alone_otherwise() {
    let sandbox = PluginSandbox::new().unwrap();
    sandbox.add(example_plugins(), FILES[0]).unwrap();
    let out = sandbox.dir().join("apiTypes.generated.ts");
    let watcher = TypesWatcher::new(out.clone());
    let hook = watcher.clone();
    let runtime = sandbox
        .start_hooked(std::sync::Arc::new(
            move |_root: &std::path::Path, routes: &[_]| hook.refresh(routes),
        ))
        .unwrap();
    // The first scan ran inside start: the file is there before anything else happens.
    let first = std::fs::read_to_string(&out).unwrap();
    assert!(first.contains("\"examples/updateCounter\""), "{first}");
    assert!(!first.contains("examples/cursor"), "{first}");
    let written_at = std::fs::metadata(&out).unwrap().modified().unwrap();

    // A rescan with nothing new leaves the file untouched.
    runtime.rescan();
    assert_eq!(
        std::fs::metadata(&out).unwrap().modified().unwrap(),
        written_at
    );

    // The hot reload's scan rewrites it through the hook.
    sandbox.add(example_plugins(), FILES[3]).unwrap();
    wait_for("the cursor route in the types file", || {
        let text = std::fs::read_to_string(&out).ok()?;
        text.contains("\"examples/cursor\"").then_some(())
    })
    .unwrap();
}

#[test]
fn a_typescript_handler_publishes_the_types_written_in_its_source() {
    let sandbox = PluginSandbox::new().unwrap();
    sandbox.write_config("").unwrap();
    for file in [
        "examples-ts/_sync/updateCounter_server_v1.wasm",
        "examples-ts/_sync/updateCounter_client_v1.wasm",
    ] {
        sandbox.add(example_plugins(), file).unwrap();
    }
    let runtime = sandbox.start_with(None, false).unwrap();
    let text = typegen::generate(&runtime);
    assert!(text.contains("\"examples-ts/updateCounter\": {"), "{text}");
    assert!(text.contains("clientInput: { amount: number }"), "{text}");
    assert!(
        text.contains("serverOutput: { newValue: number }"),
        "{text}"
    );
    assert!(text.contains("receivedBy"), "{text}");
}
