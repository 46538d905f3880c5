//! Two `fitreg serve` processes on one PostgreSQL database, as a scaled-out district runs them:
//! sessions are logged through both at once, each logical request sent to both with one
//! `Idempotency-Key`, and invitations are mailed while they run. Afterwards no session is lost or
//! duplicated, every key made exactly one session and both servers answered it alike, every mail
//! reached the SMTP listener exactly once though both servers' mail workers ran, and the audit
//! chain verifies. Runs when `FITREG_TEST_POSTGRES_URL` is set (`.ci/run` sets it); SQLite has no
//! second server to share a file with.

mod common;
#[path = "support/served.rs"]
mod served;

use std::{
    collections::{BTreeMap, BTreeSet},
    time::Duration,
};

use chrono::{TimeDelta, Utc};
use common::smtp::SmtpServer;
use reqwest::Method;
use serde_json::{Value, json};
use served::Served;

const PASSWORD: &str = "two-servers-admin-1";
const PEOPLE: usize = 8;
const SESSIONS_EACH: usize = 25;
const INVITATIONS: usize = 20;

fn start(dir: &std::path::Path, url: &str, smtp: &str) -> Served {
    let mut command = served::fitreg(dir);
    command
        .env("FITREG_DATABASE_URL", url)
        .env("FITREG_ADMIN_PASSWORD", PASSWORD)
        .env("FITREG_SMTP_URL", smtp)
        .env("FITREG_LOG", "info");
    Served::start_with(command)
}

#[derive(Clone)]
struct Api {
    client: reqwest::Client,
    base: String,
    token: String,
}

impl Api {
    fn new(server: &Served, token: &str) -> Self {
        Self {
            client: reqwest::Client::new(),
            base: server.url("/api/v1"),
            token: token.to_owned(),
        }
    }

    async fn send(
        &self,
        method: Method,
        path: &str,
        body: Option<&Value>,
        key: Option<&str>,
    ) -> (u16, Value) {
        let mut request = self
            .client
            .request(method, format!("{}{path}", self.base))
            .bearer_auth(&self.token);
        if let Some(body) = body {
            request = request.json(body);
        }
        if let Some(key) = key {
            request = request.header("Idempotency-Key", key);
        }
        let reply = request.send().await.expect("the server answers");
        let status = reply.status().as_u16();
        (status, reply.json().await.unwrap_or(Value::Null))
    }

    async fn post(&self, path: &str, body: Value) -> Value {
        let (status, reply) = self.send(Method::POST, path, Some(&body), None).await;
        assert_eq!(status, 201, "POST {path}: {reply}");
        reply
    }

    async fn get(&self, path: &str) -> Value {
        let (status, reply) = self.send(Method::GET, path, None, None).await;
        assert_eq!(status, 200, "GET {path}: {reply}");
        reply
    }
}

#[test]
fn two_servers_on_one_postgres_database_lose_duplicate_and_resend_nothing() {
    let runtime = tokio::runtime::Runtime::new().unwrap();
    let test_db = runtime.block_on(common::TestDb::new());
    if !test_db.is_postgres() {
        eprintln!("skipped: set FITREG_TEST_POSTGRES_URL to run two servers on one PostgreSQL");
        return;
    }
    let smtp = runtime.block_on(SmtpServer::start());
    let dir = tempfile::tempdir().unwrap();
    // The first migrates, seeds and bootstraps; the second finds it all done.
    let first = start(dir.path(), &test_db.url, &smtp.url());
    let second = start(dir.path(), &test_db.url, &smtp.url());
    let a = Api::new(&first, &first.token("admin", PASSWORD));
    let b = Api::new(&second, &second.token("admin", PASSWORD));

    runtime.block_on(async {
        let street = a.get("/streets").await["items"][0]["id"].as_i64().unwrap();
        let community = a
            .get(&format!("/communities?street_id={street}&per_page=1"))
            .await["items"][0]["id"]
            .as_i64()
            .unwrap();
        let mut people = Vec::new();
        for n in 0..PEOPLE {
            let person = a
                .post(
                    "/people",
                    common::person_body(&format!("双机{n}"), "19800101", 101 + n as u16, street),
                )
                .await["id"]
                .as_i64()
                .unwrap();
            a.post(
                &format!("/people/{person}/qualifications"),
                json!({"kind": "fitness_volunteer", "certified_on": "2024-01-01"}),
            )
            .await;
            people.push(person);
        }

        // Each person's sessions are logged in order, every request sent to both servers at once.
        let first_start = Utc::now() - TimeDelta::days(3);
        let logging: Vec<_> = people
            .iter()
            .enumerate()
            .map(|(i, &person)| {
                let (a, b) = (a.clone(), b.clone());
                tokio::spawn(async move {
                    let mut made = Vec::new();
                    for k in 0..SESSIONS_EACH {
                        let start = first_start + TimeDelta::minutes(15 * k as i64);
                        let body = json!({"person_id": person, "community_id": community,
                            "started_at": start, "ended_at": start + TimeDelta::minutes(10),
                            "activity": "square_dance", "participants": 10});
                        let key = format!("two-servers-{i}-{k}");
                        let (via_a, via_b) = tokio::join!(
                            a.send(Method::POST, "/service-sessions", Some(&body), Some(&key)),
                            b.send(Method::POST, "/service-sessions", Some(&body), Some(&key)),
                        );
                        assert_eq!(via_a.0, 201, "{key} via the first: {}", via_a.1);
                        assert_eq!(via_b.0, 201, "{key} via the second: {}", via_b.1);
                        assert_eq!(
                            via_a.1["id"], via_b.1["id"],
                            "{key}: one session for one key"
                        );
                        made.push(via_a.1["id"].as_i64().unwrap());
                    }
                    made
                })
            })
            .collect();
        // Invitations while the sessions are logged, alternating between the servers.
        let mut recipients = BTreeSet::new();
        for n in 0..INVITATIONS {
            let api = if n % 2 == 0 { &a } else { &b };
            let email = format!("invitee{n}@example.cn");
            api.post(
                "/accounts",
                json!({"username": format!("invitee-{n}"), "role": "auditor", "email": email}),
            )
            .await;
            recipients.insert(email);
        }
        let mut made = BTreeSet::new();
        for task in logging {
            for id in task.await.expect("a logging client") {
                assert!(made.insert(id), "session {id} answered for two keys");
            }
        }

        // Nothing lost, nothing duplicated: the registry holds exactly the sessions answered.
        let mut stored = BTreeSet::new();
        for page in 1.. {
            let listed = b
                .get(&format!("/service-sessions?per_page=100&page={page}"))
                .await;
            let items = listed["items"].as_array().unwrap().clone();
            if items.is_empty() {
                break;
            }
            stored.extend(items.iter().map(|s| s["id"].as_i64().unwrap()));
        }
        assert_eq!(stored.len(), PEOPLE * SESSIONS_EACH);
        assert_eq!(stored, made);

        // Every invitation once: wait for all, then a little longer for any second delivery.
        let mails = smtp.wait_for(INVITATIONS, Duration::from_secs(60)).await;
        assert_eq!(mails.len(), INVITATIONS, "every invitation is delivered");
        tokio::time::sleep(Duration::from_secs(3)).await;
        let mut delivered: BTreeMap<String, usize> = BTreeMap::new();
        for mail in smtp.received() {
            for to in mail.to {
                *delivered.entry(to).or_default() += 1;
            }
        }
        assert_eq!(
            delivered.keys().cloned().collect::<BTreeSet<_>>(),
            recipients
        );
        assert!(
            delivered.values().all(|&n| n == 1),
            "each mail exactly once: {delivered:?}"
        );

        for api in [&a, &b] {
            let verified = api.get("/audit-log/verify").await;
            assert_eq!(verified["intact"], true, "{verified}");
        }
    });
    first.stop();
    second.stop();
}
