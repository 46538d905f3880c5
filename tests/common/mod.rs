//! Test harness: the real application on a fresh database per test (a SQLite file in a temp
//! folder, or a fresh PostgreSQL database when `FITREG_TEST_POSTGRES_URL` is set), served over
//! real HTTP on a loopback port.

#![allow(dead_code)]

pub mod smtp;
pub mod web;
pub mod workbook;

use std::{net::SocketAddr, time::Duration};

use fitreg::{
    app::{AppState, Background, build_app},
    config::Config,
    db,
    services::{auth::bootstrap_admin, seed},
};
use poem::{
    Server,
    listener::{Acceptor, Listener, TcpListener},
};
use reqwest::{Method, StatusCode};
use sea_orm::{ConnectionTrait, Database, DatabaseConnection};
use serde_json::{Value, json};

/// The bootstrap admin's password in every test app.
pub const ADMIN_PASSWORD: &str = "admin-password-1";
/// The password of accounts the helpers create.
pub const USER_PASSWORD: &str = "user-password-1";

pub const POSTGRES_ENV: &str = "FITREG_TEST_POSTGRES_URL";

/// A fresh, empty database that disappears with the value.
pub struct TestDb {
    pub url: String,
    pub dir: tempfile::TempDir,
    postgres: Option<(String, String)>,
}

impl TestDb {
    pub async fn new() -> Self {
        let dir = tempfile::tempdir().expect("temp dir");
        match std::env::var(POSTGRES_ENV).ok().filter(|u| !u.is_empty()) {
            None => {
                let url = format!("sqlite://{}", dir.path().join("fitreg.db").display());
                Self {
                    url,
                    dir,
                    postgres: None,
                }
            }
            Some(admin_url) => {
                let name = format!("fitreg_t_{}", random_suffix());
                let admin = Database::connect(&admin_url)
                    .await
                    .expect("connect to FITREG_TEST_POSTGRES_URL");
                admin
                    .execute_unprepared(&format!("CREATE DATABASE \"{name}\""))
                    .await
                    .expect("create database");
                admin.close().await.ok();
                let mut url =
                    url::Url::parse(&admin_url).expect("FITREG_TEST_POSTGRES_URL is a URL");
                url.set_path(&name);
                Self {
                    url: url.to_string(),
                    dir,
                    postgres: Some((admin_url, name)),
                }
            }
        }
    }

    pub fn is_postgres(&self) -> bool {
        self.postgres.is_some()
    }
}

impl Drop for TestDb {
    fn drop(&mut self) {
        if let Some((admin_url, name)) = self.postgres.take() {
            // Drop runs outside async code: a thread with its own runtime removes the database.
            let _ = std::thread::spawn(move || {
                let runtime = tokio::runtime::Builder::new_current_thread()
                    .enable_all()
                    .build()
                    .ok()?;
                runtime.block_on(async {
                    let admin = Database::connect(&admin_url).await.ok()?;
                    admin
                        .execute_unprepared(&format!(
                            "DROP DATABASE IF EXISTS \"{name}\" WITH (FORCE)"
                        ))
                        .await
                        .ok()?;
                    admin.close().await.ok()
                })
            })
            .join();
        }
    }
}

fn random_suffix() -> String {
    use std::sync::atomic::{AtomicU64, Ordering};
    static COUNTER: AtomicU64 = AtomicU64::new(0);
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .subsec_nanos();
    format!(
        "{}_{}_{}",
        std::process::id(),
        COUNTER.fetch_add(1, Ordering::Relaxed),
        nanos
    )
}

/// The running application and a client for it.
pub struct TestApp {
    pub address: SocketAddr,
    pub base: String,
    pub client: reqwest::Client,
    pub db: DatabaseConnection,
    pub test_db: TestDb,
    /// A session of the bootstrap `admin` (role `bureau_admin`).
    pub admin_token: String,
    pub state: AppState,
    /// The mail worker, when the configuration names an SMTP server.
    pub background: Option<Background>,
    server: tokio::task::JoinHandle<()>,
}

impl Drop for TestApp {
    fn drop(&mut self) {
        self.server.abort();
    }
}

/// Configuration for tests: the defaults, pointed at `database_url`.
pub fn test_config(database_url: &str) -> Config {
    use clap::Parser;
    #[derive(Parser)]
    struct Args {
        #[command(flatten)]
        config: Config,
    }
    let mut config = Args::parse_from(["fitreg"]).config;
    config.database_url = database_url.to_owned();
    config
}

/// A fresh, migrated and seeded database.
pub async fn fresh_db() -> (TestDb, DatabaseConnection) {
    let test_db = TestDb::new().await;
    let db = db::connect(&test_db.url).await.expect("connect");
    db::migrate(&db).await.expect("migrate");
    seed::run(&db, None).await.expect("seed");
    (test_db, db)
}

/// Starts the app with its mail worker delivering to `smtp_url` quickly: polling every 50 ms and
/// retrying after 200 ms.
pub async fn spawn_app_with_smtp(smtp_url: &str) -> TestApp {
    let (test_db, db) = fresh_db().await;
    let mut config = test_config(&test_db.url);
    config.smtp_url = Some(smtp_url.to_owned());
    config.public_url = "https://fitreg.example".to_owned();
    config.mail_from = "鱼峰区文体新局 <noreply@fitreg.example>".to_owned();
    config.mail_poll_interval = Duration::from_millis(50);
    config.mail_retry_base = Duration::from_millis(200);
    config.mail_retry_max = Duration::from_millis(400);
    serve_with(test_db, db, config).await
}

/// Starts the app on a fresh, migrated and seeded database.
pub async fn spawn_app() -> TestApp {
    let test_db = TestDb::new().await;
    let db = db::connect(&test_db.url).await.expect("connect");
    db::migrate(&db).await.expect("migrate");
    seed::run(&db, None).await.expect("seed");
    serve(test_db, db).await
}

/// Serves the app on a database prepared by the caller, with the bootstrap admin logged in.
pub async fn serve(test_db: TestDb, db: DatabaseConnection) -> TestApp {
    let config = test_config(&test_db.url);
    serve_with(test_db, db, config).await
}

/// Serves the app with a configuration of the caller's.
pub async fn serve_with(test_db: TestDb, db: DatabaseConnection, config: Config) -> TestApp {
    let state = AppState::new(db.clone(), config);
    bootstrap_admin(&db, &state.hasher, Some(ADMIN_PASSWORD))
        .await
        .expect("bootstrap admin");
    let app = build_app(state.clone());
    let acceptor = TcpListener::bind("127.0.0.1:0")
        .into_acceptor()
        .await
        .expect("bind");
    let address = *acceptor.local_addr()[0]
        .as_socket_addr()
        .expect("tcp address");
    let server = tokio::spawn(async move {
        let _ = Server::new_with_acceptor(acceptor).run(app).await;
    });
    let client = reqwest::Client::builder()
        .timeout(Duration::from_secs(60))
        .build()
        .expect("client");
    let mut app = TestApp {
        address,
        base: format!("http://{address}"),
        client,
        db,
        test_db,
        admin_token: String::new(),
        background: None,
        state,
        server,
    };
    if app.state.config.smtp_url.is_some() {
        app.background = Some(Background::start(&app.state).expect("start the mail worker"));
    }
    app.admin_token = app.token("admin", ADMIN_PASSWORD).await;
    app
}

/// A valid 18-character resident ID number for this birth date (`YYYYMMDD`) and sequence (odd:
/// male, even: female), with the right check character.
pub fn id_number(region: &str, birth: &str, sequence: u16) -> String {
    const WEIGHTS: [u32; 17] = [7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2];
    let first17 = format!("{region}{birth}{sequence:03}");
    let sum: u32 = first17
        .bytes()
        .zip(WEIGHTS)
        .map(|(b, w)| u32::from(b - b'0') * w)
        .sum();
    format!("{first17}{}", b"10X98765432"[(sum % 11) as usize] as char)
}

/// A body for `POST /people` with a fresh valid ID number.
pub fn person_body(name: &str, birth: &str, sequence: u16, street_id: i64) -> Value {
    json!({
        "name": name,
        "id_number": id_number("450203", birth, sequence),
        "phone": format!("138{:08}", sequence as u32 * 7919 % 100_000_000),
        "street_id": street_id,
    })
}

/// An account the helpers created, logged in.
#[derive(Debug, Clone)]
pub struct User {
    pub id: i64,
    pub username: String,
    pub token: String,
}

/// A response read whole: status, headers and body (JSON when it parses).
#[derive(Debug)]
pub struct Reply {
    pub status: StatusCode,
    pub headers: reqwest::header::HeaderMap,
    pub text: String,
    pub json: Value,
}

impl Reply {
    pub fn content_type(&self) -> &str {
        self.headers
            .get("content-type")
            .and_then(|v| v.to_str().ok())
            .unwrap_or("")
    }

    /// Asserts an RFC 9457 problem document with this status, and returns it.
    pub fn assert_problem(&self, status: u16) -> &Value {
        assert_eq!(
            self.status.as_u16(),
            status,
            "unexpected status; body: {}",
            self.text
        );
        assert!(
            self.content_type().starts_with("application/problem+json"),
            "content type {}",
            self.content_type()
        );
        for key in ["type", "title", "detail"] {
            assert!(
                self.json[key].is_string(),
                "problem lacks {key}: {}",
                self.text
            );
        }
        assert_eq!(self.json["status"], status);
        &self.json
    }

    /// The fields named in a problem's `errors`.
    pub fn error_fields(&self) -> Vec<String> {
        self.json["errors"]
            .as_array()
            .map(|errors| {
                errors
                    .iter()
                    .filter_map(|e| e["field"].as_str().map(str::to_owned))
                    .collect()
            })
            .unwrap_or_default()
    }
}

impl TestApp {
    pub fn url(&self, path: &str) -> String {
        if path.starts_with("/api/") || path.starts_with("/docs") {
            format!("{}{path}", self.base)
        } else {
            format!("{}/api/v1{path}", self.base)
        }
    }

    /// A request without credentials.
    pub fn anon(&self, method: Method, path: &str) -> reqwest::RequestBuilder {
        self.client.request(method, self.url(path))
    }

    /// A request as the bootstrap admin.
    pub fn request(&self, method: Method, path: &str) -> reqwest::RequestBuilder {
        self.as_user(&self.admin_token, method, path)
    }

    /// A request with `token`.
    pub fn as_user(&self, token: &str, method: Method, path: &str) -> reqwest::RequestBuilder {
        self.client
            .request(method, self.url(path))
            .bearer_auth(token)
    }

    pub async fn login(&self, username: &str, password: &str) -> Reply {
        self.send(
            self.anon(Method::POST, "/auth/login")
                .json(&json!({"username": username, "password": password})),
        )
        .await
    }

    /// Logs in and returns the token.
    pub async fn token(&self, username: &str, password: &str) -> String {
        let reply = self.login(username, password).await;
        assert_eq!(
            reply.status,
            StatusCode::OK,
            "login {username}: {}",
            reply.text
        );
        reply.json["token"].as_str().expect("token").to_owned()
    }

    /// Creates an account through the API as admin and logs it in.
    pub async fn user(&self, role: &str, street_id: Option<i64>) -> User {
        let username = format!(
            "{}-{}",
            role.replace('_', "-"),
            random_suffix().replace('_', "-")
        );
        let body = json!({"username": username, "role": role, "street_id": street_id, "password": USER_PASSWORD});
        let reply = self
            .send(self.request(Method::POST, "/accounts").json(&body))
            .await;
        assert_eq!(
            reply.status,
            StatusCode::CREATED,
            "create {role}: {}",
            reply.text
        );
        let token = self.token(&username, USER_PASSWORD).await;
        User {
            id: reply.json["id"].as_i64().unwrap(),
            username,
            token,
        }
    }

    /// A `member` account made directly in the database: the people registry that the API checks
    /// member accounts against does not exist yet.
    pub async fn member(&self, person_id: i32, street_id: Option<i64>) -> User {
        use fitreg::{domain::account::Role, entities::account};
        use sea_orm::{ActiveModelTrait, ActiveValue::Set};
        let username = format!("member-{}", random_suffix().replace('_', "-"));
        let now = chrono::Utc::now();
        let created = account::ActiveModel {
            username: Set(username.clone()),
            role: Set(Role::Member),
            street_id: Set(street_id.map(|id| id as i32)),
            person_id: Set(Some(person_id)),
            password_hash: Set(Some(self.state.hasher.hash(USER_PASSWORD).await.unwrap())),
            disabled: Set(false),
            version: Set(1),
            created_at: Set(now),
            updated_at: Set(now),
            ..Default::default()
        }
        .insert(&self.db)
        .await
        .expect("insert member");
        let token = self.token(&username, USER_PASSWORD).await;
        User {
            id: created.id.into(),
            username,
            token,
        }
    }

    /// Enrols a person as admin; returns the body.
    pub async fn person(&self, name: &str, birth: &str, sequence: u16, street_id: i64) -> Value {
        let reply = self
            .send_json(
                &self.admin_token,
                Method::POST,
                "/people",
                person_body(name, birth, sequence, street_id),
            )
            .await;
        assert_eq!(
            reply.status,
            StatusCode::CREATED,
            "enrol {name}: {}",
            reply.text
        );
        reply.json
    }

    /// Records a qualification as admin; returns the body.
    pub async fn qualify(&self, person_id: i64, body: Value) -> Value {
        let reply = self
            .send_json(
                &self.admin_token,
                Method::POST,
                &format!("/people/{person_id}/qualifications"),
                body,
            )
            .await;
        assert_eq!(
            reply.status,
            StatusCode::CREATED,
            "qualify {person_id}: {}",
            reply.text
        );
        reply.json
    }

    /// A qualified volunteer 覃小燕 of `street` with `count` pending sessions in `community`,
    /// logged by the bureau two days ago an hour apart (06:00-06:45, 07:00-07:45...); the person
    /// and the sessions' ids, oldest first.
    pub async fn volunteer_with_pending_sessions(
        &self,
        street: i64,
        community: i64,
        count: u32,
    ) -> (i64, Vec<i64>) {
        let person = self.person("覃小燕", "19800202", 71, street).await["id"]
            .as_i64()
            .unwrap();
        self.qualify(
            person,
            json!({"kind": "fitness_volunteer", "certified_on": "2024-01-01"}),
        )
        .await;
        let day = (chrono::Utc::now() + chrono::TimeDelta::hours(8) - chrono::TimeDelta::days(2))
            .date_naive();
        let mut ids = Vec::new();
        for n in 0..count {
            let body = json!({
                "community_id": community,
                "started_at": format!("{day}T{:02}:00:00+08:00", 6 + n),
                "ended_at": format!("{day}T{:02}:45:00+08:00", 6 + n),
                "activity": "square_dance",
                "participants": 10 + n,
                "description": "广场舞",
                "person_id": person,
            });
            let reply = self
                .send_json(&self.admin_token, Method::POST, "/service-sessions", body)
                .await;
            assert_eq!(reply.status, StatusCode::CREATED, "{}", reply.text);
            ids.push(reply.json["id"].as_i64().unwrap());
        }
        (person, ids)
    }

    /// Enrols a person with a qualification of `kind` and assigns them to `community` from `from`
    /// until `until` (exclusive); returns the assignment id.
    pub async fn serving(
        &self,
        seq: u16,
        kind: &str,
        employment: Option<&str>,
        community: i64,
        from: &str,
        until: Option<&str>,
    ) -> i64 {
        let street = self.street_id("450203001").await;
        let person = self
            .person(&format!("人员{seq}"), "19800101", seq, street)
            .await;
        let pid = person["id"].as_i64().unwrap();
        let mut qualification = json!({"kind": kind, "certified_on": "2024-01-01"});
        if let Some(employment) = employment {
            qualification["employment"] = json!(employment);
        }
        if kind == "social_sports_instructor" {
            // A grade granted by the city is recorded without the district's eligibility rule.
            qualification["grade"] = json!("second");
            qualification["issued_by"] = json!("柳州市体育局");
            qualification["certificate_no"] = json!(format!("LZ-{seq}"));
        }
        self.qualify(pid, qualification).await;
        let made = self
            .send_json(
                &self.admin_token,
                Method::POST,
                "/assignments",
                json!({"person_id": pid, "community_id": community, "role": kind, "starts_on": from}),
            )
            .await;
        assert_eq!(made.status, 201, "{}", made.text);
        let id = made.json["id"].as_i64().unwrap();
        if let Some(until) = until {
            let ended = self
                .send_json(
                    &self.admin_token,
                    Method::POST,
                    &format!("/assignments/{id}/end"),
                    json!({"ends_on": until, "reason": "任期结束"}),
                )
                .await;
            assert_eq!(ended.status, 200, "{}", ended.text);
        }
        id
    }

    /// The id of the community with this code.
    pub async fn community_id(&self, code: &str) -> i64 {
        let found = self.get_ok(&format!("/communities?q={code}")).await;
        found["items"][0]["id"].as_i64().expect("community")
    }

    /// The id of the street with this code.
    pub async fn street_id(&self, code: &str) -> i64 {
        let streets = self.get_ok("/streets?per_page=200").await;
        streets["items"]
            .as_array()
            .unwrap()
            .iter()
            .find(|s| s["code"] == code)
            .expect("street")["id"]
            .as_i64()
            .unwrap()
    }

    pub async fn send_json(&self, token: &str, method: Method, path: &str, body: Value) -> Reply {
        self.send(self.as_user(token, method, path).json(&body))
            .await
    }

    pub async fn get_as(&self, token: &str, path: &str) -> Reply {
        self.send(self.as_user(token, Method::GET, path)).await
    }

    pub async fn send(&self, request: reqwest::RequestBuilder) -> Reply {
        let response = request.send().await.expect("request");
        let status = response.status();
        let headers = response.headers().clone();
        let text = response.text().await.expect("body");
        let json = serde_json::from_str(&text).unwrap_or(Value::Null);
        Reply {
            status,
            headers,
            text,
            json,
        }
    }

    pub async fn get(&self, path: &str) -> Reply {
        self.send(self.request(Method::GET, path)).await
    }

    /// GET that must answer 200; returns the JSON body.
    pub async fn get_ok(&self, path: &str) -> Value {
        let reply = self.get(path).await;
        assert_eq!(reply.status, StatusCode::OK, "GET {path}: {}", reply.text);
        reply.json
    }
}
