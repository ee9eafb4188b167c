//! `synchost new` into a scratch workspace: what it generates builds and passes as generated, and
//! a second `new` of the same route refuses without writing anything.

use crate::support::{cargo, scratch_workspace, synchost, text, wasm_target_dir};

#[test]
fn generated_crates_pass_their_tests_and_build_components_the_host_accepts() {
    let dir = tempfile::tempdir().unwrap();
    let workspace = scratch_workspace(dir.path());
    for args in [
        vec!["chess/moveChessPiece"],
        vec!["test/nestedTest/cursor", "--client", "--version", "2"],
        vec!["chess/game", "--join"],
    ] {
        let output = synchost()
            .arg("new")
            .args(&args)
            .arg("--workspace")
            .arg(&workspace)
            .output()
            .unwrap();
        assert!(output.status.success(), "{}", text(&output));
    }
    let format = cargo(&workspace, &["fmt", "--all", "--check"]);
    assert!(
        format.status.success(),
        "formatted as cargo fmt would: {}",
        text(&format)
    );
    let tests = cargo(&workspace, &["test", "--workspace"]);
    assert!(tests.status.success(), "{}", text(&tests));
    let passed = String::from_utf8_lossy(&tests.stdout)
        .matches("... ok")
        .count();
    assert_eq!(
        passed,
        7,
        "3 server tests, one per client stage, 2 of the join handler: {}",
        text(&tests)
    );
    let build = cargo(
        &workspace,
        &["build", "--workspace", "--target", "wasm32-wasip2"],
    );
    assert!(build.status.success(), "{}", text(&build));

    let built = wasm_target_dir().join("wasm32-wasip2/debug");
    for (artifact, served) in [
        (
            "chess_move_chess_piece_server_v1",
            "chess/_sync/moveChessPiece_server_v1.wasm",
        ),
        (
            "chess_move_chess_piece_client_v1",
            "chess/_sync/moveChessPiece_client_v1.wasm",
        ),
        (
            "test_nested_test_cursor_client_v2",
            "test/nestedTest/_sync/cursor_client_v2.wasm",
        ),
        ("chess_game_join_v1", "chess/_sync/game_join_v1.wasm"),
    ] {
        let check = synchost()
            .arg("check")
            .arg(built.join(format!("{artifact}.wasm")))
            .args(["--as", served])
            .current_dir(dir.path())
            .output()
            .unwrap();
        assert!(check.status.success(), "{served}: {}", text(&check));
    }
    let messages = std::fs::read_to_string(workspace.join("chess/_sync/en.ftl")).unwrap();
    assert!(
        messages.contains("chess-moveChessPieceEmptyText = ")
            && messages.contains("chess-gameNotYourRoom = "),
        "{messages}"
    );
}

#[test]
fn a_second_new_of_the_same_route_refuses_and_writes_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let workspace = scratch_workspace(dir.path());
    let new = |args: &[&str]| {
        synchost()
            .arg("new")
            .args(args)
            .arg("--workspace")
            .arg(&workspace)
            .output()
            .unwrap()
    };
    assert!(new(&["examples/ping", "--server"]).status.success());
    let manifest = std::fs::read_to_string(workspace.join("Cargo.toml")).unwrap();
    let source_path = workspace.join("examples/_sync/ping_server_v1/src/lib.rs");
    std::fs::write(&source_path, "// the author's own code\n").unwrap();

    // The client stage alone would be new, but the server one exists: nothing at all is written.
    let again = new(&["examples/ping"]);
    assert!(!again.status.success(), "{}", text(&again));
    let stderr = String::from_utf8_lossy(&again.stderr);
    assert!(
        stderr.contains("ping_server_v1") && stderr.contains("exists already"),
        "{stderr}"
    );
    assert_eq!(
        std::fs::read_to_string(workspace.join("Cargo.toml")).unwrap(),
        manifest
    );
    assert_eq!(
        std::fs::read_to_string(&source_path).unwrap(),
        "// the author's own code\n"
    );
    assert!(!workspace.join("examples/_sync/ping_client_v1").exists());
    // Another version of the same sync is a new route and may be created.
    assert!(new(&["examples/ping", "--version", "2"]).status.success());
}
