//! Reads a process's resident memory and CPU time from `/proc` (Linux only).
//!
//! Used to measure the server under test from outside; it never writes anything.

use anyhow::{Context, bail};

/// Kernel clock ticks per second for `/proc/<pid>/stat` (USER_HZ, 100 on every Linux target).
const TICKS_PER_SECOND: f64 = 100.0;

/// Resident set size of `pid` in bytes (`VmRSS` of `/proc/<pid>/status`).
pub fn rss_bytes(pid: u32) -> anyhow::Result<u64> {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status"))
        .with_context(|| format!("cannot read /proc/{pid}/status"))?;
    let line = status
        .lines()
        .find_map(|line| line.strip_prefix("VmRSS:"))
        .context("no VmRSS line")?;
    let kilobytes: u64 = line
        .trim()
        .trim_end_matches("kB")
        .trim()
        .parse()
        .context("unparsable VmRSS")?;
    Ok(kilobytes * 1024)
}

/// User plus system CPU seconds consumed so far by `pid` (`"self"` works too).
pub fn cpu_seconds(pid: &str) -> anyhow::Result<f64> {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat"))
        .with_context(|| format!("cannot read /proc/{pid}/stat"))?;
    // The command name may contain spaces and parentheses; fields resume after the last ')'.
    let Some((_, fields)) = stat.rsplit_once(')') else {
        bail!("unparsable /proc/{pid}/stat");
    };
    let fields: Vec<&str> = fields.split_whitespace().collect();
    // Fields 14 (utime) and 15 (stime) of proc(5); index 0 here is field 3.
    let ticks = |index: usize| -> anyhow::Result<f64> {
        let raw = fields.get(index).context("short /proc stat")?;
        Ok(raw.parse::<u64>().context("unparsable cpu ticks")? as f64)
    };
    Ok((ticks(11)? + ticks(12)?) / TICKS_PER_SECOND)
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    #[test]
    fn reads_own_memory_and_cpu() {
        let pid = std::process::id();
        assert!(rss_bytes(pid).unwrap() > 0);
        assert!(cpu_seconds("self").unwrap() >= 0.0);
    }

    #[test]
    fn missing_process_is_an_error() {
        assert!(rss_bytes(u32::MAX).is_err());
    }
}
