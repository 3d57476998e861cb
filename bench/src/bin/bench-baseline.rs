//! The baseline Hearth is compared with: a bare axum server answering `/health`, nothing else.
//! Listens on 127.0.0.1 at `PORT` (default: a free port).

use axum::Json;
use axum::routing::get;

#[tokio::main]
async fn main() -> std::io::Result<()> {
    #[allow(clippy::disallowed_methods)]
    // a stand-alone baseline, not part of Hearth's configuration
    let port: u16 = std::env::var("PORT")
        .ok()
        .and_then(|p| p.parse().ok())
        .unwrap_or(0);
    let listener = tokio::net::TcpListener::bind(("127.0.0.1", port)).await?;
    let app = axum::Router::new().route(
        "/health",
        get(|| async { Json(serde_json::json!({"status": true})) }),
    );
    // As Hearth does: small writes leave at once.
    let listener = axum::serve::ListenerExt::tap_io(listener, |tcp: &mut tokio::net::TcpStream| {
        let _ = tcp.set_nodelay(true);
    });
    axum::serve(listener, app).await
}
