//! Reaching Redis: one [`RedisTarget`] built from `REDIS_URL`, `REDIS_SENTINEL_HOSTS`,
//! `REDIS_CLUSTER` and `REDIS_SOCKET_CONNECT_TIMEOUT`, shared by the job queue and the bus.
//!
//! Every client reconnects by itself (exponential backoff capped at two seconds, without limit) and
//! every command gives up after [`RedisTarget::command_timeout`], so a Redis that has gone away makes
//! callers fail quickly — they then fall back to what one replica can do alone — instead of queueing
//! behind a reconnect that may take minutes.

use std::time::Duration;

use fred::prelude::{Builder, ClientLike, Config, Error as RedisError, Pool, ServerConfig};
use fred::types::config::{ReconnectPolicy, UnresponsiveConfig};
use hearth_core::seams::SeamError;

/// Sentinels' port when `REDIS_SENTINEL_HOSTS` names a host alone.
const SENTINEL_PORT: u16 = 26379;

/// Where Redis is and how long to wait for it.
#[derive(Clone, Debug)]
pub struct RedisTarget {
    /// `redis://…`, `rediss://…` (TLS), `redis-cluster://…` or `redis-sentinel://…`. With sentinels,
    /// its host is the name of the monitored service (as in the reference system), its user,
    /// password and database still apply.
    pub url: String,
    /// `host[:port]` of each sentinel; empty means no Sentinel.
    pub sentinel_hosts: Vec<String>,
    /// Treat the URL's server as a node of a Redis Cluster.
    pub cluster: bool,
    /// How long to wait for a connection (and its TLS handshake).
    pub connect_timeout: Duration,
}

impl RedisTarget {
    /// The target the settings describe, if they name a Redis at all.
    pub fn from_settings(settings: &hearth_config::RedisSettings) -> Option<Self> {
        let url = settings.redis_url.as_ref()?;
        Some(Self {
            url: url.expose().to_owned(),
            sentinel_hosts: settings.redis_sentinel_hosts.clone(),
            cluster: settings.redis_cluster,
            connect_timeout: Duration::from_secs(settings.redis_socket_connect_timeout.max(1)),
        })
    }

    /// A single server with a five-second connect timeout, for tests and tools.
    pub fn url(url: impl Into<String>) -> Self {
        Self {
            url: url.into(),
            sentinel_hosts: Vec::new(),
            cluster: false,
            connect_timeout: Duration::from_secs(5),
        }
    }

    /// How long one command may take, reconnects included, before it fails.
    pub fn command_timeout(&self) -> Duration {
        self.connect_timeout
            .clamp(Duration::from_secs(1), Duration::from_secs(5))
    }

    /// The client configuration this target describes.
    pub fn config(&self) -> Result<Config, SeamError> {
        let invalid =
            |e: RedisError| SeamError::Invalid(format!("REDIS_URL is not a Redis URL: {e}"));
        let mut config = Config::from_url(&self.url).map_err(invalid)?;
        if !self.sentinel_hosts.is_empty() {
            let ServerConfig::Centralized { server } = &config.server else {
                return Err(SeamError::Invalid(
                    "REDIS_SENTINEL_HOSTS needs REDIS_URL=redis://<service name>/…".into(),
                ));
            };
            let service = server.host.to_string();
            let hosts = self
                .sentinel_hosts
                .iter()
                .map(|host| sentinel_host(host))
                .collect::<Result<Vec<_>, _>>()?;
            config.server = ServerConfig::new_sentinel(hosts, service);
        } else if self.cluster
            && let ServerConfig::Centralized { server } = &config.server
        {
            config.server =
                ServerConfig::new_clustered(vec![(server.host.to_string(), server.port)]);
        }
        Ok(config)
    }

    /// A builder with this target's configuration, timeouts and reconnect policy.
    pub(crate) fn builder(&self) -> Result<Builder, SeamError> {
        let mut builder = Builder::from_config(self.config()?);
        let connect = self.connect_timeout;
        let command = self.command_timeout();
        builder
            .with_connection_config(|c| {
                c.connection_timeout = connect;
                c.internal_command_timeout = command;
                // A connection whose answers stop is closed and reconnected, rather than trusted
                // until the kernel notices (which can take many minutes).
                c.unresponsive = UnresponsiveConfig {
                    max_timeout: Some(command * 2),
                    interval: Duration::from_millis(500),
                };
            })
            .with_performance_config(|p| p.default_command_timeout = command)
            .set_policy(ReconnectPolicy::new_exponential(0, 100, 2_000, 2));
        Ok(builder)
    }

    /// A pool of `size` connections, connected.
    pub(crate) async fn pool(&self, size: usize) -> Result<Pool, SeamError> {
        let pool = self
            .builder()?
            .build_pool(size.max(1))
            .map_err(unavailable)?;
        within(self.connect_timeout, pool.init()).await?;
        Ok(pool)
    }
}

fn sentinel_host(host: &str) -> Result<(String, u16), SeamError> {
    match host.trim().rsplit_once(':') {
        None => Ok((host.trim().to_owned(), SENTINEL_PORT)),
        Some((name, port)) => port
            .parse()
            .map(|port| (name.to_owned(), port))
            .map_err(|_| {
                SeamError::Invalid(format!(
                    "REDIS_SENTINEL_HOSTS: `{host}` is not host or host:port"
                ))
            }),
    }
}

/// A Redis error as the seam's.
pub(crate) fn unavailable(error: RedisError) -> SeamError {
    SeamError::Unavailable {
        service: "redis".into(),
        reason: error.to_string(),
    }
}

/// Runs a connection step, failing with a time-out after `timeout`.
pub(crate) async fn within<T>(
    timeout: Duration,
    step: impl Future<Output = Result<T, RedisError>>,
) -> Result<T, SeamError> {
    match tokio::time::timeout(timeout, step).await {
        Ok(Ok(value)) => Ok(value),
        Ok(Err(error)) => Err(unavailable(error)),
        Err(_) => Err(SeamError::Timeout {
            service: "redis".into(),
        }),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sentinel_and_cluster_settings_shape_the_server() {
        let mut target = RedisTarget::url("redis://:pw@mymaster/2");
        target.sentinel_hosts = vec!["s1".into(), "s2:5000".into()];
        let config = target.config().unwrap();
        let ServerConfig::Sentinel {
            hosts,
            service_name,
        } = &config.server
        else {
            panic!("not a sentinel configuration: {:?}", config.server)
        };
        assert_eq!(service_name, "mymaster");
        let hosts: Vec<_> = hosts.iter().map(|h| (h.host.to_string(), h.port)).collect();
        assert_eq!(hosts, [("s1".to_owned(), 26379), ("s2".to_owned(), 5000)]);
        assert_eq!(config.database, Some(2));
        assert_eq!(config.password.as_deref(), Some("pw"));

        target.sentinel_hosts = vec!["s1:nope".into()];
        assert!(matches!(target.config(), Err(SeamError::Invalid(_))));

        let mut target = RedisTarget::url("redis://node1:7000");
        target.cluster = true;
        let config = target.config().unwrap();
        assert!(matches!(config.server, ServerConfig::Clustered { .. }));
        assert!(matches!(
            RedisTarget::url("not a url").config(),
            Err(SeamError::Invalid(_))
        ));
    }
}
