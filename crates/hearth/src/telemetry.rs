//! Logging to stdout: human-readable text or JSON lines (`LOG_FORMAT`), filtered by `LOG_LEVEL`.
//! Request spans carry the request id, so every line logged while serving a request names it.

use std::io::IsTerminal;

use hearth_config::{CoreSettings, LogFormat};
use tracing_subscriber::EnvFilter;

use crate::Failure;

/// Where log lines go.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum LogSink {
    /// Servers log to stdout (12-factor).
    Stdout,
    /// Admin commands keep stdout for their output.
    Stderr,
}

/// Installs the global subscriber; call once, after the settings are loaded.
pub(crate) fn init(core: &CoreSettings, sink: LogSink) -> Result<(), Failure> {
    let filter = EnvFilter::try_new(&core.log_level).map_err(|e| {
        Failure::Config(format!(
            "LOG_LEVEL: `{}` is not a log filter ({e})",
            core.log_level
        ))
    })?;
    let to_stdout = sink == LogSink::Stdout;
    let builder = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(move || -> Box<dyn std::io::Write> {
            if to_stdout {
                Box::new(std::io::stdout())
            } else {
                Box::new(std::io::stderr())
            }
        });
    let terminal = if to_stdout {
        std::io::stdout().is_terminal()
    } else {
        std::io::stderr().is_terminal()
    };
    let installed = match core.log_format {
        LogFormat::Text => builder.with_ansi(terminal).try_init(),
        LogFormat::Json => builder
            .json()
            .flatten_event(true)
            .with_current_span(true)
            .with_span_list(false)
            .try_init(),
    };
    installed.map_err(|e| Failure::Runtime(format!("cannot install the logger: {e}")))
}
