//! Probes, metrics, request ids and the OpenAPI document.

use hearth_testkit::{Backend, each_backend};
use reqwest::StatusCode;
use serde_json::Value;

use crate::support::TestApp;

async fn probes_report_liveness_readiness_and_metrics(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let health = app.client.get(app.url("/health")).send().await.unwrap();
    assert_eq!(health.status(), StatusCode::OK);
    assert_eq!(
        health.json::<Value>().await.unwrap(),
        serde_json::json!({"status": true})
    );
    let ready: Value = app
        .client
        .get(app.url("/ready"))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(ready["status"], true);
    assert_eq!(ready["checks"]["database"], "ok");

    let response = app.client.get(app.url("/metrics")).send().await.unwrap();
    assert!(
        response.headers()["content-type"]
            .to_str()
            .unwrap()
            .starts_with("application/openmetrics-text")
    );
    let text = response.text().await.unwrap();
    for expected in [
        r#"http_requests_total{method="GET",route="/health",status="200"} 1"#,
        r#"http_request_duration_seconds_count{method="GET",route="/ready"} 1"#,
        r#"hearth_db_pool_connections{state="idle"}"#,
        r#"hearth_db_pool_connections{state="in_use"}"#,
        "process_resident_memory_bytes",
    ] {
        assert!(text.contains(expected), "missing {expected} in\n{text}");
    }
}

async fn request_ids_are_kept_or_generated(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let kept = app
        .client
        .get(app.url("/health"))
        .header("x-request-id", "trace-me-42")
        .send()
        .await
        .unwrap();
    assert_eq!(kept.headers()["x-request-id"], "trace-me-42");
    let generated = app.client.get(app.url("/health")).send().await.unwrap();
    let id = generated.headers()["x-request-id"].to_str().unwrap();
    assert!(uuid::Uuid::parse_str(id).is_ok(), "{id}");
}

each_backend!(
    probes_report_liveness_readiness_and_metrics,
    request_ids_are_kept_or_generated
);

#[tokio::test]
async fn ready_names_the_database_when_it_is_gone() {
    let app = TestApp::spawn(Backend::Postgres).await;
    let admin = sqlx::postgres::PgPool::connect(&hearth_testkit::postgres_admin_url())
        .await
        .unwrap();
    let name = app
        .db
        .url
        .rsplit('/')
        .next()
        .unwrap()
        .split('?')
        .next()
        .unwrap()
        .to_owned();
    sqlx::query(sqlx::AssertSqlSafe(format!(
        "DROP DATABASE {name} WITH (FORCE)"
    )))
    .execute(&admin)
    .await
    .unwrap();
    let response = app.client.get(app.url("/ready")).send().await.unwrap();
    assert_eq!(response.status(), StatusCode::SERVICE_UNAVAILABLE);
    let body: Value = response.json().await.unwrap();
    assert!(
        body["detail"].as_str().unwrap().starts_with("database: "),
        "{body}"
    );
    assert_eq!(
        app.client
            .get(app.url("/health"))
            .send()
            .await
            .unwrap()
            .status(),
        StatusCode::OK,
        "liveness stays up"
    );
}

#[tokio::test]
async fn metrics_can_be_disabled() {
    let app =
        TestApp::spawn_with(Backend::Sqlite, |s| s.observability.enable_metrics = false).await;
    let response = app.client.get(app.url("/metrics")).send().await.unwrap();
    assert_eq!(response.status(), StatusCode::NOT_FOUND);
}

#[tokio::test]
async fn the_openapi_document_describes_the_api() {
    let app = TestApp::spawn(Backend::Sqlite).await;
    let document: Value = app
        .client
        .get(app.url("/api/openapi.json"))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert!(document["openapi"].as_str().unwrap().starts_with("3."));
    let served = serde_json::to_value(hearth_server::routes::openapi()).unwrap();
    assert_eq!(document, served, "the served document is the generated one");
    for path in [
        "/health",
        "/ready",
        "/metrics",
        "/api/v1/auths/signup",
        "/api/v1/auths/signin",
        "/api/v1/auths",
        "/api/v1/auths/signout",
        "/api/v1/auths/api_key",
        "/api/v1/users/{id}",
    ] {
        assert!(
            document["paths"].get(path).is_some(),
            "{path} is not documented"
        );
    }
    insta::assert_json_snapshot!("openapi", document);
}

/// With one pooled connection held by a request that waits on a lock, the next request waits
/// `DATABASE_POOL_TIMEOUT` for a connection and gets a 503 naming the cause; `/metrics` shows the
/// connection in use.
#[tokio::test]
async fn an_exhausted_pool_answers_503_after_the_pool_timeout() {
    let app = TestApp::spawn_with(Backend::Postgres, |s| {
        s.database.database_pool_size = 1;
        s.database.database_pool_max_overflow = 0;
        s.database.database_pool_timeout = 1;
    })
    .await;
    app.signup("ada@example.org", "password-123").await;
    let outside = sqlx::PgPool::connect(&app.db.url).await.unwrap();
    let mut lock = outside.begin().await.unwrap();
    sqlx::query("LOCK TABLE tenants IN ACCESS EXCLUSIVE MODE")
        .execute(&mut *lock)
        .await
        .unwrap();

    // A sign-up locks the tenant row first, so it holds the only connection while it waits.
    let blocked = tokio::spawn({
        let (client, url) = (app.client.clone(), app.url("/api/v1/auths/signup"));
        async move {
            client
                .post(url)
                .json(&serde_json::json!({"email": "bob@example.org", "password": "password-123"}))
                .send()
                .await
        }
    });
    crate::support::eventually("the sign-up to wait on the lock", || async {
        let waiting: i64 = sqlx::query_scalar("SELECT count(*) FROM pg_stat_activity WHERE wait_event_type = 'Lock' AND datname = current_database()")
            .fetch_one(&outside)
            .await
            .unwrap();
        waiting == 1
    })
    .await;
    let metrics = app
        .client
        .get(app.url("/metrics"))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(
        metrics.contains(r#"hearth_db_pool_connections{state="in_use"} 1"#),
        "{metrics}"
    );

    let starved = app
        .post(
            "/api/v1/auths/signin",
            None,
            serde_json::json!({"email": "ada@example.org", "password": "password-123"}),
        )
        .await;
    let detail = crate::support::expect_error(starved, StatusCode::SERVICE_UNAVAILABLE).await;
    assert!(detail.contains("database is busy"), "{detail}");

    lock.commit().await.unwrap();
    assert_eq!(
        blocked.await.unwrap().unwrap().status(),
        StatusCode::OK,
        "the waiting request completes"
    );
}
