//! No acknowledged write is lost when the server dies under load (SIGKILL, as the OOM killer or
//! a power cut at the process would): `fitreg serve` on the embedded SQLite default (or on
//! PostgreSQL when `FITREG_TEST_POSTGRES_URL` is set) takes concurrent enrolments, is killed in
//! the middle, and after a restart every person it answered 201 for is there as answered, and
//! the audit chain verifies.

mod common;
#[path = "support/served.rs"]
mod served;

use std::{
    sync::{
        Arc, Mutex,
        atomic::{AtomicUsize, Ordering},
    },
    time::Duration,
};

use chrono::{NaiveDate, TimeDelta};
use served::Served;

const PASSWORD: &str = "durability-admin-1";
const CLIENTS: usize = 16;

fn start(dir: &std::path::Path, url: &str) -> Served {
    let mut command = served::fitreg(dir);
    command
        .env("FITREG_DATABASE_URL", url)
        .env("FITREG_ADMIN_PASSWORD", PASSWORD)
        .env("FITREG_LOG", "info");
    Served::start_with(command)
}

/// A person to enrol, unique for `n`.
fn person(n: usize, street_id: i64) -> serde_json::Value {
    let birth = NaiveDate::from_ymd_opt(1960, 1, 1).unwrap() + TimeDelta::days((n / 900) as i64);
    serde_json::json!({
        "name": format!("韧性{n}"),
        "id_number": common::id_number("450203", &birth.format("%Y%m%d").to_string(), (n % 900 + 1) as u16),
        "phone": format!("139{n:08}"),
        "street_id": street_id,
    })
}

#[test]
fn no_acknowledged_write_is_lost_when_the_server_is_killed_under_load() {
    let runtime = tokio::runtime::Runtime::new().unwrap();
    let test_db = runtime.block_on(common::TestDb::new());
    let dir = tempfile::tempdir().unwrap();
    let first = start(dir.path(), &test_db.url);
    let token = first.token("admin", PASSWORD);
    let street_id = first.get(&token, "/api/v1/streets")["items"][0]["id"]
        .as_i64()
        .expect("a street");
    let base = first.url("/api/v1");

    // 201 answers: (id, name).
    let acknowledged = Arc::new(Mutex::new(Vec::<(i64, String)>::new()));
    let refused = Arc::new(Mutex::new(Vec::<String>::new()));
    let sent = Arc::new(AtomicUsize::new(0));
    runtime.block_on(async {
        let client = reqwest::Client::new();
        let clients: Vec<_> = (0..CLIENTS)
            .map(|c| {
                let (client, base, token) = (client.clone(), base.clone(), token.clone());
                let (acknowledged, refused, sent) =
                    (acknowledged.clone(), refused.clone(), sent.clone());
                tokio::spawn(async move {
                    for k in 0.. {
                        let n = c * 100_000 + k;
                        sent.fetch_add(1, Ordering::SeqCst);
                        let reply = client
                            .post(format!("{base}/people"))
                            .bearer_auth(&token)
                            .json(&person(n, street_id))
                            .send()
                            .await;
                        // The server is gone: what was in flight was never acknowledged.
                        let Ok(reply) = reply else { break };
                        let status = reply.status();
                        let Ok(body) = reply.json::<serde_json::Value>().await else {
                            break;
                        };
                        if status == 201 {
                            let id = body["id"].as_i64().expect("an id");
                            let name = body["name"].as_str().unwrap_or_default().to_owned();
                            acknowledged.lock().unwrap().push((id, name));
                        } else {
                            refused.lock().unwrap().push(format!("{status}: {body}"));
                        }
                    }
                })
            })
            .collect();
        // Let the load run, then kill the server in the middle of it.
        while acknowledged.lock().unwrap().len() < 200 {
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
        tokio::task::spawn_blocking(move || first.kill())
            .await
            .unwrap();
        for client in clients {
            client.await.unwrap();
        }
    });
    let acknowledged = acknowledged.lock().unwrap().clone();
    let refused = refused.lock().unwrap().clone();
    assert!(refused.is_empty(), "no request was refused: {refused:#?}");
    let in_flight = sent.load(Ordering::SeqCst) - acknowledged.len();
    assert!(acknowledged.len() >= 200, "the load ran");

    let second = start(dir.path(), &test_db.url);
    let token = second.token("admin", PASSWORD);
    let base = second.url("/api/v1");
    let missing = runtime.block_on(async {
        let client = reqwest::Client::new();
        let mut missing = Vec::new();
        for (id, name) in &acknowledged {
            let reply = client
                .get(format!("{base}/people/{id}"))
                .bearer_auth(&token)
                .send()
                .await
                .unwrap();
            let status = reply.status();
            let body: serde_json::Value = reply.json().await.unwrap_or_default();
            if status != 200 || body["name"] != name.as_str() {
                missing.push(format!("{id} {name}: {status} {body}"));
            }
        }
        missing
    });
    assert!(
        missing.is_empty(),
        "{} of {} acknowledged people are lost: {:#?}",
        missing.len(),
        acknowledged.len(),
        &missing[..missing.len().min(5)]
    );
    let total = second.get(&token, "/api/v1/people?q=韧性&per_page=1")["total"]
        .as_u64()
        .unwrap() as usize;
    assert!(
        (acknowledged.len()..=acknowledged.len() + in_flight).contains(&total),
        "{total} people: the {} acknowledged, and at most the {in_flight} in flight",
        acknowledged.len()
    );
    let verified = second.get(&token, "/api/v1/audit-log/verify");
    assert_eq!(verified["intact"], true, "{verified}");
    second.stop();
}
