//! The `sync` request as it arrives from a socket or the HTTP trigger, checked field by field.
//!
//! Shape checks happen here, before any lookup, so a malformed frame costs nothing and gets the
//! precise code for the field at fault. `data` stays raw JSON: it is converted once, for the handler.

use serde::Deserialize;
use serde_json::value::RawValue;

use super::failure::{Code, Failure};
use super::name::SyncName;

/// A well-formed sync request.
#[derive(Debug)]
pub struct SyncRequest {
    /// The route and its wire names.
    pub name: SyncName,
    /// The client input, raw JSON (`{}` when absent).
    pub data: Box<RawValue>,
    /// The target room (or `all`).
    pub receiver: String,
    /// Skip every connection of the sender.
    pub ignore_self: bool,
}

/// The fields of a socket frame, before checking.
#[derive(Deserialize)]
struct WireFrame<'a> {
    #[serde(borrow)]
    name: Option<&'a RawValue>,
    #[serde(borrow)]
    version: Option<&'a RawValue>,
    #[serde(borrow)]
    data: Option<&'a RawValue>,
    #[serde(borrow)]
    receiver: Option<&'a RawValue>,
    #[serde(rename = "ignoreSelf", borrow)]
    ignore_self: Option<&'a RawValue>,
    #[serde(rename = "responseIndex", borrow)]
    response_index: Option<&'a RawValue>,
}

/// The body of an HTTP trigger, before checking.
#[derive(Deserialize)]
struct WireBody<'a> {
    #[serde(borrow)]
    data: Option<&'a RawValue>,
    #[serde(borrow)]
    receiver: Option<&'a RawValue>,
    #[serde(rename = "ignoreSelf", borrow)]
    ignore_self: Option<&'a RawValue>,
}

/// Reads the `responseIndex` of a frame, if it has a usable one, even when the rest is malformed, so
/// the error can still reach the client that asked on `sync-<index>`.
pub fn response_index(frame: &RawValue) -> Option<u64> {
    let wire: WireFrame<'_> = serde_json::from_str(frame.get()).ok()?;
    serde_json::from_str(wire.response_index?.get()).ok()
}

/// Checks a socket frame: `{ name, version?, data?, receiver, ignoreSelf? }`.
///
/// # Errors
/// The [`Failure`] for the first field at fault.
pub fn from_frame(frame: &RawValue, max_room_chars: usize) -> Result<SyncRequest, Failure> {
    let wire: WireFrame<'_> = serde_json::from_str(frame.get()).map_err(|_| invalid("request"))?;
    let name: String = field(wire.name, "name")?.ok_or_else(|| invalid("name"))?;
    let version: Option<String> = field(wire.version, "version")?;
    let name = SyncName::parse(&name, version.as_deref())
        .ok_or_else(|| Failure::new(Code::InvalidName).text("name", name.clone()))?;
    finish(
        name,
        wire.data,
        wire.receiver,
        wire.ignore_self,
        max_room_chars,
    )
}

/// Checks an HTTP trigger: the path after `/sync/` (`<page...>/<sync>/v<n>`) and the JSON body
/// `{ data?, receiver, ignoreSelf? }`.
///
/// # Errors
/// [`Code::InvalidName`] for the path, [`Code::InvalidBody`] for a body that is not such an object,
/// or the failure of the field at fault.
pub fn from_http(path: &str, body: &[u8], max_room_chars: usize) -> Result<SyncRequest, Failure> {
    let name = SyncName::parse(&format!("sync/{path}"), None)
        .ok_or_else(|| Failure::new(Code::InvalidName).text("name", path))?;
    let wire: WireBody<'_> =
        serde_json::from_slice(body).map_err(|_| Failure::new(Code::InvalidBody))?;
    finish(
        name,
        wire.data,
        wire.receiver,
        wire.ignore_self,
        max_room_chars,
    )
}

fn finish(
    name: SyncName,
    data: Option<&RawValue>,
    receiver: Option<&RawValue>,
    ignore_self: Option<&RawValue>,
    max_room_chars: usize,
) -> Result<SyncRequest, Failure> {
    let receiver: String = field(receiver, "receiver")?.unwrap_or_default();
    let receiver = receiver.trim();
    if receiver.is_empty() {
        return Err(Failure::new(Code::MissingReceiver));
    }
    check_room_name(receiver, max_room_chars)?;
    let ignore_self = field(ignore_self, "ignoreSelf")?.unwrap_or(false);
    let data = match data {
        Some(data) => data.to_owned(),
        None => RawValue::from_string("{}".to_owned()).map_err(|_| invalid("data"))?,
    };
    Ok(SyncRequest {
        name,
        data,
        receiver: receiver.to_owned(),
        ignore_self,
    })
}

/// Checks a room name: 1 to `max_chars` characters, no control characters.
///
/// # Errors
/// [`Code::RoomInvalidName`] with param `maxLength`.
pub fn check_room_name(room: &str, max_chars: usize) -> Result<(), Failure> {
    let valid = !room.is_empty()
        && room.chars().count() <= max_chars
        && !room.chars().any(char::is_control);
    if valid {
        Ok(())
    } else {
        Err(Failure::new(Code::RoomInvalidName)
            .number("maxLength", i64::try_from(max_chars).unwrap_or(i64::MAX)))
    }
}

/// Decodes an optional field; `null` counts as absent.
fn field<T: serde::de::DeserializeOwned>(
    raw: Option<&RawValue>,
    name: &str,
) -> Result<Option<T>, Failure> {
    match raw {
        None => Ok(None),
        Some(raw) if raw.get() == "null" => Ok(None),
        Some(raw) => serde_json::from_str(raw.get())
            .map(Some)
            .map_err(|_| invalid(name)),
    }
}

fn invalid(field: &str) -> Failure {
    Failure::new(Code::InvalidRequest).text("field", field)
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    fn frame(text: &str) -> Result<SyncRequest, Failure> {
        from_frame(&RawValue::from_string(text.to_owned()).unwrap(), 256)
    }

    #[test]
    fn accepts_both_name_forms() {
        let short = frame(r#"{"name":"examples/updateCounter","version":"v1","data":{"amount":1},"receiver":"r"}"#).unwrap();
        assert_eq!(short.name.full_name(), "sync/examples/updateCounter/v1");
        assert_eq!(short.data.get(), r#"{"amount":1}"#);
        let full = frame(r#"{"name":"sync/examples/updateCounter/v2","receiver":" r ","ignoreSelf":true,"cb":"x"}"#).unwrap();
        assert_eq!(full.name.key.version, 2);
        assert_eq!(full.receiver, "r");
        assert!(full.ignore_self);
        assert_eq!(full.data.get(), "{}");
    }

    #[test]
    fn each_bad_field_has_its_code() {
        let code = |text: &str| frame(text).unwrap_err();
        assert_eq!(code("[1]").code, "sync.invalidRequest");
        assert_eq!(code("\"x\"").code, "sync.invalidRequest");
        let bad_name = code(r#"{"name":3,"receiver":"r"}"#);
        assert_eq!(bad_name.params[0].key, "field");
        assert_eq!(
            code(r#"{"name":"a","version":"v1","receiver":"r"}"#).code,
            "sync.invalidName"
        );
        assert_eq!(
            code(r#"{"name":"a/b","version":"v1"}"#).code,
            "sync.missingReceiver"
        );
        assert_eq!(
            code(r#"{"name":"a/b","version":"v1","receiver":"  "}"#).code,
            "sync.missingReceiver"
        );
        assert_eq!(
            code(r#"{"name":"a/b","version":"v1","receiver":"r","ignoreSelf":"yes"}"#).code,
            "sync.invalidRequest"
        );
        let long = format!(
            r#"{{"name":"a/b","version":"v1","receiver":"{}"}}"#,
            "x".repeat(257)
        );
        assert_eq!(code(&long).code, "room.invalidName");
    }

    #[test]
    fn response_index_survives_a_bad_frame() {
        let raw = RawValue::from_string(r#"{"name":5,"responseIndex":7}"#.to_owned()).unwrap();
        assert_eq!(response_index(&raw), Some(7));
        let raw = RawValue::from_string(r#"{"responseIndex":-1}"#.to_owned()).unwrap();
        assert_eq!(response_index(&raw), None);
    }

    #[test]
    fn http_path_and_body() {
        let request = from_http(
            "test/nestedTest/room/v1",
            br#"{"data":{"step":1},"receiver":"lobby"}"#,
            256,
        )
        .unwrap();
        assert_eq!(request.name.key.page, "test/nestedTest");
        assert_eq!(
            from_http("a/b/v1", b"[]", 256).unwrap_err().code,
            "sync.invalidBody"
        );
        assert_eq!(
            from_http("a/v1", b"{}", 256).unwrap_err().code,
            "sync.invalidName"
        );
    }
}
