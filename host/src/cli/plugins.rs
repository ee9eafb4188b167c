//! `synchost call` (run one sync through the real runtime and print the outputs as JSON) and
//! `synchost plugins` (list what a plugins folder publishes and what failed to load).

use std::path::PathBuf;
use std::sync::Arc;

use anyhow::Context;
use bytes::Bytes;
use clap::Args;
use serde_json::{Value, json};

use synchost::plugin::{
    ClientBatchCall, PluginRuntime, RecipientOutcome, RouteKey, RuntimeOptions, ServerCall,
    StageError,
};

use super::ConfigArgs;
use super::json::{handler_error_json, json_from_msgpack, msgpack_from_json, session_from_json};

/// Arguments of `synchost call`.
#[derive(Debug, Args)]
pub struct CallArgs {
    /// `<page>/<name>`, e.g. `examples/updateCounter`.
    pub route: String,
    /// The version, e.g. `v1`.
    pub version: String,
    /// The plugins root.
    #[arg(long)]
    pub root: PathBuf,
    /// The client input, as JSON.
    #[arg(long, default_value = "null")]
    pub input: String,
    /// The target room.
    #[arg(long, default_value = "cli")]
    pub room: String,
    /// The caller's session, as JSON (`{"id": "...", ...}`); anonymous when absent.
    #[arg(long)]
    pub session: Option<String>,
    /// How many generated recipients (`recipient-1`, ...) the client stage runs for.
    #[arg(long, default_value_t = 1)]
    pub recipients: usize,
    /// An explicit recipient session, as JSON; repeatable; added after the generated ones.
    #[arg(long = "recipient")]
    pub recipient: Vec<String>,
    #[command(flatten)]
    pub config: ConfigArgs,
}

/// Arguments of `synchost plugins`.
#[derive(Debug, Args)]
pub struct ListArgs {
    /// The plugins root.
    #[arg(long)]
    pub root: PathBuf,
    #[command(flatten)]
    pub config: ConfigArgs,
}

fn start(root: &PathBuf, config: &ConfigArgs) -> anyhow::Result<PluginRuntime> {
    let (_, config) = config.load()?;
    let options = RuntimeOptions {
        hot_reload: false,
        ..RuntimeOptions::default()
    };
    PluginRuntime::start_with(config, root, options).context("cannot start the plugin runtime")
}

fn stage_error_json(error: &StageError) -> Value {
    match error {
        StageError::Refused(error) => handler_error_json(error),
        StageError::Failed(error) => {
            json!({ "errorCode": error.code.as_str(), "httpStatus": error.code.http_status(), "detail": error.detail })
        }
    }
}

/// Runs `synchost call`.
pub async fn call(args: CallArgs) -> anyhow::Result<Value> {
    let key =
        RouteKey::parse(&args.route, &args.version).context("expected `<page>/<name> v<n>`")?;
    let input = Bytes::from(msgpack_from_json(&args.input)?);
    let caller = args.session.as_deref().map(session_from_json).transpose()?;
    let mut recipients: Vec<_> = (1..=args.recipients)
        .map(|index| session_from_json(&format!(r#"{{"id":"recipient-{index}"}}"#)).map(Some))
        .collect::<anyhow::Result<_>>()?;
    for text in &args.recipient {
        recipients.push(Some(session_from_json(text)?));
    }
    let (root, config) = (args.root.clone(), args.config);
    let runtime = tokio::task::spawn_blocking(move || start(&root, &config)).await??;
    let route = runtime
        .route(&key)
        .with_context(|| not_found(&runtime, &key))?;
    let sync = runtime.begin(route.clone());
    let mut report = json!({ "route": key.to_string() });
    let mut server_output = None;
    if route.server().is_some() {
        let call = ServerCall {
            input: input.clone(),
            caller,
            room: args.room.clone(),
        };
        match sync.server(call).await {
            Ok(output) => {
                report["server"] = json!({ "output": json_from_msgpack(&output) });
                server_output = Some(output);
            }
            Err(error) => {
                report["server"] = json!({ "error": stage_error_json(&error) });
                return Ok(report);
            }
        }
    }
    if route.client().is_some() {
        let ids: Vec<Option<String>> = recipients
            .iter()
            .map(|session| session.as_ref().map(|s| s.id.clone()))
            .collect();
        let call = ClientBatchCall {
            input,
            server_output,
            room: args.room,
            recipients: recipients.into_iter().map(|r| r.map(Arc::new)).collect(),
        };
        report["clients"] = match sync.clients(call).await {
            Ok(outcomes) => ids
                .into_iter()
                .zip(outcomes)
                .map(|(id, outcome)| outcome_json(id, &outcome))
                .collect(),
            Err(error) => json!({ "error": stage_error_json(&error) }),
        };
    }
    Ok(report)
}

fn outcome_json(recipient: Option<String>, outcome: &RecipientOutcome) -> Value {
    let result = match outcome {
        RecipientOutcome::Deliver(output) => json!({ "deliver": json_from_msgpack(output) }),
        RecipientOutcome::DeliverPlain => json!({ "deliver": "serverOutput" }),
        RecipientOutcome::Skip => json!({ "skip": true }),
        RecipientOutcome::Refused(error) => json!({ "error": handler_error_json(error) }),
        RecipientOutcome::Failed(error) => {
            json!({ "error": stage_error_json(&StageError::Failed(error.clone())) })
        }
    };
    json!({ "recipient": recipient, "outcome": result })
}

fn not_found(runtime: &PluginRuntime, key: &RouteKey) -> String {
    if let Some(refused) = runtime.unavailable(key) {
        return format!("route {key} is unavailable: {}", refused.reason);
    }
    let status = runtime.status();
    let errors: Vec<String> = status
        .errors
        .iter()
        .map(|error| format!("{}: {}", error.path.display(), error.message))
        .collect();
    format!("route {key} is not published; load errors: {errors:?}")
}

/// Runs `synchost plugins`.
pub fn list(args: &ListArgs) -> anyhow::Result<String> {
    let runtime = start(&args.root, &args.config)?;
    let status = runtime.status();
    let mut out = String::new();
    for route in &status.routes {
        let stage = |stage: &Option<synchost::plugin::StageStatus>| {
            stage
                .as_ref()
                .map_or_else(|| "-".to_owned(), |stage| stage.hash[..12].to_owned())
        };
        out.push_str(&format!(
            "{:<40} server {:<12}  client {:<12}\n",
            route.key.to_string(),
            stage(&route.server),
            stage(&route.client)
        ));
    }
    for join in &status.joins {
        out.push_str(&format!(
            "{:<40} join   {:<12}\n",
            join.key.to_string(),
            &join.handler.hash[..12]
        ));
    }
    for refused in &status.unavailable {
        out.push_str(&format!(
            "{:<40} unavailable: {}\n",
            refused.key.to_string(),
            refused.reason
        ));
    }
    for error in &status.errors {
        out.push_str(&format!(
            "error    {}: {}\n",
            error.path.display(),
            error.message
        ));
    }
    for path in &status.ignored {
        out.push_str(&format!("ignored  {}\n", path.display()));
    }
    out.push_str(&format!(
        "cache: {} compiled, {} from cache; functions: {} reused, {} compiled\n",
        status.cache.compiles,
        status.cache.hits,
        status.cache.function_hits,
        status.cache.function_misses
    ));
    Ok(out)
}
