//! `POST /api/v1/assignments` as the table grows: 32 concurrent clients (bureau sessions) assign
//! 3,200 qualified people over HTTP against the real server on a SQLite file, then 100,000 more
//! assignments are written straight into the database, and the same
//! clients assign 3,200 other people. Prints both rates with p50/p99, their ratio (goal: the rate
//! does not fall as the table grows, at least 0.9), and the limit measured in the same run: plain
//! single-row inserts of an assignment row, one transaction each. Any failed request fails the run.
//!
//! Run with `cargo bench --bench assignments [-- GROWN_ROWS]` (default 100000).

mod common;

use std::time::{Duration, Instant};

use chrono::{NaiveDate, Utc};
use fitreg::{
    app::AppState,
    domain::person::{Gender, PersonStatus, QualificationKind, QualificationStatus},
    entities::{assignment, community, person, qualification},
};
use sea_orm::{ActiveModelTrait, ActiveValue::Set, EntityTrait, QueryOrder};

const CLIENTS: usize = 32;
const PER_PHASE: usize = 3200;
const PASSWORD: &str = "bench-password-1";

fn main() {
    common::run(bench());
}

async fn bench() {
    let grown: usize = std::env::args()
        .skip(1)
        .find_map(|a| a.parse().ok())
        .unwrap_or(100_000);
    let dir = tempfile::tempdir().expect("temp dir");
    let (url, conn) = common::seeded_sqlite(dir.path()).await;
    let communities: Vec<community::Model> = community::Entity::find()
        .order_by_asc(community::Column::Id)
        .all(&conn)
        .await
        .unwrap();

    let state = AppState::new(conn.clone(), common::config(&url));
    common::bureau_account(&state, "bench-bureau", PASSWORD).await;
    let now = Utc::now();

    // Two phases of people, each a qualified volunteer registered in their community's street.
    let people = 2 * PER_PHASE;
    let certified = NaiveDate::from_ymd_opt(2020, 1, 1).unwrap();
    for chunk in (0..people).collect::<Vec<_>>().chunks(500) {
        person::Entity::insert_many(chunk.iter().map(|&i| person::ActiveModel {
            name: Set(format!("志愿者{i}")),
            gender: Set(Gender::Female),
            birth_date: Set(NaiveDate::from_ymd_opt(1985, 1, 1).unwrap()),
            id_number: Set(format!("{i:018}")),
            phone: Set(format!("139{i:08}")),
            street_id: Set(communities[i % communities.len()].street_id),
            status: Set(PersonStatus::Active),
            version: Set(1),
            created_at: Set(now),
            updated_at: Set(now),
            ..Default::default()
        }))
        .exec(&conn)
        .await
        .unwrap();
    }
    let person_ids: Vec<i32> = person::Entity::find()
        .order_by_asc(person::Column::Id)
        .all(&conn)
        .await
        .unwrap()
        .into_iter()
        .map(|p| p.id)
        .collect();
    for chunk in person_ids.chunks(500) {
        qualification::Entity::insert_many(chunk.iter().map(|&id| qualification::ActiveModel {
            person_id: Set(id),
            kind: Set(QualificationKind::FitnessVolunteer),
            certified_on: Set(certified),
            status: Set(QualificationStatus::Active),
            employment: Set(None),
            version: Set(1),
            created_at: Set(now),
            updated_at: Set(now),
            ..Default::default()
        }))
        .exec(&conn)
        .await
        .unwrap();
    }

    let address = common::serve(state).await;
    let client = reqwest::Client::new();
    let base = format!("http://{address}/api/v1");
    let mut tokens = Vec::new();
    for _ in 0..CLIENTS {
        tokens.push(common::login(&client, &base, "bench-bureau", PASSWORD).await);
    }
    let assign = |phase: usize| {
        let people: Vec<(i32, i32)> = (phase * PER_PHASE..(phase + 1) * PER_PHASE)
            .map(|i| (person_ids[i], communities[i % communities.len()].id))
            .collect();
        post_all(&client, &base, &tokens, people)
    };

    let floor_small = plain_inserts(&conn, &person_ids, &communities, certified).await;
    let (small, mut failures) = assign(0).await;
    println!(
        "POST /assignments on a table of 2,000 rows, {CLIENTS} clients: {}",
        small.summary()
    );

    // The table grows: assignments of the same people in other roles and other communities,
    // written directly in bulk.
    let started = Instant::now();
    let row = |n: usize| assignment::ActiveModel {
        person_id: Set(person_ids[n % person_ids.len()]),
        community_id: Set(communities[(n / person_ids.len() + 1) % communities.len()].id),
        role: Set(if n.is_multiple_of(2) {
            QualificationKind::SocialSportsInstructor
        } else {
            QualificationKind::ScientificFitnessInstructor
        }),
        starts_on: Set(certified),
        ends_on: Set(n
            .is_multiple_of(3)
            .then(|| NaiveDate::from_ymd_opt(2024, 6, 1).unwrap())),
        created_at: Set(now),
        ..Default::default()
    };
    for from in (0..grown).step_by(1000) {
        assignment::Entity::insert_many((from..(from + 1000).min(grown)).map(row))
            .exec(&conn)
            .await
            .unwrap();
    }
    println!(
        "grew the table by {grown} assignments in {:.1} s",
        started.elapsed().as_secs_f64()
    );

    let (large, more) = assign(1).await;
    failures.extend(more);
    println!(
        "POST /assignments on a table of {} rows, {CLIENTS} clients: {}",
        grown + PER_PHASE,
        large.summary()
    );

    let floor_large = plain_inserts(&conn, &person_ids, &communities, certified).await;
    println!(
        "grown/small rate {:.2} (goal at least 0.9; plain inserts {:.2}); ratio to plain inserts {:.2} small, {:.2} grown (goal at least 0.33); p99 {:.1} / {:.1} ms (goal under 20); peak RSS {:.0} MiB",
        large.rate() / small.rate(),
        floor_large / floor_small,
        small.rate() / floor_small,
        large.rate() / floor_large,
        small.ms(0.99),
        large.ms(0.99),
        common::peak_rss_mib()
    );
    if !failures.is_empty() {
        eprintln!(
            "{} failed (first 5): {:#?}",
            failures.len(),
            &failures[..failures.len().min(5)]
        );
        std::process::exit(1);
    }
}

/// The limit: 2,000 assignment rows inserted directly, one transaction each (administrator
/// terms, so that they overlap nothing the clients send), in rows per second.
async fn plain_inserts(
    conn: &sea_orm::DatabaseConnection,
    person_ids: &[i32],
    communities: &[community::Model],
    starts_on: NaiveDate,
) -> f64 {
    let inserts = 2000;
    let started = Instant::now();
    for n in 0..inserts {
        assignment::ActiveModel {
            person_id: Set(person_ids[n % person_ids.len()]),
            community_id: Set(communities[n % communities.len()].id),
            role: Set(QualificationKind::CommunitySportsAdministrator),
            starts_on: Set(starts_on),
            created_at: Set(Utc::now()),
            ..Default::default()
        }
        .insert(conn)
        .await
        .unwrap();
    }
    let elapsed = started.elapsed();
    let rate = inserts as f64 / elapsed.as_secs_f64();
    println!(
        "plain single-row inserts of an assignment (same file, WAL, synchronous=NORMAL): {inserts} in {:.2} s = {rate:.0} rows/s",
        elapsed.as_secs_f64()
    );
    rate
}

/// Assigns each (person, community) by `POST /assignments`, the work shared by `CLIENTS` clients.
async fn post_all(
    client: &reqwest::Client,
    base: &str,
    tokens: &[String],
    people: Vec<(i32, i32)>,
) -> (common::Load, Vec<String>) {
    let started = Instant::now();
    let tasks: Vec<_> = tokens
        .iter()
        .enumerate()
        .map(|(k, token)| {
            let mine: Vec<(i32, i32)> = people.iter().copied().skip(k).step_by(CLIENTS).collect();
            let (client, url, token) = (client.clone(), format!("{base}/assignments"), token.clone());
            tokio::spawn(async move {
                let mut latencies: Vec<Duration> = Vec::with_capacity(mine.len());
                let mut failures = Vec::new();
                for (person_id, community_id) in mine {
                    let body = serde_json::json!({"person_id": person_id, "community_id": community_id,
                        "role": "fitness_volunteer", "starts_on": "2025-01-01"});
                    let sent = Instant::now();
                    let reply = client.post(&url).bearer_auth(&token).json(&body).send().await;
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
    (common::Load::new(latencies, started.elapsed()), failures)
}
