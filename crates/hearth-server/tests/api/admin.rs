//! Account administration: roles are enforced, the last admin is protected, users are managed.

use hearth_testkit::{Backend, each_backend};
use reqwest::{Method, StatusCode};
use serde_json::{Value, json};

use crate::support::{TestApp, expect_error, token_of};

async fn admin_routes_refuse_users_and_pending_accounts(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let admin = app.admin().await;
    let user = app.approved_user(&admin, "user@example.org").await;
    let pending = token_of(&app.signup("pending@example.org", "pending-password").await);
    for (who, token) in [("user", &user), ("pending", &pending)] {
        let detail = expect_error(
            app.get("/api/v1/users/", token).await,
            StatusCode::FORBIDDEN,
        )
        .await;
        assert!(detail.contains("administrator"), "{who}: {detail}");
    }
    let listed: Value = app
        .get("/api/v1/users/?limit=2", &admin)
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(listed["total"], 3);
    assert_eq!(listed["users"].as_array().unwrap().len(), 2);
}

async fn admins_create_change_and_delete_accounts(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let admin = app.admin().await;
    let form = json!({"email": "New@Example.org", "name": "New", "password": "new-password", "role": "user"});
    let created: Value = app
        .post("/api/v1/users/", Some(&admin), form.clone())
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(
        (created["email"].as_str(), created["role"].as_str()),
        (Some("new@example.org"), Some("user"))
    );
    expect_error(
        app.post("/api/v1/users/", Some(&admin), form).await,
        StatusCode::CONFLICT,
    )
    .await;

    let id = created["id"].as_str().unwrap();
    let path = format!("/api/v1/users/{id}");
    let fetched: Value = app.get(&path, &admin).await.json().await.unwrap();
    assert_eq!(fetched["id"], created["id"]);
    let token = app.signin("new@example.org", "new-password").await;

    let promoted = app
        .call(
            Method::PATCH,
            &path,
            Some(&admin),
            Some(json!({"role": "admin", "name": "Boss"})),
        )
        .await;
    let promoted: Value = promoted.json().await.unwrap();
    assert_eq!(
        (promoted["role"].as_str(), promoted["name"].as_str()),
        (Some("admin"), Some("Boss"))
    );
    assert_eq!(
        app.get("/api/v1/users/", &token).await.status(),
        StatusCode::OK,
        "roles apply at once"
    );

    assert_eq!(
        app.call(Method::DELETE, &path, Some(&admin), None)
            .await
            .status(),
        StatusCode::OK
    );
    expect_error(
        app.get("/api/v1/auths/", &token).await,
        StatusCode::UNAUTHORIZED,
    )
    .await;
    expect_error(app.get(&path, &admin).await, StatusCode::NOT_FOUND).await;
    expect_error(
        app.call(Method::DELETE, &path, Some(&admin), None).await,
        StatusCode::NOT_FOUND,
    )
    .await;
    expect_error(
        app.get("/api/v1/users/not-a-uuid", &admin).await,
        StatusCode::NOT_FOUND,
    )
    .await;
}

async fn the_last_admin_cannot_be_demoted_or_deleted(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let session = app.signup("admin@example.org", "admin-password").await;
    let (admin, id) = (
        token_of(&session),
        session["id"].as_str().unwrap().to_owned(),
    );
    let path = format!("/api/v1/users/{id}");
    let demote = app
        .call(
            Method::PATCH,
            &path,
            Some(&admin),
            Some(json!({"role": "user"})),
        )
        .await;
    assert!(
        expect_error(demote, StatusCode::CONFLICT)
            .await
            .contains("last administrator")
    );
    expect_error(
        app.call(Method::DELETE, &path, Some(&admin), None).await,
        StatusCode::CONFLICT,
    )
    .await;
}

each_backend!(
    admin_routes_refuse_users_and_pending_accounts,
    admins_create_change_and_delete_accounts,
    the_last_admin_cannot_be_demoted_or_deleted,
);
