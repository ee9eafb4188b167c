//! The text of a new handler crate: `Cargo.toml`, `src/lib.rs` for a server or client stage or a
//! room's join handler, and the message stub of its error code. Pure: it renders strings from a [`Scaffold`] and never touches
//! the disk, so `synchost new` decides alone what may be written where.
//!
//! What it generates must build for `wasm32-wasip2` and pass its own tests unchanged; the names it
//! derives (package, function, error code) are checked to be valid before anything is rendered.

use synchost::plugin::Stage;

/// What one `synchost new` creates, already validated.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Scaffold {
    /// The page, possibly nested (`chess`, `test/nestedTest`).
    pub page: String,
    /// The sync name, camelCase (`moveChessPiece`).
    pub name: String,
    /// The version number.
    pub version: u32,
    /// Whether the sync gets a server stage (the client stage then reads its output).
    pub with_server: bool,
}

/// Why a route cannot be scaffolded.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ScaffoldError {
    /// The route is not `<page>/<name>`.
    #[error("expected `<page>/<name>` (for example `chess/moveChessPiece`), got `{0}`")]
    Route(String),
    /// A page segment is not a letter followed by letters, digits, `_` or `-`.
    #[error(
        "page segment `{0}` must start with a letter and hold only ASCII letters, digits, `_` and `-`"
    )]
    Page(String),
    /// The name is not a letter followed by letters and digits.
    #[error(
        "sync name `{0}` must start with a letter and hold only ASCII letters and digits (camelCase)"
    )]
    Name(String),
    /// Version 0.
    #[error("versions start at 1")]
    Version,
}

impl Scaffold {
    /// Validates `route` (`<page>/<name>`) and `version`.
    ///
    /// # Errors
    /// See [`ScaffoldError`].
    pub fn new(route: &str, version: u32, with_server: bool) -> Result<Self, ScaffoldError> {
        let (page, name) = route
            .trim_matches('/')
            .rsplit_once('/')
            .ok_or_else(|| ScaffoldError::Route(route.to_owned()))?;
        for segment in page.split('/') {
            let valid = starts_with_letter(segment)
                && segment
                    .bytes()
                    .all(|byte| byte.is_ascii_alphanumeric() || byte == b'_' || byte == b'-');
            if !valid || segment == "_sync" {
                return Err(ScaffoldError::Page(segment.to_owned()));
            }
        }
        if !starts_with_letter(name) || !name.bytes().all(|byte| byte.is_ascii_alphanumeric()) {
            return Err(ScaffoldError::Name(name.to_owned()));
        }
        if version == 0 {
            return Err(ScaffoldError::Version);
        }
        Ok(Self {
            page: page.to_owned(),
            name: name.to_owned(),
            version,
            with_server,
        })
    }

    /// The crate's folder relative to the workspace: `<page>/_sync/<name>_<stage>_v<n>`.
    pub fn crate_dir(&self, stage: Stage) -> String {
        format!(
            "{}/_sync/{}_{}_v{}",
            self.page,
            self.name,
            stage.as_str(),
            self.version
        )
    }

    /// The Cargo package name: `<page>-<name>-<stage>-v<n>`, kebab-case (`chess-move-chess-piece-server-v1`).
    pub fn package(&self, stage: Stage) -> String {
        let page = self.page.replace(['/', '_'], "-");
        format!(
            "{}-{}-{}-v{}",
            kebab(&page),
            kebab(&self.name),
            stage.as_str(),
            self.version
        )
    }

    /// The error code the generated stage refuses with: the server stage an empty text, the join
    /// handler a room that is not the user's. (The client stage refuses nothing.)
    pub fn error_code(&self, stage: Stage) -> String {
        let page: Vec<String> = self
            .page
            .split('/')
            .map(|segment| segment.replace('-', "_"))
            .collect();
        let what = match stage {
            Stage::Join => "NotYourRoom",
            Stage::Server | Stage::Client => "EmptyText",
        };
        format!("{}.{}{what}", page.join("."), self.name)
    }

    /// `Cargo.toml` of the stage's crate.
    pub fn manifest(&self, stage: Stage) -> String {
        format!(
            r#"[package]
name = "{package}"
description = "{page}/{name} v{version}, {stage}"
version.workspace = true
edition.workspace = true
rust-version.workspace = true
license.workspace = true
publish.workspace = true

[lib]
crate-type = ["cdylib"]

[dependencies]
schemars.workspace = true
serde.workspace = true
synchost-sdk.workspace = true

[lints]
workspace = true
"#,
            package = self.package(stage),
            page = self.page,
            name = self.name,
            version = self.version,
            stage = match stage {
                Stage::Join => "join handler",
                Stage::Server => "server stage",
                Stage::Client => "client stage",
            },
        )
    }

    /// `src/lib.rs` of the stage's crate.
    pub fn source(&self, stage: Stage) -> String {
        let template = match stage {
            Stage::Server => SERVER_TEMPLATE,
            Stage::Client if self.with_server => CLIENT_TEMPLATE,
            Stage::Client => CLIENT_ONLY_TEMPLATE,
            Stage::Join => JOIN_TEMPLATE,
        };
        template
            .replace("__ROUTE__", &format!("{}/{}", self.page, self.name))
            .replace("__NAME__", &self.name)
            .replace("__VERSION__", &self.version.to_string())
            .replace("__FN__", &snake(&self.name))
            .replace("__CODE__", &self.error_code(stage))
    }

    /// The English message of [`Scaffold::error_code`], as lines to add to `<page>/_sync/en.ftl`.
    pub fn message(&self, stage: Stage) -> String {
        let (why, text) = match stage {
            Stage::Join => (
                "the room is not the user's",
                "You can only join your own rooms, not { $room }.",
            ),
            Stage::Server | Stage::Client => ("the text was empty", "The text cannot be empty."),
        };
        format!(
            "# {}/{} v{}: {why}.\n{} = {text}\n",
            self.page,
            self.name,
            self.version,
            self.error_code(stage).replace('.', "-")
        )
    }
}

fn starts_with_letter(text: &str) -> bool {
    text.bytes()
        .next()
        .is_some_and(|byte| byte.is_ascii_alphabetic())
}

/// `moveChessPiece` → `move_chess_piece`.
fn snake(camel: &str) -> String {
    split_words(camel, '_')
}

/// `nested-Test-moveChessPiece` → `nested-test-move-chess-piece`.
fn kebab(camel: &str) -> String {
    split_words(camel, '-')
}

/// Lower-cases `camel`, putting `separator` before each capital that follows a small letter or digit.
fn split_words(camel: &str, separator: char) -> String {
    let mut out = String::with_capacity(camel.len() + 4);
    let mut previous: Option<char> = None;
    for c in camel.chars() {
        let after_word = previous.is_some_and(|p| p.is_ascii_lowercase() || p.is_ascii_digit());
        if c.is_ascii_uppercase() && after_word {
            out.push(separator);
        }
        out.push(c.to_ascii_lowercase());
        previous = Some(c);
    }
    out
}

const JOIN_TEMPLATE: &str = r#"//! `__ROUTE__` v__VERSION__, join handler: decides who may join the rooms whose `[rooms]` policy says
//! `join = "__ROUTE__@v__VERSION__"`. Say here who may join and why. Generated by `synchost new`; it
//! lets a signed-in user into the rooms whose name ends with `:<their user id>`.

use synchost_sdk::{Auth, JoinContext, SyncError};

/// Who may ask at all: a signed-in user (the host refuses anonymous joins before the handler runs).
pub fn auth() -> Auth {
    Auth::login()
}

/// Lets the user into their own rooms; refuses the others with a code that `en.ftl` beside this
/// crate translates.
pub fn __FN__(ctx: JoinContext) -> Result<(), SyncError> {
    let user = &ctx.require_session()?.id;
    if ctx.room.ends_with(&format!(":{user}")) {
        return Ok(());
    }
    Err(SyncError::new("__CODE__").param("room", ctx.room.as_str()).status(403))
}

synchost_sdk::join!(auth = auth(), handler = __FN__);

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;
    use synchost_sdk::{Session, testing};

    #[test]
    fn lets_a_user_into_their_own_rooms_only() {
        let ann = Some(Session::new("ann"));
        assert!(testing::run_join(__FN__, "notes:ann", ann.clone()).is_ok());
        let error = testing::run_join(__FN__, "notes:bob", ann).unwrap_err();
        assert_eq!(error.code, "__CODE__");
    }

    #[test]
    fn anonymous_joiners_are_refused() {
        let error = testing::authorize(&auth(), None).unwrap_err();
        assert_eq!(error.code, synchost_sdk::AUTH_REQUIRED);
    }
}
"#;

const SERVER_TEMPLATE: &str = r#"//! `__ROUTE__` v__VERSION__, server stage: runs once per sync. Say here what it does and what it must
//! never do. Generated by `synchost new`; the client sends `{ text }` and every recipient gets it back.

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};
use synchost_sdk::{Auth, ServerContext, SyncError};

/// What the client sends.
#[derive(Debug, Deserialize, Serialize, JsonSchema)]
pub struct Input {
    /// A text from the client.
    pub text: String,
}

/// What every recipient receives as the server output.
#[derive(Debug, Deserialize, Serialize, PartialEq, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct Output {
    /// The text, as accepted.
    pub text: String,
}

/// Who may call: a signed-in user. `Auth::public()` lets anyone call;
/// `.require(Condition::key("admin").equals(true))` adds conditions.
pub fn auth() -> Auth {
    Auth::login()
}

/// Refuses an empty text with a code that `en.ftl` beside this crate translates.
pub fn __FN__(ctx: ServerContext<Input>) -> Result<Output, SyncError> {
    if ctx.input.text.trim().is_empty() {
        return Err(SyncError::new("__CODE__"));
    }
    Ok(Output {
        text: ctx.input.text,
    })
}

synchost_sdk::server!(auth = auth(), handler = __FN__);

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;
    use synchost_sdk::{Session, testing};

    fn text(text: &str) -> Input {
        Input {
            text: text.to_owned(),
        }
    }

    #[test]
    fn answers_the_text() {
        let ann = Some(Session::new("ann"));
        let output: Output = testing::run_server(__FN__, &text("hello"), ann, "room").unwrap();
        assert_eq!(output, Output { text: "hello".to_owned() });
    }

    #[test]
    fn refuses_an_empty_text() {
        let ann = Some(Session::new("ann"));
        let error = testing::run_server::<Input, Output, _>(__FN__, &text(" "), ann, "room")
            .unwrap_err();
        assert_eq!(error.code, "__CODE__");
    }

    #[test]
    fn anonymous_callers_are_refused() {
        let error = testing::authorize(&auth(), None).unwrap_err();
        assert_eq!(error.code, synchost_sdk::AUTH_REQUIRED);
        assert!(testing::authorize(&auth(), Some(&Session::new("ann"))).is_ok());
    }
}
"#;

const CLIENT_TEMPLATE: &str = r#"//! `__ROUTE__` v__VERSION__, client stage: runs once per recipient and decides what each one gets.
//! Generated by `synchost new`: signed-in recipients get the text with their own id, anonymous ones
//! nothing.

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};
use synchost_sdk::{ClientContext, ClientOutcome, SyncError};

/// The client input, as the server stage read it.
#[derive(Debug, Deserialize, Serialize, JsonSchema)]
pub struct Input {
    /// A text from the client.
    pub text: String,
}

/// The output of `__NAME___server_v__VERSION__`.
#[derive(Debug, Deserialize, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct ServerOutput {
    /// The text, as the server stage accepted it.
    pub text: String,
}

/// What a signed-in recipient gets besides the server output.
#[derive(Debug, Deserialize, Serialize, PartialEq, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct ClientOutput {
    /// The text.
    pub text: String,
    /// The recipient's own user id.
    pub received_by: String,
}

/// Runs once per recipient.
pub fn deliver(
    ctx: ClientContext<'_, Input, ServerOutput>,
) -> Result<ClientOutcome<ClientOutput>, SyncError> {
    let (Some(recipient), Some(server)) = (ctx.recipient, ctx.server_output) else {
        return Ok(ClientOutcome::Skip);
    };
    Ok(ClientOutcome::Deliver(ClientOutput {
        text: server.text.clone(),
        received_by: recipient.id.clone(),
    }))
}

synchost_sdk::client!(handler = deliver);

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;
    use synchost_sdk::{Session, testing};

    #[test]
    fn signed_in_recipients_get_their_id_and_anonymous_ones_nothing() {
        let input = Input {
            text: "hello".to_owned(),
        };
        let server = ServerOutput {
            text: "hello".to_owned(),
        };
        let recipients = [Some(Session::new("ann")), None];
        let outcomes = testing::run_client(deliver, &input, Some(&server), "room", &recipients);
        let for_ann = ClientOutput {
            text: "hello".to_owned(),
            received_by: "ann".to_owned(),
        };
        assert_eq!(
            outcomes,
            vec![Ok(ClientOutcome::Deliver(for_ann)), Ok(ClientOutcome::Skip)]
        );
    }
}
"#;

const CLIENT_ONLY_TEMPLATE: &str = r#"//! `__ROUTE__` v__VERSION__, client stage of a client-only sync: runs once per recipient, with no
//! server stage before it. Generated by `synchost new`: signed-in recipients get the text with their
//! own id, anonymous ones nothing.

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};
use synchost_sdk::{ClientContext, ClientOutcome, SyncError};

/// What the client sends.
#[derive(Debug, Deserialize, Serialize, JsonSchema)]
pub struct Input {
    /// A text from the client.
    pub text: String,
}

/// What a signed-in recipient gets.
#[derive(Debug, Deserialize, Serialize, PartialEq, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct ClientOutput {
    /// The text.
    pub text: String,
    /// The recipient's own user id.
    pub received_by: String,
}

/// Runs once per recipient.
pub fn deliver(ctx: ClientContext<'_, Input, ()>) -> Result<ClientOutcome<ClientOutput>, SyncError> {
    let Some(recipient) = ctx.recipient else {
        return Ok(ClientOutcome::Skip);
    };
    Ok(ClientOutcome::Deliver(ClientOutput {
        text: ctx.input.text.clone(),
        received_by: recipient.id.clone(),
    }))
}

synchost_sdk::client!(handler = deliver);

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;
    use synchost_sdk::{Session, testing};

    #[test]
    fn signed_in_recipients_get_their_id_and_anonymous_ones_nothing() {
        let input = Input {
            text: "hello".to_owned(),
        };
        let recipients = [Some(Session::new("ann")), None];
        let outcomes = testing::run_client(deliver, &input, None::<&()>, "room", &recipients);
        let for_ann = ClientOutput {
            text: "hello".to_owned(),
            received_by: "ann".to_owned(),
        };
        assert_eq!(
            outcomes,
            vec![Ok(ClientOutcome::Deliver(for_ann)), Ok(ClientOutcome::Skip)]
        );
    }
}
"#;

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    #[test]
    fn derives_names_from_the_route() {
        let scaffold = Scaffold::new("test/nested-Test/moveChessPiece", 2, true).unwrap();
        assert_eq!(
            scaffold.crate_dir(Stage::Client),
            "test/nested-Test/_sync/moveChessPiece_client_v2"
        );
        assert_eq!(
            scaffold.package(Stage::Server),
            "test-nested-test-move-chess-piece-server-v2"
        );
        assert_eq!(
            scaffold.error_code(Stage::Server),
            "test.nested_Test.moveChessPieceEmptyText"
        );
        assert_eq!(
            scaffold.error_code(Stage::Join),
            "test.nested_Test.moveChessPieceNotYourRoom"
        );
        for stage in [Stage::Server, Stage::Join] {
            assert!(
                synchost::i18n::code_to_id(&scaffold.error_code(stage)).is_some(),
                "the code names a message"
            );
        }
        let source = scaffold.source(Stage::Server);
        assert!(source.contains("pub fn move_chess_piece("), "{source}");
        assert!(!source.contains("__"), "every placeholder is filled");
    }

    #[test]
    fn refuses_routes_that_cannot_be_served_or_built() {
        for route in [
            "lonely",
            "a b/x",
            "_sync/x",
            "9page/x",
            "page/snake_name",
            "page/9x",
            "/x",
        ] {
            assert!(Scaffold::new(route, 1, true).is_err(), "{route}");
        }
        assert_eq!(
            Scaffold::new("page/x", 0, true),
            Err(ScaffoldError::Version)
        );
    }
}
