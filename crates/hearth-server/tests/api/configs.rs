//! What the UI reads before sign-in, and the settings administrators change while Hearth runs:
//! locked when the environment sets them, refused whole when one value is wrong, in force at once
//! (upload limits, sign-up, retrieval), kept across restarts, and applied on every replica.

use hearth_config::Secret;
use hearth_testkit::{Backend, each_backend};
use reqwest::{Method, StatusCode};
use serde_json::{Value, json};

use crate::files::upload;
use crate::support::{TestApp, expect_error};

async fn config(app: &TestApp) -> Value {
    app.client
        .get(app.url("/api/config"))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap()
}

fn setting<'a>(listing: &'a Value, name: &str) -> &'a Value {
    listing["settings"]
        .as_array()
        .unwrap()
        .iter()
        .find(|s| s["name"] == name)
        .unwrap_or_else(|| panic!("{name} is listed"))
}

async fn patch(app: &TestApp, admin: &str, body: Value) -> reqwest::Response {
    app.call(Method::PATCH, "/api/v1/configs", Some(admin), Some(body))
        .await
}

async fn the_first_visit_is_onboarding_until_an_account_exists(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let before = config(&app).await;
    assert_eq!(before["onboarding"], true);
    assert_eq!(before["features"]["enable_signup"], true);
    assert_eq!(before["name"], "Hearth");
    app.admin().await;
    assert_eq!(config(&app).await["onboarding"], false);
}

async fn settings_fixed_by_the_environment_are_locked_and_the_rest_change_at_once(
    backend: Backend,
) {
    let app = TestApp::spawn_with(backend, |settings| {
        settings.rag.rag_top_k = 3;
        settings.mark_fixed("RAG_TOP_K");
    })
    .await;
    let admin = app.admin().await;
    let user = app.approved_user(&admin, "user@example.org").await;
    expect_error(
        app.get("/api/v1/configs", &user).await,
        StatusCode::FORBIDDEN,
    )
    .await;
    expect_error(
        patch(&app, &user, json!({"ENABLE_SIGNUP": false})).await,
        StatusCode::FORBIDDEN,
    )
    .await;

    let listing: Value = app
        .get("/api/v1/configs", &admin)
        .await
        .json()
        .await
        .unwrap();
    let top_k = setting(&listing, "RAG_TOP_K");
    assert_eq!(
        (top_k["locked"].as_bool(), top_k["value"].as_u64()),
        (Some(true), Some(3))
    );
    assert_eq!(top_k["default"], 5);
    let max_size = setting(&listing, "FILE_MAX_SIZE");
    assert_eq!(
        (max_size["locked"].as_bool(), &max_size["value"]),
        (Some(false), &Value::Null)
    );
    assert_eq!(
        setting(&listing, "DEFAULT_USER_ROLE")["choices"],
        json!(["pending", "user"])
    );

    // One locked name refuses the whole change: the limit beside it is not applied either.
    let detail = expect_error(
        patch(&app, &admin, json!({"RAG_TOP_K": 8, "FILE_MAX_SIZE": 1})).await,
        StatusCode::CONFLICT,
    )
    .await;
    assert!(
        detail.contains("RAG_TOP_K is set by the environment"),
        "{detail}"
    );
    for (body, expected) in [
        (
            json!({"CHUNK_OVERLAP": 5000}),
            "CHUNK_OVERLAP (5000) must be smaller",
        ),
        (
            json!({"CHUNK_SIZE": "big"}),
            "CHUNK_SIZE: expected an integer",
        ),
        (
            json!({"DEFAULT_USER_ROLE": "boss"}),
            "expected one of pending, user",
        ),
        (
            json!({"DATABASE_URL": "postgres://elsewhere"}),
            "DATABASE_URL is not a setting",
        ),
        (json!({}), "at least one setting"),
    ] {
        let detail = expect_error(
            patch(&app, &admin, body).await,
            StatusCode::UNPROCESSABLE_ENTITY,
        )
        .await;
        assert!(detail.contains(expected), "{detail}");
    }
    assert_eq!(
        upload(&app, &user, "two.bin", vec![7; 2 << 20])
            .await
            .status(),
        StatusCode::OK
    );

    // A limit applies to the next upload, sign-up closes at once, and null restores the default.
    let changed: Value = patch(
        &app,
        &admin,
        json!({"FILE_MAX_SIZE": 1, "ENABLE_SIGNUP": false}),
    )
    .await
    .json()
    .await
    .unwrap();
    assert_eq!(setting(&changed, "FILE_MAX_SIZE")["value"], 1);
    let refused = expect_error(
        upload(&app, &user, "two.bin", vec![7; 2 << 20]).await,
        StatusCode::PAYLOAD_TOO_LARGE,
    )
    .await;
    assert!(refused.contains("FILE_MAX_SIZE"), "{refused}");
    assert_eq!(config(&app).await["features"]["enable_signup"], false);
    let closed = app
        .call(
            Method::POST,
            "/api/v1/auths/signup",
            None,
            Some(json!({"email": "late@example.org", "password": "late-password"})),
        )
        .await;
    expect_error(closed, StatusCode::FORBIDDEN).await;

    // Kept across a restart.
    let app = app.restart().await;
    let listing: Value = app
        .get("/api/v1/configs", &admin)
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(setting(&listing, "FILE_MAX_SIZE")["value"], 1);
    assert_eq!(setting(&listing, "ENABLE_SIGNUP")["value"], false);
    let restored: Value = patch(&app, &admin, json!({"FILE_MAX_SIZE": null}))
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(setting(&restored, "FILE_MAX_SIZE")["value"], Value::Null);
    assert_eq!(
        upload(&app, &user, "two.bin", vec![7; 2 << 20])
            .await
            .status(),
        StatusCode::OK
    );
}

each_backend!(
    the_first_visit_is_onboarding_until_an_account_exists,
    settings_fixed_by_the_environment_are_locked_and_the_rest_change_at_once,
);

/// Two replicas coordinating through Redis: a change on one is in force on the other, told by the
/// announcement rather than waiting for the periodic re-read.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_change_on_one_replica_applies_on_the_other() {
    let prefix = hearth_testkit::unique_prefix();
    let first = TestApp::spawn_with(Backend::Postgres, |settings| {
        settings.redis.redis_url = Some(Secret::new(hearth_testkit::redis_url()));
        settings.redis.redis_key_prefix = prefix;
    })
    .await;
    let second = first.replica().await;
    let admin = first.admin().await;
    assert_eq!(
        patch(&first, &admin, json!({"ENABLE_SIGNUP": false}))
            .await
            .status(),
        StatusCode::OK
    );
    hearth_testkit::eventually_within(
        "the other replica to close sign-up",
        hearth_server::tunables::REFRESH_EVERY / 2,
        || async { config(&second).await["features"]["enable_signup"] == false },
    )
    .await;
}
