//! Chat history over HTTP: privacy between users, listing, search, tags, folders, share links,
//! export and import.

use hearth_testkit::{Backend, each_backend};
use reqwest::{Method, StatusCode};
use serde_json::{Value, json};

use crate::support::{TestApp, expect_error};

/// A chat holding one question and its answer (imported, so no model server is needed).
async fn chat_with_messages(app: &TestApp, token: &str, title: &str, text: &str) -> String {
    import(app, token, title, text).await
}

async fn import(app: &TestApp, token: &str, title: &str, text: &str) -> String {
    let q = "00000000-0000-7000-8000-000000000001";
    let a = "00000000-0000-7000-8000-000000000002";
    let export = json!({
        "format": "hearth-chat", "version": 1, "title": title, "created_at": 0, "tags": ["imported"], "current_message_id": a,
        "messages": [
            {"id": q, "parent_id": null, "role": "user", "content": text, "model": null, "status": "complete", "error": null, "usage": null, "created_at": 0},
            {"id": a, "parent_id": q, "role": "assistant", "content": "an answer", "model": "m", "status": "complete", "error": null, "usage": {"total_tokens": 3}, "created_at": 0}
        ]
    });
    let response = app.post("/api/v1/chats/import", Some(token), export).await;
    assert_eq!(response.status(), StatusCode::OK);
    response.json::<Value>().await.unwrap()["id"]
        .as_str()
        .unwrap()
        .to_owned()
}

async fn users_can_neither_read_change_search_nor_share_each_others_chats(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let admin = app.admin().await;
    let ada = app.approved_user(&admin, "ada@example.org").await;
    let bob = app.approved_user(&admin, "bob@example.org").await;
    let chat = chat_with_messages(&app, &ada, "Ada's secret", "the launch code is 1234").await;
    let path = format!("/api/v1/chats/{chat}");

    expect_error(app.get(&path, &bob).await, StatusCode::NOT_FOUND).await;
    expect_error(
        app.call(
            Method::PATCH,
            &path,
            Some(&bob),
            Some(json!({"title": "mine now"})),
        )
        .await,
        StatusCode::NOT_FOUND,
    )
    .await;
    expect_error(
        app.call(Method::DELETE, &path, Some(&bob), None).await,
        StatusCode::NOT_FOUND,
    )
    .await;
    expect_error(
        app.post(&format!("{path}/tags"), Some(&bob), json!({"tag": "x"}))
            .await,
        StatusCode::NOT_FOUND,
    )
    .await;
    expect_error(
        app.post(&format!("{path}/share"), Some(&bob), json!({}))
            .await,
        StatusCode::NOT_FOUND,
    )
    .await;
    expect_error(
        app.get(&format!("{path}/export"), &bob).await,
        StatusCode::NOT_FOUND,
    )
    .await;
    let completion =
        json!({"model": "m", "messages": [{"role": "user", "content": "x"}], "chat_id": chat});
    let detail = expect_error(
        app.post("/api/chat/completions", Some(&bob), completion)
            .await,
        StatusCode::NOT_FOUND,
    )
    .await;
    assert!(detail.contains("not found"));
    let found: Value = app
        .get("/api/v1/chats/search?q=launch", &bob)
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(found["total"], 0);
    let listed: Value = app.get("/api/v1/chats", &bob).await.json().await.unwrap();
    assert_eq!(listed["total"], 0);

    let own: Value = app.get(&path, &ada).await.json().await.unwrap();
    assert_eq!(own["title"], "Ada's secret", "nothing was changed by bob");
    let found: Value = app
        .get("/api/v1/chats/search?q=LAUNCH%20code", &ada)
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(found["chats"][0]["id"], json!(chat));
}

async fn chats_are_listed_pinned_archived_tagged_and_filed(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let token = app.admin().await;
    let first = chat_with_messages(&app, &token, "First", "one").await;
    let second = chat_with_messages(&app, &token, "Second", "two").await;
    let folder: Value = app
        .post("/api/v1/folders", Some(&token), json!({"name": "Work"}))
        .await
        .json()
        .await
        .unwrap();
    let folder_id = folder["id"].as_str().unwrap();

    let patch = |id: &str, body: Value| {
        let (app, token, path) = (&app, &token, format!("/api/v1/chats/{id}"));
        async move {
            app.call(Method::PATCH, &path, Some(token), Some(body))
                .await
        }
    };
    assert_eq!(
        patch(
            &first,
            json!({"pinned": true, "folder_id": folder_id, "title": "Renamed"})
        )
        .await
        .status(),
        StatusCode::OK
    );
    assert_eq!(
        patch(&second, json!({"archived": true})).await.status(),
        StatusCode::OK
    );
    app.post(
        &format!("/api/v1/chats/{first}/tags"),
        Some(&token),
        json!({"tag": "Rust"}),
    )
    .await;

    let active: Value = app.get("/api/v1/chats", &token).await.json().await.unwrap();
    assert_eq!(
        (
            active["total"].as_u64(),
            active["chats"][0]["title"].as_str()
        ),
        (Some(1), Some("Renamed"))
    );
    assert_eq!(active["chats"][0]["tags"], json!(["imported", "rust"]));
    let archived: Value = app
        .get("/api/v1/chats?archived=true", &token)
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(archived["chats"][0]["id"], json!(second));
    let filed: Value = app
        .get(&format!("/api/v1/chats?folder_id={folder_id}"), &token)
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(filed["total"], 1);
    let tagged: Value = app
        .get("/api/v1/chats?tag=rust", &token)
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(tagged["total"], 1);
    assert_eq!(
        app.get("/api/v1/chats/tags", &token)
            .await
            .json::<Value>()
            .await
            .unwrap(),
        json!(["imported", "rust"])
    );

    let out = patch(&first, json!({"folder_id": null}))
        .await
        .json::<Value>()
        .await
        .unwrap();
    assert_eq!(out["folder_id"], Value::Null);
    assert_eq!(
        app.call(
            Method::DELETE,
            &format!("/api/v1/chats/{first}/tags/rust"),
            Some(&token),
            None
        )
        .await
        .status(),
        StatusCode::OK
    );
    expect_error(
        app.call(
            Method::DELETE,
            &format!("/api/v1/chats/{first}/tags/rust"),
            Some(&token),
            None,
        )
        .await,
        StatusCode::NOT_FOUND,
    )
    .await;
    assert_eq!(
        app.call(
            Method::DELETE,
            &format!("/api/v1/folders/{folder_id}"),
            Some(&token),
            None
        )
        .await
        .status(),
        StatusCode::OK
    );

    expect_error(
        app.get("/api/v1/chats/search?q=", &token).await,
        StatusCode::UNPROCESSABLE_ENTITY,
    )
    .await;
    expect_error(
        app.get("/api/v1/chats?limit=1000", &token).await,
        StatusCode::UNPROCESSABLE_ENTITY,
    )
    .await;
    let foreign_message = json!({"current_message_id": "00000000-0000-7000-8000-00000000abcd"});
    expect_error(patch(&first, foreign_message).await, StatusCode::NOT_FOUND).await;
}

async fn share_links_show_a_snapshot_until_revoked(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let admin = app.admin().await;
    let ada = app.approved_user(&admin, "ada@example.org").await;
    let bob = app.approved_user(&admin, "bob@example.org").await;
    let chat = chat_with_messages(&app, &ada, "Shared thoughts", "a thought worth sharing").await;
    let share: Value = app
        .post(
            &format!("/api/v1/chats/{chat}/share"),
            Some(&ada),
            json!({}),
        )
        .await
        .json()
        .await
        .unwrap();
    let share_id = share["share_id"].as_str().unwrap().to_owned();
    assert!(share_id.len() >= 43, "an unguessable id");
    let url = share["url"].as_str().unwrap().to_owned();

    let snapshot: Value = app.get(&url, &bob).await.json().await.unwrap();
    assert_eq!(snapshot["title"], "Shared thoughts");
    let contents: Vec<&str> = snapshot["messages"]
        .as_array()
        .unwrap()
        .iter()
        .map(|m| m["content"].as_str().unwrap())
        .collect();
    assert_eq!(contents, ["a thought worth sharing", "an answer"]);

    app.call(
        Method::PATCH,
        &format!("/api/v1/chats/{chat}"),
        Some(&ada),
        Some(json!({"title": "Changed later"})),
    )
    .await;
    let again: Value = app.get(&url, &bob).await.json().await.unwrap();
    assert_eq!(
        again["title"], "Shared thoughts",
        "the link shows the snapshot, not later changes"
    );

    expect_error(
        app.call(Method::DELETE, &url, Some(&bob), None).await,
        StatusCode::NOT_FOUND,
    )
    .await;
    let listed: Value = app
        .get(&format!("/api/v1/chats/{chat}/share"), &ada)
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(listed.as_array().unwrap().len(), 1);
    assert_eq!(
        app.call(Method::DELETE, &url, Some(&ada), None)
            .await
            .status(),
        StatusCode::OK
    );
    expect_error(app.get(&url, &bob).await, StatusCode::NOT_FOUND).await;
    expect_error(app.get(&url, &ada).await, StatusCode::NOT_FOUND).await;
}

async fn chats_export_and_import_round_trip(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let token = app.admin().await;
    let original = import(&app, &token, "Round trip", "is this kept?").await;
    let export: Value = app
        .get(&format!("/api/v1/chats/{original}/export"), &token)
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(
        (export["format"].as_str(), export["version"].as_u64()),
        (Some("hearth-chat"), Some(1))
    );
    let copy = app
        .post("/api/v1/chats/import", Some(&token), export.clone())
        .await
        .json::<Value>()
        .await
        .unwrap();
    let copy_id = copy["id"].as_str().unwrap();
    assert_ne!(copy_id, original);
    let again: Value = app
        .get(&format!("/api/v1/chats/{copy_id}/export"), &token)
        .await
        .json()
        .await
        .unwrap();
    let contents = |e: &Value| {
        e["messages"]
            .as_array()
            .unwrap()
            .iter()
            .map(|m| (m["role"].clone(), m["content"].clone(), m["usage"].clone()))
            .collect::<Vec<_>>()
    };
    assert_eq!(contents(&again), contents(&export));
    assert_eq!(again["tags"], export["tags"]);
    let current = again["messages"]
        .as_array()
        .unwrap()
        .iter()
        .find(|m| m["id"] == again["current_message_id"])
        .unwrap();
    assert_eq!(
        current["content"], "an answer",
        "the selected branch is kept"
    );

    let mut broken = export.clone();
    broken["messages"].as_array_mut().unwrap().reverse();
    let detail = expect_error(
        app.post("/api/v1/chats/import", Some(&token), broken).await,
        StatusCode::UNPROCESSABLE_ENTITY,
    )
    .await;
    assert!(detail.contains("parent must come earlier"), "{detail}");
    let mut wrong_format = export;
    wrong_format["format"] = json!("other");
    expect_error(
        app.post("/api/v1/chats/import", Some(&token), wrong_format)
            .await,
        StatusCode::UNPROCESSABLE_ENTITY,
    )
    .await;
}

each_backend!(
    users_can_neither_read_change_search_nor_share_each_others_chats,
    chats_are_listed_pinned_archived_tagged_and_filed,
    share_links_show_a_snapshot_until_revoked,
    chats_export_and_import_round_trip,
);
