//! Background jobs across real processes: `hearth serve` and `hearth worker` sharing a queue in
//! PostgreSQL or Redis, a worker killed with SIGKILL mid-job, and ten thousand jobs each applied once.

mod support;

use std::time::Duration;

use hearth_testkit::{Backend, TestDatabase, eventually_within};
use serde_json::{Value, json};
use support::{Hearth, KEY, local, post, run};

/// Where the queue lives in a test.
#[derive(Clone, Copy, Debug)]
enum QueueOn {
    Database,
    Redis,
}

/// The environment shared by every process of one test.
fn shared_env(db: &TestDatabase, queue: QueueOn) -> Vec<(&'static str, &'static str)> {
    let leak = |s: String| -> &'static str { s.leak() };
    let mut env = local(&[
        ("DATABASE_URL", leak(db.url.clone())),
        ("HEARTH_SECRET_KEY", KEY),
        // Short leases so that a killed worker's job moves on within seconds.
        ("JOB_LEASE_TIMEOUT", "2s"),
        ("JOB_POLL_INTERVAL", "50ms"),
        ("LOG_LEVEL", "info"),
    ]);
    if let QueueOn::Redis = queue {
        env.push(("JOB_QUEUE", "redis"));
        env.push(("REDIS_URL", leak(hearth_testkit::redis_url())));
        env.push(("REDIS_KEY_PREFIX", leak(hearth_testkit::unique_prefix())));
    }
    env
}

fn with(
    env: &[(&'static str, &'static str)],
    extra: &[(&'static str, &'static str)],
) -> Vec<(&'static str, &'static str)> {
    let mut all = env.to_vec();
    all.extend_from_slice(extra);
    all
}

/// The API of a running `hearth serve`, signed in as its first (admin) account.
struct Api {
    client: reqwest::Client,
    base: String,
    token: String,
}

impl Api {
    async fn connect(base: String) -> Self {
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
        let token = session["token"].as_str().expect("a token").to_owned();
        Self {
            client,
            base,
            token,
        }
    }

    async fn get(&self, path: &str) -> Value {
        let response = self
            .client
            .get(format!("{}{path}", self.base))
            .bearer_auth(&self.token)
            .send()
            .await
            .unwrap();
        assert!(
            response.status().is_success(),
            "{path}: {}",
            response.status()
        );
        response.json().await.unwrap()
    }

    async fn canaries(&self, body: Value) -> Vec<String> {
        let url = format!("{}/api/v1/jobs/canaries", self.base);
        let response = post(&self.client, &url, body, Some(&self.token)).await;
        assert_eq!(response.status(), 200);
        let body: Value = response.json().await.unwrap();
        body["ids"]
            .as_array()
            .unwrap()
            .iter()
            .map(|i| i.as_str().unwrap().to_owned())
            .collect()
    }

    async fn job(&self, id: &str) -> Value {
        self.get(&format!("/api/v1/jobs/{id}")).await
    }
}

/// SIGKILL: the process gets no chance to release anything.
async fn kill_9(process: &mut Hearth) {
    process.child.start_kill().unwrap();
    process.child.wait().await.unwrap();
}

async fn a_killed_workers_job_is_finished_by_another(queue: QueueOn) {
    let db = TestDatabase::create(Backend::Postgres).await;
    let dir = tempfile::tempdir().unwrap();
    let env = shared_env(&db, queue);
    let mut serve = Hearth::spawn(
        dir.path(),
        &[],
        &with(&env, &[("HEARTH_INLINE_WORKER", "false")]),
    );
    let api = Api::connect(serve.base_url().await).await;
    let mut doomed = Hearth::spawn(dir.path(), &["worker"], &env);
    doomed.base_url().await;
    // Its first run holds for ten minutes: long enough to be killed in the middle.
    let id = api
        .canaries(json!({"count": 1, "hold_ms": 600_000}))
        .await
        .remove(0);
    eventually_within("the job to start", Duration::from_secs(30), || async {
        api.job(&id).await["state"] == "running"
    })
    .await;
    kill_9(&mut doomed).await;
    let mut rescuer = Hearth::spawn(dir.path(), &["worker"], &env);
    rescuer.base_url().await;
    eventually_within(
        "another worker to finish the job",
        Duration::from_secs(30),
        || async { api.job(&id).await["state"] == "succeeded" },
    )
    .await;
    let job = api.job(&id).await;
    assert_eq!(job["attempt"], 2, "{job}");
    let summary = api.get("/api/v1/jobs/canaries").await;
    assert_eq!(
        (summary["jobs"].as_u64(), summary["runs"].as_u64()),
        (Some(1), Some(1))
    );
    assert!(rescuer.terminate().await.success());
    assert!(serve.terminate().await.success());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_killed_workers_job_is_finished_by_another_on_postgres() {
    a_killed_workers_job_is_finished_by_another(QueueOn::Database).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_killed_workers_job_is_finished_by_another_on_redis() {
    a_killed_workers_job_is_finished_by_another(QueueOn::Redis).await;
}

/// On embedded defaults the workers live in `hearth serve`: killed, restarted, the job completes.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_job_interrupted_by_a_killed_server_runs_after_restart_on_sqlite() {
    let dir = tempfile::tempdir().unwrap();
    let env = local(&[("JOB_LEASE_TIMEOUT", "2s"), ("LOG_LEVEL", "info")]);
    let mut serve = Hearth::spawn(dir.path(), &[], &env);
    let base = serve.base_url().await;
    let api = Api::connect(base).await;
    let id = api
        .canaries(json!({"count": 1, "hold_ms": 600_000}))
        .await
        .remove(0);
    eventually_within("the job to start", Duration::from_secs(30), || async {
        api.job(&id).await["state"] == "running"
    })
    .await;
    kill_9(&mut serve).await;
    let mut restarted = Hearth::spawn(dir.path(), &[], &env);
    let api = Api {
        base: restarted.base_url().await,
        ..api
    };
    eventually_within(
        "the job to finish after the restart",
        Duration::from_secs(30),
        || async { api.job(&id).await["state"] == "succeeded" },
    )
    .await;
    assert_eq!(api.job(&id).await["attempt"], 2);
    assert!(restarted.terminate().await.success());
}

/// One `serve` and two `worker` processes share 10,000 small jobs; each job's effect (a row keyed by
/// the job) is applied exactly once.
async fn ten_thousand_jobs_across_three_processes(queue: QueueOn) {
    let db = TestDatabase::create(Backend::Postgres).await;
    let dir = tempfile::tempdir().unwrap();
    let env = with(&shared_env(&db, queue), &[("JOB_LEASE_TIMEOUT", "30s")]);
    let mut processes = vec![Hearth::spawn(dir.path(), &[], &env)];
    let api = Api::connect(processes[0].base_url().await).await;
    for _ in 0..2 {
        let mut worker = Hearth::spawn(dir.path(), &["worker"], &env);
        worker.base_url().await;
        processes.push(worker);
    }
    let ids = api.canaries(json!({"count": 10_000})).await;
    assert_eq!(ids.len(), 10_000);
    eventually_within("10,000 jobs to run", Duration::from_secs(300), || async {
        api.get("/api/v1/jobs/canaries").await["jobs"] == 10_000
    })
    .await;
    let summary = api.get("/api/v1/jobs/canaries").await;
    assert_eq!(
        summary["runs"], 10_000,
        "each job's effect applied once: {summary}"
    );
    let depths = api.get("/api/v1/jobs/depths").await;
    let succeeded = depths
        .as_array()
        .unwrap()
        .iter()
        .find(|d| d["queue"] == "high" && d["state"] == "succeeded")
        .unwrap();
    assert_eq!(succeeded["count"], 10_000);
    for process in &mut processes {
        assert!(process.terminate().await.success(), "{}", process.output());
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn ten_thousand_jobs_across_three_processes_on_postgres() {
    ten_thousand_jobs_across_three_processes(QueueOn::Database).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn ten_thousand_jobs_across_three_processes_on_redis() {
    ten_thousand_jobs_across_three_processes(QueueOn::Redis).await;
}

#[tokio::test]
async fn a_worker_on_sqlite_is_refused_with_the_reason() {
    let dir = tempfile::tempdir().unwrap();
    let (status, _, stderr) = run(dir.path(), &["worker"], &local(&[]), None).await;
    assert_eq!(status.code(), Some(2), "{stderr}");
    assert_eq!(stderr.lines().count(), 1, "{stderr}");
    assert!(
        stderr.contains("SQLite belongs to the one `hearth serve`"),
        "{stderr}"
    );
}

/// With `WEBSOCKET_MANAGER=redis`, the progress of a job run by a separate `hearth worker` reaches
/// the owner's WebSocket on `hearth serve`.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_separate_workers_events_reach_the_websocket_through_redis() {
    use futures::{SinkExt, StreamExt};
    use tokio_tungstenite::tungstenite::Message;

    let db = TestDatabase::create(Backend::Postgres).await;
    let dir = tempfile::tempdir().unwrap();
    let env = with(
        &shared_env(&db, QueueOn::Database),
        &[
            ("WEBSOCKET_MANAGER", "redis"),
            ("REDIS_URL", hearth_testkit::redis_url().leak()),
            ("REDIS_KEY_PREFIX", hearth_testkit::unique_prefix().leak()),
        ],
    );
    let mut serve = Hearth::spawn(
        dir.path(),
        &[],
        &with(&env, &[("HEARTH_INLINE_WORKER", "false")]),
    );
    let api = Api::connect(serve.base_url().await).await;
    let ready = api
        .client
        .get(format!("{}/ready", api.base))
        .send()
        .await
        .unwrap();
    let ready: Value = ready.json().await.unwrap();
    assert_eq!(ready["checks"]["coordination"], "ok", "{ready}");
    let mut worker = Hearth::spawn(dir.path(), &["worker"], &env);
    worker.base_url().await;
    let url = format!(
        "{}/api/v1/realtime/ws?token={}",
        api.base.replacen("http", "ws", 1),
        api.token
    );
    let (mut socket, _) = tokio_tungstenite::connect_async(url).await.unwrap();
    let mut next = async || loop {
        match socket.next().await.expect("the socket stays open").unwrap() {
            Message::Text(text) => return serde_json::from_str::<Value>(&text).unwrap(),
            Message::Ping(payload) => socket.send(Message::Pong(payload)).await.unwrap(),
            _ => {}
        }
    };
    assert_eq!(next().await["type"], "hello");
    let id = api.canaries(json!({"count": 1})).await.remove(0);
    let mut types = Vec::new();
    loop {
        let event = next().await;
        assert_eq!(event["job_id"], id.as_str(), "{event}");
        types.push(event["type"].as_str().unwrap().to_owned());
        if event["type"] == "job.succeeded" {
            break;
        }
    }
    assert_eq!(
        types,
        [
            "job.progress",
            "job.progress",
            "job.progress",
            "job.succeeded"
        ]
    );
    assert!(worker.terminate().await.success());
    assert!(serve.terminate().await.success());
}
