//! Turns a directory of run results (the JSON printed by `broadcast` and `idle`, and by `sync`
//! through `sync_report`) into the markdown tables of the benchmarks: medians per server, then
//! ratios between servers.
//!
//! It only reads; a file that is not a run result is skipped with a warning, never guessed at.

use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::path::Path;

use anyhow::Context;
use serde_json::Value;

use crate::sync_report::SyncResults;

/// Servers in the order the tables list them; others follow alphabetically.
const PREFERRED_ORDER: [&str; 3] = ["synchost", "socketioxide", "node"];

/// One broadcast run's figures.
struct Run {
    deliveries_per_sec: f64,
    p50_us: f64,
    p99_us: f64,
    /// Deliveries per second of server CPU, when the server's CPU time was readable.
    per_server_cpu_sec: Option<f64>,
}

/// A broadcast configuration: room size and message window. Runs with equal keys are repetitions
/// of one measurement, whatever in-flight budget produced the window.
type Setting = (u64, u64);

/// Medians and integrity counts gathered from one results directory.
#[derive(Default)]
struct Results {
    /// (server, setting) → its runs.
    broadcast: BTreeMap<(String, Setting), Vec<Run>>,
    /// server → per-run bytes per idle connection, with the connection count.
    idle: BTreeMap<String, Vec<(f64, u64)>>,
    /// server → (runs, runs that were not ok).
    integrity: BTreeMap<String, (u32, u32)>,
    /// The sync runs.
    sync: SyncResults,
}

/// Renders the markdown report for every JSON result in `dir`.
pub fn render(dir: &Path) -> anyhow::Result<String> {
    let results = load(dir)?;
    if results.broadcast.is_empty() && results.idle.is_empty() {
        return results.sync.render();
    }
    let mut out = render_broadcast(&results)?;
    if !results.sync.is_empty() {
        writeln!(out)?;
        out.push_str(&results.sync.render()?);
    }
    Ok(out)
}

fn render_broadcast(results: &Results) -> anyhow::Result<String> {
    let servers = ordered_servers(results);
    let settings: Vec<Setting> = {
        let mut settings: Vec<Setting> = results.broadcast.keys().map(|(_, s)| *s).collect();
        settings.sort_unstable();
        settings.dedup();
        settings
    };
    // Each row: a label and one median per server (None when that server has no data).
    let mut rows: Vec<(String, Vec<Option<f64>>)> = Vec::new();
    for setting @ (room, window) in &settings {
        let metric = |pick: fn(&Run) -> Option<f64>| -> Vec<Option<f64>> {
            servers
                .iter()
                .map(|server| {
                    let runs = results.broadcast.get(&(server.clone(), *setting))?;
                    median(runs.iter().filter_map(pick).collect())
                })
                .collect()
        };
        let at = format!("room {room}, window {window}");
        rows.push((
            format!("deliveries/s, {at}"),
            metric(|run| Some(run.deliveries_per_sec)),
        ));
        rows.push((
            format!("deliveries per server CPU-second, {at}"),
            metric(|run| run.per_server_cpu_sec),
        ));
        rows.push((
            format!("p50 latency ms, {at}"),
            metric(|run| Some(run.p50_us / 1000.0)),
        ));
        rows.push((
            format!("p99 latency ms, {at}"),
            metric(|run| Some(run.p99_us / 1000.0)),
        ));
    }
    let idle_connections = results.idle.values().flatten().map(|(_, n)| *n).max();
    if let Some(connections) = idle_connections {
        let values = servers
            .iter()
            .map(|server| {
                let runs = results.idle.get(server)?;
                median(runs.iter().map(|(bytes, _)| bytes / 1000.0).collect())
            })
            .collect();
        rows.push((format!("idle KB/connection at {connections}"), values));
    }

    let mut out = String::new();
    writeln!(out, "| metric | {} |", servers.join(" | "))?;
    writeln!(out, "|---|{}", "---:|".repeat(servers.len()))?;
    for (label, values) in &rows {
        let cells: Vec<String> = values
            .iter()
            .map(|value| format_value(label, *value))
            .collect();
        writeln!(out, "| {label} | {} |", cells.join(" | "))?;
    }
    let integrity: Vec<String> = servers
        .iter()
        .map(|server| {
            let (runs, bad) = results.integrity.get(server).copied().unwrap_or_default();
            format!("{bad} of {runs}")
        })
        .collect();
    writeln!(
        out,
        "| runs with loss, duplicates or errors | {} |",
        integrity.join(" | ")
    )?;

    let pairs: Vec<(usize, usize)> = (0..servers.len())
        .flat_map(|a| (a + 1..servers.len()).map(move |b| (a, b)))
        .collect();
    if !pairs.is_empty() {
        let headers: Vec<String> = pairs
            .iter()
            .map(|(a, b)| format!("{} ÷ {}", servers[*a], servers[*b]))
            .collect();
        writeln!(out, "\n| ratio | {} |", headers.join(" | "))?;
        writeln!(out, "|---|{}", "---:|".repeat(pairs.len()))?;
        for (label, values) in &rows {
            let cells: Vec<String> = pairs
                .iter()
                .map(|(a, b)| match (values[*a], values[*b]) {
                    (Some(x), Some(y)) if y > 0.0 => format!("{:.2}×", x / y),
                    _ => "–".to_owned(),
                })
                .collect();
            writeln!(out, "| {label} | {} |", cells.join(" | "))?;
        }
        writeln!(
            out,
            "\nRatios are left ÷ right: above 1 is better for deliveries/s, below 1 is better for \
             latency and memory. KB = 1000 bytes."
        )?;
    }
    Ok(out)
}

fn load(dir: &Path) -> anyhow::Result<Results> {
    let mut results = Results::default();
    let entries =
        std::fs::read_dir(dir).with_context(|| format!("cannot read {}", dir.display()))?;
    let mut paths: Vec<_> = entries
        .filter_map(|entry| entry.ok().map(|e| e.path()))
        .collect();
    paths.sort();
    for path in paths
        .iter()
        .filter(|path| path.extension().is_some_and(|ext| ext == "json"))
    {
        let parsed = std::fs::read_to_string(path)
            .ok()
            .and_then(|text| serde_json::from_str::<Value>(&text).ok());
        let Some(run) = parsed else {
            eprintln!("skipping {}: not a run result", path.display());
            continue;
        };
        let server = run["server"].as_str().unwrap_or("?").to_owned();
        let number = |pointer: &str| run.pointer(pointer).and_then(Value::as_f64);
        let counted = match run["mode"].as_str() {
            Some("broadcast") => {
                let (Some(room), Some(window), Some(rate), Some(p50), Some(p99)) = (
                    run["room_size"].as_u64(),
                    run["window"].as_u64(),
                    number("/deliveries_per_sec"),
                    number("/latency/p50_us"),
                    number("/latency/p99_us"),
                ) else {
                    eprintln!("skipping {}: incomplete broadcast result", path.display());
                    continue;
                };
                results
                    .broadcast
                    .entry((server.clone(), (room, window)))
                    .or_default()
                    .push(Run {
                        deliveries_per_sec: rate,
                        p50_us: p50,
                        p99_us: p99,
                        per_server_cpu_sec: number("/deliveries_per_server_cpu_sec"),
                    });
                true
            }
            Some("idle") => {
                if let (Some(bytes), Some(n)) =
                    (number("/bytes_per_connection"), run["connections"].as_u64())
                {
                    results
                        .idle
                        .entry(server.clone())
                        .or_default()
                        .push((bytes, n));
                }
                true
            }
            _ => {
                results.sync.add(&run, &path.display().to_string());
                false
            }
        };
        if counted {
            let entry = results.integrity.entry(server).or_default();
            entry.0 += 1;
            entry.1 += u32::from(run["ok"].as_bool() != Some(true));
        }
    }
    Ok(results)
}

fn ordered_servers(results: &Results) -> Vec<String> {
    ordered(
        results
            .broadcast
            .keys()
            .map(|(server, _)| server.clone())
            .chain(results.idle.keys().cloned()),
    )
}

/// Servers in the tables' order, each once.
pub fn ordered(servers: impl Iterator<Item = String>) -> Vec<String> {
    let mut servers: Vec<String> = servers.collect();
    servers.sort_by_key(|server| {
        let rank = PREFERRED_ORDER.iter().position(|known| known == server);
        (rank.unwrap_or(PREFERRED_ORDER.len()), server.clone())
    });
    servers.dedup();
    servers
}

/// The median; None for no values.
pub fn median(mut values: Vec<f64>) -> Option<f64> {
    values.sort_by(f64::total_cmp);
    let n = values.len();
    match n {
        0 => None,
        _ if n % 2 == 1 => Some(values[n / 2]),
        _ => Some((values[n / 2 - 1] + values[n / 2]) / 2.0),
    }
}

fn format_value(label: &str, value: Option<f64>) -> String {
    match value {
        None => "–".to_owned(),
        Some(value) if label.starts_with("deliveries") => thousands(value.round() as u64),
        Some(value) if label.starts_with("idle") => format!("{value:.1}"),
        Some(value) => format!("{value:.2}"),
    }
}

/// `value` with thousands separators.
pub fn thousands(value: u64) -> String {
    let digits = value.to_string();
    let mut out = String::new();
    for (index, digit) in digits.chars().enumerate() {
        if index > 0 && (digits.len() - index).is_multiple_of(3) {
            out.push(',');
        }
        out.push(digit);
    }
    out
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    #[test]
    fn medians_of_odd_and_even_counts() {
        assert_eq!(median(vec![3.0, 1.0, 2.0]), Some(2.0));
        assert_eq!(median(vec![4.0, 1.0]), Some(2.5));
        assert_eq!(median(vec![]), None);
    }

    #[test]
    fn thousands_separators() {
        assert_eq!(thousands(0), "0");
        assert_eq!(thousands(1234567), "1,234,567");
        assert_eq!(thousands(100), "100");
    }

    #[test]
    fn renders_medians_and_ratios_from_result_files() {
        let dir = std::env::temp_dir().join(format!("loadgen-report-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let with_window = |server: &str, rate: f64, ok: bool, window: u64| {
            format!(
                r#"{{"mode":"broadcast","server":"{server}","room_size":100,"window":{window},
                "deliveries_per_sec":{rate},"deliveries_per_server_cpu_sec":{rate},"latency":{{"p50_us":1000,"p99_us":4000}},"ok":{ok}}}"#
            )
        };
        let broadcast = |server: &str, rate: f64, ok: bool| with_window(server, rate, ok, 64);
        std::fs::write(dir.join("a.json"), broadcast("node", 100.0, true)).unwrap();
        std::fs::write(dir.join("b.json"), broadcast("socketioxide", 300.0, true)).unwrap();
        std::fs::write(dir.join("c.json"), broadcast("socketioxide", 500.0, false)).unwrap();
        std::fs::write(dir.join("d.json"), "not json").unwrap();
        std::fs::write(dir.join("e.json"), with_window("node", 50.0, true, 2)).unwrap();
        let table = render(&dir).unwrap();
        std::fs::remove_dir_all(&dir).unwrap();
        assert!(
            table.contains("| metric | socketioxide | node |"),
            "{table}"
        );
        assert!(
            table.contains("| deliveries/s, room 100, window 64 | 400 | 100 |"),
            "{table}"
        );
        assert!(
            table.contains("| deliveries per server CPU-second, room 100, window 64 | 4.00× |"),
            "{table}"
        );
        assert!(
            table.contains("| p99 latency ms, room 100, window 64 | 4.00 | 4.00 |"),
            "{table}"
        );
        assert!(
            table.contains("| deliveries/s, room 100, window 2 | – | 50 |"),
            "{table}"
        );
        assert!(
            table.contains("| runs with loss, duplicates or errors | 1 of 2 | 0 of 2 |"),
            "{table}"
        );
    }
}
