//! The extraction child: `hearth extract-child` reads one document on stdin, limits its own address
//! space and CPU time, parses, and writes the result as JSON on stdout.
//!
//! Protocol: stdin is one JSON line ([`ChildRequest`]) then the document's bytes; stdout is one
//! JSON [`ChildResponse`]. A crash (panic, allocation failure under the memory limit, a signal)
//! leaves stdout empty and the parent reports it from the exit status.

use std::io::{BufRead, Read, Write};
use std::panic::AssertUnwindSafe;
use std::process::ExitCode;

use bytes::Bytes;
use hearth_core::seams::{ExtractInput, ExtractedDocument};
use rustix::process::{Resource, Rlimit, setrlimit};
use serde::{Deserialize, Serialize};

use crate::{ExtractError, Limits, formats};

/// The subcommand of the `hearth` binary that runs [`child_main`].
pub const CHILD_COMMAND: &str = "extract-child";

/// What the parent sends before the document's bytes.
#[derive(Debug, Serialize, Deserialize)]
pub(crate) struct ChildRequest {
    pub(crate) filename: String,
    pub(crate) content_type: Option<String>,
    pub(crate) limits: Limits,
}

/// What the child answers.
#[derive(Debug, Serialize, Deserialize)]
#[serde(tag = "outcome", rename_all = "snake_case")]
pub(crate) enum ChildResponse {
    Extracted { document: ExtractedDocument },
    Failed { kind: FailureKind, message: String },
}

/// An [`ExtractError`] variant, carried across the pipe.
#[derive(Debug, Clone, Copy, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub(crate) enum FailureKind {
    Unsupported,
    Invalid,
    Limit,
    Crashed,
}

impl ChildResponse {
    pub(crate) fn into_result(self) -> Result<ExtractedDocument, ExtractError> {
        match self {
            ChildResponse::Extracted { document } => Ok(document),
            ChildResponse::Failed { kind, message } => Err(match kind {
                FailureKind::Unsupported => ExtractError::Unsupported(message),
                FailureKind::Invalid => ExtractError::Invalid(message),
                FailureKind::Limit => ExtractError::Limit(message),
                FailureKind::Crashed => ExtractError::Crashed(message),
            }),
        }
    }

    pub(crate) fn from_result(result: Result<ExtractedDocument, ExtractError>) -> Self {
        match result {
            Ok(document) => ChildResponse::Extracted { document },
            Err(error) => {
                let kind = match &error {
                    ExtractError::Unsupported(_) => FailureKind::Unsupported,
                    ExtractError::Limit(_) => FailureKind::Limit,
                    ExtractError::Crashed(_) => FailureKind::Crashed,
                    _ => FailureKind::Invalid,
                };
                ChildResponse::Failed {
                    kind,
                    message: error.to_string(),
                }
            }
        }
    }
}

/// Runs one extraction as the child process; the `hearth` binary calls this for `extract-child`
/// before starting anything else (no runtime, no logging: stdout carries only the answer).
pub fn child_main() -> ExitCode {
    let mut stdin = std::io::stdin().lock();
    let mut header = String::new();
    if stdin.read_line(&mut header).is_err() {
        return ExitCode::from(3);
    }
    let Ok(request) = serde_json::from_str::<ChildRequest>(&header) else {
        eprintln!("extract-child: the request line is not valid");
        return ExitCode::from(3);
    };
    limit_self(&request.limits);
    let mut data = Vec::new();
    let result = match stdin.read_to_end(&mut data) {
        // Growing the buffer past the address-space cap fails here rather than aborting.
        Err(error) if error.kind() == std::io::ErrorKind::OutOfMemory => {
            Err(ExtractError::Limit(format!(
                "extraction needed more than {} MB of memory and was stopped",
                request.limits.max_memory / (1024 * 1024)
            )))
        }
        Err(_) => return ExitCode::from(3),
        Ok(_) => {
            let input = ExtractInput {
                filename: request.filename,
                content_type: request.content_type,
                data: Bytes::from(data),
            };
            std::panic::catch_unwind(AssertUnwindSafe(|| {
                formats::extract(&input, &request.limits)
            }))
            .unwrap_or_else(|panic| Err(ExtractError::Crashed(crash_reason(&*panic))))
        }
    };
    let response = ChildResponse::from_result(result);
    let mut stdout = std::io::stdout().lock();
    if serde_json::to_writer(&mut stdout, &response).is_err() || stdout.flush().is_err() {
        return ExitCode::from(3);
    }
    ExitCode::SUCCESS
}

/// Caps this process: its address space (an allocation past it fails and the process aborts), its
/// CPU seconds (the kernel stops it, in case the parent's timer is late), no core dumps.
fn limit_self(limits: &Limits) {
    let cap = |resource, value| {
        if let Err(error) = setrlimit(
            resource,
            Rlimit {
                current: Some(value),
                maximum: Some(value),
            },
        ) {
            eprintln!("extract-child: cannot set {resource:?}: {error}");
        }
    };
    cap(Resource::As, limits.max_memory);
    cap(Resource::Cpu, limits.timeout.as_secs() + 5);
    cap(Resource::Core, 0);
}

/// A panic's message, as the parser left it.
pub(crate) fn crash_reason(panic: &(dyn std::any::Any + Send)) -> String {
    let message = panic
        .downcast_ref::<&str>()
        .map(|s| (*s).to_owned())
        .or_else(|| panic.downcast_ref::<String>().cloned())
        .unwrap_or_else(|| "unknown panic".into());
    format!("the parser failed on this document: {message}")
}
