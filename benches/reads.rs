//! Authenticated reads against the ceiling of the same server: 32 concurrent clients for a fixed
//! time each on `GET /health` (the HTTP stack and a database ping), `GET /auth/me` (bearer lookup
//! and an account read) and `GET /communities?per_page=50` (a 50-row page, the shape of every
//! page of the web UI), then `GET /health` again; the ceiling is the mean of the two health runs.
//! Prints each rate, its p50/p99 and its ratio to the ceiling (goals: at least 0.5 for the small
//! read, 0.25 for the page), and peak RSS. Afterwards a logged-out token must be refused at once,
//! and every request of the loads must have succeeded, or the run fails.
//!
//! Run with `cargo bench --bench reads [-- SECONDS_PER_LOAD]` (default 3).

mod common;

use std::time::{Duration, Instant};

use fitreg::app::AppState;

const CLIENTS: usize = 32;
const PASSWORD: &str = "bench-password-1";

fn main() {
    common::run(bench());
}

async fn bench() {
    let seconds: f64 = std::env::args()
        .skip(1)
        .find_map(|a| a.parse().ok())
        .unwrap_or(3.0);
    let dir = tempfile::tempdir().expect("temp dir");
    let (url, conn) = common::seeded_sqlite(dir.path()).await;
    let state = AppState::new(conn, common::config(&url));
    common::bureau_account(&state, "bench-bureau", PASSWORD).await;

    let address = common::serve(state).await;
    let client = reqwest::Client::new();
    let base = format!("http://{address}/api/v1");
    let login = || common::login(&client, &base, "bench-bureau", PASSWORD);
    let token = login().await;
    let page: serde_json::Value = client
        .get(format!("{base}/communities?per_page=50"))
        .bearer_auth(&token)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let rows = page["items"].as_array().map_or(0, Vec::len);
    assert_eq!(rows, 50, "the seed has at least 50 communities: {page}");

    let duration = Duration::from_secs_f64(seconds);
    let mut failures = Vec::new();
    let run = |path: &'static str, bearer: bool| {
        let (client, base, token) = (client.clone(), base.clone(), token.clone());
        async move {
            let (load, failed) = load(
                &client,
                &format!("{base}{path}"),
                bearer.then_some(token),
                duration,
            )
            .await;
            println!(
                "GET {path}, {CLIENTS} clients for {seconds} s: {}; {} failed",
                load.summary(),
                failed.len()
            );
            (load, failed)
        }
    };
    let mut loads = Vec::new();
    for (path, bearer) in [
        ("/health", false),
        ("/auth/me", true),
        ("/communities?per_page=50", true),
        ("/health", false),
    ] {
        let (load, failed) = run(path, bearer).await;
        failures.extend(failed);
        loads.push(load);
    }
    let ceiling = (loads[0].rate() + loads[3].rate()) / 2.0;
    println!("ceiling (mean of the two GET /health runs): {ceiling:.0} req/s");
    println!(
        "GET /auth/me: ratio {:.2} (goal at least 0.50); GET /communities?per_page=50: ratio {:.2} (goal at least 0.25); peak RSS {:.0} MiB",
        loads[1].rate() / ceiling,
        loads[2].rate() / ceiling,
        common::peak_rss_mib()
    );

    // A token ended by logout is dead at once.
    let ended = login().await;
    let me = |token: String| {
        let client = client.clone();
        let url = format!("{base}/auth/me");
        async move {
            client
                .get(url)
                .bearer_auth(token)
                .send()
                .await
                .unwrap()
                .status()
                .as_u16()
        }
    };
    let before = me(ended.clone()).await;
    let logout = client
        .post(format!("{base}/auth/logout"))
        .bearer_auth(&ended)
        .send()
        .await
        .unwrap()
        .status()
        .as_u16();
    let after = me(ended).await;
    println!("a token before logout: {before}, logout: {logout}, the same token after: {after}");
    if (before, logout, after) != (200, 204, 401) {
        failures.push(format!(
            "logout did not end the token at once: {before} {logout} {after}"
        ));
    }

    if !failures.is_empty() {
        eprintln!(
            "failures (first 5): {:#?}",
            &failures[..failures.len().min(5)]
        );
        std::process::exit(1);
    }
}

/// `CLIENTS` clients sending `GET url` back to back for `duration`.
async fn load(
    client: &reqwest::Client,
    url: &str,
    token: Option<String>,
    duration: Duration,
) -> (common::Load, Vec<String>) {
    let started = Instant::now();
    let tasks: Vec<_> = (0..CLIENTS)
        .map(|_| {
            let (client, url, token) = (client.clone(), url.to_owned(), token.clone());
            tokio::spawn(async move {
                let mut latencies = Vec::new();
                let mut failures = Vec::new();
                while started.elapsed() < duration {
                    let mut request = client.get(&url);
                    if let Some(token) = &token {
                        request = request.bearer_auth(token);
                    }
                    let sent = Instant::now();
                    let reply = request.send().await;
                    let outcome = match reply {
                        Ok(r) if r.status() == 200 => {
                            r.bytes().await.map(drop).map_err(|e| e.to_string())
                        }
                        Ok(r) => Err(format!(
                            "{}: {}",
                            r.status(),
                            r.text().await.unwrap_or_default()
                        )),
                        Err(e) => Err(e.to_string()),
                    };
                    latencies.push(sent.elapsed());
                    if let Err(failure) = outcome {
                        failures.push(failure);
                    }
                }
                (latencies, failures)
            })
        })
        .collect();
    let (latencies, failures) = common::gather(tasks).await;
    (common::Load::new(latencies, started.elapsed()), failures)
}
