//! What the HTTP benchmarks share: a configuration for a database URL and the real application
//! served on a loopback port.

// Each benchmark compiles this module for itself and uses only some of it.
#![allow(dead_code)]

use std::{net::SocketAddr, path::Path};

use chrono::Utc;
use fitreg::{
    app::{AppState, build_app},
    config::Config,
    db,
    domain::account::Role,
    entities::account,
    services::seed,
};
use poem::{
    Server,
    listener::{Acceptor, Listener, TcpListener},
};
use sea_orm::{ActiveValue::Set, DatabaseConnection, EntityTrait};

/// Runs a benchmark's `main` with the allocator tuned as `fitreg serve` tunes it, before the
/// runtime starts its threads.
pub fn run<F: std::future::Future>(bench: F) -> F::Output {
    fitreg::memory::tune_allocator();
    tokio::runtime::Runtime::new()
        .expect("the async runtime")
        .block_on(bench)
}

/// The default configuration, pointed at `url`.
pub fn config(url: &str) -> Config {
    use clap::Parser;
    #[derive(Parser)]
    struct Args {
        #[command(flatten)]
        config: Config,
    }
    let mut config = Args::parse_from(["fitreg"]).config;
    config.database_url = url.to_owned();
    config
}

/// A SQLite file `bench.db` in `dir`, migrated and seeded: its URL and a connection to it.
pub async fn seeded_sqlite(dir: &Path) -> (String, DatabaseConnection) {
    let url = format!("sqlite://{}", dir.join("bench.db").display());
    let conn = db::connect(&url).await.expect("connect");
    db::migrate(&conn).await.expect("migrate");
    seed::run(&conn, None).await.expect("seed");
    (url, conn)
}

/// Adds a bureau account `username` with `password`.
pub async fn bureau_account(state: &AppState, username: &str, password: &str) {
    let now = Utc::now();
    account::Entity::insert(account::ActiveModel {
        username: Set(username.into()),
        role: Set(Role::BureauAdmin),
        password_hash: Set(Some(state.hasher.hash(password).await.unwrap())),
        disabled: Set(false),
        version: Set(1),
        created_at: Set(now),
        updated_at: Set(now),
        ..Default::default()
    })
    .exec(&state.db)
    .await
    .unwrap();
}

/// Logs in through `POST {base}/auth/login` and returns the bearer token.
pub async fn login(client: &reqwest::Client, base: &str, username: &str, password: &str) -> String {
    let reply: serde_json::Value = client
        .post(format!("{base}/auth/login"))
        .json(&serde_json::json!({"username": username, "password": password}))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    reply["token"].as_str().expect("a token").to_owned()
}

/// The latencies and failures of client tasks, joined.
pub async fn gather(
    tasks: Vec<tokio::task::JoinHandle<(Vec<std::time::Duration>, Vec<String>)>>,
) -> (Vec<std::time::Duration>, Vec<String>) {
    let mut latencies = Vec::new();
    let mut failures = Vec::new();
    for task in tasks {
        let (l, f) = task.await.unwrap();
        latencies.extend(l);
        failures.extend(f);
    }
    (latencies, failures)
}

/// Serves the application on a free loopback port until the process ends.
pub async fn serve(state: AppState) -> SocketAddr {
    let acceptor = TcpListener::bind("127.0.0.1:0")
        .into_acceptor()
        .await
        .expect("bind a loopback port");
    let address = *acceptor.local_addr()[0]
        .as_socket_addr()
        .expect("a socket address");
    tokio::spawn(async move {
        let _ = Server::new_with_acceptor(acceptor)
            .run(build_app(state))
            .await;
    });
    address
}

/// Latencies of one load, summarised.
pub struct Load {
    pub requests: usize,
    pub elapsed: std::time::Duration,
    latencies: Vec<std::time::Duration>,
}

impl Load {
    pub fn new(mut latencies: Vec<std::time::Duration>, elapsed: std::time::Duration) -> Self {
        latencies.sort();
        Self {
            requests: latencies.len(),
            elapsed,
            latencies,
        }
    }

    pub fn rate(&self) -> f64 {
        self.requests as f64 / self.elapsed.as_secs_f64()
    }

    /// The `p`-quantile latency in milliseconds.
    pub fn ms(&self, p: f64) -> f64 {
        let Some(last) = self.latencies.len().checked_sub(1) else {
            return 0.0;
        };
        let at = ((self.latencies.len() as f64 * p) as usize).min(last);
        self.latencies[at].as_secs_f64() * 1000.0
    }

    /// "N requests in S s = R req/s; p50 X ms, p99 Y ms".
    pub fn summary(&self) -> String {
        format!(
            "{} requests in {:.2} s = {:.0} req/s; p50 {:.1} ms, p99 {:.1} ms",
            self.requests,
            self.elapsed.as_secs_f64(),
            self.rate(),
            self.ms(0.50),
            self.ms(0.99)
        )
    }
}

/// The process's peak resident set so far (`VmHWM` in `/proc/self/status`), in MiB.
pub fn peak_rss_mib() -> f64 {
    status_mib("VmHWM:")
}

/// The process's resident set now (`VmRSS`), in MiB.
pub fn rss_mib() -> f64 {
    status_mib("VmRSS:")
}

/// The resident set now split into anonymous memory and mapped files (`RssAnon`, `RssFile`: a
/// SQLite database read through `mmap` counts here), in MiB.
pub fn rss_split_mib() -> (f64, f64) {
    (status_mib("RssAnon:"), status_mib("RssFile:"))
}

/// Starts the peak over again from the resident set now (Linux: `5` to `/proc/self/clear_refs`),
/// so that [`peak_rss_mib`] tells the peak of what follows.
pub fn reset_peak_rss() {
    let _ = std::fs::write("/proc/self/clear_refs", "5");
}

fn status_mib(field: &str) -> f64 {
    std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|status| {
            status
                .lines()
                .find(|l| l.starts_with(field))
                .and_then(|l| l.split_whitespace().nth(1))
                .and_then(|kb| kb.parse::<f64>().ok())
        })
        .map_or(0.0, |kb| kb / 1024.0)
}
