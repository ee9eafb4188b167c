#![allow(clippy::unwrap_used)]
use serde_json::json;

use super::*;

fn session() -> Session {
    Session {
        id: "u1".to_owned(),
        name: Some("Ann".to_owned()),
        email: None,
        language: Some("nl".to_owned()),
        admin: false,
        roles: vec!["editor".to_owned(), "viewer".to_owned()],
        extra: rmp_serde::to_vec_named(&json!({
            "team": "red", "level": 3, "score": 1.5, "zero": 0, "empty": "",
            "off": false, "nothing": null, "tags": [],
        }))
        .unwrap(),
    }
}

fn key(name: &str) -> AuthCondition {
    AuthCondition {
        key: name.to_owned(),
        value: None,
        value_type: None,
        nullish: None,
        must_be_falsy: None,
    }
}

fn spec(conditions: Vec<AuthCondition>) -> AuthSpec {
    AuthSpec {
        login: false,
        additional: conditions,
    }
}

fn check(condition: AuthCondition) -> Result<(), AuthFailure> {
    authorize(&spec(vec![condition]), Some(&session()))
}

fn forbidden(name: &str) -> Result<(), AuthFailure> {
    Err(AuthFailure::Forbidden {
        key: name.to_owned(),
    })
}

#[test]
fn public_routes_admit_anyone() {
    authorize(&spec(vec![]), None).unwrap();
    authorize(&spec(vec![]), Some(&session())).unwrap();
}

#[test]
fn login_or_conditions_need_a_session() {
    let login = AuthSpec {
        login: true,
        additional: vec![],
    };
    let failure = authorize(&login, None).unwrap_err();
    assert_eq!(failure, AuthFailure::LoginRequired);
    assert_eq!(
        (failure.code(), failure.http_status()),
        ("auth.required", 401)
    );
    assert!(failure.params().is_empty());
    authorize(&login, Some(&session())).unwrap();
    let conditional = spec(vec![key("id")]);
    assert_eq!(
        authorize(&conditional, None),
        Err(AuthFailure::LoginRequired)
    );
}

#[test]
fn unknown_keys_are_setup_errors() {
    let failure = check(key("tenant")).unwrap_err();
    assert_eq!(
        failure,
        AuthFailure::InvalidCondition {
            key: "tenant".to_owned()
        }
    );
    assert_eq!(
        (failure.code(), failure.http_status()),
        ("auth.invalidCondition", 500)
    );
    assert_eq!(failure.params()[0].value, Scalar::Text("tenant".to_owned()));
    // A claim that is present but null is a known key.
    check(AuthCondition {
        nullish: Some(true),
        ..key("nothing")
    })
    .unwrap();
}

#[test]
fn nullish_checks_presence() {
    let nullish = |name: &str, nullish| {
        check(AuthCondition {
            nullish: Some(nullish),
            ..key(name)
        })
    };
    nullish("email", true).unwrap();
    assert_eq!(nullish("email", false), forbidden("email"));
    nullish("name", false).unwrap();
    assert_eq!(nullish("name", true), forbidden("name"));
    nullish("zero", false).unwrap();
}

#[test]
fn value_type_is_skipped_for_null() {
    let typed = |name: &str, value_type| {
        check(AuthCondition {
            value_type: Some(value_type),
            ..key(name)
        })
    };
    typed("name", ValueType::String).unwrap();
    typed("level", ValueType::Number).unwrap();
    typed("score", ValueType::Number).unwrap();
    typed("admin", ValueType::Boolean).unwrap();
    typed("email", ValueType::Number).unwrap();
    assert_eq!(typed("team", ValueType::Number), forbidden("team"));
    assert_eq!(typed("level", ValueType::String), forbidden("level"));
    assert_eq!(typed("roles", ValueType::String), forbidden("roles"));
}

#[test]
fn value_is_strict_equality() {
    let equals = |name: &str, value| {
        check(AuthCondition {
            value: Some(value),
            ..key(name)
        })
    };
    equals("id", Scalar::Text("u1".to_owned())).unwrap();
    equals("admin", Scalar::Boolean(false)).unwrap();
    equals("level", Scalar::Integer(3)).unwrap();
    equals("level", Scalar::Float(3.0)).unwrap();
    equals("score", Scalar::Float(1.5)).unwrap();
    equals("email", Scalar::Null).unwrap();
    equals("nothing", Scalar::Null).unwrap();
    assert_eq!(
        equals("level", Scalar::Text("3".to_owned())),
        forbidden("level")
    );
    assert_eq!(
        equals("team", Scalar::Text("blue".to_owned())),
        forbidden("team")
    );
    assert_eq!(equals("admin", Scalar::Boolean(true)), forbidden("admin"));
    assert_eq!(equals("off", Scalar::Integer(0)), forbidden("off"));
    assert_eq!(equals("empty", Scalar::Null), forbidden("empty"));
    assert_eq!(equals("score", Scalar::Float(f64::NAN)), forbidden("score"));
}

#[test]
fn roles_with_a_text_value_means_contains() {
    let role = |name: &str| {
        check(AuthCondition {
            value: Some(Scalar::Text(name.to_owned())),
            ..key("roles")
        })
    };
    role("editor").unwrap();
    role("viewer").unwrap();
    assert_eq!(role("admin"), forbidden("roles"));
    let not_text = check(AuthCondition {
        value: Some(Scalar::Boolean(true)),
        ..key("roles")
    });
    assert_eq!(not_text, forbidden("roles"));
}

#[test]
fn must_be_falsy_uses_javascript_falsiness() {
    let falsy = |name: &str, must| {
        check(AuthCondition {
            must_be_falsy: Some(must),
            ..key(name)
        })
    };
    for name in ["admin", "zero", "empty", "off", "nothing", "email"] {
        falsy(name, true).unwrap_or_else(|_| panic!("{name} should be falsy"));
        assert_eq!(falsy(name, false), forbidden(name));
    }
    for name in ["id", "level", "score", "team", "roles", "tags"] {
        falsy(name, false).unwrap_or_else(|_| panic!("{name} should be truthy"));
        assert_eq!(falsy(name, true), forbidden(name));
    }
}

#[test]
fn conditions_are_and_ed_and_the_first_failure_is_reported() {
    let admin_only = AuthSpec {
        login: true,
        additional: vec![AuthCondition {
            value: Some(Scalar::Boolean(true)),
            ..key("admin")
        }],
    };
    let failure = authorize(&admin_only, Some(&session())).unwrap_err();
    assert_eq!(
        (failure.code(), failure.http_status()),
        ("auth.forbidden", 403)
    );
    let mut admin = session();
    admin.admin = true;
    authorize(&admin_only, Some(&admin)).unwrap();

    let both = spec(vec![
        AuthCondition {
            value: Some(Scalar::Text("red".to_owned())),
            ..key("team")
        },
        AuthCondition {
            nullish: Some(false),
            value_type: Some(ValueType::String),
            ..key("language")
        },
    ]);
    authorize(&both, Some(&session())).unwrap();
    let mut no_language = session();
    no_language.language = None;
    assert_eq!(authorize(&both, Some(&no_language)), forbidden("language"));
    let mut blue = no_language;
    blue.extra = rmp_serde::to_vec_named(&json!({"team": "blue"})).unwrap();
    assert_eq!(authorize(&both, Some(&blue)), forbidden("team"));
}

#[test]
fn an_empty_extra_reads_as_no_claims() {
    let mut bare = session();
    bare.extra = Vec::new();
    assert!(matches!(
        authorize(&spec(vec![key("team")]), Some(&bare)),
        Err(AuthFailure::InvalidCondition { .. })
    ));
}
