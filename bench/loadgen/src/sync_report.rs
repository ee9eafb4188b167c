//! The sync benchmark's tables (bench/SCENARIO.md, "Sync pipeline"), from the JSON the `sync`
//! run prints: medians per server for one room at each load, the ratios between servers, the
//! integrity counts, and for many small rooms the highest rate each server sustained.
//!
//! It only reads and never judges a target; a result without the fields it needs is skipped
//! with a warning.

use std::collections::BTreeMap;
use std::fmt::Write as _;

use serde_json::Value;

use crate::report::{median, ordered, thousands};

/// A rate counts as sustained when its run was `ok`, its p99 latency at most this, and at most
/// one send in a hundred was late.
pub const SUSTAINED_P99_US: f64 = 50_000.0;

/// One sync run's figures.
#[derive(Debug, Clone)]
struct Run {
    rate: f64,
    deliveries_per_sec: f64,
    per_cpu_sec: Option<f64>,
    p50_us: f64,
    p99_us: f64,
    sent: f64,
    late: f64,
    ok: bool,
    lost: u64,
    duplicated: u64,
    reordered: u64,
}

impl Run {
    fn sustained(&self) -> bool {
        self.ok && self.p99_us <= SUSTAINED_P99_US && self.late <= self.sent / 100.0
    }
}

/// A table row: the metric, one median per server, and how to print a value.
type Row = (&'static str, Vec<Option<f64>>, fn(f64) -> String);
/// An integrity row: its label and what it counts in one run.
type Count = (&'static str, fn(&Run) -> u64);

/// One room of `room_size` at a load: (route, room size, load label).
type OneRoom = (String, u64, String);
/// Many rooms: (route, rooms, room size).
type ManyRooms = (String, u64, u64);

/// The sync results of one directory.
#[derive(Default)]
pub struct SyncResults {
    one_room: BTreeMap<(OneRoom, String), Vec<Run>>,
    /// (setting, server, repetition label) → the runs of its rate steps.
    many_rooms: BTreeMap<(ManyRooms, String, String), Vec<Run>>,
}

impl SyncResults {
    /// Takes one parsed result; false when it is not a sync result.
    pub fn add(&mut self, run: &Value, source: &str) -> bool {
        if run["mode"].as_str() != Some("sync") {
            return false;
        }
        let number = |pointer: &str| run.pointer(pointer).and_then(Value::as_f64);
        let count = |key: &str| run[key].as_u64().unwrap_or(0);
        let (Some(server), Some(name), Some(load), Some(rooms), Some(room_size)) = (
            run["server"].as_str(),
            run["name"].as_str(),
            run["load"].as_str(),
            run["rooms"].as_u64(),
            run["room_size"].as_u64(),
        ) else {
            eprintln!("skipping {source}: incomplete sync result");
            return true;
        };
        let (Some(rate), Some(deliveries_per_sec), Some(p50_us), Some(p99_us)) = (
            number("/rate"),
            number("/deliveries_per_sec"),
            number("/latency/p50_us"),
            number("/latency/p99_us"),
        ) else {
            eprintln!("skipping {source}: incomplete sync result");
            return true;
        };
        let figures = Run {
            rate,
            deliveries_per_sec,
            per_cpu_sec: number("/deliveries_per_server_cpu_sec"),
            p50_us,
            p99_us,
            sent: number("/sent").unwrap_or(0.0),
            late: number("/late_sends").unwrap_or(0.0),
            ok: run["ok"].as_bool() == Some(true),
            lost: count("lost"),
            duplicated: count("duplicated"),
            reordered: count("reordered"),
        };
        if rooms > 1 {
            self.many_rooms
                .entry((
                    (name.to_owned(), rooms, room_size),
                    server.to_owned(),
                    load.to_owned(),
                ))
                .or_default()
                .push(figures);
        } else {
            self.one_room
                .entry((
                    (name.to_owned(), room_size, load.to_owned()),
                    server.to_owned(),
                ))
                .or_default()
                .push(figures);
        }
        true
    }

    /// Whether there is anything to render.
    pub fn is_empty(&self) -> bool {
        self.one_room.is_empty() && self.many_rooms.is_empty()
    }

    /// The markdown tables.
    pub fn render(&self) -> anyhow::Result<String> {
        let mut out = String::new();
        let servers = ordered(
            self.one_room
                .keys()
                .map(|(_, server)| server.clone())
                .chain(self.many_rooms.keys().map(|(_, server, _)| server.clone())),
        );
        self.render_one_room(&servers, &mut out)?;
        self.render_many_rooms(&servers, &mut out)?;
        self.render_integrity(&servers, &mut out)?;
        Ok(out)
    }

    fn render_one_room(&self, servers: &[String], out: &mut String) -> anyhow::Result<()> {
        let mut settings: Vec<&OneRoom> =
            self.one_room.keys().map(|(setting, _)| setting).collect();
        settings.dedup();
        if settings.is_empty() {
            return Ok(());
        }
        let pairs = pairs(servers.len());
        writeln!(
            out,
            "| route, room, load | {} | {} |",
            servers.join(" | "),
            pair_headers(servers, &pairs)
        )?;
        writeln!(out, "|---|{}", "---:|".repeat(servers.len() + pairs.len()))?;
        for setting in settings {
            let medians = |pick: fn(&Run) -> Option<f64>| -> Vec<Option<f64>> {
                servers
                    .iter()
                    .map(|server| {
                        let runs = self.one_room.get(&(setting.clone(), server.clone()))?;
                        median(runs.iter().filter_map(pick).collect())
                    })
                    .collect()
            };
            let (name, room, load) = setting;
            let at = format!("{name}, {room}, {load}");
            let rows: [Row; 4] = [
                (
                    "deliveries/s",
                    medians(|r| Some(r.deliveries_per_sec)),
                    count_cell,
                ),
                ("per server CPU-s", medians(|r| r.per_cpu_sec), count_cell),
                ("p50 ms", medians(|r| Some(r.p50_us / 1000.0)), ms_cell),
                ("p99 ms", medians(|r| Some(r.p99_us / 1000.0)), ms_cell),
            ];
            write_rows(out, &at, rows, &pairs)?;
        }
        writeln!(out)?;
        Ok(())
    }

    fn render_many_rooms(&self, servers: &[String], out: &mut String) -> anyhow::Result<()> {
        // (setting, server) → per repetition: the highest sustained run.
        let mut best: BTreeMap<(ManyRooms, String), Vec<Option<Run>>> = BTreeMap::new();
        for ((setting, server, _), runs) in &self.many_rooms {
            let top = runs
                .iter()
                .filter(|run| run.sustained())
                .max_by(|a, b| a.rate.total_cmp(&b.rate))
                .cloned();
            best.entry((setting.clone(), server.clone()))
                .or_default()
                .push(top);
        }
        if best.is_empty() {
            return Ok(());
        }
        let mut settings: Vec<&ManyRooms> = best.keys().map(|(setting, _)| setting).collect();
        settings.dedup();
        let pairs = pairs(servers.len());
        writeln!(
            out,
            "| route, rooms × members: highest rate with p99 ≤ {} ms | {} | {} |",
            SUSTAINED_P99_US / 1000.0,
            servers.join(" | "),
            pair_headers(servers, &pairs)
        )?;
        writeln!(out, "|---|{}", "---:|".repeat(servers.len() + pairs.len()))?;
        for setting @ (name, rooms, size) in settings {
            let medians = |pick: fn(&Run) -> f64| -> Vec<Option<f64>> {
                servers
                    .iter()
                    .map(|server| {
                        let reps = best.get(&(setting.clone(), server.clone()))?;
                        // A repetition where no step was sustained counts as 0.
                        median(
                            reps.iter()
                                .map(|run| run.as_ref().map_or(0.0, pick))
                                .collect(),
                        )
                    })
                    .collect()
            };
            let at = format!("{name}, {rooms} × {size}");
            let rows: [Row; 3] = [
                ("syncs/s", medians(|r| r.rate), count_cell),
                (
                    "deliveries/s",
                    medians(|r| r.deliveries_per_sec),
                    count_cell,
                ),
                ("p99 ms there", medians(|r| r.p99_us / 1000.0), ms_cell),
            ];
            write_rows(out, &at, rows, &pairs)?;
        }
        writeln!(out)?;
        Ok(())
    }

    fn render_integrity(&self, servers: &[String], out: &mut String) -> anyhow::Result<()> {
        writeln!(
            out,
            "| integrity over every run | {} |",
            servers.join(" | ")
        )?;
        writeln!(out, "|---|{}", "---:|".repeat(servers.len()))?;
        let all = |server: &String| -> Vec<&Run> {
            let one = self
                .one_room
                .iter()
                .filter(|((_, s), _)| s == server)
                .flat_map(|(_, runs)| runs);
            let many = self
                .many_rooms
                .iter()
                .filter(|((_, s, _), _)| s == server)
                .flat_map(|(_, runs)| runs);
            one.chain(many).collect()
        };
        let rows: [Count; 4] = [
            ("runs not ok", |run| u64::from(!run.ok)),
            ("lost", |run| run.lost),
            ("duplicated", |run| run.duplicated),
            ("reordered", |run| run.reordered),
        ];
        for (label, pick) in rows {
            let cells: Vec<String> = servers
                .iter()
                .map(|server| {
                    let runs = all(server);
                    let sum: u64 = runs.iter().map(|run| pick(run)).sum();
                    if label == "runs not ok" {
                        format!("{sum} of {}", runs.len())
                    } else {
                        thousands(sum)
                    }
                })
                .collect();
            writeln!(out, "| {label} | {} |", cells.join(" | "))?;
        }
        writeln!(
            out,
            "\nRatios are left ÷ right: above 1 is better for rates, below 1 for latency. A run is not ok \
             when anything was lost, duplicated, refused or unanswered (a recipient's error frame \
             included); reordering is counted, not judged."
        )?;
        Ok(())
    }
}

/// Writes `rows` of the setting `at`: the medians, then their ratios.
fn write_rows(
    out: &mut String,
    at: &str,
    rows: impl IntoIterator<Item = Row>,
    pairs: &[(usize, usize)],
) -> anyhow::Result<()> {
    for (metric, values, cell) in rows {
        let cells: Vec<String> = values
            .iter()
            .map(|value| value.map_or("–".to_owned(), cell))
            .collect();
        writeln!(
            out,
            "| {at}: {metric} | {} | {} |",
            cells.join(" | "),
            ratio_cells(&values, pairs)
        )?;
    }
    Ok(())
}

fn pairs(n: usize) -> Vec<(usize, usize)> {
    (0..n)
        .flat_map(|a| (a + 1..n).map(move |b| (a, b)))
        .collect()
}

fn pair_headers(servers: &[String], pairs: &[(usize, usize)]) -> String {
    pairs
        .iter()
        .map(|(a, b)| format!("{} ÷ {}", servers[*a], servers[*b]))
        .collect::<Vec<_>>()
        .join(" | ")
}

fn ratio_cells(values: &[Option<f64>], pairs: &[(usize, usize)]) -> String {
    pairs
        .iter()
        .map(|(a, b)| match (values[*a], values[*b]) {
            (Some(x), Some(y)) if y > 0.0 => format!("{:.2}×", x / y),
            _ => "–".to_owned(),
        })
        .collect::<Vec<_>>()
        .join(" | ")
}

fn count_cell(value: f64) -> String {
    thousands(value.round() as u64)
}

fn ms_cell(value: f64) -> String {
    format!("{value:.1}")
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    fn run(server: &str, rooms: u64, load: &str, rate: f64, p99_ms: f64, ok: bool) -> Value {
        serde_json::json!({
            "mode": "sync", "server": server, "name": "bench/relay@v1", "load": load,
            "rooms": rooms, "room_size": if rooms > 1 { 10 } else { 100 }, "rate": rate,
            "deliveries_per_sec": rate * 10.0, "deliveries_per_server_cpu_sec": rate,
            "latency": { "p50_us": 1000, "p99_us": p99_ms * 1000.0 },
            "sent": 1000, "late_sends": 0, "ok": ok, "lost": u64::from(!ok), "duplicated": 0,
            "reordered": 2,
        })
    }

    #[test]
    fn one_room_medians_and_ratios() {
        let mut results = SyncResults::default();
        for (server, rate) in [
            ("synchost", 300.0),
            ("synchost", 100.0),
            ("synchost", 200.0),
            ("node", 20.0),
        ] {
            assert!(results.add(&run(server, 1, "heavy", rate, 5.0, true), "x"));
        }
        assert!(!results.add(&serde_json::json!({"mode": "broadcast"}), "x"));
        let table = results.render().unwrap();
        assert!(
            table.contains("| bench/relay@v1, 100, heavy: deliveries/s | 2,000 | 200 | 10.00× |"),
            "{table}"
        );
        assert!(table.contains("| reordered | 6 | 2 |"), "{table}");
    }

    #[test]
    fn many_rooms_take_the_highest_sustained_step_of_each_repetition() {
        let mut results = SyncResults::default();
        // Repetition 1: 4,000 is sustained, 8,000 is too slow. Repetition 2: 2,000 only, since
        // the 4,000 run lost a sync. The median of 4,000 and 2,000 is 3,000.
        for (load, rate, p99, ok) in [
            ("rep1", 2000.0, 3.0, true),
            ("rep1", 4000.0, 20.0, true),
            ("rep1", 8000.0, 80.0, true),
            ("rep2", 2000.0, 3.0, true),
            ("rep2", 4000.0, 10.0, false),
        ] {
            results.add(&run("synchost", 1000, load, rate, p99, ok), "x");
        }
        results.add(&run("node", 1000, "rep1", 1000.0, 60.0, true), "x");
        let table = results.render().unwrap();
        assert!(
            table.contains("| bench/relay@v1, 1000 × 10: syncs/s | 3,000 | 0 | – |"),
            "{table}"
        );
        assert!(
            table.contains("| runs not ok | 1 of 5 | 0 of 1 |"),
            "{table}"
        );
    }
}
