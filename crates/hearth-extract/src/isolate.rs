//! The built-in extractor: the parsers of [`formats`](crate::formats), run where a bad document can
//! only hurt itself.

use std::os::unix::process::ExitStatusExt;
use std::panic::AssertUnwindSafe;
use std::path::PathBuf;
use std::process::Stdio;
use std::sync::Arc;

use async_trait::async_trait;
use hearth_core::seams::{ExtractInput, ExtractedDocument, Extractor, SeamError};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::process::Command;
use tokio::sync::Semaphore;

use crate::child::{CHILD_COMMAND, ChildRequest, ChildResponse, crash_reason};
use crate::{ExtractError, Limits, formats};

/// Where the parsers run.
#[derive(Clone, Debug)]
pub enum Isolation {
    /// In a child process of `program extract-child`, under memory and CPU limits, killed at the
    /// timeout. What the `hearth` binary uses.
    Process { program: PathBuf },
    /// On a blocking thread with a panic guard and a timeout; memory is not bounded and a parser
    /// that hangs keeps its thread. For embedding the library (tests) only.
    Thread,
}

/// Built-in parsers, isolated, at most `concurrency` documents at a time.
#[derive(Clone, Debug)]
pub struct BuiltinExtractor {
    isolation: Isolation,
    limits: Limits,
    permits: Arc<Semaphore>,
}

impl BuiltinExtractor {
    pub fn new(isolation: Isolation, limits: Limits, concurrency: usize) -> Self {
        Self {
            isolation,
            limits,
            permits: Arc::new(Semaphore::new(concurrency.max(1))),
        }
    }

    /// Extracts with these parsers, reporting the document's own failures as [`ExtractError`].
    pub async fn extract_document(
        &self,
        input: ExtractInput,
    ) -> Result<ExtractedDocument, ExtractError> {
        let _permit = self
            .permits
            .acquire()
            .await
            .map_err(|_| ExtractError::Unavailable("the extractor is shutting down".into()))?;
        match &self.isolation {
            Isolation::Process { program } => in_child(program, input, &self.limits).await,
            Isolation::Thread => on_thread(input, self.limits.clone()).await,
        }
    }
}

#[async_trait]
impl Extractor for BuiltinExtractor {
    fn engine(&self) -> &'static str {
        "builtin"
    }

    async fn extract(&self, input: ExtractInput) -> Result<ExtractedDocument, SeamError> {
        Ok(self.extract_document(input).await?)
    }

    async fn check(&self) -> Result<(), SeamError> {
        Ok(())
    }
}

/// Most bytes of diagnostics kept from a child's stderr.
const STDERR_KEEP: u64 = 4096;

async fn in_child(
    program: &PathBuf,
    input: ExtractInput,
    limits: &Limits,
) -> Result<ExtractedDocument, ExtractError> {
    let mut child = Command::new(program)
        .arg(CHILD_COMMAND)
        .env_clear()
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .kill_on_drop(true)
        .spawn()
        .map_err(|e| {
            ExtractError::Unavailable(format!("cannot start `{}`: {e}", program.display()))
        })?;
    let header = serde_json::to_vec(&ChildRequest {
        filename: input.filename.clone(),
        content_type: input.content_type.clone(),
        limits: limits.clone(),
    })
    .map_err(|e| ExtractError::Crashed(e.to_string()))?;
    let (Some(mut stdin), Some(stdout), Some(stderr)) =
        (child.stdin.take(), child.stdout.take(), child.stderr.take())
    else {
        return Err(ExtractError::Unavailable("the child has no pipes".into()));
    };
    // The answer is JSON of at most max_chars characters (up to 4 bytes each, escaped) and headings.
    let max_answer = (limits.max_chars as u64)
        .saturating_mul(6)
        .saturating_add(1024 * 1024);
    let exchange = async {
        let write = async {
            // A child that dies early closes its end; its exit status says why, not this error.
            let _ = stdin.write_all(&header).await;
            let _ = stdin.write_all(b"\n").await;
            let _ = stdin.write_all(&input.data).await;
            drop(stdin);
        };
        let read = async {
            let mut answer = Vec::new();
            let _ = stdout.take(max_answer).read_to_end(&mut answer).await;
            answer
        };
        let read_err = async {
            let mut diagnostics = Vec::new();
            let _ = stderr.take(STDERR_KEEP).read_to_end(&mut diagnostics).await;
            diagnostics
        };
        let ((), answer, diagnostics) = tokio::join!(write, read, read_err);
        (answer, diagnostics)
    };
    let Ok((answer, diagnostics)) = tokio::time::timeout(limits.timeout, exchange).await else {
        let _ = child.start_kill();
        let _ = child.wait().await;
        return Err(ExtractError::Limit(format!(
            "extraction took longer than {} s and was stopped",
            limits.timeout.as_secs()
        )));
    };
    let status = child
        .wait()
        .await
        .map_err(|e| ExtractError::Crashed(format!("the parser process was lost: {e}")))?;
    let diagnostics = String::from_utf8_lossy(&diagnostics);
    if status.success() {
        return serde_json::from_slice::<ChildResponse>(&answer)
            .map_err(|_| ExtractError::Limit("the extracted text is too large".into()))?
            .into_result();
    }
    if diagnostics.contains("memory allocation of") {
        return Err(ExtractError::Limit(format!(
            "extraction needed more than {} MB of memory and was stopped",
            limits.max_memory / (1024 * 1024)
        )));
    }
    Err(match status.signal() {
        // SIGXCPU: the CPU-time limit; SIGKILL: the memory or time limit, or an operator.
        Some(24 | 9) => ExtractError::Limit(format!(
            "extraction exceeded its time or memory limit ({} s, {} MB) and was stopped",
            limits.timeout.as_secs(),
            limits.max_memory / (1024 * 1024)
        )),
        Some(signal) => ExtractError::Crashed(format!(
            "the parser crashed on this document (signal {signal}){}",
            first_line(&diagnostics)
        )),
        None => ExtractError::Crashed(format!(
            "the parser failed on this document (exit status {}){}",
            status.code().unwrap_or(-1),
            first_line(&diagnostics)
        )),
    })
}

/// `: <the first line of the child's diagnostics>`, or nothing.
fn first_line(diagnostics: &str) -> String {
    diagnostics
        .lines()
        .find(|l| !l.trim().is_empty())
        .map(|l| format!(": {}", l.trim()))
        .unwrap_or_default()
}

async fn on_thread(input: ExtractInput, limits: Limits) -> Result<ExtractedDocument, ExtractError> {
    let timeout = limits.timeout;
    let work = tokio::task::spawn_blocking(move || {
        std::panic::catch_unwind(AssertUnwindSafe(|| formats::extract(&input, &limits)))
            .unwrap_or_else(|panic| Err(ExtractError::Crashed(crash_reason(&*panic))))
    });
    match tokio::time::timeout(timeout, work).await {
        Ok(Ok(result)) => result,
        Ok(Err(join)) => Err(ExtractError::Crashed(format!("the parser failed: {join}"))),
        Err(_) => Err(ExtractError::Limit(format!(
            "extraction took longer than {} s",
            timeout.as_secs()
        ))),
    }
}
