//! `synchost check` on the built examples: a good file passes with its route named, and a client
//! stage served as a server stage, a name the host would not serve and a core module (not a
//! component) are refused with a non-zero status and the reason.

use std::path::Path;
use std::process::Output;

use crate::support::{built_examples, synchost, text};

fn check(file: &Path, args: &[&str]) -> Output {
    let dir = tempfile::tempdir().unwrap();
    synchost()
        .arg("check")
        .arg(file)
        .args(args)
        .current_dir(dir.path())
        .output()
        .unwrap()
}

#[test]
fn accepts_a_built_example_and_names_its_route() {
    let root = built_examples();
    let file = root.join("examples/_sync/updateCounter_server_v1.wasm");
    let output = check(&file, &["--root", root.to_str().unwrap()]);
    assert!(output.status.success(), "{}", text(&output));
    let stdout = String::from_utf8_lossy(&output.stdout);
    for expected in [
        "route examples/updateCounter@v1, server stage",
        "world     server-stage",
        "auth: public",
        "schema    input: JSON Schema",
        "schema    output: JSON Schema",
    ] {
        assert!(stdout.contains(expected), "{expected}: {stdout}");
    }
    assert_eq!(stdout.lines().last(), Some("ok"), "{stdout}");
}

#[test]
fn refuses_a_client_stage_served_as_a_server_stage() {
    let file = built_examples().join("examples/_sync/cursor_client_v1.wasm");
    let output = check(&file, &["--as", "examples/_sync/cursor_server_v1.wasm"]);
    assert_eq!(output.status.code(), Some(1), "{}", text(&output));
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert!(
        stdout.contains("wrong world") && stdout.contains("implements `client-stage`"),
        "{stdout}"
    );
    // The same file under its own name passes.
    let output = check(&file, &["--as", "examples/_sync/cursor_client_v1.wasm"]);
    assert!(output.status.success(), "{}", text(&output));
}

#[test]
fn refuses_a_name_the_host_would_not_serve() {
    let file = built_examples().join("examples/_sync/updateCounter_server_v1.wasm");
    for name in [
        "examples/_sync/updateCounter_worker_v1.wasm",
        "examples/updateCounter_server_v1.wasm",
        "examples/_sync/updateCounter_server_v0.wasm",
    ] {
        let output = check(&file, &["--as", name]);
        assert!(!output.status.success(), "{name}: {}", text(&output));
        let stderr = String::from_utf8_lossy(&output.stderr);
        assert!(
            stderr.contains("is not a served plugin name"),
            "{name}: {stderr}"
        );
    }
    // Without --as, a file outside the plugins root has no served name to check.
    let output = check(&file, &["--root", env!("CARGO_MANIFEST_DIR")]);
    assert!(!output.status.success(), "{}", text(&output));
    assert!(String::from_utf8_lossy(&output.stderr).contains("is not under the plugins root"));
}

#[test]
fn refuses_a_core_module_and_a_text_file() {
    let dir = tempfile::tempdir().unwrap();
    let module = dir.path().join("module.wasm");
    // The smallest valid core module: magic and version, no sections.
    std::fs::write(&module, b"\0asm\x01\0\0\0").unwrap();
    let text_file = dir.path().join("notes.wasm");
    std::fs::write(&text_file, "not wasm at all").unwrap();
    for file in [&module, &text_file] {
        let output = check(file, &["--as", "examples/_sync/x_server_v1.wasm"]);
        assert_eq!(output.status.code(), Some(1), "{}", text(&output));
        let stdout = String::from_utf8_lossy(&output.stdout);
        assert!(stdout.contains("refused   does not compile"), "{stdout}");
    }
}
