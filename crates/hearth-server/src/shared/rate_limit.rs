//! Rate limits per user and per client address (`RATE_LIMIT_PER_USER`, `RATE_LIMIT_PER_IP`):
//! fixed one-minute windows counted on the coordination bus, so every replica shares one count.
//!
//! While the bus is unavailable each replica counts alone (a client spread over N replicas may
//! then make up to N times the limit) rather than refusing everyone or letting everyone through.

use std::net::{IpAddr, SocketAddr};
use std::sync::Arc;
use std::time::Duration;

use axum::extract::{ConnectInfo, Request, State};
use axum::http::HeaderMap;
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use hearth_bus::LocalBus;
use hearth_config::Settings;
use hearth_core::UserId;
use hearth_core::seams::Coordinator;
use hearth_core::time::unix_now;

use crate::ApiError;
use crate::metrics::{Metrics, ScopeLabels};

/// The window every limit counts in.
const WINDOW_SECONDS: i64 = 60;

/// Counts requests against the configured limits.
#[derive(Clone, Debug)]
pub struct RateLimiter {
    per_user: u32,
    per_ip: u32,
    trusted_proxies: TrustedProxies,
    bus: Arc<dyn Coordinator>,
    alone: Arc<LocalBus>,
    metrics: Arc<Metrics>,
}

/// Peers whose `X-Forwarded-For` is believed.
#[derive(Clone, Debug)]
enum TrustedProxies {
    None,
    All,
    Some(Vec<IpAddr>),
}

impl RateLimiter {
    /// The limits of `settings`, counted on `bus`.
    pub fn new(settings: &Settings, bus: Arc<dyn Coordinator>, metrics: Arc<Metrics>) -> Self {
        let allowed = &settings.security.forwarded_allow_ips;
        let trusted_proxies = if allowed.iter().any(|ip| ip == "*") {
            TrustedProxies::All
        } else if allowed.is_empty() {
            TrustedProxies::None
        } else {
            TrustedProxies::Some(allowed.iter().filter_map(|ip| ip.parse().ok()).collect())
        };
        Self {
            per_user: settings.security.rate_limit_per_user,
            per_ip: settings.security.rate_limit_per_ip,
            trusted_proxies,
            bus,
            alone: Arc::new(LocalBus::new()),
            metrics,
        }
    }

    /// Counts one request of `user`; past the limit, a 429 to send.
    pub async fn check_user(&self, user: UserId) -> Result<(), ApiError> {
        self.count("user", &user.to_string(), self.per_user).await
    }

    /// The client address of a request: the peer, or the first address of `X-Forwarded-For` when
    /// the peer is a trusted proxy.
    fn client(&self, peer: IpAddr, headers: &HeaderMap) -> IpAddr {
        let trusted = match &self.trusted_proxies {
            TrustedProxies::None => false,
            TrustedProxies::All => true,
            TrustedProxies::Some(ips) => ips.contains(&peer),
        };
        if !trusted {
            return peer;
        }
        headers
            .get("x-forwarded-for")
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.split(',').next())
            .and_then(|ip| ip.trim().parse().ok())
            .unwrap_or(peer)
    }

    async fn count(&self, scope: &'static str, who: &str, limit: u32) -> Result<(), ApiError> {
        if limit == 0 {
            return Ok(());
        }
        let now = unix_now();
        let window = now.div_euclid(WINDOW_SECONDS);
        let key = format!("ratelimit:{scope}:{who}:{window}");
        // A little past the window, so clocks a second apart still share the count.
        let ttl = Duration::from_secs(WINDOW_SECONDS as u64 + 5);
        let shared = if self.bus.generation().is_some() {
            self.bus.increment(&key, 1, ttl).await.ok()
        } else {
            None
        };
        let count = match shared {
            Some(count) => count,
            None => {
                self.metrics.coordination_fallbacks.inc();
                self.alone.increment(&key, 1, ttl).await.unwrap_or(0)
            }
        };
        if count <= i64::from(limit) {
            return Ok(());
        }
        self.metrics
            .rate_limited
            .get_or_create(&ScopeLabels { scope })
            .inc();
        Err(ApiError::TooManyRequests {
            limit: format!("{limit} requests a minute per {scope}"),
            retry_after: (WINDOW_SECONDS - now.rem_euclid(WINDOW_SECONDS)).max(1) as u64,
        })
    }
}

/// Middleware counting every API request against the per-address limit.
pub async fn limit_by_address(
    State(limiter): State<RateLimiter>,
    request: Request,
    next: Next,
) -> Response {
    // Probes are for orchestrators, which must never be refused.
    let probe = matches!(request.uri().path(), "/health" | "/ready" | "/metrics");
    if limiter.per_ip > 0 && !probe {
        let peer = request
            .extensions()
            .get::<ConnectInfo<SocketAddr>>()
            .map(|info| info.0.ip());
        if let Some(peer) = peer {
            let client = limiter.client(peer, request.headers());
            if let Err(refused) = limiter
                .count("ip", &client.to_string(), limiter.per_ip)
                .await
            {
                return refused.into_response();
            }
        }
    }
    next.run(request).await
}
