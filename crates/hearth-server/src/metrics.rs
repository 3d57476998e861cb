//! Prometheus metrics: requests by route and status, latency, database pool use, presence writes,
//! job queues and process memory. The registry belongs to the application (no global), so tests can run many apps.

use std::sync::Arc;
use std::time::Instant;

use axum::extract::{MatchedPath, Request, State};
use axum::middleware::Next;
use axum::response::Response;
use hearth_db::PoolStats;
use hearth_jobs::JobMetrics;
use hearth_storage::DriveMetrics;
use prometheus_client::encoding::EncodeLabelSet;
use prometheus_client::metrics::counter::Counter;
use prometheus_client::metrics::family::Family;
use prometheus_client::metrics::gauge::Gauge;
use prometheus_client::metrics::histogram::{Histogram, exponential_buckets};
use prometheus_client::registry::Registry;

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct RequestLabels {
    method: String,
    /// The route template (`/api/v1/users/{id}`), never the raw path, to bound cardinality.
    route: String,
    status: u16,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct RouteLabels {
    method: String,
    route: String,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct TokenLabels {
    model: String,
    /// `prompt` or `completion`.
    kind: &'static str,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct PoolLabels {
    state: &'static str,
}

/// The application's metrics.
#[derive(Debug)]
pub struct Metrics {
    registry: Registry,
    requests: Family<RequestLabels, Counter>,
    latency: Family<RouteLabels, Histogram>,
    pool: Family<PoolLabels, Gauge>,
    resident_memory: Gauge,
    tokens: Family<TokenLabels, Counter>,
    /// Writes of `last_active_at` / `last_used_at`; should grow far slower than requests.
    pub presence_writes: Counter,
    /// Queue depths, job runs and timings.
    pub jobs: Arc<JobMetrics>,
    /// Bytes and chunks stored and served by the drive.
    pub drive: DriveMetrics,
    coordination_connected: Gauge,
    coordination_generation: Gauge,
    /// Requests refused by a rate limit, by `scope` (`user`, `ip`).
    pub rate_limited: Family<ScopeLabels, Counter>,
    /// Operations that the coordination bus could not serve and this process served alone.
    pub coordination_fallbacks: Counter,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
pub struct ScopeLabels {
    pub scope: &'static str,
}

impl Default for Metrics {
    fn default() -> Self {
        Self::new()
    }
}

impl Metrics {
    /// Registers every metric.
    pub fn new() -> Self {
        let mut registry = Registry::default();
        let requests = Family::<RequestLabels, Counter>::default();
        registry.register(
            "http_requests",
            "HTTP requests by method, route and status",
            requests.clone(),
        );
        let latency = Family::<RouteLabels, Histogram>::new_with_constructor(|| {
            Histogram::new(exponential_buckets(0.0005, 2.0, 16))
        });
        registry.register(
            "http_request_duration_seconds",
            "HTTP request latency",
            latency.clone(),
        );
        let pool = Family::<PoolLabels, Gauge>::default();
        registry.register(
            "hearth_db_pool_connections",
            "Database pool connections by state",
            pool.clone(),
        );
        let presence_writes = Counter::default();
        registry.register(
            "hearth_presence_writes",
            "Writes of last-activity timestamps",
            presence_writes.clone(),
        );
        let resident_memory = Gauge::default();
        registry.register(
            "process_resident_memory_bytes",
            "Resident memory of this process",
            resident_memory.clone(),
        );
        let tokens = Family::<TokenLabels, Counter>::default();
        registry.register(
            "hearth_llm_tokens",
            "Tokens used by model servers, by model and kind",
            tokens.clone(),
        );
        let jobs = Arc::new(JobMetrics::register(&mut registry));
        let drive = DriveMetrics::register(&mut registry);
        let coordination_connected = Gauge::default();
        registry.register(
            "hearth_coordination_connected",
            "1 while the coordination bus (Redis, or in-process) is connected",
            coordination_connected.clone(),
        );
        let coordination_generation = Gauge::default();
        registry.register(
            "hearth_coordination_generation",
            "Connections to the coordination bus made so far (1 + reconnects)",
            coordination_generation.clone(),
        );
        let rate_limited = Family::<ScopeLabels, Counter>::default();
        registry.register(
            "hearth_rate_limited_requests",
            "Requests refused by a rate limit, by scope",
            rate_limited.clone(),
        );
        let coordination_fallbacks = Counter::default();
        registry.register(
            "hearth_coordination_fallbacks",
            "Operations served by this process alone because the coordination bus was unavailable",
            coordination_fallbacks.clone(),
        );
        Self {
            coordination_connected,
            coordination_generation,
            rate_limited,
            coordination_fallbacks,
            registry,
            jobs,
            drive,
            requests,
            latency,
            pool,
            resident_memory,
            tokens,
            presence_writes,
        }
    }

    /// Records one finished request.
    pub fn observe(&self, method: &str, route: &str, status: u16, seconds: f64) {
        let labels = RequestLabels {
            method: method.to_owned(),
            route: route.to_owned(),
            status,
        };
        self.requests.get_or_create(&labels).inc();
        self.latency
            .get_or_create(&RouteLabels {
                method: labels.method,
                route: labels.route,
            })
            .observe(seconds);
    }

    /// Counts the tokens of one answer, from the usage its model server reported.
    pub fn record_usage(&self, model: &str, usage: Option<&serde_json::Value>) {
        let Some(usage) = usage else { return };
        for (kind, field) in [
            ("prompt", "prompt_tokens"),
            ("completion", "completion_tokens"),
        ] {
            if let Some(count) = usage[field].as_u64() {
                self.tokens
                    .get_or_create(&TokenLabels {
                        model: model.to_owned(),
                        kind,
                    })
                    .inc_by(count);
            }
        }
    }

    /// The exposition text, with scrape-time gauges refreshed (`generation` is the bus's).
    pub fn render(&self, pool: PoolStats, generation: Option<u64>) -> String {
        self.coordination_connected
            .set(i64::from(generation.is_some()));
        if let Some(generation) = generation {
            self.coordination_generation
                .set(i64::try_from(generation).unwrap_or(i64::MAX));
        }
        self.pool
            .get_or_create(&PoolLabels { state: "in_use" })
            .set(i64::from(pool.in_use));
        self.pool
            .get_or_create(&PoolLabels { state: "idle" })
            .set(i64::from(pool.idle));
        self.pool
            .get_or_create(&PoolLabels { state: "max" })
            .set(i64::from(pool.max));
        if let Some(bytes) = resident_memory_bytes() {
            self.resident_memory.set(bytes);
        }
        let mut text = String::new();
        prometheus_client::encoding::text::encode(&mut text, &self.registry)
            .expect("writing to a String cannot fail");
        text
    }
}

/// Middleware counting and timing every request by its route template.
pub async fn track(State(metrics): State<Arc<Metrics>>, request: Request, next: Next) -> Response {
    let started = Instant::now();
    let method = request.method().as_str().to_owned();
    let route = request
        .extensions()
        .get::<MatchedPath>()
        .map_or_else(|| "unmatched".to_owned(), |path| path.as_str().to_owned());
    let response = next.run(request).await;
    metrics.observe(
        &method,
        &route,
        response.status().as_u16(),
        started.elapsed().as_secs_f64(),
    );
    response
}

/// Resident set size from `/proc/self/statm` (Linux); `None` elsewhere.
fn resident_memory_bytes() -> Option<i64> {
    let statm = std::fs::read_to_string("/proc/self/statm").ok()?;
    let pages: i64 = statm.split_whitespace().nth(1)?.parse().ok()?;
    Some(pages * 4096)
}
