//! Sign-up, sign-in, tokens, revocation, password changes and API keys, over HTTP on every backend.

use hearth_config::{DefaultUserRole, Secret};
use hearth_core::time::unix_now;
use hearth_server::auth::tokens::TokenService;
use hearth_testkit::{Backend, each_backend};
use reqwest::{Method, StatusCode};
use serde_json::{Value, json};

use crate::support::{SECRET, TestApp, eventually, expect_error, token_of};

async fn first_account_is_admin_and_later_ones_wait_for_approval(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let admin = app.signup("Admin@Example.org", "admin-password").await;
    assert_eq!(
        (admin["role"].as_str(), admin["email"].as_str()),
        (Some("admin"), Some("admin@example.org"))
    );
    assert_eq!(admin["token_type"], "Bearer");
    assert_eq!(
        admin["name"], "admin",
        "the name defaults to the e-mail's local part"
    );

    let pending = app.signup("bob@example.org", "bob-password").await;
    assert_eq!(pending["role"], "pending");
    let pending_token = token_of(&pending);
    let me: Value = app
        .get("/api/v1/auths/", &pending_token)
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(
        me["role"], "pending",
        "a pending user may see their own account"
    );
    let detail = expect_error(
        app.post("/api/v1/auths/api_key", Some(&pending_token), json!({}))
            .await,
        StatusCode::FORBIDDEN,
    )
    .await;
    assert!(detail.contains("approval"), "{detail}");

    let id = pending["id"].as_str().unwrap();
    let approve = app
        .call(
            Method::PATCH,
            &format!("/api/v1/users/{id}"),
            Some(&token_of(&admin)),
            Some(json!({"role": "user"})),
        )
        .await;
    assert_eq!(approve.status(), StatusCode::OK);
    let created = app
        .post("/api/v1/auths/api_key", Some(&pending_token), json!({}))
        .await;
    assert_eq!(
        created.status(),
        StatusCode::OK,
        "approved users may use the API"
    );

    let duplicate = app
        .post(
            "/api/v1/auths/signup",
            None,
            json!({"email": "BOB@example.org", "password": "whatever-1"}),
        )
        .await;
    let detail = expect_error(duplicate, StatusCode::CONFLICT).await;
    assert!(detail.contains("already exists"), "{detail}");
}

async fn signup_settings_are_honoured(backend: Backend) {
    let closed = TestApp::spawn_with(backend, |s| s.security.enable_signup = false).await;
    closed.signup("first@example.org", "first-password").await;
    let second = closed
        .post(
            "/api/v1/auths/signup",
            None,
            json!({"email": "second@example.org", "password": "password-2"}),
        )
        .await;
    let detail = expect_error(second, StatusCode::FORBIDDEN).await;
    assert!(detail.contains("sign-up is disabled"), "{detail}");

    let open = TestApp::spawn_with(backend, |s| {
        s.security.default_user_role = DefaultUserRole::User;
    })
    .await;
    open.signup("first@example.org", "first-password").await;
    assert_eq!(
        open.signup("second@example.org", "password-2").await["role"],
        "user"
    );
}

async fn signin_needs_the_right_password(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    app.signup("ada@example.org", "correct horse").await;
    let wrong = app
        .post(
            "/api/v1/auths/signin",
            None,
            json!({"email": "ada@example.org", "password": "wrong horse"}),
        )
        .await;
    let wrong_detail = expect_error(wrong, StatusCode::UNAUTHORIZED).await;
    let unknown = app
        .post(
            "/api/v1/auths/signin",
            None,
            json!({"email": "who@example.org", "password": "correct horse"}),
        )
        .await;
    let unknown_detail = expect_error(unknown, StatusCode::UNAUTHORIZED).await;
    assert_eq!(
        wrong_detail, unknown_detail,
        "the answer does not reveal whether the account exists"
    );
    let token = app.signin("ADA@example.org", "correct horse").await;
    assert_eq!(
        app.get("/api/v1/auths/", &token).await.status(),
        StatusCode::OK
    );
}

async fn forged_tampered_and_missing_credentials_are_rejected(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let token = app.admin().await;
    let mut tampered = token.clone();
    let flip = tampered.len() - 5;
    let replacement = if &tampered[flip..=flip] == "A" {
        "B"
    } else {
        "A"
    };
    tampered.replace_range(flip..=flip, replacement);
    let claims = TokenService::new(&Secret::new(SECRET), std::time::Duration::from_secs(60))
        .verify(&token)
        .unwrap();
    let foreign = TokenService::new(
        &Secret::new("another-key-another-key-another-key"),
        std::time::Duration::from_secs(60),
    )
    .issue(claims.sub, claims.tid, claims.sid, unix_now())
    .0;
    for bad in [
        tampered.as_str(),
        foreign.as_str(),
        "garbage",
        "a.b.c",
        "sk-hearth-not-a-real-key",
    ] {
        let response = app.get("/api/v1/auths/", bad).await;
        assert!(response.headers().contains_key("www-authenticate"));
        expect_error(response, StatusCode::UNAUTHORIZED).await;
    }
    let missing = app.call(Method::GET, "/api/v1/auths/", None, None).await;
    assert!(
        expect_error(missing, StatusCode::UNAUTHORIZED)
            .await
            .contains("Bearer")
    );
    let basic = app
        .client
        .get(app.url("/api/v1/auths/"))
        .header("authorization", "Basic YTpi")
        .send()
        .await
        .unwrap();
    expect_error(basic, StatusCode::UNAUTHORIZED).await;
    assert_eq!(
        app.get("/api/v1/auths/", &token).await.status(),
        StatusCode::OK,
        "the genuine token still works"
    );
}

async fn expired_tokens_are_rejected_even_with_a_live_session(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let token = app.admin().await;
    let tokens = TokenService::new(&Secret::new(SECRET), std::time::Duration::from_secs(3600));
    let claims = tokens.verify(&token).unwrap();
    let (expired, exp) = tokens.issue(claims.sub, claims.tid, claims.sid, unix_now() - 7200);
    assert!(exp < unix_now());
    expect_error(
        app.get("/api/v1/auths/", &expired).await,
        StatusCode::UNAUTHORIZED,
    )
    .await;
    assert_eq!(
        app.get("/api/v1/auths/", &token).await.status(),
        StatusCode::OK
    );
}

async fn signout_revokes_only_that_token_and_survives_a_restart(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    app.signup("ada@example.org", "correct horse").await;
    let (first, second) = (
        app.signin("ada@example.org", "correct horse").await,
        app.signin("ada@example.org", "correct horse").await,
    );
    assert_eq!(
        app.post("/api/v1/auths/signout", Some(&first), json!({}))
            .await
            .status(),
        StatusCode::OK
    );
    expect_error(
        app.get("/api/v1/auths/", &first).await,
        StatusCode::UNAUTHORIZED,
    )
    .await;
    assert_eq!(
        app.get("/api/v1/auths/", &second).await.status(),
        StatusCode::OK
    );

    let app = Box::pin(app.restart()).await;
    expect_error(
        app.get("/api/v1/auths/", &first).await,
        StatusCode::UNAUTHORIZED,
    )
    .await;
    assert_eq!(
        app.get("/api/v1/auths/", &second).await.status(),
        StatusCode::OK,
        "other sessions survive the restart"
    );
}

async fn password_change_revokes_the_other_tokens(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    app.signup("ada@example.org", "old-password").await;
    let current = app.signin("ada@example.org", "old-password").await;
    let others = [
        app.signin("ada@example.org", "old-password").await,
        app.signin("ada@example.org", "old-password").await,
    ];

    let wrong = app
        .post(
            "/api/v1/auths/update/password",
            Some(&current),
            json!({"password": "not-it", "new_password": "new-password"}),
        )
        .await;
    assert!(
        expect_error(wrong, StatusCode::BAD_REQUEST)
            .await
            .contains("incorrect")
    );

    let changed = app
        .post(
            "/api/v1/auths/update/password",
            Some(&current),
            json!({"password": "old-password", "new_password": "new-password"}),
        )
        .await;
    assert_eq!(changed.status(), StatusCode::OK);
    assert_eq!(
        changed.json::<Value>().await.unwrap()["revoked_sessions"],
        3,
        "two sign-ins and the sign-up session"
    );
    assert_eq!(
        app.get("/api/v1/auths/", &current).await.status(),
        StatusCode::OK,
        "the calling session stays"
    );
    for other in &others {
        expect_error(
            app.get("/api/v1/auths/", other).await,
            StatusCode::UNAUTHORIZED,
        )
        .await;
    }
    let old = app
        .post(
            "/api/v1/auths/signin",
            None,
            json!({"email": "ada@example.org", "password": "old-password"}),
        )
        .await;
    expect_error(old, StatusCode::UNAUTHORIZED).await;
    app.signin("ada@example.org", "new-password").await;
}

async fn api_keys_authenticate_as_bearer_until_deleted(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let admin = app.admin().await;
    let user = app.approved_user(&admin, "ada@example.org").await;
    let created: Value = app
        .post(
            "/api/v1/auths/api_key",
            Some(&user),
            json!({"name": "laptop"}),
        )
        .await
        .json()
        .await
        .unwrap();
    let key = created["api_key"].as_str().unwrap().to_owned();
    assert!(key.starts_with("sk-hearth-"));
    let me: Value = app.get("/api/v1/auths/", &key).await.json().await.unwrap();
    assert_eq!(me["email"], "ada@example.org");

    let listed: Value = app
        .get("/api/v1/auths/api_keys", &user)
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(listed.as_array().unwrap().len(), 1);
    assert_eq!(listed[0]["name"], "laptop");
    assert!(
        !listed.to_string().contains(&key),
        "the key itself is shown only once"
    );
    assert!(key.starts_with(listed[0]["prefix"].as_str().unwrap()));

    let signout = app
        .post("/api/v1/auths/signout", Some(&key), json!({}))
        .await;
    expect_error(signout, StatusCode::BAD_REQUEST).await;
    let change = app
        .post(
            "/api/v1/auths/update/password",
            Some(&key),
            json!({"password": "user-password", "new_password": "x-password"}),
        )
        .await;
    expect_error(change, StatusCode::FORBIDDEN).await;

    let admins_view = app
        .call(
            Method::DELETE,
            &format!("/api/v1/auths/api_keys/{}", created["id"].as_str().unwrap()),
            Some(&admin),
            None,
        )
        .await;
    expect_error(admins_view, StatusCode::NOT_FOUND).await;
    let deleted = app
        .call(
            Method::DELETE,
            &format!("/api/v1/auths/api_keys/{}", created["id"].as_str().unwrap()),
            Some(&user),
            None,
        )
        .await;
    assert_eq!(deleted.status(), StatusCode::OK);
    expect_error(
        app.get("/api/v1/auths/", &key).await,
        StatusCode::UNAUTHORIZED,
    )
    .await;
}

async fn presence_is_written_once_per_interval(backend: Backend) {
    let app = TestApp::spawn_with(backend, |s| {
        s.database.database_user_active_status_update_interval = 300;
    })
    .await;
    let token = app.admin().await;
    let burst = futures::future::join_all((0..20).map(|_| app.get("/api/v1/auths/", &token))).await;
    assert!(burst.iter().all(|r| r.status() == StatusCode::OK));
    eventually("the first presence write", || async {
        app.metric("hearth_presence_writes_total").await >= 1.0
    })
    .await;
    for _ in 0..20 {
        assert_eq!(
            app.get("/api/v1/auths/", &token).await.status(),
            StatusCode::OK
        );
    }
    let me: Value = app
        .get("/api/v1/auths/", &token)
        .await
        .json()
        .await
        .unwrap();
    assert!(me["last_active_at"].as_i64().is_some());
    assert_eq!(
        app.metric("hearth_presence_writes_total").await,
        1.0,
        "41 requests, one write"
    );
}

each_backend!(
    first_account_is_admin_and_later_ones_wait_for_approval,
    signup_settings_are_honoured,
    signin_needs_the_right_password,
    forged_tampered_and_missing_credentials_are_rejected,
    expired_tokens_are_rejected_even_with_a_live_session,
    signout_revokes_only_that_token_and_survives_a_restart,
    password_change_revokes_the_other_tokens,
    api_keys_authenticate_as_bearer_until_deleted,
    presence_is_written_once_per_interval,
);
