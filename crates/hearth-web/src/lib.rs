//! The web UI: the single-page app in `web/`, built by this crate's build script with npm and Vite
//! and embedded in the binary, so one file serves the API and the UI. [`router`] answers every path
//! the API does not claim: a built file when one has that path, otherwise `index.html` (the app
//! routes in the browser), gzip-compressed when the client accepts it.

use std::collections::HashMap;
use std::sync::LazyLock;

use axum::Router;
use axum::http::{HeaderMap, HeaderValue, StatusCode, Uri, header};
use axum::response::{IntoResponse, Response};
use axum::routing::get;

/// One embedded file.
#[derive(Debug)]
pub(crate) struct Asset {
    path: &'static str,
    body: &'static [u8],
    /// The same bytes gzip-compressed, for text files.
    gzip: Option<&'static [u8]>,
}

include!(concat!(env!("OUT_DIR"), "/assets.rs"));

static BY_PATH: LazyLock<HashMap<&'static str, &'static Asset>> =
    LazyLock::new(|| FILES.iter().map(|asset| (asset.path, asset)).collect());

/// What the browser may load: this origin's scripts and styles (Vite emits no inline script), its
/// API and WebSocket, images from data and blob URLs (avatars, previews).
const CONTENT_SECURITY_POLICY: &str = "default-src 'self'; script-src 'self'; \
     style-src 'self' 'unsafe-inline'; img-src 'self' data: blob:; connect-src 'self' ws: wss:; \
     object-src 'none'; frame-ancestors 'none'; base-uri 'self'";

/// Serves the UI on every path (mount it as the fallback behind the API).
pub fn router() -> Router {
    Router::new().fallback(get(serve))
}

/// How many files the UI has (for start-up logs and tests).
pub fn file_count() -> usize {
    FILES.len()
}

async fn serve(uri: Uri, headers: HeaderMap) -> Response {
    let path = uri.path();
    let (asset, is_page) = match BY_PATH.get(path) {
        Some(asset) => (*asset, path.ends_with(".html")),
        // A path with a file extension is a missing file, not a page of the app: an HTML answer
        // would be parsed as the script or style the browser asked for.
        None if last_segment_has_extension(path) => {
            return (StatusCode::NOT_FOUND, "no such file").into_response();
        }
        None => (index(), true),
    };
    let accepts_gzip = headers
        .get_all(header::ACCEPT_ENCODING)
        .iter()
        .filter_map(|value| value.to_str().ok())
        .any(|value| {
            value
                .split(',')
                .any(|coding| coding.trim().starts_with("gzip"))
        });
    let mut response = match asset.gzip {
        Some(gzip) if accepts_gzip => {
            let mut response = gzip.into_response();
            response
                .headers_mut()
                .insert(header::CONTENT_ENCODING, HeaderValue::from_static("gzip"));
            response
        }
        _ => asset.body.into_response(),
    };
    let headers = response.headers_mut();
    headers.insert(header::CONTENT_TYPE, content_type(asset.path));
    headers.insert(header::VARY, HeaderValue::from_static("accept-encoding"));
    headers.insert(
        header::X_CONTENT_TYPE_OPTIONS,
        HeaderValue::from_static("nosniff"),
    );
    // Vite names files under /assets/ by their content's hash: they never change. Pages must be
    // re-checked so a new version is picked up at once.
    let cache = if asset.path.starts_with("/assets/") {
        "public, max-age=31536000, immutable"
    } else {
        "no-cache"
    };
    headers.insert(header::CACHE_CONTROL, HeaderValue::from_static(cache));
    if is_page {
        headers.insert(
            header::CONTENT_SECURITY_POLICY,
            HeaderValue::from_static(CONTENT_SECURITY_POLICY),
        );
    }
    response
}

fn index() -> &'static Asset {
    BY_PATH
        .get("/index.html")
        .expect("the build script refuses a UI without index.html")
}

fn last_segment_has_extension(path: &str) -> bool {
    path.rsplit('/')
        .next()
        .is_some_and(|name| name.contains('.'))
}

fn content_type(path: &str) -> HeaderValue {
    let extension = path.rsplit('.').next().unwrap_or_default();
    HeaderValue::from_static(match extension {
        "html" => "text/html; charset=utf-8",
        "js" | "mjs" => "text/javascript; charset=utf-8",
        "css" => "text/css; charset=utf-8",
        "json" | "map" => "application/json",
        "webmanifest" => "application/manifest+json",
        "svg" => "image/svg+xml",
        "png" => "image/png",
        "ico" => "image/x-icon",
        "webp" => "image/webp",
        "woff2" => "font/woff2",
        "woff" => "font/woff",
        "txt" => "text/plain; charset=utf-8",
        _ => "application/octet-stream",
    })
}

#[cfg(test)]
mod tests {
    use axum::body::Body;
    use axum::http::Request;
    use tower::ServiceExt;

    use super::*;

    async fn get(path: &str, gzip: bool) -> Response {
        let mut request = Request::get(path);
        if gzip {
            request = request.header(header::ACCEPT_ENCODING, "br, gzip");
        }
        router()
            .oneshot(request.body(Body::empty()).unwrap())
            .await
            .unwrap()
    }

    #[tokio::test]
    async fn app_routes_get_the_page_and_missing_files_a_404() {
        let page = get("/c/some-chat-id", false).await;
        assert_eq!(page.status(), StatusCode::OK);
        assert_eq!(
            page.headers()[header::CONTENT_TYPE],
            "text/html; charset=utf-8"
        );
        assert_eq!(page.headers()[header::CACHE_CONTROL], "no-cache");
        assert!(page.headers().contains_key(header::CONTENT_SECURITY_POLICY));
        let missing = get("/assets/nothing-here.js", false).await;
        assert_eq!(missing.status(), StatusCode::NOT_FOUND);
    }

    #[tokio::test]
    async fn hashed_files_are_cached_forever_and_compressed_on_request() {
        let script = FILES
            .iter()
            .find(|a| a.path.starts_with("/assets/") && a.path.ends_with(".js"))
            .expect("the build has a script under /assets/");
        let plain = get(script.path, false).await;
        assert_eq!(plain.status(), StatusCode::OK);
        assert_eq!(
            plain.headers()[header::CACHE_CONTROL],
            "public, max-age=31536000, immutable"
        );
        assert_eq!(
            plain.headers()[header::CONTENT_TYPE],
            "text/javascript; charset=utf-8"
        );
        assert!(!plain.headers().contains_key(header::CONTENT_ENCODING));
        let compressed = get(script.path, true).await;
        assert_eq!(compressed.headers()[header::CONTENT_ENCODING], "gzip");
        let body = axum::body::to_bytes(compressed.into_body(), usize::MAX)
            .await
            .unwrap();
        assert!(body.len() < script.body.len());
        assert_eq!(&body[..2], &[0x1f, 0x8b], "a gzip stream");
    }
}
