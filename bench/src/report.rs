//! The results table: one row per measurement, Hearth beside what it is compared with, written as
//! Markdown (for BENCHMARKS.md) and JSON (for tools).

use std::path::Path;

use anyhow::{Context, Result};
use serde::Serialize;

/// How a row compares Hearth with its baseline.
#[derive(Clone, Copy, Debug, Serialize)]
#[serde(rename_all = "snake_case")]
pub(crate) enum Compare {
    /// Hearth ÷ baseline.
    Ratio,
    /// Hearth − baseline (time Hearth adds).
    Added,
    /// Nothing to compare with.
    None,
}

#[derive(Debug, Serialize)]
pub(crate) struct Row {
    pub(crate) section: &'static str,
    pub(crate) scenario: String,
    pub(crate) unit: &'static str,
    pub(crate) hearth: f64,
    pub(crate) baseline: Option<f64>,
    pub(crate) compare: Compare,
}

impl Row {
    fn comparison(&self) -> Option<f64> {
        let baseline = self.baseline?;
        match self.compare {
            Compare::Ratio => Some(self.hearth / baseline),
            Compare::Added => Some(self.hearth - baseline),
            Compare::None => None,
        }
    }
}

#[derive(Debug, Serialize)]
pub(crate) struct Machine {
    pub(crate) cores: usize,
    pub(crate) memory_gib: f64,
    pub(crate) cpu: String,
    pub(crate) kernel: String,
    pub(crate) open_files_limit: String,
}

impl Machine {
    pub(crate) fn read() -> Result<Self> {
        let meminfo = std::fs::read_to_string("/proc/meminfo")?;
        let kib: f64 = meminfo
            .lines()
            .find_map(|l| l.strip_prefix("MemTotal:"))
            .and_then(|v| v.split_whitespace().next())
            .context("MemTotal")?
            .parse()?;
        let cpuinfo = std::fs::read_to_string("/proc/cpuinfo").unwrap_or_default();
        let cpu = cpuinfo
            .lines()
            .find_map(|l| l.strip_prefix("model name"))
            .map(|v| v.trim_start_matches([' ', '\t', ':']).to_owned());
        let limits = std::fs::read_to_string("/proc/self/limits").unwrap_or_default();
        let open_files = limits
            .lines()
            .find(|l| l.starts_with("Max open files"))
            .map(|l| l.split_whitespace().nth(3).unwrap_or("?").to_owned());
        Ok(Self {
            cores: std::thread::available_parallelism().map_or(1, usize::from),
            memory_gib: kib / 1024.0 / 1024.0,
            cpu: cpu.unwrap_or_else(|| "unknown".into()),
            kernel: std::fs::read_to_string("/proc/sys/kernel/osrelease")
                .unwrap_or_default()
                .trim()
                .to_owned(),
            open_files_limit: open_files.unwrap_or_else(|| "?".into()),
        })
    }
}

#[derive(Debug, Serialize)]
pub(crate) struct Report {
    pub(crate) command: String,
    pub(crate) machine: Machine,
    pub(crate) rows: Vec<Row>,
}

/// The baseline's name for each section.
fn baseline_name(section: &str) -> &'static str {
    match section {
        "streaming" => "direct to the model server",
        "jobs" => "in-memory channel",
        "files" => "object_store directly, same store",
        "knowledge" => "compared with (see the row)",
        "replicas" => "on the asking client's own stream",
        "reference" => "Open WebUI 0.12.4",
        _ => "bare axum",
    }
}

fn number(value: f64) -> String {
    if value.is_nan() {
        "—".into()
    } else if value.abs() >= 100.0 {
        format!("{value:.0}")
    } else {
        format!("{value:.2}")
    }
}

pub(crate) fn write(out: &Path, report: &Report) -> Result<String> {
    std::fs::create_dir_all(out)?;
    std::fs::write(
        out.join("latest.json"),
        serde_json::to_string_pretty(report)? + "\n",
    )?;
    let m = &report.machine;
    let mut md = format!(
        "Machine: {} cores, {:.1} GiB, {} (Linux {}), open-files limit {}. Load generator on the same machine.\n",
        m.cores, m.memory_gib, m.cpu, m.kernel, m.open_files_limit
    );
    let mut sections: Vec<&str> = report.rows.iter().map(|r| r.section).collect();
    sections.dedup();
    for section in sections {
        md.push_str(&format!(
            "\n### {section}\n\n| scenario | unit | Hearth | {} | comparison |\n|---|---|---:|---:|---:|\n",
            baseline_name(section)
        ));
        for row in report.rows.iter().filter(|r| r.section == section) {
            let comparison = match (row.compare, row.comparison()) {
                (Compare::Ratio, Some(ratio)) if ratio < 0.01 => format!("{ratio:.5}×"),
                (Compare::Ratio, Some(ratio)) => format!("{ratio:.2}×"),
                (Compare::Added, Some(added)) => format!("+{} {}", number(added), row.unit),
                _ => "—".into(),
            };
            md.push_str(&format!(
                "| {} | {} | {} | {} | {} |\n",
                row.scenario,
                row.unit,
                number(row.hearth),
                row.baseline.map_or_else(|| "—".into(), number),
                comparison
            ));
        }
    }
    std::fs::write(out.join("latest.md"), &md)?;
    Ok(md)
}
