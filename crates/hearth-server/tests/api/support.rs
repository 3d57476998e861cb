//! `TestApp`: the real server on port 0 over an isolated database, and helpers to drive it over HTTP.

use hearth_config::{Secret, Settings};
use hearth_server::Application;
use hearth_testkit::{Backend, TestDatabase};
use reqwest::{Method, Response, StatusCode};
use serde_json::{Value, json};
use tokio::sync::oneshot;
use tokio::task::JoinHandle;

pub(crate) const SECRET: &str = "test-secret-key-that-is-long-enough-0123456789";

/// A running server and the database it owns.
pub(crate) struct TestApp {
    pub(crate) base: String,
    pub(crate) client: reqwest::Client,
    pub(crate) db: TestDatabase,
    settings: Settings,
    stop: Option<oneshot::Sender<()>>,
    task: Option<JoinHandle<std::io::Result<()>>>,
}

/// Settings for a test server on `db`, listening on a free port.
pub(crate) fn settings_for(db: &TestDatabase) -> Settings {
    let mut settings = Settings::default();
    settings.core.data_dir = db.data_dir().to_path_buf();
    settings.core.host = "127.0.0.1".into();
    settings.core.port = 0;
    settings.core.hearth_secret_key = Some(Secret::new(SECRET));
    settings.core.hearth_shutdown_timeout = 5;
    settings.database = db.settings();
    // The real local model, loaded only by tests that embed.
    settings.rag.rag_embedding_model = hearth_testkit::model_dir().display().to_string();
    settings
}

impl TestApp {
    pub(crate) async fn spawn(backend: Backend) -> Self {
        Self::spawn_with(backend, |_| {}).await
    }

    /// Starts a server whose settings `customize` may change.
    pub(crate) async fn spawn_with(
        backend: Backend,
        customize: impl FnOnce(&mut Settings),
    ) -> Self {
        let db = TestDatabase::create(backend).await;
        let mut settings = settings_for(&db);
        customize(&mut settings);
        Self::start(db, settings).await
    }

    async fn start(db: TestDatabase, settings: Settings) -> Self {
        let app = Application::build(settings.clone())
            .await
            .expect("the server builds");
        let base = format!("http://{}", app.local_addr());
        let (stop, stopped) = oneshot::channel::<()>();
        let task = tokio::spawn(app.run_until_stopped(async move {
            let _ = stopped.await;
        }));
        let client = hearth_testkit::http_client();
        Self {
            base,
            client,
            db,
            settings,
            stop: Some(stop),
            task: Some(task),
        }
    }

    /// A second server on the same database and key (a replica), with a data directory of its own.
    pub(crate) async fn replica(&self) -> TestApp {
        assert_ne!(
            self.db.backend,
            Backend::Sqlite,
            "replicas need a shared database server"
        );
        let db = TestDatabase::create(self.db.backend).await;
        let mut settings = self.settings.clone();
        settings.core.data_dir = db.data_dir().to_path_buf();
        // The throwaway database only lends its data directory; both replicas use the first one's.
        Self::start(db, settings).await
    }

    /// Stops the server gracefully and starts a new one on the same database and key.
    pub(crate) async fn restart(mut self) -> Self {
        self.stop().await;
        let db = std::mem::replace(&mut self.db, TestDatabase::create(Backend::Sqlite).await);
        Self::start(db, self.settings.clone()).await
    }

    async fn stop(&mut self) {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
        if let Some(task) = self.task.take() {
            task.await
                .expect("server task")
                .expect("server stops cleanly");
        }
    }

    /// The settings the server runs with.
    pub(crate) fn settings(&self) -> &Settings {
        &self.settings
    }

    pub(crate) fn url(&self, path: &str) -> String {
        format!("{}{path}", self.base)
    }

    /// Sends a request with an optional bearer credential and JSON body.
    pub(crate) async fn call(
        &self,
        method: Method,
        path: &str,
        bearer: Option<&str>,
        body: Option<Value>,
    ) -> Response {
        let mut request = self.client.request(method, self.url(path));
        if let Some(bearer) = bearer {
            request = request.bearer_auth(bearer);
        }
        if let Some(body) = body {
            request = request.json(&body);
        }
        request.send().await.expect("request sent")
    }

    pub(crate) async fn get(&self, path: &str, bearer: &str) -> Response {
        self.call(Method::GET, path, Some(bearer), None).await
    }

    pub(crate) async fn post(&self, path: &str, bearer: Option<&str>, body: Value) -> Response {
        self.call(Method::POST, path, bearer, Some(body)).await
    }

    /// Signs up and returns the session response.
    pub(crate) async fn signup(&self, email: &str, password: &str) -> Value {
        let response = self
            .post(
                "/api/v1/auths/signup",
                None,
                json!({"email": email, "password": password}),
            )
            .await;
        assert_eq!(response.status(), StatusCode::OK, "sign-up of {email}");
        response.json().await.unwrap()
    }

    /// Signs in and returns the token.
    pub(crate) async fn signin(&self, email: &str, password: &str) -> String {
        let response = self
            .post(
                "/api/v1/auths/signin",
                None,
                json!({"email": email, "password": password}),
            )
            .await;
        assert_eq!(response.status(), StatusCode::OK, "sign-in of {email}");
        token_of(&response.json().await.unwrap())
    }

    /// An admin's token: the first account of a fresh app.
    pub(crate) async fn admin(&self) -> String {
        token_of(&self.signup("admin@example.org", "admin-password").await)
    }

    /// A token for an approved (role `user`) account, approved by `admin`.
    pub(crate) async fn approved_user(&self, admin: &str, email: &str) -> String {
        let session = self.signup(email, "user-password").await;
        let id = session["id"].as_str().unwrap();
        let response = self
            .call(
                Method::PATCH,
                &format!("/api/v1/users/{id}"),
                Some(admin),
                Some(json!({"role": "user"})),
            )
            .await;
        assert_eq!(response.status(), StatusCode::OK);
        token_of(&session)
    }

    /// The value of a counter in `/metrics`.
    pub(crate) async fn metric(&self, name: &str) -> f64 {
        let text = self
            .client
            .get(self.url("/metrics"))
            .send()
            .await
            .unwrap()
            .text()
            .await
            .unwrap();
        text.lines()
            .find_map(|line| {
                line.strip_prefix(name)
                    .and_then(|rest| rest.trim().parse().ok())
            })
            .unwrap_or(0.0)
    }
}

impl Drop for TestApp {
    fn drop(&mut self) {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
    }
}

pub(crate) fn token_of(session: &Value) -> String {
    session["token"].as_str().expect("a token").to_owned()
}

/// Asserts a JSON error response with this status and returns its `detail`.
pub(crate) async fn expect_error(response: Response, status: StatusCode) -> String {
    assert_eq!(
        response.status(),
        status,
        "unexpected status for {}",
        response.url()
    );
    let content_type = response
        .headers()
        .get("content-type")
        .and_then(|v| v.to_str().ok())
        .unwrap_or("")
        .to_owned();
    assert!(
        content_type.starts_with("application/json"),
        "content type {content_type}"
    );
    let body: Value = response.json().await.expect("a JSON error body");
    body["detail"]
        .as_str()
        .expect("a string `detail`")
        .to_owned()
}

pub(crate) use hearth_testkit::eventually;

/// Settings change that connects the app to `fake` as an OpenAI-compatible server.
pub(crate) fn with_openai(fake: &hearth_fakes::FakeServer) -> impl FnOnce(&mut Settings) + use<> {
    let url = fake.openai_url();
    move |settings: &mut Settings| {
        settings.models.openai_api_base_urls = vec![url];
        settings.models.model_request_timeout = 5;
    }
}

/// The `data:` payloads of an SSE body, in order (`[DONE]` included).
pub(crate) fn sse_data(body: &str) -> Vec<String> {
    body.split("\n\n")
        .filter_map(|event| {
            event
                .lines()
                .find_map(|line| line.strip_prefix("data: "))
                .map(str::to_owned)
        })
        .collect()
}

/// The chunks of an SSE body as JSON, `[DONE]` left out.
pub(crate) fn sse_chunks(body: &str) -> Vec<Value> {
    sse_data(body)
        .iter()
        .filter(|d| *d != "[DONE]")
        .map(|d| serde_json::from_str(d).expect("a JSON chunk"))
        .collect()
}

/// The text of a streamed answer.
pub(crate) fn streamed_text(body: &str) -> String {
    sse_chunks(body)
        .iter()
        .filter_map(|c| {
            c["choices"][0]["delta"]["content"]
                .as_str()
                .map(str::to_owned)
        })
        .collect()
}
