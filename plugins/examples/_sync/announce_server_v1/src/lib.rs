//! `examples/announce` v1, server stage: an announcement to the room that only admins may send.
//!
//! Shows an auth predicate: the route needs a session whose `admin` flag is true. The host checks
//! it from this stage's metadata before the handler runs, so the handler never sees other callers.

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};
use synchost_sdk::{Auth, Condition, ServerContext, SyncError};

/// What the sender sends.
#[derive(Debug, Deserialize, Serialize, JsonSchema)]
pub struct Input {
    /// The announcement.
    pub text: String,
}

/// What every member receives.
#[derive(Debug, Deserialize, Serialize, PartialEq, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct Output {
    /// The announcement, trimmed.
    pub text: String,
    /// Display name (or id) of the admin who sent it.
    pub announced_by: String,
}

/// Who may call: signed-in admins only.
pub fn auth() -> Auth {
    Auth::login().require(Condition::key("admin").equals(true))
}

/// Trims the text and signs it with the sender's name.
pub fn announce(ctx: ServerContext<Input>) -> Result<Output, SyncError> {
    let caller = ctx.require_caller()?;
    let announced_by = caller.name.clone().unwrap_or_else(|| caller.id.clone());
    let text = ctx.input.text.trim();
    if text.is_empty() {
        return Err(SyncError::new("examples.emptyMessage"));
    }
    Ok(Output {
        text: text.to_owned(),
        announced_by,
    })
}

synchost_sdk::server!(auth = auth(), handler = announce);

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;
    use synchost_sdk::Session;
    use synchost_sdk::testing;

    fn admin() -> Session {
        let mut ada = Session::new("ada");
        ada.name = Some("Ada".to_owned());
        ada.admin = true;
        ada
    }

    #[test]
    fn signs_with_the_admin_name() {
        let input = Input {
            text: " hi ".into(),
        };
        let output: Output = testing::run_server(announce, &input, Some(admin()), "hall").unwrap();
        assert_eq!(output.text, "hi");
        assert_eq!(output.announced_by, "Ada");
    }

    #[test]
    fn empty_text_is_refused() {
        let input = Input { text: "  ".into() };
        let error =
            testing::run_server::<Input, Output, _>(announce, &input, Some(admin()), "hall")
                .unwrap_err();
        assert_eq!(error.code, "examples.emptyMessage");
    }

    #[test]
    fn only_admins_get_in() {
        assert!(testing::authorize(&auth(), Some(&admin())).is_ok());
        let refused = testing::authorize(&auth(), Some(&Session::new("bob"))).unwrap_err();
        assert_eq!(refused.code, "auth.forbidden");
        let anonymous = testing::authorize(&auth(), None).unwrap_err();
        assert_eq!(anonymous.code, "auth.required");
    }
}
