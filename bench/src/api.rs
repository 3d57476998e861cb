//! JSON calls to a system's HTTP API for the side-by-side scenarios' set-up and checks: one place
//! that sends the bearer token, refuses an answer that is not a success (with its body, so a
//! failure says why) and reads the JSON.

use std::path::Path;

use anyhow::{Context, Result, bail};
use serde_json::Value;

/// A system's API at `base` (`http://host:port`).
#[derive(Clone, Debug)]
pub(crate) struct Api {
    pub(crate) client: reqwest::Client,
    pub(crate) base: String,
}

impl Api {
    pub(crate) fn new(client: reqwest::Client, addr: &str) -> Self {
        Self {
            client,
            base: format!("http://{addr}"),
        }
    }

    /// `POST path` with a JSON body.
    pub(crate) async fn post(
        &self,
        path: &str,
        token: Option<&str>,
        body: &Value,
    ) -> Result<Value> {
        let mut request = self.client.post(format!("{}{path}", self.base)).json(body);
        if let Some(token) = token {
            request = request.bearer_auth(token);
        }
        answer(path, request).await
    }

    /// `GET path`.
    pub(crate) async fn get(&self, path: &str, token: &str) -> Result<Value> {
        let request = self
            .client
            .get(format!("{}{path}", self.base))
            .bearer_auth(token);
        answer(path, request).await
    }

    /// Uploads the file at `file` as the multipart field `file` to `path`.
    pub(crate) async fn upload(&self, path: &str, token: &str, file: &Path) -> Result<Value> {
        let name = file
            .file_name()
            .unwrap_or_default()
            .to_string_lossy()
            .into_owned();
        let part = reqwest::multipart::Part::bytes(std::fs::read(file)?).file_name(name);
        let request = self
            .client
            .post(format!("{}{path}", self.base))
            .bearer_auth(token)
            .multipart(reqwest::multipart::Form::new().part("file", part));
        answer(path, request).await
    }
}

async fn answer(path: &str, request: reqwest::RequestBuilder) -> Result<Value> {
    let response = request
        .send()
        .await
        .with_context(|| format!("{path}: no answer"))?;
    let status = response.status();
    let text = response.text().await?;
    if !status.is_success() {
        bail!("{path} answered {status}: {text}");
    }
    serde_json::from_str(&text).with_context(|| format!("{path}: not JSON: {text}"))
}
