//! Connections, the model catalogue, model settings and groups.

use hearth_fakes::{FakeConfig, FakeServer};
use hearth_testkit::{Backend, each_backend};
use reqwest::{Method, StatusCode};
use serde_json::{Value, json};

use crate::support::{TestApp, expect_error, token_of};

fn model_ids(list: &Value) -> Vec<String> {
    list["data"]
        .as_array()
        .unwrap()
        .iter()
        .map(|m| m["id"].as_str().unwrap().to_owned())
        .collect()
}

async fn one_connection_down_leaves_the_others_serving(backend: Backend) {
    let fake = FakeServer::start(FakeConfig::default(), 0).await.unwrap();
    let up = fake.openai_url();
    let app = TestApp::spawn_with(backend, move |s| {
        s.models.openai_api_base_urls = vec![up, "http://127.0.0.1:1/v1".into()];
        s.models.model_connect_timeout = 2;
    })
    .await;
    let admin = app.admin().await;
    let listed: Value = app.get("/api/models", &admin).await.json().await.unwrap();
    assert_eq!(model_ids(&listed), ["fake-model", "fake-model-2"]);
    let completion = app
        .post(
            "/v1/chat/completions",
            Some(&admin),
            json!({"model": "fake-model", "messages": [{"role": "user", "content": "hi"}]}),
        )
        .await;
    assert_eq!(completion.status(), StatusCode::OK);

    let overview: Value = app
        .get("/api/v1/models", &admin)
        .await
        .json()
        .await
        .unwrap();
    let health = overview["connections"].as_array().unwrap();
    let down = health
        .iter()
        .find(|h| h["ok"] == false)
        .expect("the down connection is reported");
    assert!(
        down["detail"].as_str().unwrap().contains("cannot connect"),
        "{down}"
    );
    let connections: Value = app
        .get("/api/v1/connections", &admin)
        .await
        .json()
        .await
        .unwrap();
    assert!(
        connections
            .as_array()
            .unwrap()
            .iter()
            .all(|c| c["locked"] == true),
        "environment connections are locked"
    );
}

async fn administrators_manage_connections_with_encrypted_keys(backend: Backend) {
    let fake = FakeServer::start(
        FakeConfig {
            required_key: Some("sk-secret-key-9876".into()),
            ..Default::default()
        },
        0,
    )
    .await
    .unwrap();
    let app = TestApp::spawn(backend).await;
    let admin = app.admin().await;
    assert!(model_ids(&app.get("/api/models", &admin).await.json().await.unwrap()).is_empty());

    let form = json!({"kind": "openai", "name": "lab", "base_url": fake.openai_url(), "api_key": "sk-secret-key-9876", "prefix": "lab"});
    let created: Value = app
        .post("/api/v1/connections", Some(&admin), form.clone())
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(
        (created["api_key"].as_str(), created["locked"].as_bool()),
        (Some("…9876"), Some(false))
    );
    let id = created["id"].as_str().unwrap().to_owned();
    assert_eq!(
        model_ids(&app.get("/api/models", &admin).await.json().await.unwrap()),
        ["lab.fake-model", "lab.fake-model-2"]
    );
    let listed = app
        .get("/api/v1/connections", &admin)
        .await
        .text()
        .await
        .unwrap();
    assert!(
        !listed.contains("sk-secret-key-9876"),
        "keys are never returned in full"
    );
    assert_stored_key_is_encrypted(&app, "sk-secret-key-9876").await;

    let verified: Value = app
        .post(
            &format!("/api/v1/connections/{id}/verify"),
            Some(&admin),
            json!({}),
        )
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(
        (verified["ok"].as_bool(), verified["models"].as_u64()),
        (Some(true), Some(2))
    );
    let mut wrong = form.clone();
    wrong["api_key"] = json!("sk-wrong");
    let failed: Value = app
        .post("/api/v1/connections/verify", Some(&admin), wrong)
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(failed["ok"], false);
    assert!(
        failed["detail"].as_str().unwrap().contains("401"),
        "{failed}"
    );

    let path = format!("/api/v1/connections/{id}");
    let disabled = app
        .call(
            Method::PATCH,
            &path,
            Some(&admin),
            Some(json!({"enabled": false})),
        )
        .await;
    assert_eq!(disabled.status(), StatusCode::OK);
    assert!(model_ids(&app.get("/api/models", &admin).await.json().await.unwrap()).is_empty());
    let enabled: Value = app
        .call(
            Method::PATCH,
            &path,
            Some(&admin),
            Some(json!({"enabled": true, "prefix": null})),
        )
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(
        (enabled["prefix"].clone(), enabled["api_key"].clone()),
        (Value::Null, json!("…9876")),
        "the key stays"
    );
    assert_eq!(
        model_ids(&app.get("/api/models", &admin).await.json().await.unwrap()),
        ["fake-model", "fake-model-2"]
    );

    assert_eq!(
        app.call(Method::DELETE, &path, Some(&admin), None)
            .await
            .status(),
        StatusCode::OK
    );
    assert!(model_ids(&app.get("/api/models", &admin).await.json().await.unwrap()).is_empty());
    expect_error(
        app.call(Method::DELETE, &path, Some(&admin), None).await,
        StatusCode::NOT_FOUND,
    )
    .await;

    let bad =
        json!({"kind": "openai", "name": "x", "base_url": "ftp://nowhere", "prefix": "bad prefix"});
    let detail = expect_error(
        app.post("/api/v1/connections", Some(&admin), bad).await,
        StatusCode::UNPROCESSABLE_ENTITY,
    )
    .await;
    assert!(
        detail.contains("base_url: must be an http") && detail.contains("prefix: must be"),
        "{detail}"
    );
    let user = app.approved_user(&admin, "user@example.org").await;
    expect_error(
        app.post("/api/v1/connections", Some(&user), form).await,
        StatusCode::FORBIDDEN,
    )
    .await;
}

async fn assert_stored_key_is_encrypted(app: &TestApp, key: &str) {
    let stored: Vec<String> = match app.db.backend {
        Backend::Sqlite => {
            let pool =
                sqlx::SqlitePool::connect(&format!("sqlite://{}", app.db.sqlite_path().display()))
                    .await
                    .unwrap();
            sqlx::query_scalar("SELECT api_key_encrypted FROM connections")
                .fetch_all(&pool)
                .await
                .unwrap()
        }
        Backend::Postgres => {
            let pool = sqlx::PgPool::connect(&app.db.url).await.unwrap();
            sqlx::query_scalar("SELECT api_key_encrypted FROM connections")
                .fetch_all(&pool)
                .await
                .unwrap()
        }
        Backend::MySql => {
            let pool = sqlx::MySqlPool::connect(&app.db.url).await.unwrap();
            sqlx::query_scalar("SELECT api_key_encrypted FROM connections")
                .fetch_all(&pool)
                .await
                .unwrap()
        }
    };
    assert_eq!(stored.len(), 1);
    assert!(
        stored[0].starts_with("v1:") && !stored[0].contains(key),
        "stored as {}",
        stored[0]
    );
}

async fn restricted_models_are_invisible_and_unusable_to_others(backend: Backend) {
    let fake = FakeServer::start(FakeConfig::default(), 0).await.unwrap();
    let app = TestApp::spawn_with(backend, crate::support::with_openai(&fake)).await;
    let admin = app.admin().await;
    let insider = app.signup("insider@example.org", "insider-password").await;
    let insider_token = token_of(&insider);
    let approve = |id: &str| {
        let (app, admin, path) = (&app, &admin, format!("/api/v1/users/{id}"));
        async move {
            app.call(
                Method::PATCH,
                &path,
                Some(admin),
                Some(json!({"role": "user"})),
            )
            .await
        }
    };
    approve(insider["id"].as_str().unwrap()).await;
    let outsider = app.approved_user(&admin, "outsider@example.org").await;

    let group: Value = app
        .post("/api/v1/groups", Some(&admin), json!({"name": "Research"}))
        .await
        .json()
        .await
        .unwrap();
    let gid = group["id"].as_str().unwrap();
    let members = app
        .call(
            Method::PUT,
            &format!("/api/v1/groups/{gid}/members"),
            Some(&admin),
            Some(json!({"user_ids": [insider["id"]]})),
        )
        .await;
    assert_eq!(members.status(), StatusCode::OK);
    let settings = json!({"model_id": "fake-model", "display_name": "Fancy", "access": {"group_ids": [gid], "user_ids": []},
                          "system_prompt": "Be brief.", "params": {"temperature": 0.1}});
    assert_eq!(
        app.call(
            Method::PUT,
            "/api/v1/models/settings",
            Some(&admin),
            Some(settings.clone())
        )
        .await
        .status(),
        StatusCode::OK
    );

    let seen: Value = app
        .get("/api/models", &insider_token)
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(model_ids(&seen), ["fake-model", "fake-model-2"]);
    assert_eq!(seen["data"][0]["name"], "Fancy");
    assert_eq!(
        model_ids(&app.get("/v1/models", &outsider).await.json().await.unwrap()),
        ["fake-model-2"]
    );
    let ask = json!({"model": "fake-model", "messages": [{"role": "user", "content": "hi"}], "temperature": 0.9});
    let detail = expect_error(
        app.post("/api/chat/completions", Some(&outsider), ask.clone())
            .await,
        StatusCode::FORBIDDEN,
    )
    .await;
    assert!(
        detail.contains("may not use model `fake-model`"),
        "{detail}"
    );
    assert_eq!(
        app.post("/api/chat/completions", Some(&insider_token), ask)
            .await
            .status(),
        StatusCode::OK
    );
    let sent = fake.stats().last_request().unwrap();
    assert_eq!(
        sent["messages"][0],
        json!({"role": "system", "content": "Be brief."}),
        "the default system prompt is added"
    );
    assert_eq!(
        sent["temperature"], 0.9,
        "the request's own parameters win over defaults"
    );

    let mut hidden = settings.clone();
    hidden["hidden"] = json!(true);
    app.call(
        Method::PUT,
        "/api/v1/models/settings",
        Some(&admin),
        Some(hidden),
    )
    .await;
    assert_eq!(
        model_ids(
            &app.get("/api/models", &insider_token)
                .await
                .json()
                .await
                .unwrap()
        ),
        ["fake-model-2"]
    );
    let still = app
        .post(
            "/api/chat/completions",
            Some(&insider_token),
            json!({"model": "fake-model", "messages": [{"role": "user", "content": "hi"}]}),
        )
        .await;
    assert_eq!(
        still.status(),
        StatusCode::OK,
        "hidden models still answer those allowed"
    );

    let removed = app
        .call(
            Method::DELETE,
            "/api/v1/models/settings?model_id=fake-model",
            Some(&admin),
            None,
        )
        .await;
    assert_eq!(removed.status(), StatusCode::OK);
    assert_eq!(
        model_ids(
            &app.get("/api/models", &outsider)
                .await
                .json()
                .await
                .unwrap()
        ),
        ["fake-model", "fake-model-2"]
    );

    let unknown_group = json!({"model_id": "fake-model", "access": {"group_ids": ["00000000-0000-7000-8000-000000000000"], "user_ids": []}});
    expect_error(
        app.call(
            Method::PUT,
            "/api/v1/models/settings",
            Some(&admin),
            Some(unknown_group),
        )
        .await,
        StatusCode::NOT_FOUND,
    )
    .await;
    expect_error(
        app.call(
            Method::PUT,
            "/api/v1/models/settings",
            Some(&outsider),
            Some(settings),
        )
        .await,
        StatusCode::FORBIDDEN,
    )
    .await;
    expect_error(
        app.get("/api/v1/groups", &outsider).await,
        StatusCode::FORBIDDEN,
    )
    .await;
}

async fn groups_are_managed_by_administrators(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let admin = app.admin().await;
    let created: Value = app
        .post(
            "/api/v1/groups",
            Some(&admin),
            json!({"name": "Ops", "description": "on call"}),
        )
        .await
        .json()
        .await
        .unwrap();
    let id = created["id"].as_str().unwrap();
    expect_error(
        app.post("/api/v1/groups", Some(&admin), json!({"name": "Ops"}))
            .await,
        StatusCode::CONFLICT,
    )
    .await;
    let renamed: Value = app
        .call(
            Method::PATCH,
            &format!("/api/v1/groups/{id}"),
            Some(&admin),
            Some(json!({"name": "SRE"})),
        )
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(
        (renamed["name"].as_str(), renamed["description"].as_str()),
        (Some("SRE"), Some("on call"))
    );
    let unknown_member = json!({"user_ids": ["00000000-0000-7000-8000-000000000000"]});
    expect_error(
        app.call(
            Method::PUT,
            &format!("/api/v1/groups/{id}/members"),
            Some(&admin),
            Some(unknown_member),
        )
        .await,
        StatusCode::NOT_FOUND,
    )
    .await;
    assert_eq!(
        app.call(
            Method::DELETE,
            &format!("/api/v1/groups/{id}"),
            Some(&admin),
            None
        )
        .await
        .status(),
        StatusCode::OK
    );
    expect_error(
        app.get(&format!("/api/v1/groups/{id}"), &admin).await,
        StatusCode::NOT_FOUND,
    )
    .await;
}

each_backend!(
    one_connection_down_leaves_the_others_serving,
    administrators_manage_connections_with_encrypted_keys,
    restricted_models_are_invisible_and_unusable_to_others,
    groups_are_managed_by_administrators,
);

/// Two servers on one database (two replicas): a connection added on one is offered by the other
/// within seconds, without a restart.
#[tokio::test]
async fn connections_added_on_one_replica_reach_the_others() {
    let fake = FakeServer::start(FakeConfig::default(), 0).await.unwrap();
    let first = TestApp::spawn(Backend::Postgres).await;
    let second = first.replica().await;
    let admin = first.admin().await;
    assert!(
        model_ids(
            &second
                .get("/api/models", &admin)
                .await
                .json()
                .await
                .unwrap()
        )
        .is_empty()
    );
    let form = json!({"kind": "openai", "name": "lab", "base_url": fake.openai_url()});
    assert_eq!(
        first
            .post("/api/v1/connections", Some(&admin), form)
            .await
            .status(),
        StatusCode::OK
    );
    crate::support::eventually("the other replica to offer the new models", || async {
        model_ids(
            &second
                .get("/api/models", &admin)
                .await
                .json()
                .await
                .unwrap(),
        ) == ["fake-model", "fake-model-2"]
    })
    .await;
}
