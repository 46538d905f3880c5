//! Drives `POST /api/v1/service-sessions` over HTTP with 32 concurrent clients (one member each)
//! against the real server on a SQLite file, and reports requests per second and p50/p99 latency,
//! beside the rate of plain single-row inserts of the same row into the same database. Every
//! request must succeed: a "database is locked" or "busy" error fails the run.
//!
//! Run with `cargo bench --bench sessions [-- REQUESTS_PER_CLIENT]` (default 100).

mod common;

use std::time::Instant;

use chrono::{TimeDelta, Utc};
use fitreg::{
    app::AppState,
    domain::{
        account::Role,
        person::{
            Employment, Gender, PersonStatus, QualificationKind, QualificationStatus, SessionStatus,
        },
    },
    entities::{account, community, person, qualification, service_session},
};
use sea_orm::{ActiveModelTrait, ActiveValue::Set, EntityTrait};

const CLIENTS: usize = 32;
const PASSWORD: &str = "bench-password-1";

fn main() {
    common::run(bench());
}

async fn bench() {
    let per_client: usize = std::env::args()
        .skip(1)
        .find_map(|a| a.parse().ok())
        .unwrap_or(100);
    let dir = tempfile::tempdir().expect("temp dir");
    let (url, conn) = common::seeded_sqlite(dir.path()).await;
    let community = community::Entity::find().one(&conn).await.unwrap().unwrap();

    let state = AppState::new(conn.clone(), common::config(&url));
    let hash = state.hasher.hash(PASSWORD).await.unwrap();
    let now = Utc::now();
    let mut usernames = Vec::new();
    for i in 0..CLIENTS {
        let p = person::ActiveModel {
            name: Set(format!("压测{i}")),
            gender: Set(Gender::Male),
            birth_date: Set(chrono::NaiveDate::from_ymd_opt(1980, 1, 1).unwrap()),
            id_number: Set(format!("{i:018}")),
            phone: Set(format!("139{i:08}")),
            street_id: Set(community.street_id),
            status: Set(PersonStatus::Active),
            version: Set(1),
            created_at: Set(now),
            updated_at: Set(now),
            ..Default::default()
        }
        .insert(&conn)
        .await
        .unwrap();
        qualification::ActiveModel {
            person_id: Set(p.id),
            kind: Set(QualificationKind::FitnessVolunteer),
            certified_on: Set(chrono::NaiveDate::from_ymd_opt(2020, 1, 1).unwrap()),
            status: Set(QualificationStatus::Active),
            employment: Set(None::<Employment>),
            version: Set(1),
            created_at: Set(now),
            updated_at: Set(now),
            ..Default::default()
        }
        .insert(&conn)
        .await
        .unwrap();
        let username = format!("bench-member-{i}");
        account::ActiveModel {
            username: Set(username.clone()),
            role: Set(Role::Member),
            person_id: Set(Some(p.id)),
            street_id: Set(Some(community.street_id)),
            password_hash: Set(Some(hash.clone())),
            disabled: Set(false),
            version: Set(1),
            created_at: Set(now),
            updated_at: Set(now),
            ..Default::default()
        }
        .insert(&conn)
        .await
        .unwrap();
        usernames.push(username);
    }

    let address = common::serve(state).await;
    let client = reqwest::Client::new();
    let base = format!("http://{address}/api/v1");
    let mut tokens = Vec::new();
    for username in &usernames {
        tokens.push(common::login(&client, &base, username, PASSWORD).await);
    }

    // Each client logs consecutive 10-minute sessions of its own person over the last days.
    let started = Instant::now();
    let tasks: Vec<_> = tokens
        .into_iter()
        .map(|token| {
            let client = client.clone();
            let base = base.clone();
            let community_id = community.id;
            tokio::spawn(async move {
                let mut latencies = Vec::with_capacity(per_client);
                let mut failures = Vec::new();
                let first = Utc::now() - TimeDelta::days(20);
                for n in 0..per_client {
                    let start = first + TimeDelta::minutes(10 * n as i64);
                    let body = serde_json::json!({"community_id": community_id, "started_at": start,
                        "ended_at": start + TimeDelta::minutes(10), "activity": "square_dance", "participants": 10});
                    let sent = Instant::now();
                    let reply = client.post(format!("{base}/service-sessions")).bearer_auth(&token).json(&body).send().await;
                    latencies.push(sent.elapsed());
                    match reply {
                        Ok(r) if r.status() == 201 => {}
                        Ok(r) => failures.push(format!("{}: {}", r.status(), r.text().await.unwrap_or_default())),
                        Err(e) => failures.push(e.to_string()),
                    }
                }
                (latencies, failures)
            })
        })
        .collect();
    let (latencies, failures) = common::gather(tasks).await;
    let load = common::Load::new(latencies, started.elapsed());
    println!(
        "POST /service-sessions, {CLIENTS} clients x {per_client}: {}; {} failed",
        load.summary(),
        failures.len()
    );

    // The floor: the same row inserted directly, one transaction each.
    let inserts = 2000;
    let person = person::Entity::find().one(&conn).await.unwrap().unwrap();
    let started = Instant::now();
    for n in 0..inserts {
        let start = Utc::now() - TimeDelta::days(400) + TimeDelta::minutes(10 * n as i64);
        service_session::ActiveModel {
            person_id: Set(person.id),
            community_id: Set(community.id),
            started_at: Set(start),
            ended_at: Set(Some(start + TimeDelta::minutes(10))),
            activity: Set("square_dance".into()),
            participants: Set(10),
            description: Set(String::new()),
            status: Set(SessionStatus::Pending),
            quarters: Set(0),
            source: Set("self".into()),
            needs_attention: Set(false),
            version: Set(1),
            created_at: Set(Utc::now()),
            updated_at: Set(Utc::now()),
            ..Default::default()
        }
        .insert(&conn)
        .await
        .unwrap();
    }
    let elapsed = started.elapsed();
    let floor = inserts as f64 / elapsed.as_secs_f64();
    println!(
        "plain single-row inserts of the same row (same file, WAL, synchronous=NORMAL): {inserts} in {:.2} s = {floor:.0} rows/s",
        elapsed.as_secs_f64(),
    );
    println!(
        "ratio {:.2} (goal at least 0.33); p99 {:.1} ms (goal under 20); peak RSS {:.0} MiB",
        load.rate() / floor,
        load.ms(0.99),
        common::peak_rss_mib()
    );
    if !failures.is_empty() {
        eprintln!(
            "failures (first 5): {:#?}",
            &failures[..failures.len().min(5)]
        );
        std::process::exit(1);
    }
}
