//! An enrolment rush: 32 concurrent clients (bureau sessions) enrol twice as many people as a
//! course has seats over HTTP against the real server on a SQLite file. Reports requests per
//! second and p50/p99 latency, and fails unless exactly `capacity` enrolments succeed and every
//! other answer is a 409 "full".
//!
//! Run with `cargo bench --bench enrollments [-- SEATS]` (default 2000).

mod common;

use std::time::{Duration, Instant};

use chrono::{NaiveDate, Utc};
use fitreg::{
    app::AppState,
    domain::person::{Gender, PersonStatus},
    entities::{person, street},
};
use sea_orm::{ActiveValue::Set, EntityTrait};

const CLIENTS: usize = 32;
const PASSWORD: &str = "bench-password-1";

fn main() {
    common::run(bench());
}

async fn bench() {
    let seats: usize = std::env::args()
        .skip(1)
        .find_map(|a| a.parse().ok())
        .unwrap_or(2000);
    let people = seats * 2;
    let dir = tempfile::tempdir().expect("temp dir");
    let (url, conn) = common::seeded_sqlite(dir.path()).await;
    let street_id = street::Entity::find().one(&conn).await.unwrap().unwrap().id;

    let state = AppState::new(conn.clone(), common::config(&url));
    common::bureau_account(&state, "bench-bureau", PASSWORD).await;
    let now = Utc::now();
    let rows: Vec<person::ActiveModel> = (0..people)
        .map(|i| person::ActiveModel {
            name: Set(format!("学员{i}")),
            gender: Set(Gender::Female),
            birth_date: Set(NaiveDate::from_ymd_opt(1985, 1, 1).unwrap()),
            id_number: Set(format!("{i:018}")),
            phone: Set(format!("139{i:08}")),
            street_id: Set(street_id),
            status: Set(PersonStatus::Active),
            version: Set(1),
            created_at: Set(now),
            updated_at: Set(now),
            ..Default::default()
        })
        .collect();
    for chunk in rows.chunks(500) {
        person::Entity::insert_many(chunk.to_vec())
            .exec(&conn)
            .await
            .unwrap();
    }
    let ids: Vec<i32> = person::Entity::find()
        .all(&conn)
        .await
        .unwrap()
        .into_iter()
        .map(|p| p.id)
        .collect();

    let address = common::serve(state).await;
    let client = reqwest::Client::new();
    let base = format!("http://{address}/api/v1");
    let token = common::login(&client, &base, "bench-bureau", PASSWORD).await;
    let course: serde_json::Value = client
        .post(format!("{base}/courses"))
        .bearer_auth(&token)
        .json(
            &serde_json::json!({"title": "压测培训班", "kind": "certification",
            "target_role": "social_sports_instructor", "target_grade": "third",
            "organizer": "区文体新局", "location": "全民健身中心", "starts_on": "2027-01-10",
            "ends_on": "2027-01-12", "hours": 30, "capacity": seats, "status": "open"}),
        )
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let path = format!("{base}/courses/{}/enrollments", course["id"]);

    let started = Instant::now();
    let tasks: Vec<_> = (0..CLIENTS)
        .map(|c| {
            let mine: Vec<i32> = ids.iter().copied().skip(c).step_by(CLIENTS).collect();
            let (client, token, path) = (client.clone(), token.clone(), path.clone());
            tokio::spawn(async move {
                let mut answers = Vec::with_capacity(mine.len());
                for person_id in mine {
                    let sent = Instant::now();
                    let reply = client
                        .post(&path)
                        .bearer_auth(&token)
                        .json(&serde_json::json!({"person_id": person_id}))
                        .send()
                        .await;
                    let status = match reply {
                        Ok(r) => r.status().as_u16(),
                        Err(_) => 0,
                    };
                    answers.push((sent.elapsed(), status));
                }
                answers
            })
        })
        .collect();
    let mut latencies: Vec<Duration> = Vec::new();
    let (mut created, mut full, mut other) = (0, 0, 0);
    for task in tasks {
        for (latency, status) in task.await.unwrap() {
            latencies.push(latency);
            match status {
                201 => created += 1,
                409 => full += 1,
                _ => other += 1,
            }
        }
    }
    let load = common::Load::new(latencies, started.elapsed());
    println!(
        "POST /courses/{{id}}/enrollments, {CLIENTS} clients, {people} people for {seats} seats: \
         {}; {created} enrolled, {full} full, {other} other; peak RSS {:.0} MiB",
        load.summary(),
        common::peak_rss_mib()
    );
    if created != seats || full != people - seats || other != 0 {
        eprintln!("the course was over- or underbooked, or requests failed");
        std::process::exit(1);
    }
}
