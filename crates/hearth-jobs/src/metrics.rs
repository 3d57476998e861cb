//! Queue metrics for `/metrics`: depth per queue and state (what autoscalers such as KEDA read),
//! run durations, outcomes (failures and retries among them) and the delay from due to started.

use prometheus_client::encoding::EncodeLabelSet;
use prometheus_client::metrics::counter::Counter;
use prometheus_client::metrics::family::Family;
use prometheus_client::metrics::gauge::Gauge;
use prometheus_client::metrics::histogram::{Histogram, exponential_buckets};
use prometheus_client::registry::Registry;

use hearth_core::seams::QueueDepth;

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct DepthLabels {
    queue: &'static str,
    state: &'static str,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct RunLabels {
    queue: &'static str,
    kind: String,
    /// `succeeded`, `retried`, `failed`, `panicked`, `cancelled` or `released`.
    outcome: &'static str,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct QueueLabels {
    queue: &'static str,
}

/// The job metrics, registered in the process's registry.
#[derive(Debug)]
pub struct JobMetrics {
    depth: Family<DepthLabels, Gauge>,
    runs: Family<RunLabels, Counter>,
    duration: Family<RunLabels, Histogram, fn() -> Histogram>,
    start_delay: Family<QueueLabels, Histogram, fn() -> Histogram>,
}

fn duration_histogram() -> Histogram {
    Histogram::new(exponential_buckets(0.001, 2.0, 20))
}

impl JobMetrics {
    /// Creates the metrics and registers them in `registry`.
    pub fn register(registry: &mut Registry) -> Self {
        let metrics = Self {
            depth: Family::default(),
            runs: Family::default(),
            duration: Family::new_with_constructor(duration_histogram),
            start_delay: Family::new_with_constructor(duration_histogram),
        };
        registry.register(
            "hearth_jobs",
            "Jobs by queue and state (queued includes those scheduled for later)",
            metrics.depth.clone(),
        );
        registry.register(
            "hearth_job_runs",
            "Finished job runs by queue, kind and outcome",
            metrics.runs.clone(),
        );
        registry.register(
            "hearth_job_duration_seconds",
            "Time a job run took, by queue, kind and outcome",
            metrics.duration.clone(),
        );
        registry.register(
            "hearth_job_start_delay_seconds",
            "Time from a job being due to a worker starting it, by queue",
            metrics.start_delay.clone(),
        );
        metrics
    }

    /// Sets the depth gauges from a fresh count (at scrape time).
    pub fn set_depths(&self, depths: &[QueueDepth]) {
        for depth in depths {
            self.depth
                .get_or_create(&DepthLabels {
                    queue: depth.queue.as_str(),
                    state: depth.state.as_str(),
                })
                .set(i64::try_from(depth.count).unwrap_or(i64::MAX));
        }
    }

    pub(crate) fn started(&self, queue: &'static str, delay_seconds: f64) {
        self.start_delay
            .get_or_create(&QueueLabels { queue })
            .observe(delay_seconds.max(0.0));
    }

    pub(crate) fn finished(
        &self,
        queue: &'static str,
        kind: &str,
        outcome: &'static str,
        seconds: f64,
    ) {
        let labels = RunLabels {
            queue,
            kind: kind.to_owned(),
            outcome,
        };
        self.runs.get_or_create(&labels).inc();
        self.duration.get_or_create(&labels).observe(seconds);
    }
}
