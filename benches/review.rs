//! Two hot writes of the review desk and the check-in poster, over HTTP with 32 concurrent clients
//! against the real server on a SQLite file, each beside a limit measured in the same run on the
//! same file through the same kind of pooled connection (WAL, synchronous=NORMAL):
//!
//! 1. Bulk review. `32 × BATCHES × 200` pending service sessions (one hour each, written
//!    directly) of 640 people of the street with the most communities, spread over its
//!    communities; 32 street-officer accounts of that street (none of them a person, so nobody
//!    reviews a session of their own person) each send `POST /service-sessions/review` with
//!    `BATCHES` disjoint batches of 200 ids, `decision: approve`. Reports batches/s, sessions/s and
//!    p50/p99 per batch. The limit is 200 plain single-row `UPDATE`s of a pending row to approved
//!    (status, reviewer, time, version, updated_at, by primary key) in one transaction per batch:
//!    the request is one atomic operation, so one commit per batch is what it could cost at the
//!    least. For reference it also prints the same `UPDATE`s committed one by one. The run fails
//!    unless every per-id result is a 200 with the session approved and, afterwards, every session
//!    is approved (none pending, each at version 2), has exactly one `approve` entry in its history
//!    and its person one mail queued.
//! 2. Check-in and check-out. 32 member accounts (each a person of that street with an active
//!    volunteer qualification) each `CYCLES` times `POST /service-sessions/check-in` to a
//!    community of the street and `POST /service-sessions/{id}/check-out`. Reports req/s and
//!    p50/p99 of each call and of both together, against plain single-row inserts of an open
//!    check-in row, one transaction each (as `sessions` does). The run fails unless the closed
//!    check-in sessions are exactly the successful check-outs and none is left open.
//!
//! Any failed request, or a wrong final state, exits non-zero after everything is printed.
//!
//! Part 2 runs first, on the fresh file. Run with `cargo bench --bench review [-- BATCHES
//! [CYCLES]]` (defaults: 2 batches of 200 per client, 50 check-in/check-out cycles per client).

mod common;

use std::{
    collections::HashSet,
    time::{Duration, Instant},
};

use chrono::{NaiveDate, TimeDelta, Utc};
use fitreg::{
    app::AppState,
    domain::{
        account::Role,
        person::{
            Gender, PersonStatus, QualificationKind, QualificationStatus, SessionSource,
            SessionStatus,
        },
    },
    entities::{
        account, community, outbox, person, qualification, service_session, session_history,
    },
    mail::MailKind,
};
use sea_orm::{
    ActiveModelTrait, ActiveValue::Set, ColumnTrait, DatabaseConnection, EntityTrait, ExprTrait,
    PaginatorTrait, QueryFilter, QueryOrder, QuerySelect, TransactionTrait, sea_query::Expr,
};

const CLIENTS: usize = 32;
const BATCH: usize = 200;
const REVIEWED_PEOPLE: usize = 640;
const PASSWORD: &str = "bench-password-1";
/// Batches of the bulk-review limit, and rows of the one-by-one reference and the insert limit.
const LIMIT_BATCHES: usize = 16;
const LIMIT_ROWS: usize = 2000;

fn main() {
    common::run(bench());
}

async fn bench() {
    let args: Vec<usize> = std::env::args()
        .skip(1)
        .filter_map(|a| a.parse().ok())
        .collect();
    let batches = args.first().copied().unwrap_or(2);
    let cycles = args.get(1).copied().unwrap_or(50);
    let dir = tempfile::tempdir().expect("temp dir");
    let (url, conn) = common::seeded_sqlite(dir.path()).await;

    // The street with the most communities, and its communities.
    let all: Vec<community::Model> = community::Entity::find()
        .filter(community::Column::Active.eq(true))
        .order_by_asc(community::Column::Id)
        .all(&conn)
        .await
        .unwrap();
    let street_id = all
        .iter()
        .map(|c| c.street_id)
        .max_by_key(|s| all.iter().filter(|c| c.street_id == *s).count())
        .expect("a community");
    let communities: Vec<i32> = all
        .iter()
        .filter(|c| c.street_id == street_id)
        .map(|c| c.id)
        .collect();

    let state = AppState::new(conn.clone(), common::config(&url));
    let hash = state.hasher.hash(PASSWORD).await.unwrap();
    let address = common::serve(state).await;
    let mut bench = Bench {
        conn,
        client: reqwest::Client::new(),
        base: format!("http://{address}/api/v1"),
        street_id,
        communities,
        hash,
        run_peak: 0.0,
    };
    // Check-in first, on the fresh file, so that its limit is not measured behind the bulk
    // review's history, audit entries and mail.
    let mut ok = bench.check_in_out(cycles).await;
    ok &= bench.bulk_review(batches).await;
    let (anon, file) = common::rss_split_mib();
    let mib = |name: &str| {
        std::fs::metadata(dir.path().join(name)).map_or(0.0, |m| m.len() as f64 / 1048576.0)
    };
    println!(
        "peak RSS of the whole run {:.0} MiB (setup, checks and limits included); \
         resident now {anon:.0} MiB anonymous + {file:.0} MiB mapped files; database {:.0} MiB, WAL {:.0} MiB",
        bench.run_peak.max(common::peak_rss_mib()),
        mib("bench.db"),
        mib("bench.db-wal"),
    );
    if !ok {
        std::process::exit(1);
    }
}

struct Bench {
    conn: DatabaseConnection,
    client: reqwest::Client,
    base: String,
    street_id: i32,
    communities: Vec<i32>,
    hash: String,
    /// The peak resident set before the last reset.
    run_peak: f64,
}

impl Bench {
    /// Adds an account of `role` in the street for each entry of `people` (its person, if any)
    /// and logs each in; returns the tokens and the account ids.
    async fn accounts(
        &self,
        prefix: &str,
        role: Role,
        people: &[Option<i32>],
    ) -> (Vec<String>, Vec<i32>) {
        let now = Utc::now();
        let mut tokens = Vec::new();
        let mut ids = Vec::new();
        for (i, person_id) in people.iter().enumerate() {
            let username = format!("{prefix}-{i}");
            let created = account::ActiveModel {
                username: Set(username.clone()),
                role: Set(role),
                person_id: Set(*person_id),
                street_id: Set(Some(self.street_id)),
                password_hash: Set(Some(self.hash.clone())),
                disabled: Set(false),
                version: Set(1),
                created_at: Set(now),
                updated_at: Set(now),
                ..Default::default()
            }
            .insert(&self.conn)
            .await
            .unwrap();
            ids.push(created.id);
            tokens.push(common::login(&self.client, &self.base, &username, PASSWORD).await);
        }
        (tokens, ids)
    }

    /// Inserts `count` people of the street named `prefix{i}` (with a mail address when `email`),
    /// returns their ids in order.
    async fn people(&self, prefix: &str, count: usize, email: bool) -> Vec<i32> {
        let now = Utc::now();
        let rows: Vec<person::ActiveModel> = (0..count)
            .map(|i| person::ActiveModel {
                name: Set(format!("{prefix}{i}")),
                gender: Set(Gender::Female),
                birth_date: Set(NaiveDate::from_ymd_opt(1985, 1, 1).unwrap()),
                id_number: Set(format!("{prefix}{i:016}")),
                phone: Set(format!("139{i:08}")),
                email: Set(email.then(|| format!("{prefix}{i}@example.org"))),
                street_id: Set(self.street_id),
                status: Set(PersonStatus::Active),
                version: Set(1),
                created_at: Set(now),
                updated_at: Set(now),
                ..Default::default()
            })
            .collect();
        for chunk in rows.chunks(500) {
            person::Entity::insert_many(chunk.to_vec())
                .exec(&self.conn)
                .await
                .unwrap();
        }
        person::Entity::find()
            .select_only()
            .column(person::Column::Id)
            .filter(person::Column::IdNumber.starts_with(prefix))
            .order_by_asc(person::Column::Id)
            .into_tuple()
            .all(&self.conn)
            .await
            .unwrap()
    }

    /// Inserts `count` pending one-hour sessions, the `i`th of `people[i % len]` in
    /// `communities[i % len]`, each person's following each other; returns their ids in order.
    async fn pending_sessions(&self, people: &[i32], count: usize) -> Vec<i32> {
        let now = Utc::now();
        let first = now - TimeDelta::days(25);
        let after: i32 = service_session::Entity::find()
            .select_only()
            .column_as(service_session::Column::Id.max(), "max")
            .into_tuple::<Option<i32>>()
            .one(&self.conn)
            .await
            .unwrap()
            .flatten()
            .unwrap_or(0);
        let rows: Vec<service_session::ActiveModel> = (0..count)
            .map(|i| {
                let start = first + TimeDelta::minutes(90 * (i / people.len()) as i64);
                service_session::ActiveModel {
                    person_id: Set(people[i % people.len()]),
                    community_id: Set(self.communities[i % self.communities.len()]),
                    started_at: Set(start),
                    ended_at: Set(Some(start + TimeDelta::hours(1))),
                    activity: Set("square_dance".into()),
                    participants: Set(20),
                    description: Set("晨练广场舞".into()),
                    status: Set(SessionStatus::Pending),
                    quarters: Set(4),
                    source: Set(SessionSource::OwnLog.as_str().into()),
                    needs_attention: Set(false),
                    version: Set(1),
                    created_at: Set(now),
                    updated_at: Set(now),
                    ..Default::default()
                }
            })
            .collect();
        for chunk in rows.chunks(500) {
            service_session::Entity::insert_many(chunk.to_vec())
                .exec(&self.conn)
                .await
                .unwrap();
        }
        service_session::Entity::find()
            .select_only()
            .column(service_session::Column::Id)
            .filter(service_session::Column::Id.gt(after))
            .order_by_asc(service_session::Column::Id)
            .into_tuple()
            .all(&self.conn)
            .await
            .unwrap()
    }

    /// Starts a fresh peak for the load that follows, remembering the peak so far.
    fn reset_peak(&mut self) {
        self.run_peak = self.run_peak.max(common::peak_rss_mib());
        common::reset_peak_rss();
    }

    /// Part 1: 32 officers approve every session in batches of 200. True when all went right.
    async fn bulk_review(&mut self, batches: usize) -> bool {
        let sessions = CLIENTS * batches * BATCH;
        let people = self.people("R", REVIEWED_PEOPLE, true).await;
        let ids = self.pending_sessions(&people, sessions).await;
        assert_eq!(ids.len(), sessions);
        let officers = vec![None; CLIENTS];
        let (tokens, officer_ids) = self
            .accounts("bench-officer", Role::StreetOfficer, &officers)
            .await;
        // Batch `b` goes to client `b % 32`; each batch holds 200 different people.
        let chunks: Vec<Vec<i32>> = ids.chunks(BATCH).map(<[i32]>::to_vec).collect();

        self.reset_peak();
        let started = Instant::now();
        let tasks: Vec<_> = tokens
            .into_iter()
            .enumerate()
            .map(|(c, token)| {
                let mine: Vec<Vec<i32>> = chunks.iter().skip(c).step_by(CLIENTS).cloned().collect();
                let (client, url) = (
                    self.client.clone(),
                    format!("{}/service-sessions/review", self.base),
                );
                tokio::spawn(async move {
                    let mut latencies = Vec::with_capacity(mine.len());
                    let mut failures = Vec::new();
                    for batch in mine {
                        let body = serde_json::json!({"ids": batch, "decision": "approve"});
                        let sent = Instant::now();
                        let reply = client
                            .post(&url)
                            .bearer_auth(&token)
                            .json(&body)
                            .send()
                            .await;
                        let reply = match reply {
                            Ok(r) if r.status() == 200 => r.json::<serde_json::Value>().await,
                            Ok(r) => {
                                latencies.push(sent.elapsed());
                                failures.push(format!(
                                    "{}: {}",
                                    r.status(),
                                    r.text().await.unwrap_or_default()
                                ));
                                continue;
                            }
                            Err(e) => Err(e),
                        };
                        latencies.push(sent.elapsed());
                        match reply {
                            Ok(results) => failures.extend(check_results(&batch, &results)),
                            Err(e) => failures.push(e.to_string()),
                        }
                    }
                    (latencies, failures)
                })
            })
            .collect();
        let (latencies, failures) = common::gather(tasks).await;
        let load = common::Load::new(latencies, started.elapsed());
        let load_peak = common::peak_rss_mib();
        println!(
            "POST /service-sessions/review, {CLIENTS} clients x {batches} batches of {BATCH}: {} batches \
             in {:.2} s = {:.1} batches/s = {:.0} sessions/s; p50 {:.1} ms, p99 {:.1} ms per batch; {} failed",
            load.requests,
            load.elapsed.as_secs_f64(),
            load.rate(),
            load.rate() * BATCH as f64,
            load.ms(0.50),
            load.ms(0.99),
            failures.len()
        );

        let state_ok = self.reviewed_state(&ids).await;

        // The limit: the same change as plain single-row UPDATEs, one transaction per batch.
        let reviewer = officer_ids[0];
        let limit_ids = self.pending_sessions(&people, LIMIT_BATCHES * BATCH).await;
        let started = Instant::now();
        for batch in limit_ids.chunks(BATCH) {
            let txn = self.conn.begin().await.unwrap();
            for &id in batch {
                approve_row(&txn, id, reviewer).await;
            }
            txn.commit().await.unwrap();
        }
        let elapsed = started.elapsed();
        let limit = limit_ids.len() as f64 / elapsed.as_secs_f64();
        println!(
            "limit: {BATCH} plain single-row UPDATEs to approved in one transaction per batch (same file, WAL, \
             synchronous=NORMAL): {LIMIT_BATCHES} batches in {:.2} s = {:.1} batches/s = {limit:.0} rows/s",
            elapsed.as_secs_f64(),
            LIMIT_BATCHES as f64 / elapsed.as_secs_f64(),
        );
        let one_by_one_ids = self.pending_sessions(&people, LIMIT_ROWS).await;
        let started = Instant::now();
        for &id in &one_by_one_ids {
            approve_row(&self.conn, id, reviewer).await;
        }
        let elapsed = started.elapsed();
        let one_by_one = LIMIT_ROWS as f64 / elapsed.as_secs_f64();
        println!(
            "for reference: the same UPDATEs each in its own transaction: {LIMIT_ROWS} in {:.2} s = {one_by_one:.0} rows/s",
            elapsed.as_secs_f64()
        );
        println!(
            "bulk review ratio {:.2} of the one-transaction limit ({:.2} of one-by-one commits); \
             p50 {:.1} ms, p99 {:.1} ms per batch; peak RSS during the load {load_peak:.0} MiB",
            load.rate() * BATCH as f64 / limit,
            load.rate() * BATCH as f64 / one_by_one,
            load.ms(0.50),
            load.ms(0.99),
        );
        report_failures(&failures);
        failures.is_empty() && state_ok
    }

    /// Every session of `ids` approved exactly once: the counts by status, the versions, the
    /// history entries and the mails. True when all hold.
    async fn reviewed_state(&self, ids: &[i32]) -> bool {
        let (first, last) = (ids[0], ids[ids.len() - 1]);
        let ours = || {
            service_session::Entity::find().filter(service_session::Column::Id.between(first, last))
        };
        let approved = ours()
            .filter(service_session::Column::Status.eq(SessionStatus::Approved))
            .count(&self.conn)
            .await
            .unwrap();
        let pending = ours()
            .filter(service_session::Column::Status.eq(SessionStatus::Pending))
            .count(&self.conn)
            .await
            .unwrap();
        let not_twice_versioned = ours()
            .filter(service_session::Column::Version.ne(2))
            .count(&self.conn)
            .await
            .unwrap();
        let unreviewed = ours()
            .filter(
                service_session::Column::ReviewedBy
                    .is_null()
                    .or(service_session::Column::ReviewedAt.is_null()),
            )
            .count(&self.conn)
            .await
            .unwrap();
        let approvals: Vec<i32> = session_history::Entity::find()
            .select_only()
            .column(session_history::Column::SessionId)
            .filter(session_history::Column::Action.eq("approve"))
            .filter(session_history::Column::SessionId.between(first, last))
            .into_tuple()
            .all(&self.conn)
            .await
            .unwrap();
        let approved_sessions = approvals.iter().collect::<HashSet<_>>().len();
        let mails = outbox::Entity::find()
            .filter(outbox::Column::Kind.eq(MailKind::SessionReviewed))
            .count(&self.conn)
            .await
            .unwrap();
        let n = ids.len() as u64;
        let ok = approved == n
            && pending == 0
            && not_twice_versioned == 0
            && unreviewed == 0
            && approvals.len() as u64 == n
            && approved_sessions as u64 == n
            && mails == n;
        println!(
            "final state of {n} sessions: {approved} approved, {pending} pending, {not_twice_versioned} not at \
             version 2, {unreviewed} without reviewer; {} approve entries in the history for {approved_sessions} \
             sessions; {mails} review mails queued: {}",
            approvals.len(),
            if ok { "ok" } else { "WRONG" }
        );
        ok
    }

    /// Part 2: 32 members check in and out `cycles` times each. True when all went right.
    async fn check_in_out(&mut self, cycles: usize) -> bool {
        let people = self.people("M", CLIENTS, false).await;
        let now = Utc::now();
        for &person_id in &people {
            qualification::ActiveModel {
                person_id: Set(person_id),
                kind: Set(QualificationKind::FitnessVolunteer),
                certified_on: Set(NaiveDate::from_ymd_opt(2020, 1, 1).unwrap()),
                status: Set(QualificationStatus::Active),
                employment: Set(None),
                version: Set(1),
                created_at: Set(now),
                updated_at: Set(now),
                ..Default::default()
            }
            .insert(&self.conn)
            .await
            .unwrap();
        }
        let members: Vec<Option<i32>> = people.iter().copied().map(Some).collect();
        let (tokens, _) = self.accounts("bench-member", Role::Member, &members).await;

        self.reset_peak();
        let started = Instant::now();
        let tasks: Vec<_> = tokens
            .into_iter()
            .enumerate()
            .map(|(c, token)| {
                let community_id = self.communities[c % self.communities.len()];
                let (client, base) = (self.client.clone(), self.base.clone());
                tokio::spawn(async move {
                    let mut cycle = Cycles::default();
                    for _ in 0..cycles {
                        let sent = Instant::now();
                        let reply = client
                            .post(format!("{base}/service-sessions/check-in"))
                            .bearer_auth(&token)
                            .json(&serde_json::json!({"community_id": community_id, "activity": "square_dance"}))
                            .send()
                            .await;
                        let opened = match reply {
                            Ok(r) if r.status() == 201 => r.json::<serde_json::Value>().await.map_err(|e| e.to_string()),
                            Ok(r) => Err(format!("check-in {}: {}", r.status(), r.text().await.unwrap_or_default())),
                            Err(e) => Err(e.to_string()),
                        };
                        cycle.check_in.push(sent.elapsed());
                        let id = match opened.map(|s| s["id"].as_i64()) {
                            Ok(Some(id)) => id,
                            Ok(None) => {
                                cycle.failures.push("check-in answered no id".into());
                                continue;
                            }
                            Err(e) => {
                                cycle.failures.push(e);
                                continue;
                            }
                        };
                        cycle.checked_in += 1;
                        let sent = Instant::now();
                        let reply = client
                            .post(format!("{base}/service-sessions/{id}/check-out"))
                            .bearer_auth(&token)
                            .json(&serde_json::json!({"participants": 12, "description": "签退"}))
                            .send()
                            .await;
                        let closed = match reply {
                            Ok(r) if r.status() == 200 => r.json::<serde_json::Value>().await.map_err(|e| e.to_string()),
                            Ok(r) => Err(format!("check-out {}: {}", r.status(), r.text().await.unwrap_or_default())),
                            Err(e) => Err(e.to_string()),
                        };
                        cycle.check_out.push(sent.elapsed());
                        match closed {
                            Ok(s) if s["ended_at"].is_string() && s["id"].as_i64() == Some(id) => cycle.checked_out += 1,
                            Ok(s) => cycle.failures.push(format!("check-out answered {s}")),
                            Err(e) => cycle.failures.push(e),
                        }
                    }
                    cycle
                })
            })
            .collect();
        let mut all = Cycles::default();
        for task in tasks {
            let c = task.await.unwrap();
            all.check_in.extend(c.check_in);
            all.check_out.extend(c.check_out);
            all.failures.extend(c.failures);
            all.checked_in += c.checked_in;
            all.checked_out += c.checked_out;
        }
        let elapsed = started.elapsed();
        let load_peak = common::peak_rss_mib();
        let both: Vec<Duration> = all.check_in.iter().chain(&all.check_out).copied().collect();
        let (ins, outs, both) = (
            common::Load::new(all.check_in, elapsed),
            common::Load::new(all.check_out, elapsed),
            common::Load::new(both, elapsed),
        );
        println!(
            "check-in/check-out, {CLIENTS} clients x {cycles} cycles: {}; {} failed",
            both.summary(),
            all.failures.len()
        );
        println!("  POST /service-sessions/check-in: {}", ins.summary());
        println!(
            "  POST /service-sessions/{{id}}/check-out: {}",
            outs.summary()
        );

        let checkins = || {
            service_session::Entity::find()
                .filter(service_session::Column::Source.eq(SessionSource::Checkin.as_str()))
        };
        let closed = checkins()
            .filter(service_session::Column::EndedAt.is_not_null())
            .count(&self.conn)
            .await
            .unwrap();
        let open = checkins()
            .filter(service_session::Column::EndedAt.is_null())
            .count(&self.conn)
            .await
            .unwrap();
        let state_ok = closed == all.checked_out && open == all.checked_in - all.checked_out;
        println!(
            "final state: {closed} closed check-in sessions for {} successful check-outs, {open} open for {} \
             check-ins not checked out: {}",
            all.checked_out,
            all.checked_in - all.checked_out,
            if state_ok { "ok" } else { "WRONG" }
        );

        // The limit: the check-in row inserted directly, one transaction each.
        let started = Instant::now();
        for n in 0..LIMIT_ROWS {
            let start = Utc::now() - TimeDelta::days(400) + TimeDelta::minutes(10 * n as i64);
            service_session::ActiveModel {
                person_id: Set(people[n % people.len()]),
                community_id: Set(self.communities[n % self.communities.len()]),
                started_at: Set(start),
                ended_at: Set(None),
                activity: Set("square_dance".into()),
                participants: Set(0),
                description: Set(String::new()),
                status: Set(SessionStatus::Pending),
                quarters: Set(0),
                source: Set(SessionSource::Checkin.as_str().into()),
                needs_attention: Set(false),
                version: Set(1),
                created_at: Set(Utc::now()),
                updated_at: Set(Utc::now()),
                ..Default::default()
            }
            .insert(&self.conn)
            .await
            .unwrap();
        }
        let elapsed = started.elapsed();
        let limit = LIMIT_ROWS as f64 / elapsed.as_secs_f64();
        println!(
            "limit: plain single-row inserts of a check-in row (same file, WAL, synchronous=NORMAL): {LIMIT_ROWS} in \
             {:.2} s = {limit:.0} rows/s",
            elapsed.as_secs_f64()
        );
        println!(
            "check-in/check-out ratio {:.2} (check-in alone {:.2}, check-out alone {:.2}); p99 {:.1} ms check-in, \
             {:.1} ms check-out; peak RSS during the load {load_peak:.0} MiB",
            both.rate() / limit,
            ins.rate() / limit,
            outs.rate() / limit,
            ins.ms(0.99),
            outs.ms(0.99),
        );
        report_failures(&all.failures);
        all.failures.is_empty() && state_ok
    }
}

/// What one member client saw.
#[derive(Default)]
struct Cycles {
    check_in: Vec<Duration>,
    check_out: Vec<Duration>,
    failures: Vec<String>,
    checked_in: u64,
    checked_out: u64,
}

/// The failures of a bulk-review answer: anything but one approved 200 per id sent.
fn check_results(batch: &[i32], results: &serde_json::Value) -> Vec<String> {
    let Some(results) = results.as_array() else {
        return vec![format!("not a list: {results}")];
    };
    let mut failures = Vec::new();
    let mut answered: Vec<i64> = Vec::with_capacity(results.len());
    for r in results {
        answered.extend(r["id"].as_i64());
        if r["status"] != 200 || r["session"]["status"] != "approved" {
            failures.push(format!("id {}: {} {}", r["id"], r["status"], r["error"]));
        }
    }
    answered.sort_unstable();
    let mut sent: Vec<i64> = batch.iter().map(|&id| i64::from(id)).collect();
    sent.sort_unstable();
    if answered != sent {
        failures.push(format!(
            "answered {} results for {} ids, not one per id",
            answered.len(),
            sent.len()
        ));
    }
    failures
}

/// One plain single-row UPDATE of a pending session to approved by `reviewer`.
async fn approve_row(db: &impl sea_orm::ConnectionTrait, id: i32, reviewer: i32) {
    let now = Utc::now();
    let updated = service_session::Entity::update_many()
        .set(service_session::ActiveModel {
            status: Set(SessionStatus::Approved),
            reviewed_by: Set(Some(reviewer)),
            reviewed_at: Set(Some(now)),
            updated_at: Set(now),
            ..Default::default()
        })
        .col_expr(
            service_session::Column::Version,
            Expr::col(service_session::Column::Version).add(1),
        )
        .filter(service_session::Column::Id.eq(id))
        .filter(service_session::Column::Status.eq(SessionStatus::Pending))
        .exec(db)
        .await
        .unwrap();
    assert_eq!(updated.rows_affected, 1, "the limit's UPDATE of {id}");
}

fn report_failures(failures: &[String]) {
    if !failures.is_empty() {
        eprintln!(
            "{} failed (first 5): {:#?}",
            failures.len(),
            &failures[..failures.len().min(5)]
        );
    }
}
