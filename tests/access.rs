//! The role-by-endpoint matrix of SPEC section 3: every operation of the OpenAPI document, for
//! every kind of caller, in and out of scope.
//!
//! The operations come from `GET /api/v1/openapi.json` itself, so an endpoint added without a row
//! here fails the test, and so does a row whose operation has left the document. Each row builds a
//! fresh request for every caller (a fresh person, session, seat or account where the request
//! would use its target up), so a caller that is allowed gets its real 2xx and never a 409 from an
//! earlier caller. Every refusal must be a problem document, must leave the row's target as it was
//! (read back before and after, as the bureau or straight from the database) and must not add to
//! the audit log.
//!
//! All targets belong to 天马街道 (`450203001`): "the officer" is an officer of that street, "the
//! other officer" one of 驾鹤街道 (`450203002`), "the member" the account of the target's person
//! and "the other member" the account of another person of the same street.

mod common;

use std::{
    cell::RefCell,
    collections::{BTreeSet, HashMap},
    sync::atomic::{AtomicU32, Ordering},
};

use chrono::{DateTime, Datelike, NaiveDate, TimeDelta, Utc};
use common::{Reply, TestApp, spawn_app};
use fitreg::{
    auth::token,
    domain::account::Role,
    entities::{account, certificate, outbox, session},
};
use futures_util::future::LocalBoxFuture;
use reqwest::Method;
use sea_orm::{
    ActiveModelTrait, ActiveValue::Set, ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter,
    QueryOrder, Statement,
};
use serde_json::{Value, json};

/// The password of the accounts this file makes.
const PASSWORD: &str = "matrix-password-1";

/// An expectation meaning "refused with 403, or with 404 because an id the request names (in its
/// body) is outside the caller's scope": SPEC section 3 allows a writer either.
const OUT: u16 = 0;

/// Who calls, in the order of every row's expectations.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Who {
    Anonymous,
    Bureau,
    Officer,
    OtherOfficer,
    Member,
    OtherMember,
    Auditor,
}

const CALLERS: [Who; 7] = [
    Who::Anonymous,
    Who::Bureau,
    Who::Officer,
    Who::OtherOfficer,
    Who::Member,
    Who::OtherMember,
    Who::Auditor,
];

/// Every signed-in caller reads it.
const SIGNED_IN: [u16; 7] = [401, 200, 200, 200, 200, 200, 200];
/// Open to everyone, signed in or not.
const PUBLIC: [u16; 7] = [200; 7];
/// The audit log and the outbox: the bureau and auditors.
const DISTRICT_RECORDS: [u16; 7] = [401, 200, 403, 403, 403, 403, 200];
/// A person's records: the bureau, the person's street office, the person and auditors read them.
const PERSON_RECORD: [u16; 7] = [401, 200, 200, 404, 200, 404, 200];
/// The coverage audit of 天马街道: its officer, the bureau and auditors; members read no coverage.
const STREET_COVERAGE: [u16; 7] = [401, 200, 200, 404, 403, 403, 200];

/// The bureau alone changes it (reference data, courses, the policy).
fn bureau_only(status: u16) -> [u16; 7] {
    [401, status, 403, 403, 403, 403, 403]
}

/// The person's street office (and the bureau) keeps the record; the person reads it.
fn street_keeps(status: u16) -> [u16; 7] {
    [401, status, status, 404, 403, 404, 403]
}

fn is_success(status: u16) -> bool {
    (200..300).contains(&status)
}

fn matches(expected: u16, got: u16) -> bool {
    expected == got || (expected == OUT && (got == 403 || got == 404))
}

fn shown(expected: u16) -> String {
    if expected == OUT {
        "403 or 404".into()
    } else {
        expected.to_string()
    }
}

/// A fresh number for names, usernames, ID numbers and codes.
fn fresh() -> u32 {
    static NEXT: AtomicU32 = AtomicU32::new(1);
    NEXT.fetch_add(1, Ordering::Relaxed)
}

/// A fresh code for a community of 天马街道 (`450203001100` and up; the seeds stop at `006`).
fn community_code() -> String {
    static NEXT: AtomicU32 = AtomicU32::new(100);
    format!("450203001{}", NEXT.fetch_add(1, Ordering::Relaxed))
}

/// A signed-in account.
#[derive(Debug, Clone)]
struct Caller {
    account_id: i32,
    token: String,
    role: Role,
    street_id: Option<i32>,
}

/// Which token a request goes with.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Token {
    /// The caller's own session.
    Own,
    /// A new session of the caller's account (for a request that ends it).
    FreshSession,
    /// A new account of the caller's role and scope (for a request that changes the account).
    FreshAccount,
}

enum Body {
    None,
    Json(Value),
    Raw(&'static str, String),
}

/// A way to read back what a refused request must not have changed.
enum Probe {
    /// `GET` as the bureau: status and body.
    Get(String),
    /// An SQL query whose first column is text.
    Sql(String),
}

/// One request, built fresh for one caller.
struct Call {
    path: String,
    body: Body,
    headers: Vec<(&'static str, String)>,
    /// The person the target belongs to: "the member" is this person's account.
    person: Option<i64>,
    token: Token,
    reread: Vec<Probe>,
}

impl Call {
    fn to(path: impl Into<String>) -> Self {
        Self {
            path: path.into(),
            body: Body::None,
            headers: Vec::new(),
            person: None,
            token: Token::Own,
            reread: Vec::new(),
        }
    }

    fn json(mut self, body: Value) -> Self {
        self.body = Body::Json(body);
        self
    }

    fn csv(mut self, text: String) -> Self {
        self.body = Body::Raw("text/csv", text);
        self
    }

    fn header(mut self, name: &'static str, value: impl Into<String>) -> Self {
        self.headers.push((name, value.into()));
        self
    }

    fn of(mut self, person_id: i64) -> Self {
        self.person = Some(person_id);
        self
    }

    fn with(mut self, token: Token) -> Self {
        self.token = token;
        self
    }

    fn reread(mut self, path: impl Into<String>) -> Self {
        self.reread.push(Probe::Get(path.into()));
        self
    }

    fn sql(mut self, query: impl Into<String>) -> Self {
        self.reread.push(Probe::Sql(query.into()));
        self
    }
}

/// How a reply's outcome is read.
#[derive(Debug, Clone, Copy)]
enum Outcome {
    /// The HTTP status.
    Status,
    /// A bulk answer (200 with one result per id): the status of the first id's result.
    PerId,
    /// An import report: 200 with row errors means nothing was written, counted as 422.
    ImportRows,
}

impl Outcome {
    fn of(self, reply: &Reply) -> u16 {
        let status = reply.status.as_u16();
        match self {
            Outcome::PerId if status == 200 => reply.json[0]["status"].as_u64().unwrap_or(0) as u16,
            Outcome::ImportRows
                if status == 200
                    && reply.json["errors"]
                        .as_array()
                        .is_some_and(|e| !e.is_empty()) =>
            {
                422
            }
            _ => status,
        }
    }
}

type Build = Box<dyn for<'a> Fn(&'a World) -> LocalBoxFuture<'a, Call>>;

/// One case of one operation: the expected outcome per caller, in [`CALLERS`] order.
struct Row {
    method: Method,
    template: &'static str,
    case: &'static str,
    expect: [u16; 7],
    outcome: Outcome,
    /// False for the routes beside the API (`/docs`, the document itself).
    in_document: bool,
    build: Build,
}

fn row<F>(
    method: Method,
    template: &'static str,
    case: &'static str,
    expect: [u16; 7],
    build: F,
) -> Row
where
    F: for<'a> Fn(&'a World) -> LocalBoxFuture<'a, Call> + 'static,
{
    Row {
        method,
        template,
        case,
        expect,
        outcome: Outcome::Status,
        in_document: true,
        build: Box::new(build),
    }
}

impl Row {
    fn outcome(mut self, outcome: Outcome) -> Self {
        self.outcome = outcome;
        self
    }

    fn beside_the_document(mut self) -> Self {
        self.in_document = false;
        self
    }
}

/// The application with the callers and the records the rows start from.
struct World {
    app: TestApp,
    password_hash: String,
    tianma: i64,
    jiahe: i64,
    /// 鱼峰社区 of 天马街道.
    community: i64,
    /// A community of 驾鹤街道.
    far_community: i64,
    bureau: Caller,
    officer: Caller,
    /// Another officer of 天马街道.
    colleague: Caller,
    other_officer: Caller,
    auditor: Caller,
    /// A qualified person of 天马街道 whose records most rows read; "the member" by default.
    p: i64,
    /// The member account of another person of 天马街道.
    other_member: Caller,
    /// An open course that began in the past, for enrolments and results.
    course: i64,
    /// A pending and an approved session of `p`.
    pending: i64,
    approved: i64,
    /// An assignment of `p`.
    assignment: i64,
    /// An account whose login works.
    login_probe: String,
    /// The end of the next free hour of `p`'s service (sessions never overlap).
    next_slot: RefCell<DateTime<Utc>>,
    /// Member accounts by person.
    members: RefCell<HashMap<i64, Caller>>,
}

impl World {
    async fn new() -> Self {
        let app = spawn_app().await;
        let password_hash = app.state.hasher.hash(PASSWORD).await.expect("hash");
        let tianma = app.street_id("450203001").await;
        let jiahe = app.street_id("450203002").await;
        let community = app.community_id("450203001001").await;
        let far_community = app
            .get_ok(&format!("/communities?street_id={jiahe}&per_page=1"))
            .await["items"][0]["id"]
            .as_i64()
            .expect("a community of 驾鹤街道");
        let me = app.get_ok("/auth/me").await;
        let bureau = Caller {
            account_id: me["id"].as_i64().unwrap() as i32,
            token: app.admin_token.clone(),
            role: Role::BureauAdmin,
            street_id: None,
        };
        let nobody = bureau.clone();
        let mut w = World {
            app,
            password_hash,
            tianma,
            jiahe,
            community,
            far_community,
            bureau,
            officer: nobody.clone(),
            colleague: nobody.clone(),
            other_officer: nobody.clone(),
            auditor: nobody.clone(),
            p: 0,
            other_member: nobody,
            course: 0,
            pending: 0,
            approved: 0,
            assignment: 0,
            login_probe: String::new(),
            next_slot: RefCell::new(Utc::now() - TimeDelta::hours(1)),
            members: RefCell::new(HashMap::new()),
        };
        w.officer = w
            .account(Role::StreetOfficer, Some(tianma), None, None)
            .await;
        w.colleague = w
            .account(Role::StreetOfficer, Some(tianma), None, None)
            .await;
        w.other_officer = w
            .account(Role::StreetOfficer, Some(jiahe), None, None)
            .await;
        w.auditor = w.account(Role::Auditor, None, None, None).await;
        w.p = w.qualified_person().await;
        w.member_of(w.p).await;
        let q = w.qualified_person().await;
        w.other_member = w.member_of(q).await;
        w.course = w.course().await;
        w.pending = w.self_logged_session().await;
        w.approved = w.approved_session(&w.bureau.token.clone()).await;
        w.assignment = w.assignment(w.p).await;
        let probe = w.account(Role::Auditor, None, None, None).await;
        w.login_probe = w.username(probe.account_id).await;
        w
    }

    /// A request as the bureau that must succeed; returns the body.
    async fn admin(&self, method: Method, path: &str, body: Option<Value>) -> Value {
        let mut request = self.app.request(method.clone(), path);
        if let Some(body) = body {
            request = request.json(&body);
        }
        let reply = self.app.send(request).await;
        assert!(
            reply.status.is_success(),
            "{method} {path} as the bureau: {} {}",
            reply.status,
            reply.text
        );
        reply.json
    }

    /// A request with `token` that must succeed; returns the body.
    async fn as_ok(&self, token: &str, method: Method, path: &str, body: Value) -> Value {
        let reply = self.app.send_json(token, method.clone(), path, body).await;
        assert!(
            reply.status.is_success(),
            "{method} {path}: {} {}",
            reply.status,
            reply.text
        );
        reply.json
    }

    /// An account made in the database, signed in with a session made there too.
    async fn account(
        &self,
        role: Role,
        street_id: Option<i64>,
        person_id: Option<i64>,
        email: Option<String>,
    ) -> Caller {
        let now = Utc::now();
        let created = account::ActiveModel {
            username: Set(format!("matrix-{}", fresh())),
            role: Set(role),
            email: Set(email),
            street_id: Set(street_id.map(|s| s as i32)),
            person_id: Set(person_id.map(|p| p as i32)),
            password_hash: Set(Some(self.password_hash.clone())),
            password_changed_at: Set(Some(now)),
            disabled: Set(false),
            version: Set(1),
            created_at: Set(now),
            updated_at: Set(now),
            ..Default::default()
        }
        .insert(&self.app.db)
        .await
        .expect("insert account");
        Caller {
            account_id: created.id,
            token: self.new_session(created.id).await,
            role,
            street_id: created.street_id,
        }
    }

    /// A new login session of an account; returns its token.
    async fn new_session(&self, account_id: i32) -> String {
        let raw = token::new_token();
        let now = Utc::now();
        session::ActiveModel {
            account_id: Set(account_id),
            token_hash: Set(token::hash_token(&raw)),
            created_at: Set(now),
            expires_at: Set(now + TimeDelta::hours(12)),
            ..Default::default()
        }
        .insert(&self.app.db)
        .await
        .expect("insert session");
        raw
    }

    async fn username(&self, account_id: i32) -> String {
        self.admin(Method::GET, &format!("/accounts/{account_id}"), None)
            .await["username"]
            .as_str()
            .unwrap()
            .to_owned()
    }

    /// The member account of a person (one per person), made on first use.
    async fn member_of(&self, person_id: i64) -> Caller {
        if let Some(found) = self.members.borrow().get(&person_id) {
            return found.clone();
        }
        let street = self
            .admin(Method::GET, &format!("/people/{person_id}"), None)
            .await["street_id"]
            .as_i64();
        let made = self
            .account(Role::Member, street, Some(person_id), None)
            .await;
        self.members.borrow_mut().insert(person_id, made.clone());
        made
    }

    /// A new account like `caller`: same role and street; a member gets a new person.
    async fn account_like(&self, caller: &Caller) -> Caller {
        match caller.role {
            Role::Member => {
                let person = self.person(self.tianma, false).await;
                self.account(Role::Member, Some(self.tianma), Some(person), None)
                    .await
            }
            role => {
                self.account(role, caller.street_id.map(i64::from), None, None)
                    .await
            }
        }
    }

    /// A body for `POST /people` with a fresh, valid ID number.
    fn person_body(&self, street_id: i64, email: bool) -> Value {
        let n = fresh();
        let birth = NaiveDate::from_ymd_opt(1975, 1, 1).unwrap() + TimeDelta::days(i64::from(n));
        let mut body = json!({
            "name": format!("矩阵{n}"),
            "id_number": common::id_number("450203", &birth.format("%Y%m%d").to_string(), 11),
            "phone": format!("139{n:08}"),
            "street_id": street_id,
        });
        if email {
            body["email"] = json!(format!("person-{n}@matrix.example.cn"));
        }
        body
    }

    /// A person enrolled by the bureau.
    async fn person(&self, street_id: i64, email: bool) -> i64 {
        self.admin(
            Method::POST,
            "/people",
            Some(self.person_body(street_id, email)),
        )
        .await["id"]
            .as_i64()
            .unwrap()
    }

    /// A person of 天马街道 holding a fitness volunteer qualification since 2024-01-01.
    async fn qualified_person(&self) -> i64 {
        let id = self.person(self.tianma, false).await;
        self.qualification(id).await;
        id
    }

    async fn qualification(&self, person_id: i64) -> i64 {
        self.app
            .qualify(
                person_id,
                json!({"kind": "fitness_volunteer", "certified_on": "2024-01-01"}),
            )
            .await["id"]
            .as_i64()
            .unwrap()
    }

    async fn assignment(&self, person_id: i64) -> i64 {
        self.admin(
            Method::POST,
            "/assignments",
            Some(
                json!({"person_id": person_id, "community_id": self.community,
                "role": "fitness_volunteer", "starts_on": "2024-02-01"}),
            ),
        )
        .await["id"]
            .as_i64()
            .unwrap()
    }

    fn course_body(&self) -> Value {
        json!({"title": format!("矩阵培训班{}", fresh()), "kind": "continuing",
            "target_role": "fitness_volunteer", "organizer": "区文体新局", "location": "矩阵馆",
            "starts_on": "2025-03-01", "ends_on": "2025-03-02", "hours": 8, "capacity": 1000,
            "status": "open"})
    }

    async fn course(&self) -> i64 {
        self.admin(Method::POST, "/courses", Some(self.course_body()))
            .await["id"]
            .as_i64()
            .unwrap()
    }

    /// A fresh person of 天马街道 holding a seat in the course.
    async fn enrolled_person(&self) -> i64 {
        let person = self.person(self.tianma, false).await;
        self.admin(
            Method::POST,
            &format!("/courses/{}/enrollments", self.course),
            Some(json!({"person_id": person})),
        )
        .await;
        person
    }

    /// The next free hour of `p`'s service, in the past: 45 minutes, an hour before the last.
    fn slot(&self) -> (DateTime<Utc>, DateTime<Utc>) {
        let mut next = self.next_slot.borrow_mut();
        let end = *next;
        *next = end - TimeDelta::hours(1);
        (end - TimeDelta::minutes(45), end)
    }

    fn session_body(&self) -> Value {
        self.session_body_at(self.community)
    }

    /// A session of `p` at `community` in the next free hour.
    fn session_body_at(&self, community: i64) -> Value {
        let (start, end) = self.slot();
        json!({"person_id": self.p, "community_id": community,
            "started_at": start.to_rfc3339(), "ended_at": end.to_rfc3339(),
            "activity": "square_dance", "participants": 20, "description": "矩阵服务"})
    }

    /// A pending session of `p` logged with `token`.
    async fn logged_session(&self, token: &str) -> i64 {
        self.as_ok(
            token,
            Method::POST,
            "/service-sessions",
            self.session_body(),
        )
        .await["id"]
            .as_i64()
            .unwrap()
    }

    /// A pending session of `p` logged by `p`'s member account.
    async fn self_logged_session(&self) -> i64 {
        let member = self.member_of(self.p).await;
        self.logged_session(&member.token).await
    }

    /// A pending session of `p` logged by `p` at a community of 驾鹤街道.
    async fn session_in_another_street(&self) -> i64 {
        let member = self.member_of(self.p).await;
        self.as_ok(
            &member.token,
            Method::POST,
            "/service-sessions",
            self.session_body_at(self.far_community),
        )
        .await["id"]
            .as_i64()
            .unwrap()
    }

    /// A session of `p`, approved with `reviewer`'s token.
    async fn approved_session(&self, reviewer: &str) -> i64 {
        let id = self.self_logged_session().await;
        self.as_ok(
            reviewer,
            Method::POST,
            &format!("/service-sessions/{id}/review"),
            json!({"decision": "approve"}),
        )
        .await;
        id
    }

    /// A pending correction, filed by `p`, of a session `reviewer` approved: (correction, session).
    async fn correction(&self, reviewer: &str) -> (i64, i64) {
        let session = self.approved_session(reviewer).await;
        let member = self.member_of(self.p).await;
        let filed = self
            .as_ok(
                &member.token,
                Method::POST,
                &format!("/service-sessions/{session}/corrections"),
                json!({"participants": 31, "reason": "人数记错了"}),
            )
            .await;
        (filed["id"].as_i64().unwrap(), session)
    }

    /// A session opened by a fresh person's check-in: (session, person).
    async fn checked_in(&self) -> (i64, i64) {
        let person = self.qualified_person().await;
        let member = self.member_of(person).await;
        let opened = self
            .as_ok(
                &member.token,
                Method::POST,
                "/service-sessions/check-in",
                json!({"community_id": self.community, "activity": "square_dance"}),
            )
            .await;
        (opened["id"].as_i64().unwrap(), person)
    }

    /// A one-row people CSV of 天马街道 with a fresh ID number: (file, ID number).
    fn people_csv(&self) -> (String, String) {
        let body = self.person_body(self.tianma, false);
        let number = body["id_number"].as_str().unwrap().to_owned();
        let birth = format!("{}-{}-{}", &number[6..10], &number[10..12], &number[12..14]);
        let csv = format!(
            "name,gender,birth_date,id_number,phone,email,street_code,community_code,role,grade,employment,certificate_no,certified_on,specialties\n\
             {},男,{birth},{number},{},,450203001,,,,,,,\n",
            body["name"].as_str().unwrap(),
            body["phone"].as_str().unwrap(),
        );
        (csv, number)
    }

    /// An import of one person, made by the officer of 天马街道: (import id, ID number).
    async fn officer_import(&self) -> (String, String) {
        let (csv, number) = self.people_csv();
        let reply = self
            .app
            .send(
                self.app
                    .as_user(&self.officer.token, Method::POST, "/people/import")
                    .header("content-type", "text/csv")
                    .body(csv),
            )
            .await;
        let id = reply.json["import_id"]
            .as_str()
            .unwrap_or_else(|| panic!("import: {}", reply.text))
            .to_owned();
        (id, number)
    }

    /// All requests come from one loopback client, which the reset throttle (ten in 15 minutes)
    /// would stop; the matrix is about who may ask, so the count starts afresh.
    async fn forget_reset_requests(&self) {
        use sea_orm::ConnectionTrait;
        self.app
            .db
            .execute_unprepared("DELETE FROM request_throttle")
            .await
            .expect("clear the throttle");
    }

    /// The one-time token of the newest mail to `recipient`.
    async fn mailed_token(&self, recipient: &str) -> String {
        let mail = outbox::Entity::find()
            .filter(outbox::Column::Recipient.eq(recipient))
            .order_by_desc(outbox::Column::Id)
            .one(&self.app.db)
            .await
            .unwrap()
            .unwrap_or_else(|| panic!("no mail to {recipient}"));
        let start = mail.body.find("token=").expect("a link with a token") + "token=".len();
        mail.body[start..]
            .chars()
            .take_while(char::is_ascii_hexdigit)
            .collect()
    }

    /// The verification code of a certificate of `p` issued by the bureau.
    async fn certificate_code(&self) -> String {
        let reply = self
            .app
            .get(&format!("/people/{}/certificate", self.p))
            .await;
        assert_eq!(reply.status, 200, "{}", reply.text);
        certificate::Entity::find()
            .order_by_desc(certificate::Column::Id)
            .one(&self.app.db)
            .await
            .unwrap()
            .expect("a certificate")
            .code
    }

    /// The caller's account for one request.
    async fn caller(&self, who: Who, call: &Call) -> Option<Caller> {
        let caller = match who {
            Who::Anonymous => return None,
            Who::Bureau => self.bureau.clone(),
            Who::Officer => self.officer.clone(),
            Who::OtherOfficer => self.other_officer.clone(),
            Who::Member => self.member_of(call.person.unwrap_or(self.p)).await,
            Who::OtherMember => self.other_member.clone(),
            Who::Auditor => self.auditor.clone(),
        };
        Some(match call.token {
            Token::Own => caller,
            Token::FreshSession => Caller {
                token: self.new_session(caller.account_id).await,
                ..caller
            },
            Token::FreshAccount => self.account_like(&caller).await,
        })
    }

    async fn send(&self, method: &Method, call: &Call, token: Option<&str>) -> Reply {
        let app = &self.app;
        let mut request = match token {
            Some(token) => app.as_user(token, method.clone(), &call.path),
            None => app.anon(method.clone(), &call.path),
        };
        for (name, value) in &call.headers {
            request = request.header(*name, value);
        }
        request = match &call.body {
            Body::None => request,
            Body::Json(body) => request.json(body),
            Body::Raw(content_type, text) => request
                .header("content-type", *content_type)
                .body(text.clone()),
        };
        app.send(request).await
    }

    /// What the probes read now.
    async fn snapshot(&self, probes: &[Probe]) -> Vec<String> {
        let mut seen = Vec::new();
        for probe in probes {
            seen.push(match probe {
                Probe::Get(path) => {
                    let reply = self.app.get(path).await;
                    format!("GET {path} → {} {}", reply.status, reply.text)
                }
                Probe::Sql(query) => {
                    let backend = self.app.db.get_database_backend();
                    let rows = self
                        .app
                        .db
                        .query_all_raw(Statement::from_string(backend, query.clone()))
                        .await
                        .unwrap_or_else(|e| panic!("{query}: {e}"));
                    let values: Vec<Option<String>> = rows
                        .iter()
                        .map(|r| r.try_get_by_index::<Option<String>>(0).unwrap())
                        .collect();
                    format!("{query} → {values:?}")
                }
            });
        }
        seen
    }

    /// How many entries the audit log holds.
    async fn audit_total(&self) -> i64 {
        self.app.get_ok("/audit-log?per_page=1").await["total"]
            .as_i64()
            .unwrap()
    }
}

/// What is wrong with a refusal that should be an RFC 9457 problem document, if anything.
fn problem_issue(reply: &Reply) -> Option<String> {
    if !reply.content_type().starts_with("application/problem+json") {
        return Some(format!(
            "content type {:?}, not problem+json",
            reply.content_type()
        ));
    }
    if let Some(key) = ["type", "title", "detail"]
        .into_iter()
        .find(|key| !reply.json[key].is_string())
    {
        return Some(format!("the problem lacks {key}"));
    }
    (reply.json["status"] != reply.status.as_u16())
        .then(|| format!("the problem's status is {}", reply.json["status"]))
}

/// Every operation of the document and the cases that exercise it.
fn matrix() -> Vec<Row> {
    use Method as M;
    vec![
        // Authentication: open endpoints answer the same whoever sends them.
        row(
            M::POST,
            "/auth/login",
            "the right password logs in whoever sends it",
            PUBLIC,
            |w| {
                Box::pin(async move {
                    Call::to("/auth/login")
                        .json(json!({"username": w.login_probe, "password": PASSWORD}))
                })
            },
        ),
        row(
            M::POST,
            "/auth/login",
            "a wrong password is refused whoever sends it",
            [401; 7],
            |w| {
                Box::pin(async move {
                    let target = w.account(Role::Auditor, None, None, None).await;
                    let username = w.username(target.account_id).await;
                    Call::to("/auth/login")
                        .json(json!({"username": username, "password": "wrong-password-1"}))
                        .reread(format!("/accounts/{}", target.account_id))
                })
            },
        ),
        row(
            M::POST,
            "/auth/logout",
            "every caller ends a fresh session of its own",
            [401, 204, 204, 204, 204, 204, 204],
            |_| Box::pin(async { Call::to("/auth/logout").with(Token::FreshSession) }),
        ),
        row(
            M::GET,
            "/auth/me",
            "every caller reads its own account",
            SIGNED_IN,
            |_| Box::pin(async { Call::to("/auth/me") }),
        ),
        row(
            M::POST,
            "/auth/password",
            "every caller changes its own password",
            [401, 204, 204, 204, 204, 204, 204],
            |_| {
                Box::pin(async {
                    Call::to("/auth/password")
                        .json(json!({"current_password": PASSWORD,
                            "new_password": "matrix-changed-password-1"}))
                        .with(Token::FreshAccount)
                })
            },
        ),
        row(
            M::POST,
            "/auth/password-reset",
            "anyone asks for a reset link",
            [202; 7],
            |w| {
                Box::pin(async move {
                    let email = format!("reset-{}@matrix.example.cn", fresh());
                    w.account(Role::Auditor, None, None, Some(email.clone()))
                        .await;
                    w.forget_reset_requests().await;
                    Call::to("/auth/password-reset").json(json!({"email": email}))
                })
            },
        ),
        row(
            M::POST,
            "/auth/password-reset/confirm",
            "a mailed reset token sets the password whoever sends it",
            [204; 7],
            |w| {
                Box::pin(async move {
                    let email = format!("reset-{}@matrix.example.cn", fresh());
                    w.account(Role::Auditor, None, None, Some(email.clone()))
                        .await;
                    w.forget_reset_requests().await;
                    let asked = w
                        .app
                        .send(
                            w.app
                                .anon(M::POST, "/auth/password-reset")
                                .json(&json!({"email": email})),
                        )
                        .await;
                    assert_eq!(asked.status, 202, "{}", asked.text);
                    let token = w.mailed_token(&email).await;
                    Call::to("/auth/password-reset/confirm")
                        .json(json!({"token": token, "new_password": "matrix-reset-password-1"}))
                })
            },
        ),
        row(
            M::POST,
            "/auth/password-reset/confirm",
            "a made-up reset token is refused, whatever bearer token comes with it",
            [422; 7],
            |_| {
                Box::pin(async {
                    Call::to("/auth/password-reset/confirm")
                        .json(json!({"token": "0".repeat(64), "new_password": "matrix-reset-password-1"}))
                        .sql("SELECT CAST(COUNT(*) AS TEXT) FROM account_token WHERE used_at IS NOT NULL")
                })
            },
        ),
        row(
            M::POST,
            "/auth/activate",
            "a mailed invitation token activates the account whoever sends it",
            [204; 7],
            |w| {
                Box::pin(async move {
                    let email = format!("invited-{}@matrix.example.cn", fresh());
                    w.admin(
                        M::POST,
                        "/accounts",
                        Some(json!({"username": format!("invited-{}", fresh()),
                            "role": "auditor", "email": email})),
                    )
                    .await;
                    let token = w.mailed_token(&email).await;
                    Call::to("/auth/activate")
                        .json(json!({"token": token, "password": "matrix-first-password-1"}))
                })
            },
        ),
        // Accounts.
        row(
            M::GET,
            "/accounts",
            "every caller lists the accounts of its scope",
            SIGNED_IN,
            |_| Box::pin(async { Call::to("/accounts") }),
        ),
        row(
            M::POST,
            "/accounts",
            "a member account of the street's person, invited at the person's address",
            [401, 201, 201, OUT, 403, 403, 403],
            |w| {
                Box::pin(async move {
                    let person = w.person(w.tianma, true).await;
                    let username = format!("member-{}", fresh());
                    Call::to("/accounts")
                        .json(json!({"username": username, "role": "member", "person_id": person}))
                        .reread(format!("/accounts?q={username}"))
                })
            },
        ),
        row(
            M::POST,
            "/accounts",
            "an account of another role is the bureau's to create",
            bureau_only(201),
            |_| {
                Box::pin(async {
                    let n = fresh();
                    let username = format!("auditor-{n}");
                    Call::to("/accounts")
                        .json(json!({"username": username, "role": "auditor",
                            "email": format!("auditor-{n}@matrix.example.cn")}))
                        .reread(format!("/accounts?q={username}"))
                })
            },
        ),
        row(
            M::POST,
            "/accounts",
            "only the bureau sets the password of a new member account",
            [401, 201, 403, OUT, 403, 403, 403],
            |w| {
                Box::pin(async move {
                    let person = w.person(w.tianma, false).await;
                    let username = format!("member-{}", fresh());
                    Call::to("/accounts")
                        .json(
                            json!({"username": username, "role": "member", "person_id": person,
                            "password": "matrix-member-password-1"}),
                        )
                        .reread(format!("/accounts?q={username}"))
                })
            },
        ),
        row(
            M::POST,
            "/accounts",
            "a person has at most one member account",
            [401, 409, 409, OUT, 403, 403, 403],
            |w| {
                Box::pin(async move {
                    let person = w.person(w.tianma, true).await;
                    w.member_of(person).await;
                    let username = format!("member-{}", fresh());
                    Call::to("/accounts")
                        .json(json!({"username": username, "role": "member", "person_id": person}))
                        .of(person)
                        .reread(format!("/accounts?q={username}"))
                        .sql(format!(
                            "SELECT CAST(COUNT(*) AS TEXT) FROM account WHERE person_id = {person}"
                        ))
                })
            },
        ),
        row(
            M::GET,
            "/accounts/{id}",
            "a member account: the bureau, its street, itself and auditors read it",
            PERSON_RECORD,
            |w| {
                Box::pin(async move {
                    let member = w.member_of(w.p).await;
                    Call::to(format!("/accounts/{}", member.account_id)).of(w.p)
                })
            },
        ),
        row(
            M::GET,
            "/accounts/{id}",
            "an officer's account: the bureau, the street's officers and auditors read it",
            [401, 200, 200, 404, 404, 404, 200],
            |w| Box::pin(async move { Call::to(format!("/accounts/{}", w.colleague.account_id)) }),
        ),
        row(
            M::PATCH,
            "/accounts/{id}",
            "the street office disables a member account of its street",
            [401, 200, 200, 404, 403, 404, 403],
            |w| {
                Box::pin(async move {
                    let person = w.person(w.tianma, false).await;
                    let member = w.member_of(person).await;
                    let path = format!("/accounts/{}", member.account_id);
                    Call::to(&path)
                        .json(json!({"disabled": true, "version": 1}))
                        .of(person)
                        .reread(path)
                })
            },
        ),
        row(
            M::PATCH,
            "/accounts/{id}",
            "a member account's address is changed by the bureau or the person only",
            [401, 200, 403, 404, 200, 404, 403],
            |w| {
                Box::pin(async move {
                    let person = w.person(w.tianma, false).await;
                    let member = w.member_of(person).await;
                    let path = format!("/accounts/{}", member.account_id);
                    Call::to(&path)
                        .json(
                            json!({"email": format!("moved-{}@matrix.example.cn", fresh()),
                            "version": 1}),
                        )
                        .of(person)
                        .reread(path)
                })
            },
        ),
        row(
            M::PATCH,
            "/accounts/{id}",
            "an account's role is the bureau's to change",
            [401, 200, 403, 404, 403, 404, 403],
            |w| {
                Box::pin(async move {
                    let person = w.person(w.tianma, false).await;
                    let member = w.member_of(person).await;
                    let path = format!("/accounts/{}", member.account_id);
                    Call::to(&path)
                        .json(json!({"role": "auditor", "version": 1}))
                        .of(person)
                        .reread(path)
                })
            },
        ),
        row(
            M::PATCH,
            "/accounts/{id}",
            "an officer's account is the bureau's to change",
            [401, 200, 403, 404, 404, 404, 403],
            |w| {
                Box::pin(async move {
                    let colleague = w
                        .account(Role::StreetOfficer, Some(w.tianma), None, None)
                        .await;
                    let path = format!("/accounts/{}", colleague.account_id);
                    Call::to(&path)
                        .json(
                            json!({"email": format!("officer-{}@matrix.example.cn", fresh()),
                            "version": 1}),
                        )
                        .reread(path)
                })
            },
        ),
        row(
            M::POST,
            "/accounts/{id}/invitation",
            "the street office invites a waiting member account of its street again",
            [401, 202, 202, 404, 404, 404, 403],
            |w| {
                Box::pin(async move {
                    let person = w.person(w.tianma, true).await;
                    let invited = w
                        .admin(
                            M::POST,
                            "/accounts",
                            Some(json!({"username": format!("member-{}", fresh()),
                                "role": "member", "person_id": person})),
                        )
                        .await;
                    let id = invited["id"].as_i64().unwrap();
                    Call::to(format!("/accounts/{id}/invitation")).sql(format!(
                        "SELECT token_hash FROM account_token WHERE account_id = {id} \
                         AND used_at IS NULL"
                    ))
                })
            },
        ),
        row(
            M::POST,
            "/accounts/{id}/invitation",
            "an activated account is not invited again",
            [401, 409, 409, 404, 403, 404, 403],
            |w| {
                Box::pin(async move {
                    let person = w.person(w.tianma, true).await;
                    let member = w.member_of(person).await;
                    let id = member.account_id;
                    Call::to(format!("/accounts/{id}/invitation"))
                        .of(person)
                        .reread(format!("/accounts/{id}"))
                        .sql(format!(
                            "SELECT CAST(COUNT(*) AS TEXT) FROM account_token WHERE account_id = {id}"
                        ))
                })
            },
        ),
        // Regions, sport items and the policy: reference data everyone reads and the bureau keeps.
        row(
            M::GET,
            "/streets",
            "every caller lists the streets",
            SIGNED_IN,
            |_| Box::pin(async { Call::to("/streets") }),
        ),
        row(
            M::GET,
            "/streets/{id}",
            "every caller reads a street",
            SIGNED_IN,
            |w| Box::pin(async move { Call::to(format!("/streets/{}", w.tianma)) }),
        ),
        row(
            M::GET,
            "/communities",
            "every caller lists the communities",
            SIGNED_IN,
            |_| Box::pin(async { Call::to("/communities") }),
        ),
        row(
            M::GET,
            "/communities/{id}",
            "every caller reads a community",
            SIGNED_IN,
            |w| Box::pin(async move { Call::to(format!("/communities/{}", w.community)) }),
        ),
        row(
            M::POST,
            "/communities",
            "the bureau adds communities",
            bureau_only(201),
            |w| {
                Box::pin(async move {
                    let code = community_code();
                    Call::to("/communities")
                        .json(json!({"street_id": w.tianma, "code": code, "name": format!("矩阵社区{code}")}))
                        .reread(format!("/communities?q={code}"))
                })
            },
        ),
        row(
            M::PATCH,
            "/communities/{id}",
            "the bureau changes communities, even those of the officer's street",
            bureau_only(200),
            |w| {
                Box::pin(async move {
                    let code = community_code();
                    let made = w
                        .admin(
                            M::POST,
                            "/communities",
                            Some(json!({"street_id": w.tianma, "code": code, "name": format!("矩阵社区{code}")})),
                        )
                        .await;
                    let path = format!("/communities/{}", made["id"]);
                    Call::to(&path)
                        .json(json!({"population": 4321, "version": made["version"]}))
                        .reread(path)
                })
            },
        ),
        row(
            M::GET,
            "/sport-items",
            "every caller lists the sport items",
            SIGNED_IN,
            |_| Box::pin(async { Call::to("/sport-items") }),
        ),
        row(
            M::GET,
            "/policy",
            "every caller reads the policy",
            SIGNED_IN,
            |_| Box::pin(async { Call::to("/policy") }),
        ),
        row(
            M::PUT,
            "/policy",
            "the bureau changes the policy",
            bureau_only(200),
            |w| {
                Box::pin(async move {
                    let policy = w.admin(M::GET, "/policy", None).await;
                    Call::to("/policy").json(policy).reread("/policy")
                })
            },
        ),
        // District records.
        row(
            M::GET,
            "/audit-log",
            "the bureau and auditors read the audit log",
            DISTRICT_RECORDS,
            |_| Box::pin(async { Call::to("/audit-log") }),
        ),
        row(
            M::GET,
            "/audit-log/verify",
            "the bureau and auditors verify the audit log",
            DISTRICT_RECORDS,
            |_| Box::pin(async { Call::to("/audit-log/verify") }),
        ),
        row(
            M::GET,
            "/outbox",
            "the bureau and auditors read the outbox",
            DISTRICT_RECORDS,
            |_| Box::pin(async { Call::to("/outbox") }),
        ),
        // People and their qualifications.
        row(
            M::GET,
            "/people",
            "every caller lists the people of its scope",
            SIGNED_IN,
            |_| Box::pin(async { Call::to("/people") }),
        ),
        row(
            M::POST,
            "/people",
            "the street office enrols people in its street",
            [401, 201, 201, 403, 403, 403, 403],
            |w| {
                Box::pin(async move {
                    let body = w.person_body(w.tianma, false);
                    let number = body["id_number"].as_str().unwrap().to_owned();
                    Call::to("/people")
                        .json(body)
                        .reread(format!("/people?q={number}"))
                })
            },
        ),
        row(
            M::GET,
            "/people/{id}",
            "a person's record",
            PERSON_RECORD,
            |w| Box::pin(async move { Call::to(format!("/people/{}", w.p)).of(w.p) }),
        ),
        row(
            M::PATCH,
            "/people/{id}",
            "the street office edits its people",
            street_keeps(200),
            |w| {
                Box::pin(async move {
                    let person = w.person(w.tianma, false).await;
                    let path = format!("/people/{person}");
                    Call::to(&path)
                        .json(json!({"phone": format!("137{:08}", fresh()), "version": 1}))
                        .of(person)
                        .reread(path)
                })
            },
        ),
        row(
            M::PATCH,
            "/people/{id}",
            "only the bureau moves a person to another street",
            [401, 200, 403, 404, 403, 404, 403],
            |w| {
                Box::pin(async move {
                    let person = w.person(w.tianma, false).await;
                    let path = format!("/people/{person}");
                    Call::to(&path)
                        .json(json!({"street_id": w.jiahe, "version": 1}))
                        .of(person)
                        .reread(path)
                })
            },
        ),
        row(
            M::GET,
            "/people/{id}/data-export",
            "the bureau and the person export everything held on the person",
            [401, 200, 403, 404, 200, 404, 403],
            |w| {
                Box::pin(async move {
                    Call::to(format!("/people/{}/data-export", w.p))
                        .of(w.p)
                        .reread(format!("/people/{}", w.p))
                })
            },
        ),
        row(
            M::POST,
            "/people/{id}/qualifications",
            "the street office records a qualification",
            street_keeps(201),
            |w| {
                Box::pin(async move {
                    let person = w.person(w.tianma, false).await;
                    Call::to(format!("/people/{person}/qualifications"))
                        .json(json!({"kind": "fitness_volunteer", "certified_on": "2024-01-01"}))
                        .of(person)
                        .reread(format!("/people/{person}"))
                })
            },
        ),
        row(
            M::POST,
            "/people/{id}/qualifications",
            "only the bureau records a grade above third",
            [401, 201, 403, 404, 403, 404, 403],
            |w| {
                Box::pin(async move {
                    let person = w.person(w.tianma, false).await;
                    Call::to(format!("/people/{person}/qualifications"))
                        .json(json!({"kind": "social_sports_instructor", "grade": "second",
                            "issued_by": "柳州市体育局", "certificate_no": format!("SJ-{}", fresh()),
                            "certified_on": "2024-01-01"}))
                        .of(person)
                        .reread(format!("/people/{person}"))
                })
            },
        ),
        row(
            M::PATCH,
            "/people/{id}/qualifications/{qid}",
            "the street office edits a qualification",
            street_keeps(200),
            |w| {
                Box::pin(async move {
                    let person = w.person(w.tianma, false).await;
                    let qualification = w.qualification(person).await;
                    Call::to(format!("/people/{person}/qualifications/{qualification}"))
                        .json(json!({"certificate_no": format!("矩阵-{}", fresh()), "version": 1}))
                        .of(person)
                        .reread(format!("/people/{person}"))
                })
            },
        ),
        row(
            M::GET,
            "/people/{id}/eligibility",
            "a person's grade eligibility",
            PERSON_RECORD,
            |w| Box::pin(async move { Call::to(format!("/people/{}/eligibility", w.p)).of(w.p) }),
        ),
        row(
            M::GET,
            "/people/{id}/training",
            "a person's training record",
            PERSON_RECORD,
            |w| Box::pin(async move { Call::to(format!("/people/{}/training", w.p)).of(w.p) }),
        ),
        row(
            M::GET,
            "/people/{id}/registrations",
            "a person's work registrations",
            PERSON_RECORD,
            |w| Box::pin(async move { Call::to(format!("/people/{}/registrations", w.p)).of(w.p) }),
        ),
        row(
            M::POST,
            "/people/{id}/registrations",
            "the street office registers its people for the year",
            street_keeps(201),
            |w| {
                Box::pin(async move {
                    let person = w.qualified_person().await;
                    let year = (Utc::now() + TimeDelta::hours(8)).year();
                    Call::to(format!("/people/{person}/registrations"))
                        .json(json!({"year": year}))
                        .of(person)
                        .reread(format!("/people/{person}/registrations"))
                })
            },
        ),
        row(
            M::GET,
            "/people/{id}/service-summary",
            "a person's service hours",
            PERSON_RECORD,
            |w| {
                Box::pin(
                    async move { Call::to(format!("/people/{}/service-summary", w.p)).of(w.p) },
                )
            },
        ),
        row(
            M::GET,
            "/people/{id}/certificate",
            "the bureau, the street office and the person issue a certificate; auditors issue none",
            [401, 200, 200, 404, 200, 404, 403],
            |w| {
                Box::pin(async move {
                    Call::to(format!("/people/{}/certificate", w.p))
                        .of(w.p)
                        .sql("SELECT CAST(COUNT(*) AS TEXT) FROM certificate")
                })
            },
        ),
        row(
            M::GET,
            "/certificates/{code}",
            "anyone verifies a certificate",
            PUBLIC,
            |w| {
                Box::pin(async move {
                    Call::to(format!("/certificates/{}", w.certificate_code().await))
                })
            },
        ),
        row(
            M::GET,
            "/certificates/{code}",
            "an unknown code is unknown to everyone",
            [404; 7],
            |_| Box::pin(async { Call::to(format!("/certificates/{}", "ab".repeat(16))) }),
        ),
        row(
            M::GET,
            "/people/export",
            "every caller exports the people of its scope",
            SIGNED_IN,
            |_| Box::pin(async { Call::to("/people/export?format=csv") }),
        ),
        row(
            M::POST,
            "/people/import",
            "the street office imports people into its street; another street's rows are refused",
            [401, 200, 200, 422, 403, 403, 403],
            |w| {
                Box::pin(async move {
                    let (csv, number) = w.people_csv();
                    Call::to("/people/import")
                        .csv(csv)
                        .reread(format!("/people?q={number}"))
                })
            },
        )
        .outcome(Outcome::ImportRows),
        row(
            M::GET,
            "/people/import/template",
            "whoever imports downloads the import template",
            [401, 200, 200, 200, 403, 403, 403],
            |_| Box::pin(async { Call::to("/people/import/template?format=xlsx") }),
        ),
        row(
            M::DELETE,
            "/imports/{import_id}",
            "the bureau and whoever imported undo an import",
            [401, 204, 204, 404, 404, 404, 403],
            |w| {
                Box::pin(async move {
                    let (import, number) = w.officer_import().await;
                    Call::to(format!("/imports/{import}")).reread(format!("/people?q={number}"))
                })
            },
        ),
        // Assignments.
        row(
            M::GET,
            "/assignments",
            "every caller lists the assignments of its scope",
            SIGNED_IN,
            |_| Box::pin(async { Call::to("/assignments") }),
        ),
        row(
            M::POST,
            "/assignments",
            "the street office assigns its people to its communities",
            [401, 201, 201, OUT, 403, OUT, 403],
            |w| {
                Box::pin(async move {
                    let person = w.qualified_person().await;
                    Call::to("/assignments")
                        .json(json!({"person_id": person, "community_id": w.community,
                            "role": "fitness_volunteer", "starts_on": "2024-02-01"}))
                        .of(person)
                        .reread(format!("/assignments?person_id={person}"))
                })
            },
        ),
        row(
            M::POST,
            "/assignments",
            "the street office assigns no one to another street's community",
            [401, 201, 403, OUT, 403, OUT, 403],
            |w| {
                Box::pin(async move {
                    let person = w.qualified_person().await;
                    Call::to("/assignments")
                        .json(json!({"person_id": person, "community_id": w.far_community,
                            "role": "fitness_volunteer", "starts_on": "2024-02-01"}))
                        .of(person)
                        .reread(format!("/assignments?person_id={person}"))
                })
            },
        ),
        row(
            M::GET,
            "/assignments/{id}",
            "an assignment",
            PERSON_RECORD,
            |w| Box::pin(async move { Call::to(format!("/assignments/{}", w.assignment)).of(w.p) }),
        ),
        row(
            M::POST,
            "/assignments/{id}/end",
            "the street office ends an assignment in its street",
            street_keeps(200),
            |w| {
                Box::pin(async move {
                    let person = w.qualified_person().await;
                    let path = format!("/assignments/{}", w.assignment(person).await);
                    Call::to(format!("{path}/end"))
                        .json(json!({"ends_on": "2024-06-01", "reason": "矩阵结束"}))
                        .of(person)
                        .reread(path)
                })
            },
        ),
        // Training.
        row(
            M::POST,
            "/courses",
            "the bureau runs courses",
            bureau_only(201),
            |w| {
                Box::pin(async move {
                    let body = w.course_body();
                    let title = body["title"].as_str().unwrap().to_owned();
                    Call::to("/courses")
                        .json(body)
                        .reread(format!("/courses?q={title}"))
                })
            },
        ),
        row(
            M::GET,
            "/courses",
            "every caller lists the courses",
            SIGNED_IN,
            |_| Box::pin(async { Call::to("/courses") }),
        ),
        row(
            M::GET,
            "/courses/{id}",
            "every caller reads a course",
            SIGNED_IN,
            |w| Box::pin(async move { Call::to(format!("/courses/{}", w.course)) }),
        ),
        row(
            M::PATCH,
            "/courses/{id}",
            "the bureau changes courses",
            bureau_only(200),
            |w| {
                Box::pin(async move {
                    let path = format!("/courses/{}", w.course().await);
                    Call::to(&path)
                        .json(json!({"location": "矩阵体育馆", "version": 1}))
                        .reread(path)
                })
            },
        ),
        row(
            M::GET,
            "/courses/{id}/enrollments",
            "every caller lists the seats of its scope",
            SIGNED_IN,
            |w| Box::pin(async move { Call::to(format!("/courses/{}/enrollments", w.course)) }),
        ),
        row(
            M::GET,
            "/courses/{id}/enrollments",
            "every caller prints the sign-in sheet of its scope",
            SIGNED_IN,
            |w| {
                Box::pin(async move {
                    Call::to(format!("/courses/{}/enrollments?format=csv", w.course))
                })
            },
        ),
        row(
            M::POST,
            "/courses/{id}/enrollments",
            "the street office enrols its people in a course",
            [401, 201, 201, OUT, 403, OUT, 403],
            |w| {
                Box::pin(async move {
                    let person = w.person(w.tianma, false).await;
                    Call::to(format!("/courses/{}/enrollments", w.course))
                        .json(json!({"person_id": person}))
                        .of(person)
                        .reread(format!("/courses/{}", w.course))
                        .reread(format!("/people/{person}/training"))
                })
            },
        ),
        row(
            M::DELETE,
            "/courses/{id}/enrollments/{person_id}",
            "the street office withdraws its people from a course",
            street_keeps(200),
            |w| {
                Box::pin(async move {
                    let person = w.enrolled_person().await;
                    Call::to(format!("/courses/{}/enrollments/{person}", w.course))
                        .of(person)
                        .reread(format!("/courses/{}", w.course))
                        .reread(format!("/people/{person}/training"))
                })
            },
        ),
        row(
            M::POST,
            "/courses/{id}/enrollments/{person_id}/result",
            "the bureau records training results",
            [401, 200, 403, 404, 403, 404, 403],
            |w| {
                Box::pin(async move {
                    let person = w.enrolled_person().await;
                    Call::to(format!("/courses/{}/enrollments/{person}/result", w.course))
                        .json(json!({"status": "completed"}))
                        .of(person)
                        .reread(format!("/people/{person}/training"))
                })
            },
        ),
        row(
            M::POST,
            "/courses/{id}/results",
            "the bureau records a whole class's results",
            [401, 200, 403, 403, 403, 403, 403],
            |w| {
                Box::pin(async move {
                    let person = w.enrolled_person().await;
                    Call::to(format!("/courses/{}/results", w.course))
                        .json(json!({"results": [{"person_id": person, "status": "completed"}]}))
                        .of(person)
                        .reread(format!("/people/{person}/training"))
                })
            },
        ),
        // Coverage.
        row(
            M::GET,
            "/coverage",
            "the coverage of 天马街道",
            STREET_COVERAGE,
            |w| Box::pin(async move { Call::to(format!("/coverage?street_id={}", w.tianma)) }),
        ),
        row(
            M::GET,
            "/coverage",
            "the coverage of the caller's whole scope",
            [401, 200, 200, 200, 403, 403, 200],
            |_| Box::pin(async { Call::to("/coverage") }),
        ),
        row(
            M::GET,
            "/coverage/gaps",
            "the gaps of 天马街道",
            STREET_COVERAGE,
            |w| Box::pin(async move { Call::to(format!("/coverage/gaps?street_id={}", w.tianma)) }),
        ),
        row(
            M::GET,
            "/coverage/at-risk",
            "the communities of 天马街道 at risk",
            STREET_COVERAGE,
            |w| {
                Box::pin(
                    async move { Call::to(format!("/coverage/at-risk?street_id={}", w.tianma)) },
                )
            },
        ),
        row(
            M::GET,
            "/coverage/export",
            "the coverage export of 天马街道",
            STREET_COVERAGE,
            |w| {
                Box::pin(async move {
                    Call::to(format!(
                        "/coverage/export?format=csv&street_id={}",
                        w.tianma
                    ))
                })
            },
        ),
        row(
            M::POST,
            "/coverage/alerts",
            "the bureau sends the coverage alerts",
            bureau_only(200),
            |_| {
                Box::pin(async {
                    Call::to("/coverage/alerts").sql("SELECT CAST(COUNT(*) AS TEXT) FROM outbox")
                })
            },
        ),
        // Service sessions.
        row(
            M::POST,
            "/service-sessions",
            "the person and its street office log the person's sessions",
            [401, 201, 201, OUT, 201, OUT, 403],
            |w| {
                Box::pin(async move {
                    Call::to("/service-sessions")
                        .json(w.session_body())
                        .header("Idempotency-Key", format!("matrix-{}", fresh()))
                        .of(w.p)
                        .reread(format!("/service-sessions?person_id={}&per_page=1", w.p))
                })
            },
        ),
        row(
            M::GET,
            "/service-sessions",
            "every caller lists the sessions of its scope",
            SIGNED_IN,
            |_| Box::pin(async { Call::to("/service-sessions") }),
        ),
        row(
            M::GET,
            "/service-sessions/queue",
            "every caller reads the review queue of its scope",
            SIGNED_IN,
            |_| Box::pin(async { Call::to("/service-sessions/queue") }),
        ),
        row(
            M::POST,
            "/service-sessions/check-in",
            "members check in, each for itself",
            [401, 403, 403, 403, 201, 201, 403],
            |w| {
                Box::pin(async move {
                    let person = w.qualified_person().await;
                    Call::to("/service-sessions/check-in")
                        .json(json!({"community_id": w.community, "activity": "square_dance"}))
                        .of(person)
                        .sql("SELECT CAST(COUNT(*) AS TEXT) FROM service_session")
                })
            },
        ),
        row(
            M::GET,
            "/service-sessions/{id}",
            "a session",
            PERSON_RECORD,
            |w| {
                Box::pin(
                    async move { Call::to(format!("/service-sessions/{}", w.pending)).of(w.p) },
                )
            },
        ),
        row(
            M::GET,
            "/service-sessions/{id}",
            "a session held in another street is read there too",
            [401, 200, 200, 200, 200, 404, 200],
            |w| {
                Box::pin(async move {
                    let id = w.session_in_another_street().await;
                    Call::to(format!("/service-sessions/{id}")).of(w.p)
                })
            },
        ),
        row(
            M::PATCH,
            "/service-sessions/{id}",
            "a pending session the person logged is edited by the person",
            [401, 403, 403, 404, 200, 404, 403],
            |w| {
                Box::pin(async move {
                    let path = format!("/service-sessions/{}", w.self_logged_session().await);
                    Call::to(&path)
                        .json(json!({"description": "改过的描述", "version": 1}))
                        .of(w.p)
                        .reread(&path)
                        .reread(format!("{path}/history"))
                })
            },
        ),
        row(
            M::PATCH,
            "/service-sessions/{id}",
            "a pending session an officer logged is edited by that officer or the person",
            [401, 403, 200, 404, 200, 404, 403],
            |w| {
                Box::pin(async move {
                    let path = format!(
                        "/service-sessions/{}",
                        w.logged_session(&w.officer.token).await
                    );
                    Call::to(&path)
                        .json(json!({"description": "改过的描述", "version": 1}))
                        .of(w.p)
                        .reread(&path)
                        .reread(format!("{path}/history"))
                })
            },
        ),
        row(
            M::POST,
            "/service-sessions/{id}/review",
            "the street office reviews sessions held in its communities",
            street_keeps(200),
            |w| {
                Box::pin(async move {
                    let path = format!("/service-sessions/{}", w.self_logged_session().await);
                    Call::to(format!("{path}/review"))
                        .json(json!({"decision": "approve"}))
                        .of(w.p)
                        .reread(&path)
                        .reread(format!("{path}/history"))
                })
            },
        ),
        row(
            M::POST,
            "/service-sessions/{id}/review",
            "a session is reviewed by the street it was held in, not the person's street",
            [401, 200, 403, 200, 403, 404, 403],
            |w| {
                Box::pin(async move {
                    let path = format!("/service-sessions/{}", w.session_in_another_street().await);
                    Call::to(format!("{path}/review"))
                        .json(json!({"decision": "approve"}))
                        .of(w.p)
                        .reread(&path)
                        .reread(format!("{path}/history"))
                })
            },
        ),
        row(
            M::POST,
            "/service-sessions/review",
            "a bulk review follows the single-review rules for each id",
            street_keeps(200),
            |w| {
                Box::pin(async move {
                    let id = w.self_logged_session().await;
                    Call::to("/service-sessions/review")
                        .json(json!({"ids": [id], "decision": "approve"}))
                        .of(w.p)
                        .reread(format!("/service-sessions/{id}"))
                        .reread(format!("/service-sessions/{id}/history"))
                })
            },
        )
        .outcome(Outcome::PerId),
        row(
            M::POST,
            "/service-sessions/{id}/withdraw",
            "a pending session the person logged is withdrawn by the person",
            [401, 403, 403, 404, 200, 404, 403],
            |w| {
                Box::pin(async move {
                    let path = format!("/service-sessions/{}", w.self_logged_session().await);
                    Call::to(format!("{path}/withdraw"))
                        .of(w.p)
                        .reread(&path)
                        .reread(format!("{path}/history"))
                })
            },
        ),
        row(
            M::POST,
            "/service-sessions/{id}/withdraw",
            "a pending session an officer logged is withdrawn by that officer or the person",
            [401, 403, 200, 404, 200, 404, 403],
            |w| {
                Box::pin(async move {
                    let path = format!(
                        "/service-sessions/{}",
                        w.logged_session(&w.officer.token).await
                    );
                    Call::to(format!("{path}/withdraw"))
                        .of(w.p)
                        .reread(&path)
                        .reread(format!("{path}/history"))
                })
            },
        ),
        row(
            M::POST,
            "/service-sessions/{id}/revoke",
            "the bureau revokes approved sessions",
            [401, 200, 403, 404, 403, 404, 403],
            |w| {
                Box::pin(async move {
                    let path = format!(
                        "/service-sessions/{}",
                        w.approved_session(&w.bureau.token).await
                    );
                    Call::to(format!("{path}/revoke"))
                        .json(json!({"note": "矩阵撤销"}))
                        .of(w.p)
                        .reread(&path)
                        .reread(format!("{path}/history"))
                })
            },
        ),
        row(
            M::POST,
            "/service-sessions/{id}/check-out",
            "the person checks out of its own check-in",
            [401, 403, 403, 404, 200, 404, 403],
            |w| {
                Box::pin(async move {
                    let (session, person) = w.checked_in().await;
                    let path = format!("/service-sessions/{session}");
                    Call::to(format!("{path}/check-out"))
                        .json(json!({"participants": 12}))
                        .of(person)
                        .reread(&path)
                        .reread(format!("{path}/history"))
                })
            },
        ),
        row(
            M::POST,
            "/service-sessions/{id}/corrections",
            "the person and its street office ask for a correction",
            [401, 201, 201, 404, 201, 404, 403],
            |w| {
                Box::pin(async move {
                    let session = w.approved_session(&w.bureau.token).await;
                    Call::to(format!("/service-sessions/{session}/corrections"))
                        .json(json!({"participants": 31, "reason": "人数记错了"}))
                        .of(w.p)
                        .sql(format!(
                            "SELECT CAST(COUNT(*) AS TEXT) FROM session_correction WHERE session_id = {session}"
                        ))
                })
            },
        ),
        row(
            M::GET,
            "/service-sessions/{id}/history",
            "a session's history",
            PERSON_RECORD,
            |w| {
                Box::pin(async move {
                    Call::to(format!("/service-sessions/{}/history", w.approved)).of(w.p)
                })
            },
        ),
        row(
            M::POST,
            "/corrections/{id}/review",
            "the officer who approved the session (or the bureau) decides on its correction",
            street_keeps(200),
            |w| {
                Box::pin(async move {
                    let (correction, session) = w.correction(&w.officer.token).await;
                    correction_review(correction, session, w.p)
                })
            },
        ),
        row(
            M::POST,
            "/corrections/{id}/review",
            "another officer of the street does not decide on a correction of a session it did not approve",
            [401, 200, 403, 404, 403, 404, 403],
            |w| {
                Box::pin(async move {
                    let (correction, session) = w.correction(&w.colleague.token).await;
                    correction_review(correction, session, w.p)
                })
            },
        ),
        // The system.
        row(
            M::GET,
            "/health",
            "anyone checks the health",
            PUBLIC,
            |_| Box::pin(async { Call::to("/health") }),
        ),
        row(
            M::GET,
            "/api/v1/openapi.json",
            "anyone reads the OpenAPI document",
            PUBLIC,
            |_| Box::pin(async { Call::to("/api/v1/openapi.json") }),
        )
        .beside_the_document(),
        row(M::GET, "/docs", "anyone opens Swagger UI", PUBLIC, |_| {
            Box::pin(async { Call::to("/docs") })
        })
        .beside_the_document(),
    ]
}

/// Accepting correction `correction` of `session`, reading back the session, its history and the
/// correction's state.
fn correction_review(correction: i64, session: i64, person: i64) -> Call {
    Call::to(format!("/corrections/{correction}/review"))
        .json(json!({"decision": "accept"}))
        .of(person)
        .reread(format!("/service-sessions/{session}"))
        .reread(format!("/service-sessions/{session}/history"))
        .sql(format!(
            "SELECT status FROM session_correction WHERE id = {correction}"
        ))
}

/// Where two readings part, with some context: `… before … → … after …`.
fn difference(before: &str, after: &str) -> String {
    let (before, after): (Vec<char>, Vec<char>) =
        (before.chars().collect(), after.chars().collect());
    let same = before
        .iter()
        .zip(&after)
        .take_while(|(a, b)| a == b)
        .count();
    let head: String = before[..same.min(before.len())].iter().collect();
    let probe = head.split(" → ").next().unwrap_or_default().to_owned();
    let excerpt = |text: &[char]| -> String {
        let start = same.saturating_sub(60);
        text[start.min(text.len())..(same + 60).min(text.len())]
            .iter()
            .collect()
    };
    format!(
        "{probe}: …{}… became …{}…",
        excerpt(&before),
        excerpt(&after)
    )
}

/// The operations of the OpenAPI document, as `METHOD /path/{param}`.
async fn documented_operations(app: &TestApp) -> BTreeSet<String> {
    let document = app.get_ok("/api/v1/openapi.json").await;
    let mut operations = BTreeSet::new();
    for (path, item) in document["paths"].as_object().expect("paths") {
        for method in item.as_object().expect("path item").keys() {
            if ["get", "put", "post", "delete", "patch", "head", "options"]
                .contains(&method.as_str())
            {
                operations.insert(format!("{} {path}", method.to_uppercase()));
            }
        }
    }
    operations
}

#[tokio::test]
async fn every_operation_of_the_openapi_document_answers_every_caller_as_the_spec_says() {
    let w = World::new().await;
    let rows = matrix();
    let mut failures = Vec::new();

    let documented = documented_operations(&w.app).await;
    let covered: BTreeSet<String> = rows
        .iter()
        .filter(|r| r.in_document)
        .map(|r| format!("{} {}", r.method, r.template))
        .collect();
    for missing in documented.difference(&covered) {
        failures.push(format!(
            "{missing}: in the OpenAPI document but no matrix row"
        ));
    }
    for stale in covered.difference(&documented) {
        failures.push(format!(
            "{stale}: a matrix row but not in the OpenAPI document"
        ));
    }

    for row in &rows {
        for (who, &expected) in CALLERS.iter().zip(&row.expect) {
            let call = (row.build)(&w).await;
            let caller = w.caller(*who, &call).await;
            let label = format!("{} {} as {who:?} ({})", row.method, call.path, row.case);
            let refusal = !is_success(expected);
            let before = if refusal {
                Some((w.snapshot(&call.reread).await, w.audit_total().await))
            } else {
                None
            };
            let reply = w
                .send(
                    &row.method,
                    &call,
                    caller.as_ref().map(|c| c.token.as_str()),
                )
                .await;
            let got = row.outcome.of(&reply);
            if !matches(expected, got) {
                failures.push(format!(
                    "{label}: {got}, wanted {}; {}",
                    shown(expected),
                    reply.text.chars().take(240).collect::<String>()
                ));
            }
            if !reply.status.is_success()
                && call.path != "/docs"
                && let Some(issue) = problem_issue(&reply)
            {
                failures.push(format!("{label}: {issue}"));
            }
            // A refusal changes nothing: not its target, not the audit log. (What a request
            // wrongly allowed changed follows from the line above.)
            if let Some((reread, audit)) = before
                && !is_success(got)
            {
                let audit_after = w.audit_total().await;
                if audit_after != audit {
                    failures.push(format!(
                        "{label}: the refusal wrote {} audit entries",
                        audit_after - audit
                    ));
                }
                let after = w.snapshot(&call.reread).await;
                for (was, now) in reread.iter().zip(&after) {
                    if was != now {
                        failures.push(format!(
                            "{label}: the refusal changed its target: {}",
                            difference(was, now)
                        ));
                    }
                }
            }
        }
    }
    assert!(
        failures.is_empty(),
        "{} of the matrix's checks failed:\n{}",
        failures.len(),
        failures.join("\n")
    );
}
