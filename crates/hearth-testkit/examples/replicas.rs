//! Starts a scaled-out Hearth by hand (`scripts/replicas.sh`): three `hearth serve` replicas and a
//! `hearth worker` on PostgreSQL with pgvector, a Redis of their own and S3, as the scale-out tests
//! run it; prints where everything is and holds until Ctrl-C, when every process stops.
#![allow(clippy::print_stdout)] // the addresses are this tool's output

use hearth_testkit::deployment::{Deployment, DeploymentOptions};

#[tokio::main]
async fn main() {
    let binary = std::env::args()
        .nth(1)
        .expect("usage: replicas <path of the hearth binary>");
    let deployment = Deployment::start(binary.as_ref(), DeploymentOptions::default()).await;
    for (i, url) in deployment.urls.iter().enumerate() {
        println!("replica {i}: {url}");
    }
    for (i, (_, url)) in deployment.workers.iter().enumerate() {
        println!("worker {i}:  {url} (probes)");
    }
    println!("database:  {}", deployment.database.url);
    println!("redis:     {}", deployment.redis.url());
    println!("Ctrl-C stops them all.");
    let _ = tokio::signal::ctrl_c().await;
}
