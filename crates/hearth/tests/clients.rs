//! Real clients of the public API against the `hearth` binary: the official OpenAI Python SDK.

mod support;

use std::time::Duration;

use hearth_fakes::{FakeConfig, FakeServer, tokens};
use serde_json::{Value, json};
use support::{Hearth, local, post};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_official_openai_python_sdk_lists_models_and_chats() {
    let fake = FakeServer::start(
        FakeConfig {
            reply: tokens(6),
            ..FakeConfig::default()
        },
        0,
    )
    .await
    .unwrap();
    let dir = tempfile::tempdir().unwrap();
    let upstream: &'static str = fake.openai_url().leak();
    let mut hearth = Hearth::spawn(
        dir.path(),
        &[],
        &local(&[("OPENAI_API_BASE_URLS", upstream)]),
    );
    let base = hearth.base_url().await;
    let client = hearth_testkit::http_client();
    let session: Value = post(
        &client,
        &format!("{base}/api/v1/auths/signup"),
        json!({"email": "dev@example.org", "password": "dev-password"}),
        None,
    )
    .await
    .json()
    .await
    .unwrap();
    let token = session["token"].as_str().unwrap();
    let key: Value = post(
        &client,
        &format!("{base}/api/v1/auths/api_key"),
        json!({"name": "sdk"}),
        Some(token),
    )
    .await
    .json()
    .await
    .unwrap();
    let api_key = key["api_key"].as_str().unwrap();

    let script = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../../tests/python/openai_sdk_check.py"
    );
    let output = tokio::time::timeout(
        Duration::from_secs(60),
        tokio::process::Command::new(hearth_testkit::python())
            .arg(script)
            .env("HEARTH_URL", &base)
            .env("HEARTH_API_KEY", api_key)
            .env("HEARTH_MODEL", "fake-model")
            .output(),
    )
    .await
    .expect("the SDK script finishes")
    .unwrap();
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(output.status.success(), "the SDK script failed:\n{stderr}");
    let seen: Value = serde_json::from_slice(&output.stdout).unwrap();

    assert_eq!(seen["models"], json!(["fake-model", "fake-model-2"]));
    assert_eq!(seen["completion"]["object"], "chat.completion");
    assert_eq!(seen["completion"]["model"], "fake-model");
    assert_eq!(seen["completion"]["content"], tokens(6).concat());
    assert_eq!(seen["completion"]["total_tokens"], 18);
    let deltas: Vec<String> = serde_json::from_value(seen["stream"]["deltas"].clone()).unwrap();
    assert_eq!(
        deltas,
        tokens(6),
        "streamed deltas arrive in order, unchanged"
    );
    assert_eq!(
        (
            seen["stream"]["total_tokens"].clone(),
            seen["stream"]["finish_reason"].clone()
        ),
        (json!(18), json!("stop"))
    );
    assert_eq!(seen["unknown_model"]["status"], 404);
    assert!(
        seen["unknown_model"]["detail"]
            .as_str()
            .unwrap()
            .contains("no-such-model")
    );
    assert_eq!(seen["wrong_key"], 401);
    assert_eq!(
        fake.stats().last_request().unwrap()["stream_options"]["include_usage"],
        true
    );
    assert!(hearth.terminate().await.success());
}
