//! `hearth-fake-llm`: the fake model server as a process, for benchmarks and browser tests.
//! Serves OpenAI's API under `/v1` and Ollama's under `/api`.

use std::time::Duration;

use clap::Parser;
use hearth_fakes::{FakeConfig, FakeServer, tokens};

/// A fake OpenAI-compatible and Ollama model server.
#[derive(Debug, Parser)]
struct Args {
    /// Port on 127.0.0.1 (0 picks one; the address is printed).
    #[arg(long, default_value_t = 0)]
    port: u16,
    /// Pieces per answer.
    #[arg(long, default_value_t = 32)]
    tokens: usize,
    /// Milliseconds before the first piece.
    #[arg(long, default_value_t = 0)]
    first_token_delay_ms: u64,
    /// Milliseconds between pieces.
    #[arg(long, default_value_t = 0)]
    token_delay_ms: u64,
    /// Send `t<microseconds>` pieces stamped as they leave, for latency measurements.
    #[arg(long)]
    stamp: bool,
    /// Model ids to offer, separated by `,`.
    #[arg(long, value_delimiter = ',', default_value = "fake-model,fake-model-2")]
    models: Vec<String>,
}

#[tokio::main]
async fn main() -> std::io::Result<()> {
    let args = Args::parse();
    let config = FakeConfig {
        reply: tokens(args.tokens),
        first_token_delay: Duration::from_millis(args.first_token_delay_ms),
        token_delay: Duration::from_millis(args.token_delay_ms),
        stamp: args.stamp,
        models: args.models,
        ..FakeConfig::default()
    };
    let server = FakeServer::start(config, args.port).await?;
    #[allow(clippy::print_stdout)] // callers read the address from stdout
    {
        println!("listening http://{}", server.addr);
    }
    std::future::pending::<()>().await;
    Ok(())
}
