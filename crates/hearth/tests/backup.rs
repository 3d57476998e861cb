//! `hearth admin backup` taken while a server keeps writing about a hundred times a second, and
//! `hearth admin restore` into a fresh `DATA_DIR`: the restored database passes SQLite's integrity
//! check and holds every write acknowledged before the backup began, the stored file downloads
//! intact, and old tokens still work (the generated key came along). Also the container health
//! check, `hearth healthcheck`.

mod support;

use std::collections::HashSet;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use hearth_testkit::eventually_within;
use serde_json::{Value, json};
use support::{Hearth, local, post, run};

/// Every chat id the server lists.
async fn chat_ids(client: &reqwest::Client, base: &str, token: &str) -> HashSet<String> {
    let mut ids = HashSet::new();
    loop {
        let page: Value = client
            .get(format!("{base}/api/v1/chats?limit=200&skip={}", ids.len()))
            .bearer_auth(token)
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        let chats = page["chats"].as_array().unwrap();
        if chats.is_empty() {
            return ids;
        }
        ids.extend(chats.iter().map(|c| c["id"].as_str().unwrap().to_owned()));
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_backup_taken_under_writes_restores_every_acknowledged_write() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    let data_env = data.display().to_string();
    let env = local(&[("DATA_DIR", data_env.leak())]);
    let mut server = Hearth::spawn(dir.path(), &[], &env);
    let base = server.base_url().await;
    let client = hearth_testkit::http_client();
    let signup = json!({"email": "admin@example.org", "password": "admin-password"});
    let session: Value = post(
        &client,
        &format!("{base}/api/v1/auths/signup"),
        signup,
        None,
    )
    .await
    .json()
    .await
    .unwrap();
    let token = session["token"].as_str().unwrap().to_owned();
    let content: Vec<u8> = (0..6_000_000u32).map(|i| (i % 251) as u8).collect();
    let form = reqwest::multipart::Form::new().part(
        "file",
        reqwest::multipart::Part::bytes(content.clone()).file_name("data.bin"),
    );
    let uploaded: Value = client
        .post(format!("{base}/api/v1/files/"))
        .bearer_auth(&token)
        .multipart(form)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let file = uploaded["id"].as_str().unwrap().to_owned();

    // About a hundred writes a second, each recorded with the moment it was acknowledged. Bounded:
    // at most 3,000 writes (30 s).
    let acknowledged: Arc<Mutex<Vec<(String, Instant)>>> = Arc::default();
    let stop = Arc::new(std::sync::atomic::AtomicBool::new(false));
    let writer = {
        let (client, base, token) = (client.clone(), base.clone(), token.clone());
        let (acknowledged, stop) = (acknowledged.clone(), stop.clone());
        tokio::spawn(async move {
            let mut pace = tokio::time::interval(Duration::from_millis(10));
            for n in 0..3_000 {
                if stop.load(std::sync::atomic::Ordering::SeqCst) {
                    break;
                }
                pace.tick().await;
                let response = post(
                    &client,
                    &format!("{base}/api/v1/chats"),
                    json!({"title": format!("chat {n}")}),
                    Some(&token),
                )
                .await;
                assert_eq!(response.status(), 200);
                let chat: Value = response.json().await.unwrap();
                let id = chat["id"].as_str().unwrap().to_owned();
                acknowledged.lock().unwrap().push((id, Instant::now()));
            }
        })
    };
    eventually_within("100 writes", Duration::from_secs(20), || async {
        acknowledged.lock().unwrap().len() >= 100
    })
    .await;

    let backup = dir.path().join("backup");
    let began = Instant::now();
    let (status, stdout, stderr) = run(
        dir.path(),
        &["admin", "backup", "--to", backup.to_str().unwrap()],
        &env,
        None,
    )
    .await;
    let ended = Instant::now();
    assert!(status.success(), "{stderr}");
    assert!(stdout.contains("backed up the database"), "{stdout}");
    // Writes went on while it ran, and for a moment after.
    let during = acknowledged.lock().unwrap().len();
    eventually_within(
        "writes after the backup",
        Duration::from_secs(5),
        || async { acknowledged.lock().unwrap().len() > during + 20 },
    )
    .await;
    stop.store(true, std::sync::atomic::Ordering::SeqCst);
    writer.await.unwrap();
    let writes = acknowledged.lock().unwrap().clone();
    let before: Vec<&String> = writes
        .iter()
        .filter(|(_, at)| *at < began)
        .map(|(id, _)| id)
        .collect();
    let concurrent = writes
        .iter()
        .filter(|(_, at)| *at >= began && *at <= ended)
        .count();
    let first = writes.first().unwrap().1;
    let rate = writes.len() as f64 / (writes.last().unwrap().1 - first).as_secs_f64();
    assert!(rate > 50.0, "only {rate:.0} writes a second");
    assert!(before.len() >= 100);
    assert!(server.terminate().await.success());

    // Restoring over an existing database needs --force; into an empty DATA_DIR it does not.
    let (status, _, stderr) = run(
        dir.path(),
        &["admin", "restore", "--from", backup.to_str().unwrap()],
        &env,
        None,
    )
    .await;
    assert_eq!(status.code(), Some(2), "{stderr}");
    assert!(stderr.contains("--force"), "{stderr}");
    let restored = dir.path().join("restored");
    let restored_env = restored.display().to_string();
    let restored_env = local(&[("DATA_DIR", restored_env.leak())]);
    let (status, stdout, stderr) = run(
        dir.path(),
        &["admin", "restore", "--from", backup.to_str().unwrap()],
        &restored_env,
        None,
    )
    .await;
    assert!(status.success(), "{stderr}");
    assert!(stdout.contains("integrity check: ok"), "{stdout}");

    let mut server = Hearth::spawn(dir.path(), &[], &restored_env);
    let base = server.base_url().await;
    // A restore while that server runs is refused.
    let (status, _, stderr) = run(
        dir.path(),
        &[
            "admin",
            "restore",
            "--from",
            backup.to_str().unwrap(),
            "--force",
        ],
        &restored_env,
        None,
    )
    .await;
    assert_eq!(status.code(), Some(2), "{stderr}");
    assert!(stderr.contains("already using"), "{stderr}");
    // The old token works: its session and the generated key were restored.
    let ids = chat_ids(&client, &base, &token).await;
    let missing: Vec<_> = before.iter().filter(|id| !ids.contains(**id)).collect();
    assert!(
        missing.is_empty(),
        "{} of {} writes acknowledged before the backup are missing ({concurrent} ran during it)",
        missing.len(),
        before.len()
    );
    let downloaded = client
        .get(format!("{base}/api/v1/files/{file}/content"))
        .bearer_auth(&token)
        .send()
        .await
        .unwrap();
    assert_eq!(downloaded.status(), 200);
    assert_eq!(
        downloaded.bytes().await.unwrap().as_ref(),
        content.as_slice()
    );

    // The container health check: `hearth healthcheck` asks /health on PORT.
    let port = base.rsplit(':').next().unwrap().to_owned();
    let (status, _, stderr) = run(dir.path(), &["healthcheck"], &[("PORT", &port)], None).await;
    assert!(status.success(), "{stderr}");
    assert!(server.terminate().await.success());
    let (status, _, stderr) = run(dir.path(), &["healthcheck"], &[("PORT", &port)], None).await;
    assert_eq!(
        status.code(),
        Some(1),
        "a stopped server is unhealthy: {stderr}"
    );
}
