//! A scaled-out Hearth made of real processes, for tests and benchmarks: N `hearth serve`
//! replicas and `hearth worker`s sharing one PostgreSQL database with pgvector, a Redis server of
//! the deployment's own (so a test may stop and restart it without disturbing others) and the S3
//! server, each process on its own port, configured only through the environment as operators
//! do. `scripts/replicas.sh` starts one by hand.

use std::path::{Path, PathBuf};
use std::process::Stdio;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use tokio::io::{AsyncBufReadExt, AsyncReadExt, AsyncWriteExt, BufReader};
use tokio::process::{Child, Command};
use tokio::sync::mpsc;

use crate::{TestDatabase, eventually_within, s3_storage, unique_prefix};

/// The secret every replica of a deployment shares.
pub const SHARED_SECRET: &str = "replicas-shared-secret-0123456789-abcdefgh";

/// How long a process may take to print a line a test waits for.
const WAIT: Duration = Duration::from_secs(60);

/// A port nothing listens on right now.
pub fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|listener| listener.local_addr())
        .map(|addr| addr.port())
        .expect("a free port")
}

/// A free port whose cluster-bus companion (the port + 10,000, which Redis Cluster nodes also
/// listen on) is free and exists.
fn cluster_port() -> u16 {
    for _ in 0..1_000 {
        let port = free_port();
        if port < 55_000 && std::net::TcpListener::bind(("127.0.0.1", port + 10_000)).is_ok() {
            return port;
        }
    }
    panic!("no free port pair for a Redis Cluster node");
}

/// A Redis server of one test's own, on a port of its own, without persistence.
#[derive(Debug)]
pub struct RedisServer {
    port: u16,
    dir: tempfile::TempDir,
    child: Option<std::process::Child>,
}

impl RedisServer {
    /// Starts `redis-server` and waits until it answers.
    pub async fn start() -> Self {
        let mut server = Self {
            port: free_port(),
            dir: tempfile::tempdir().expect("temporary directory"),
            child: None,
        };
        server.resume().await;
        server
    }

    /// `redis://127.0.0.1:<port>`.
    pub fn url(&self) -> String {
        format!("redis://127.0.0.1:{}", self.port)
    }

    /// Kills the server (its data goes with it, as with a Redis without persistence).
    pub fn stop(&mut self) {
        if let Some(mut child) = self.child.take() {
            let _ = child.kill();
            let _ = child.wait();
        }
    }

    /// Starts the server again on the same port and waits until it answers.
    pub async fn resume(&mut self) {
        self.launch(&[]).await;
    }

    async fn launch(&mut self, extra: &[&str]) {
        let child = std::process::Command::new("redis-server")
            .args(["--port", &self.port.to_string(), "--bind", "127.0.0.1"])
            .args(["--save", "", "--appendonly", "no"])
            .arg("--dir")
            .arg(self.dir.path())
            .args(extra)
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("redis-server is installed (apt-get install redis-server)");
        self.child = Some(child);
        let port = self.port;
        eventually_within("redis-server to answer", WAIT, || ping(port)).await;
    }

    /// The port it listens on.
    pub fn port(&self) -> u16 {
        self.port
    }
}

/// A Redis that speaks only TLS (`rediss://`), with a certificate for `localhost` signed by a CA
/// of its own: clients trust it through `SSL_CERT_FILE` (read by rustls-native-certs).
#[derive(Debug)]
pub struct RedisTls {
    server: RedisServer,
    ca: PathBuf,
}

impl RedisTls {
    /// Makes the CA and certificate with `openssl`, starts the server and waits until it answers.
    pub async fn start() -> Self {
        let mut server = RedisServer {
            port: free_port(),
            dir: tempfile::tempdir().expect("temporary directory"),
            child: None,
        };
        let dir = server.dir.path().to_owned();
        let openssl = |args: &[&str]| {
            let status = std::process::Command::new("openssl")
                .args(args)
                .current_dir(&dir)
                .stdout(Stdio::null())
                .stderr(Stdio::null())
                .status()
                .expect("openssl is installed");
            assert!(status.success(), "openssl {args:?} failed");
        };
        openssl(&[
            "req",
            "-x509",
            "-newkey",
            "rsa:2048",
            "-nodes",
            "-days",
            "2",
            "-subj",
            "/CN=test CA",
            "-keyout",
            "ca.key",
            "-out",
            "ca.pem",
        ]);
        openssl(&[
            "req",
            "-newkey",
            "rsa:2048",
            "-nodes",
            "-subj",
            "/CN=localhost",
            "-keyout",
            "redis.key",
            "-out",
            "redis.csr",
        ]);
        std::fs::write(dir.join("san.ext"), "subjectAltName=DNS:localhost\n").expect("write");
        openssl(&[
            "x509",
            "-req",
            "-in",
            "redis.csr",
            "-CA",
            "ca.pem",
            "-CAkey",
            "ca.key",
            "-CAcreateserial",
            "-days",
            "2",
            "-extfile",
            "san.ext",
            "-out",
            "redis.pem",
        ]);
        let port = server.port.to_string();
        let child = std::process::Command::new("redis-server")
            .args(["--port", "0", "--tls-port", &port, "--bind", "127.0.0.1"])
            .args([
                "--save",
                "",
                "--appendonly",
                "no",
                "--tls-auth-clients",
                "no",
            ])
            .args([
                "--tls-cert-file",
                "redis.pem",
                "--tls-key-file",
                "redis.key",
            ])
            .args(["--tls-ca-cert-file", "ca.pem", "--dir"])
            .arg(&dir)
            .current_dir(&dir)
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("redis-server is installed");
        server.child = Some(child);
        let ca = dir.join("ca.pem");
        eventually_within("the TLS Redis to answer", WAIT, || {
            let (port, ca) = (port.clone(), ca.clone());
            async move {
                Command::new("redis-cli")
                    .args(["--tls", "--cacert"])
                    .arg(&ca)
                    .args(["-h", "localhost", "-p", &port, "ping"])
                    .output()
                    .await
                    .is_ok_and(|o| String::from_utf8_lossy(&o.stdout).contains("PONG"))
            }
        })
        .await;
        Self { server, ca }
    }

    /// `rediss://localhost:<port>`.
    pub fn url(&self) -> String {
        format!("rediss://localhost:{}", self.server.port)
    }

    /// The CA certificate, for `SSL_CERT_FILE`.
    pub fn ca_file(&self) -> &Path {
        &self.ca
    }
}

/// A Redis behind one Sentinel that monitors it as `mymaster`.
#[derive(Debug)]
pub struct RedisSentinel {
    /// The monitored server.
    pub primary: RedisServer,
    sentinel: RedisServer,
}

impl RedisSentinel {
    /// Starts a server and a sentinel watching it, and waits until the sentinel knows it.
    pub async fn start() -> Self {
        let primary = RedisServer::start().await;
        let mut sentinel = RedisServer {
            port: free_port(),
            dir: tempfile::tempdir().expect("temporary directory"),
            child: None,
        };
        let config = sentinel.dir.path().join("sentinel.conf");
        std::fs::write(
            &config,
            format!(
                "port {}\nbind 127.0.0.1\nsentinel monitor mymaster 127.0.0.1 {} 1\n",
                sentinel.port,
                primary.port()
            ),
        )
        .expect("write sentinel.conf");
        let child = std::process::Command::new("redis-server")
            .arg(&config)
            .arg("--sentinel")
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("redis-server runs as a sentinel");
        sentinel.child = Some(child);
        let port = sentinel.port;
        eventually_within("the sentinel to answer", WAIT, || ping(port)).await;
        Self { primary, sentinel }
    }

    /// `REDIS_URL` (the service's name as its host) and `REDIS_SENTINEL_HOSTS`.
    pub fn settings(&self) -> (String, Vec<String>) {
        (
            "redis://mymaster/0".to_owned(),
            vec![format!("127.0.0.1:{}", self.sentinel.port)],
        )
    }
}

/// A Redis Cluster of three primaries (no replicas), slots spread by `redis-cli --cluster create`.
#[derive(Debug)]
pub struct RedisCluster {
    nodes: Vec<RedisServer>,
}

impl RedisCluster {
    /// Starts three nodes, joins them and waits until the cluster serves every slot.
    pub async fn start() -> Self {
        let mut nodes = Vec::new();
        for _ in 0..3 {
            let mut node = RedisServer {
                port: cluster_port(),
                dir: tempfile::tempdir().expect("temporary directory"),
                child: None,
            };
            node.launch(&["--cluster-enabled", "yes"]).await;
            nodes.push(node);
        }
        let addresses: Vec<String> = nodes
            .iter()
            .map(|n| format!("127.0.0.1:{}", n.port))
            .collect();
        // `redis-cli` waits for the nodes to join without a limit of its own.
        let create = Command::new("redis-cli")
            .arg("--cluster")
            .arg("create")
            .args(&addresses)
            .arg("--cluster-yes")
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .kill_on_drop(true)
            .status();
        let created = tokio::time::timeout(WAIT, create)
            .await
            .expect("the cluster forms within a minute")
            .expect("redis-cli is installed");
        assert!(created.success(), "redis-cli --cluster create failed");
        for node in &nodes {
            let port = node.port.to_string();
            eventually_within("the cluster to serve every slot", WAIT, || {
                let port = port.clone();
                async move {
                    Command::new("redis-cli")
                        .args(["-p", &port, "cluster", "info"])
                        .output()
                        .await
                        .is_ok_and(|o| {
                            String::from_utf8_lossy(&o.stdout).contains("cluster_state:ok")
                        })
                }
            })
            .await;
        }
        Self { nodes }
    }

    /// `REDIS_URL` of one node (with `REDIS_CLUSTER=true`).
    pub fn url(&self) -> String {
        self.nodes[0].url()
    }
}

impl Drop for RedisServer {
    fn drop(&mut self) {
        self.stop();
    }
}

/// Whether a Redis on `port` answers `PING`.
async fn ping(port: u16) -> bool {
    let Ok(mut stream) = tokio::net::TcpStream::connect(("127.0.0.1", port)).await else {
        return false;
    };
    let mut answer = [0u8; 7];
    stream.write_all(b"PING\r\n").await.is_ok()
        && stream.read_exact(&mut answer).await.is_ok()
        && &answer == b"+PONG\r\n"
}

/// A running `hearth` process whose output lines are collected.
#[derive(Debug)]
pub struct Process {
    /// The process itself, for waiting on it or signalling it.
    pub child: Child,
    lines: mpsc::UnboundedReceiver<String>,
    log: Arc<Mutex<Vec<String>>>,
}

impl Process {
    /// Starts `binary` with `args` and exactly the environment `env`.
    pub fn spawn<K: AsRef<str>, V: AsRef<str>>(
        binary: &Path,
        args: &[&str],
        env: &[(K, V)],
        dir: &Path,
    ) -> Self {
        let mut command = Command::new(binary);
        command
            .args(args)
            .current_dir(dir)
            .env_clear()
            .envs(env.iter().map(|(k, v)| (k.as_ref(), v.as_ref())))
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .kill_on_drop(true);
        let mut child = command.spawn().expect("hearth starts");
        let (tx, lines) = mpsc::unbounded_channel();
        let log = Arc::new(Mutex::new(Vec::new()));
        let streams: [Box<dyn tokio::io::AsyncRead + Unpin + Send>; 2] = [
            Box::new(child.stdout.take().expect("piped stdout")),
            Box::new(child.stderr.take().expect("piped stderr")),
        ];
        for stream in streams {
            let (tx, log) = (tx.clone(), log.clone());
            tokio::spawn(async move {
                let mut reader = BufReader::new(stream).lines();
                while let Ok(Some(line)) = reader.next_line().await {
                    log.lock().expect("log lock").push(line.clone());
                    let _ = tx.send(line);
                }
            });
        }
        Self { child, lines, log }
    }

    /// Waits for a line containing `needle` and returns it.
    pub async fn wait_for(&mut self, needle: &str) -> String {
        let deadline = tokio::time::Instant::now() + WAIT;
        loop {
            let line = match tokio::time::timeout_at(deadline, self.lines.recv()).await {
                Ok(Some(line)) => line,
                Ok(None) => panic!(
                    "hearth exited before printing {needle:?}; output:\n{}",
                    self.output()
                ),
                Err(_) => panic!("no line containing {needle:?}; output:\n{}", self.output()),
            };
            if line.contains(needle) {
                return line;
            }
        }
    }

    /// Waits for the "listening" line and returns the base URL.
    pub async fn base_url(&mut self) -> String {
        let line = self.wait_for("listening").await;
        let start = line.find("http://").expect("an address");
        line[start..]
            .split(|c: char| c.is_whitespace() || c == '"')
            .next()
            .unwrap_or_default()
            .to_owned()
    }

    /// Everything the process printed so far.
    pub fn output(&self) -> String {
        self.log.lock().expect("log lock").join("\n")
    }

    /// Its process id.
    pub fn pid(&self) -> u32 {
        self.child.id().expect("running")
    }

    /// SIGTERM, and waits (at most [`WAIT`]) for it to exit.
    pub async fn terminate(&mut self) -> std::process::ExitStatus {
        let status = std::process::Command::new("kill")
            .args(["-TERM", &self.pid().to_string()])
            .status()
            .expect("kill runs");
        assert!(status.success());
        tokio::time::timeout(WAIT, self.child.wait())
            .await
            .expect("exits after SIGTERM")
            .expect("waits")
    }

    /// Whether the process is still running.
    pub fn is_running(&mut self) -> bool {
        matches!(self.child.try_wait(), Ok(None))
    }

    /// `kill -9`, and waits until it is gone.
    pub async fn kill(&mut self) {
        let _ = self.child.kill().await;
    }
}

/// What to start.
#[derive(Clone, Debug)]
pub struct DeploymentOptions {
    /// `hearth serve` processes (without in-process workers).
    pub replicas: usize,
    /// `hearth worker` processes.
    pub workers: usize,
    /// More environment for every process (model servers, embedding engine …).
    pub env: Vec<(String, String)>,
}

impl Default for DeploymentOptions {
    fn default() -> Self {
        Self {
            replicas: 3,
            workers: 1,
            env: Vec::new(),
        }
    }
}

/// A running deployment.
#[derive(Debug)]
pub struct Deployment {
    binary: PathBuf,
    dir: tempfile::TempDir,
    env: Vec<(String, String)>,
    /// The one database (with pgvector).
    pub database: TestDatabase,
    /// The deployment's Redis.
    pub redis: RedisServer,
    /// The `hearth serve` replicas, in order.
    pub replicas: Vec<Process>,
    /// Their base URLs, by the same index.
    pub urls: Vec<String>,
    /// The `hearth worker` processes and their base URLs (probes).
    pub workers: Vec<(Process, String)>,
}

impl Deployment {
    /// Starts every process at once on an empty database and waits until each is ready.
    pub async fn start(binary: &Path, options: DeploymentOptions) -> Self {
        let database = TestDatabase::create_with_pgvector().await;
        let redis = RedisServer::start().await;
        let dir = tempfile::tempdir().expect("temporary directory");
        let storage = s3_storage();
        let text = |value: &Option<String>| value.clone().unwrap_or_default();
        let mut env: Vec<(String, String)> = [
            ("HOST", "127.0.0.1".to_owned()),
            ("PORT", "0".to_owned()),
            ("LOG_LEVEL", "info".to_owned()),
            ("DATABASE_URL", database.url.clone()),
            ("HEARTH_SECRET_KEY", SHARED_SECRET.to_owned()),
            ("HEARTH_INLINE_WORKER", "false".to_owned()),
            ("REDIS_URL", redis.url()),
            ("REDIS_KEY_PREFIX", unique_prefix()),
            ("WEBSOCKET_MANAGER", "redis".to_owned()),
            ("JOB_POLL_INTERVAL", "50ms".to_owned()),
            ("VECTOR_DB", "pgvector".to_owned()),
            ("STORAGE_PROVIDER", "s3".to_owned()),
            ("S3_BUCKET_NAME", text(&storage.s3_bucket_name)),
            ("S3_REGION_NAME", text(&storage.s3_region_name)),
            ("S3_ENDPOINT_URL", text(&storage.s3_endpoint_url)),
            ("S3_ACCESS_KEY_ID", text(&storage.s3_access_key_id)),
            (
                "S3_SECRET_ACCESS_KEY",
                storage
                    .s3_secret_access_key
                    .as_ref()
                    .map(|s| s.expose().to_owned())
                    .unwrap_or_default(),
            ),
            ("S3_KEY_PREFIX", text(&storage.s3_key_prefix)),
        ]
        .into_iter()
        .map(|(name, value)| (name.to_owned(), value))
        .collect();
        env.extend(options.env);
        let mut deployment = Self {
            binary: binary.to_owned(),
            dir,
            env,
            database,
            redis,
            replicas: Vec::new(),
            urls: Vec::new(),
            workers: Vec::new(),
        };
        let mut replicas: Vec<Process> = (0..options.replicas)
            .map(|i| deployment.spawn(&["serve"], &format!("replica-{i}")))
            .collect();
        let mut workers: Vec<Process> = (0..options.workers)
            .map(|i| deployment.spawn(&["worker"], &format!("worker-{i}")))
            .collect();
        for replica in &mut replicas {
            deployment.urls.push(replica.base_url().await);
        }
        for mut worker in workers.drain(..) {
            let url = worker.base_url().await;
            deployment.workers.push((worker, url));
        }
        deployment.replicas = replicas;
        let client = crate::http_client();
        let mut probes = deployment.urls.clone();
        probes.extend(deployment.workers.iter().map(|(_, url)| url.clone()));
        for url in probes {
            let client = client.clone();
            eventually_within("every process to be ready", WAIT, || {
                let (client, url) = (client.clone(), url.clone());
                async move {
                    client
                        .get(format!("{url}/ready"))
                        .send()
                        .await
                        .is_ok_and(|r| r.status().is_success())
                }
            })
            .await;
        }
        deployment
    }

    fn spawn(&self, args: &[&str], name: &str) -> Process {
        let data_dir = self.dir.path().join(name);
        std::fs::create_dir_all(&data_dir).expect("a data directory");
        let mut env = self.env.clone();
        env.push(("DATA_DIR".into(), data_dir.display().to_string()));
        Process::spawn(&self.binary, args, &env, self.dir.path())
    }

    /// The environment every process of the deployment runs with (but `DATA_DIR`), for running
    /// another `hearth` command against it.
    pub fn env(&self) -> &[(String, String)] {
        &self.env
    }

    /// The base URL of replica `i`.
    pub fn url(&self, i: usize) -> &str {
        &self.urls[i]
    }

    /// `kill -9` of replica `i`.
    pub async fn kill_replica(&mut self, i: usize) {
        self.replicas[i].kill().await;
    }

    /// Starts replica `i` again (on a new port) and waits for it to listen.
    pub async fn restart_replica(&mut self, i: usize) {
        self.replicas[i].kill().await;
        let mut replica = self.spawn(&["serve"], &format!("replica-{i}"));
        self.urls[i] = replica.base_url().await;
        self.replicas[i] = replica;
    }

    /// Every process's output, labelled, for a failing test's message.
    pub fn output(&self) -> String {
        let replicas = self
            .replicas
            .iter()
            .enumerate()
            .map(|(i, p)| format!("--- replica {i}\n{}", p.output()));
        let workers = self
            .workers
            .iter()
            .enumerate()
            .map(|(i, (p, _))| format!("--- worker {i}\n{}", p.output()));
        replicas.chain(workers).collect::<Vec<_>>().join("\n")
    }
}
