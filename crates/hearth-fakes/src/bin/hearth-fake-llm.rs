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
    /// Answer with this file's text instead, one piece per word (keeping its spacing), so a browser
    /// test can stream Markdown with a code block.
    #[arg(long)]
    reply_file: Option<std::path::PathBuf>,
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
    let reply = match &args.reply_file {
        Some(path) => words(&std::fs::read_to_string(path)?),
        None => tokens(args.tokens),
    };
    let config = FakeConfig {
        reply,
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

/// `text` in pieces that each end after a run of whitespace, so the pieces concatenate to `text`.
fn words(text: &str) -> Vec<String> {
    let mut pieces = Vec::new();
    let mut piece = String::new();
    let mut in_space = false;
    for c in text.chars() {
        if in_space && !c.is_whitespace() {
            pieces.push(std::mem::take(&mut piece));
        }
        in_space = c.is_whitespace();
        piece.push(c);
    }
    if !piece.is_empty() {
        pieces.push(piece);
    }
    pieces
}

#[cfg(test)]
mod tests {
    use super::words;

    #[test]
    fn words_concatenate_to_the_text() {
        let text = "# Title\n\n```rust\nfn main() {}\n```\n";
        let pieces = words(text);
        assert_eq!(pieces.concat(), text);
        assert_eq!(pieces[0], "# ");
        assert!(pieces.len() > 4);
    }
}
