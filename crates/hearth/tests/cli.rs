//! The `hearth` binary as operators run it: real processes, real signals, real databases.

use std::time::{Duration, Instant};

use hearth_testkit::{Backend, TestDatabase};
use serde_json::{Value, json};
use tokio::io::{AsyncReadExt, AsyncWriteExt};

mod support;

use support::{Hearth, KEY, WAIT, applied_all, local, post, run};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn serves_health_within_a_second_of_start_in_an_empty_directory() {
    let dir = tempfile::tempdir().unwrap();
    let started = Instant::now();
    let mut hearth = Hearth::spawn(dir.path(), &[], &local(&[]));
    let base = hearth.base_url().await;
    let health = hearth_testkit::http_client()
        .get(format!("{base}/health"))
        .send()
        .await
        .unwrap();
    let elapsed = started.elapsed();
    assert_eq!(health.status(), 200);
    assert!(
        elapsed < Duration::from_secs(1),
        "first /health answer after {elapsed:?}"
    );
    assert!(
        dir.path().join("data/hearth.db").is_file(),
        "DATA_DIR/hearth.db is created"
    );
    assert!(
        dir.path().join("data/.hearth_secret_key").is_file(),
        "a secret key is generated and kept"
    );
    assert_eq!(
        hearth_testkit::http_client()
            .get(format!("{base}/ready"))
            .send()
            .await
            .unwrap()
            .status(),
        200
    );
    assert!(hearth.terminate().await.success());
}

async fn three_servers_started_together_migrate_once(backend: Backend) {
    let db = TestDatabase::create(backend).await;
    let dir = tempfile::tempdir().unwrap();
    let url: &'static str = db.url.clone().leak();
    let env = local(&[("DATABASE_URL", url), ("HEARTH_SECRET_KEY", KEY)]);
    let mut servers: Vec<Hearth> = (0..3)
        .map(|_| Hearth::spawn(dir.path(), &[], &env))
        .collect();
    for server in &mut servers {
        let base = server.base_url().await;
        let ready = hearth_testkit::http_client()
            .get(format!("{base}/ready"))
            .send()
            .await
            .unwrap();
        assert_eq!(ready.status(), 200, "{}", server.output());
    }
    let outputs: Vec<String> = servers.iter().map(|s| s.output()).collect();
    let migrated = outputs
        .iter()
        .filter(|o| o.contains(&applied_all()))
        .count();
    let up_to_date = outputs
        .iter()
        .filter(|o| o.contains("database schema is up to date"))
        .count();
    assert_eq!((migrated, up_to_date), (1, 2), "{outputs:#?}");
    let applied: i64 = match backend {
        Backend::Postgres => {
            let pool = sqlx::PgPool::connect(&db.url).await.unwrap();
            sqlx::query_scalar("SELECT COUNT(*) FROM hearth_migrations")
                .fetch_one(&pool)
                .await
                .unwrap()
        }
        _ => {
            let pool = sqlx::MySqlPool::connect(&db.url).await.unwrap();
            sqlx::query_scalar("SELECT COUNT(*) FROM hearth_migrations")
                .fetch_one(&pool)
                .await
                .unwrap()
        }
    };
    assert_eq!(applied as usize, hearth_db::Store::migration_names().len());
    for server in &mut servers {
        assert!(server.terminate().await.success());
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn three_servers_started_together_on_empty_postgres_migrate_once() {
    three_servers_started_together_migrate_once(Backend::Postgres).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn three_servers_started_together_on_empty_mariadb_migrate_once() {
    three_servers_started_together_migrate_once(Backend::MySql).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn bad_configuration_is_refused_with_a_one_line_reason() {
    let dir = tempfile::tempdir().unwrap();
    let cases: &[(&[(&str, &str)], &str)] = &[
        (
            &[("DATABASE_URL", "oracle://db/x")],
            "DATABASE_URL: unsupported scheme `oracle`",
        ),
        (&[("PORT", "eighty")], "PORT: expected a whole number"),
        (
            &[("DATABASE_URL", "postgres://postgres@127.0.0.1/x")],
            "HEARTH_SECRET_KEY must be set when DATABASE_URL is postgres",
        ),
        (&[("HEARTH_SECRET_KEY", "short")], "at least 32"),
        (&[("VECTOR_DB", "chroma")], "CHROMA_HTTP_HOST"),
        (
            &[("VECTOR_DB", "milvus")],
            "VECTOR_DB: unknown variant `milvus`",
        ),
        (
            &[("STORAGE_PROVIDER", "s3")],
            "STORAGE_PROVIDER=s3 needs S3_BUCKET_NAME",
        ),
        (
            &[("VECTOR_DB", "pgvector")],
            "VECTOR_DB=pgvector needs PGVECTOR_DB_URL",
        ),
        (&[("FILE_MAX_SIZE", "0")], "FILE_MAX_SIZE=0"),
        (&[("LOG_LEVEL", "info,[[[")], "LOG_LEVEL"),
        (
            &[("REDIS_SENTINEL_HOSTS", "127.0.0.1:26379")],
            "REDIS_SENTINEL_HOSTS needs REDIS_URL",
        ),
        (&[("JOB_QUEUE", "redis")], "JOB_QUEUE=redis needs REDIS_URL"),
        (
            &[("HEARTH_CONFIG_FILE", "/nonexistent/hearth.toml")],
            "cannot read config file",
        ),
    ];
    for (env, expected) in cases {
        for args in [&[][..], &["migrate"][..], &["admin", "check-config"][..]] {
            let (status, _, stderr) = run(dir.path(), args, &local(env), None).await;
            assert_eq!(status.code(), Some(2), "{args:?} {env:?}: {stderr}");
            let lines: Vec<&str> = stderr.lines().collect();
            assert_eq!(lines.len(), 1, "{args:?} {env:?}: {stderr}");
            assert!(
                lines[0].starts_with("hearth: configuration error: ")
                    && lines[0].contains(expected),
                "{args:?}: {stderr}"
            );
        }
    }
    let unreachable = local(&[
        ("DATABASE_URL", "postgres://postgres@127.0.0.1:1/x"),
        ("HEARTH_SECRET_KEY", KEY),
        ("DATABASE_POOL_TIMEOUT", "2"),
    ]);
    let (status, _, stderr) = run(dir.path(), &[], &unreachable, None).await;
    assert_eq!(status.code(), Some(1), "{stderr}");
    assert!(
        stderr.starts_with("hearth: ") && stderr.contains("cannot connect to postgres"),
        "{stderr}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_second_server_on_the_same_sqlite_database_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    let mut first = Hearth::spawn(dir.path(), &[], &local(&[]));
    first.base_url().await;
    let (status, _, stderr) = run(dir.path(), &[], &local(&[]), None).await;
    assert_eq!(status.code(), Some(2), "{stderr}");
    assert!(
        stderr.contains(&format!("another Hearth server (pid {})", first.pid())),
        "{stderr}"
    );
    assert!(stderr.contains("PostgreSQL"), "{stderr}");
    // Operator commands still work beside the running server.
    let (status, stdout, stderr) = run(dir.path(), &["admin", "check-config"], &[], None).await;
    assert!(status.success(), "{stderr}");
    assert!(stdout.contains("configuration OK"));
    assert!(first.terminate().await.success());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sign_out_survives_a_process_restart() {
    let dir = tempfile::tempdir().unwrap();
    let client = hearth_testkit::http_client();
    let mut hearth = Hearth::spawn(dir.path(), &[], &local(&[]));
    let base = hearth.base_url().await;
    let credentials = json!({"email": "ada@example.org", "password": "correct horse"});
    assert_eq!(
        post(
            &client,
            &format!("{base}/api/v1/auths/signup"),
            credentials.clone(),
            None
        )
        .await
        .status(),
        200
    );
    let mut tokens = Vec::new();
    for _ in 0..2 {
        let session: Value = post(
            &client,
            &format!("{base}/api/v1/auths/signin"),
            credentials.clone(),
            None,
        )
        .await
        .json()
        .await
        .unwrap();
        tokens.push(session["token"].as_str().unwrap().to_owned());
    }
    assert_eq!(
        post(
            &client,
            &format!("{base}/api/v1/auths/signout"),
            json!({}),
            Some(&tokens[0])
        )
        .await
        .status(),
        200
    );
    assert!(hearth.terminate().await.success());

    let mut restarted = Hearth::spawn(dir.path(), &[], &local(&[]));
    let base = restarted.base_url().await;
    let me = |token: &str| {
        client
            .get(format!("{base}/api/v1/auths/"))
            .bearer_auth(token.to_owned())
            .send()
    };
    assert_eq!(
        me(&tokens[0]).await.unwrap().status(),
        401,
        "signed out before the restart"
    );
    assert_eq!(
        me(&tokens[1]).await.unwrap().status(),
        200,
        "the other session and the kept key survive"
    );
    assert!(restarted.terminate().await.success());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sigterm_lets_in_flight_requests_finish() {
    let dir = tempfile::tempdir().unwrap();
    let mut hearth = Hearth::spawn(dir.path(), &[], &local(&[]));
    let base = hearth.base_url().await;
    let addr = base.trim_start_matches("http://").to_owned();
    let body = br#"{"email": "nobody@example.org", "password": "whatever-1"}"#;
    let mut stream = tokio::net::TcpStream::connect(&addr).await.unwrap();
    let head = format!(
        "POST /api/v1/auths/signin HTTP/1.1\r\nHost: {addr}\r\nContent-Type: application/json\r\nContent-Length: {}\r\nExpect: 100-continue\r\n\r\n",
        body.len()
    );
    stream.write_all(head.as_bytes()).await.unwrap();
    // `100 Continue` arrives once the handler reads the body: the request is now in flight.
    let mut interim = [0u8; 25];
    tokio::time::timeout(WAIT, stream.read_exact(&mut interim))
        .await
        .unwrap()
        .unwrap();
    assert_eq!(&interim, b"HTTP/1.1 100 Continue\r\n\r\n");
    std::process::Command::new("kill")
        .args(["-TERM", &hearth.pid().to_string()])
        .status()
        .unwrap();
    hearth.wait_for("shutting down").await;
    stream.write_all(body).await.unwrap();
    let mut response = String::new();
    tokio::time::timeout(WAIT, stream.read_to_string(&mut response))
        .await
        .unwrap()
        .unwrap();
    assert!(
        response.starts_with("HTTP/1.1 401"),
        "the in-flight request completed: {response}"
    );
    assert!(response.contains("incorrect email or password"));
    let status = tokio::time::timeout(WAIT, hearth.child.wait())
        .await
        .unwrap()
        .unwrap();
    assert!(status.success(), "{}", hearth.output());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn migrate_applies_pending_migrations_once() {
    let dir = tempfile::tempdir().unwrap();
    let (status, stdout, stderr) = run(dir.path(), &["migrate"], &[], None).await;
    assert!(status.success(), "{stderr}");
    assert!(stdout.contains(&applied_all()), "{stdout}");
    let (status, stdout, _) = run(dir.path(), &["migrate"], &[], None).await;
    assert!(status.success());
    assert!(stdout.contains("database schema is up to date"), "{stdout}");
    // A server that may not migrate refuses to run on a schema it does not know.
    let empty = tempfile::tempdir().unwrap();
    let (status, _, stderr) = run(
        empty.path(),
        &[],
        &local(&[("ENABLE_DB_MIGRATIONS", "false")]),
        None,
    )
    .await;
    assert_eq!(status.code(), Some(1));
    assert!(stderr.contains("run `hearth migrate` first"), "{stderr}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn admin_commands_create_users_and_reset_passwords() {
    let dir = tempfile::tempdir().unwrap();
    let create = [
        "admin",
        "create-user",
        "--email",
        "Root@Example.org",
        "--role",
        "admin",
        "--password-stdin",
    ];
    let (status, stdout, stderr) = run(dir.path(), &create, &[], Some("first-password\n")).await;
    assert!(status.success(), "{stderr}");
    assert!(
        stdout.starts_with("created root@example.org (admin) with id "),
        "{stdout}"
    );
    assert!(
        !stdout.contains("password:"),
        "a password read from stdin is not echoed"
    );
    let (status, _, stderr) = run(dir.path(), &create, &[], Some("first-password\n")).await;
    assert_eq!(status.code(), Some(1));
    assert!(stderr.contains("already exists"), "{stderr}");

    let (status, stdout, stderr) = run(
        dir.path(),
        &["admin", "reset-password", "--email", "root@example.org"],
        &[],
        None,
    )
    .await;
    assert!(status.success(), "{stderr}");
    let password = stdout
        .lines()
        .find_map(|l| l.strip_prefix("password: "))
        .expect("a generated password")
        .to_owned();
    let (status, _, stderr) = run(
        dir.path(),
        &["admin", "reset-password", "--email", "who@example.org"],
        &[],
        None,
    )
    .await;
    assert_eq!(status.code(), Some(1));
    assert!(stderr.contains("no account"), "{stderr}");

    let (status, stdout, _) = run(dir.path(), &["admin", "check-config"], &[], None).await;
    assert!(status.success());
    assert!(
        stdout.contains("database: sqlite (reachable)") && stdout.contains("configuration OK"),
        "{stdout}"
    );

    let mut hearth = Hearth::spawn(dir.path(), &[], &local(&[]));
    let base = hearth.base_url().await;
    let client = hearth_testkit::http_client();
    let old = post(
        &client,
        &format!("{base}/api/v1/auths/signin"),
        json!({"email": "root@example.org", "password": "first-password"}),
        None,
    )
    .await;
    assert_eq!(old.status(), 401);
    let new = post(
        &client,
        &format!("{base}/api/v1/auths/signin"),
        json!({"email": "root@example.org", "password": password}),
        None,
    )
    .await;
    assert_eq!(new.status(), 200);
    assert_eq!(new.json::<Value>().await.unwrap()["role"], "admin");
    assert!(hearth.terminate().await.success());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn json_logs_name_the_request_id() {
    let dir = tempfile::tempdir().unwrap();
    let mut hearth = Hearth::spawn(
        dir.path(),
        &[],
        &local(&[
            ("LOG_FORMAT", "json"),
            ("LOG_LEVEL", "info,tower_http=debug"),
        ]),
    );
    let base = hearth.base_url().await;
    let response = hearth_testkit::http_client()
        .get(format!("{base}/health"))
        .header("x-request-id", "req-7f3a")
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 200);
    let line = hearth.wait_for("req-7f3a").await;
    let entry: Value = serde_json::from_str(&line).expect("a JSON log line");
    assert_eq!(entry["span"]["request_id"], "req-7f3a", "{line}");
    assert_eq!(entry["span"]["path"], "/health");
    assert!(hearth.terminate().await.success());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_hundred_concurrent_signins_on_sqlite_never_lock() {
    let dir = tempfile::tempdir().unwrap();
    let mut hearth = Hearth::spawn(dir.path(), &[], &local(&[]));
    let base = hearth.base_url().await;
    let client = hearth_testkit::http_client();
    let emails: Vec<String> = (0..200).map(|i| format!("u{i}@example.org")).collect();
    let url = format!("{base}/api/v1/auths/signup");
    let signups = futures::future::join_all(emails.iter().map(|e| {
        post(
            &client,
            &url,
            json!({"email": e, "password": "password-123"}),
            None,
        )
    }));
    // Another process writes to the same SQLite file during the burst: it waits for the lock
    // (`DATABASE_SQLITE_PRAGMA_BUSY_TIMEOUT`) instead of failing.
    let other_process = run(
        dir.path(),
        &[
            "admin",
            "create-user",
            "--email",
            "ops@example.org",
            "--password-stdin",
        ],
        &[],
        Some("ops-password\n"),
    );
    let (signups, (status, _, stderr)) = tokio::join!(signups, other_process);
    assert!(status.success(), "{stderr}");
    assert!(signups.iter().all(|r| r.status() == 200));
    let url = format!("{base}/api/v1/auths/signin");
    let signins = futures::future::join_all(emails.iter().map(|e| {
        post(
            &client,
            &url,
            json!({"email": e, "password": "password-123"}),
            None,
        )
    }))
    .await;
    assert!(signins.iter().all(|r| r.status() == 200));
    assert!(hearth.terminate().await.success());
    let output = hearth.output();
    assert!(!output.to_lowercase().contains("locked"), "{output}");
    assert!(!output.contains("ERROR"), "{output}");
}
