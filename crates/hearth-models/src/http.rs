//! The outbound HTTP client shared by every provider, and the translation of its failures into
//! `SeamError`s that name the model server.

use std::sync::{Arc, OnceLock};
use std::time::Duration;

use futures::StreamExt;
use hearth_core::seams::SeamError;
use serde_json::Value;

/// Longest error body read from a model server.
const ERROR_BODY_LIMIT: usize = 64 * 1024;

/// Timeouts and redirect policy for model servers.
#[derive(Clone, Copy, Debug)]
pub struct HttpOptions {
    pub connect_timeout: Duration,
    /// Longest wait for the response headers, and between two pieces of a streamed answer.
    pub request_timeout: Duration,
    pub allow_redirects: bool,
}

/// The client and its timeouts, shared by every provider (one connection pool per process). The
/// client itself (TLS set-up, the system's trust store) is built on first use, so a server without
/// model connections never pays for it.
#[derive(Clone, Debug)]
pub struct Http {
    client: Arc<OnceLock<reqwest::Client>>,
    options: HttpOptions,
    pub(crate) request_timeout: Duration,
}

impl Http {
    pub fn new(options: HttpOptions) -> Self {
        Self {
            client: Arc::default(),
            options,
            request_timeout: options.request_timeout,
        }
    }

    /// The client, using rustls with the ring provider (the one TLS stack of the build).
    pub(crate) fn client(&self) -> &reqwest::Client {
        self.client.get_or_init(|| {
            // Installing twice is harmless; the first provider stays.
            let _ = rustls::crypto::ring::default_provider().install_default();
            let redirects = if self.options.allow_redirects {
                reqwest::redirect::Policy::limited(5)
            } else {
                reqwest::redirect::Policy::none()
            };
            reqwest::Client::builder()
                .connect_timeout(self.options.connect_timeout)
                .pool_idle_timeout(Duration::from_secs(90))
                .tcp_nodelay(true)
                .redirect(redirects)
                .user_agent(concat!("hearth/", env!("CARGO_PKG_VERSION")))
                .build()
                .expect("the HTTP client configuration is valid")
        })
    }

    /// Sends a request, waiting at most the request timeout for the response headers; a non-2xx
    /// answer becomes [`SeamError::Upstream`] with the server's own message.
    pub(crate) async fn send(
        &self,
        label: &str,
        request: reqwest::RequestBuilder,
    ) -> Result<reqwest::Response, SeamError> {
        let response = tokio::time::timeout(self.request_timeout, request.send())
            .await
            .map_err(|_| SeamError::Timeout {
                service: label.to_owned(),
            })?
            .map_err(|e| send_error(label, &e))?;
        if response.status().is_success() {
            Ok(response)
        } else {
            Err(upstream_error(label, response).await)
        }
    }
}

/// A failure to reach the server.
pub(crate) fn send_error(label: &str, error: &reqwest::Error) -> SeamError {
    if error.is_timeout() {
        return SeamError::Timeout {
            service: label.to_owned(),
        };
    }
    let reason = if error.is_connect() {
        format!("cannot connect ({})", root_cause(error))
    } else if error.is_redirect() {
        "it answered with a redirect, and OUTBOUND_ALLOW_REDIRECTS is off".to_owned()
    } else {
        root_cause(error)
    };
    SeamError::Unavailable {
        service: label.to_owned(),
        reason,
    }
}

fn root_cause(error: &(dyn std::error::Error + 'static)) -> String {
    let mut cause = error;
    while let Some(next) = cause.source() {
        cause = next;
    }
    cause.to_string()
}

/// The server's own explanation of a non-2xx answer (`{"error": {"message": …}}`, `{"error": "…"}`,
/// `{"message": …}` or text), shortened.
async fn upstream_error(label: &str, response: reqwest::Response) -> SeamError {
    let status = response.status().as_u16();
    let mut body = Vec::new();
    let mut chunks = response.bytes_stream();
    while let Some(Ok(chunk)) = chunks.next().await {
        body.extend_from_slice(&chunk);
        if body.len() >= ERROR_BODY_LIMIT {
            break;
        }
    }
    let message = serde_json::from_slice::<Value>(&body)
        .ok()
        .and_then(|json| {
            let error = json.get("error").unwrap_or(&json);
            error
                .get("message")
                .and_then(Value::as_str)
                .or_else(|| error.as_str())
                .map(str::to_owned)
        })
        .unwrap_or_else(|| String::from_utf8_lossy(&body).trim().to_owned());
    SeamError::Upstream {
        service: label.to_owned(),
        status,
        message: shorten(&message),
    }
}

/// At most 300 characters, so an HTML error page does not flood a `detail`.
pub(crate) fn shorten(text: &str) -> String {
    let mut short: String = text.chars().take(300).collect();
    if short.len() < text.len() {
        short.push('…');
    }
    if short.is_empty() {
        "no explanation given".to_owned()
    } else {
        short
    }
}
