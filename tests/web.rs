//! The web UI's foundation, through HTTP as a browser speaks it: pages in Chinese under a strict
//! policy, the cookie session and its attributes, the defences of every form (the session's
//! secret, the same origin), and the rules that end a session.

mod common;

use common::{
    ADMIN_PASSWORD, TestApp, USER_PASSWORD, spawn_app,
    web::{Root, Session, browser, field, read, sign_in},
};
use reqwest::{Method, StatusCode, header};
use serde_json::json;

/// A member account of a new person in the first street.
async fn member(app: &TestApp) -> (common::User, i64) {
    let street = app.street_id("450203001").await;
    let person = app.person("张丽", "19800101", 11, street).await;
    let person_id = person["id"].as_i64().unwrap();
    let user = app.member(person_id as i32, Some(street)).await;
    (user, person_id)
}

#[tokio::test]
async fn a_visitor_is_sent_to_a_chinese_login_page_under_a_strict_policy() {
    let app = spawn_app().await;
    let client = browser();
    let root = read(client.get(app.url_root("/")).send().await.unwrap()).await;
    assert_eq!(root.status, StatusCode::SEE_OTHER);
    assert_eq!(root.location(), "/login");

    let login = read(client.get(app.url_root("/login")).send().await.unwrap()).await;
    assert_eq!(login.status, StatusCode::OK);
    assert!(login.text.contains("<html lang=\"zh-CN\">"));
    assert!(login.text.contains("width=device-width"));
    assert!(login.text.contains("登录"));
    let policy = login.headers[header::CONTENT_SECURITY_POLICY]
        .to_str()
        .unwrap();
    assert!(policy.contains("default-src 'self'"), "{policy}");
    assert!(policy.contains("frame-ancestors 'none'"), "{policy}");
    assert!(!policy.contains("unsafe-inline"), "{policy}");
    assert!(!login.text.contains("<script>") && !login.text.contains(" style="));

    // Assets come from the binary, cached for good under a versioned path.
    let css = login
        .text
        .split("href=\"")
        .find_map(|s| {
            s.strip_prefix("/assets/")
                .map(|r| format!("/assets/{}", &r[..r.find('"').unwrap()]))
        })
        .unwrap();
    let asset = read(client.get(app.url_root(&css)).send().await.unwrap()).await;
    assert_eq!(asset.status, StatusCode::OK);
    assert!(
        asset.headers[header::CACHE_CONTROL]
            .to_str()
            .unwrap()
            .contains("immutable")
    );
    let stale = read(
        client
            .get(app.url_root("/assets/0000/app.css"))
            .send()
            .await
            .unwrap(),
    )
    .await;
    assert_eq!(stale.status, StatusCode::NOT_FOUND);

    // A page that does not exist is a Chinese page; the API keeps its problem+json.
    let missing = read(
        client
            .get(app.url_root("/no-such-page"))
            .send()
            .await
            .unwrap(),
    )
    .await;
    assert_eq!(missing.status, StatusCode::NOT_FOUND);
    assert!(missing.text.contains("页面不存在"));
    let api = client
        .get(app.url("/no-such-endpoint"))
        .send()
        .await
        .unwrap();
    assert_eq!(api.status(), StatusCode::NOT_FOUND);
    assert!(
        api.headers()[header::CONTENT_TYPE]
            .to_str()
            .unwrap()
            .contains("problem+json")
    );

    // A member page asked for without a session leads to the login page and back.
    let me = read(client.get(app.url_root("/me")).send().await.unwrap()).await;
    assert_eq!(me.status, StatusCode::SEE_OTHER);
    assert_eq!(me.location(), "/login?next=%2Fme");
}

#[tokio::test]
async fn login_sets_a_lax_http_only_cookie_and_lands_each_role_at_home() {
    let app = spawn_app().await;
    let client = browser();
    let page = read(
        client
            .post(app.url_root("/login"))
            .header("sec-fetch-site", "same-origin")
            .form(&[("username", "admin"), ("password", ADMIN_PASSWORD)])
            .send()
            .await
            .unwrap(),
    )
    .await;
    assert_eq!(page.status, StatusCode::SEE_OTHER);
    assert_eq!(page.location(), "/coverage");
    let cookie = page.headers[header::SET_COOKIE].to_str().unwrap();
    assert!(cookie.starts_with("fitreg_session="), "{cookie}");
    for attribute in ["HttpOnly", "SameSite=Lax", "Path=/"] {
        assert!(cookie.contains(attribute), "{cookie} lacks {attribute}");
    }
    assert!(!cookie.contains("Secure"), "http public URL: {cookie}");

    // A client that is no browser (no Sec-Fetch-Site, no Origin) logs in as well.
    let plain = read(
        client
            .post(app.url_root("/login"))
            .form(&[("username", "admin"), ("password", ADMIN_PASSWORD)])
            .send()
            .await
            .unwrap(),
    )
    .await;
    assert_eq!(plain.status, StatusCode::SEE_OTHER);

    let (member, _) = member(&app).await;
    let session = sign_in(&app, &member.username, USER_PASSWORD).await;
    let root = session.get("/").await;
    assert_eq!(root.location(), "/me");
    let home = session.get("/me").await;
    assert_eq!(home.status, StatusCode::OK, "{}", home.text);
    assert!(home.text.contains("张丽，您好"), "{}", home.text);
    assert!(home.text.contains("已通过的服务时长"));

    // Back where the person was going, but never to another site.
    let next = read(
        client
            .post(app.url_root("/login"))
            .header("sec-fetch-site", "same-origin")
            .form(&[
                ("username", member.username.as_str()),
                ("password", USER_PASSWORD),
                ("next", "//evil.example/"),
            ])
            .send()
            .await
            .unwrap(),
    )
    .await;
    assert_eq!(next.location(), "/me");

    // A wrong password is a Chinese message on the form, and no cookie.
    let wrong = read(
        client
            .post(app.url_root("/login"))
            .header("sec-fetch-site", "same-origin")
            .form(&[("username", "admin"), ("password", "wrong-password")])
            .send()
            .await
            .unwrap(),
    )
    .await;
    assert_eq!(wrong.status, StatusCode::UNAUTHORIZED);
    assert!(wrong.text.contains("用户名或密码不正确"));
    assert!(wrong.headers.get(header::SET_COOKIE).is_none());
}

#[tokio::test]
async fn the_cookie_is_secure_exactly_when_the_public_url_is_https() {
    let (test_db, db) = common::fresh_db().await;
    let mut config = common::test_config(&test_db.url);
    config.public_url = "https://fitreg.example".to_owned();
    let app = common::serve_with(test_db, db, config).await;
    let page = read(
        browser()
            .post(app.url_root("/login"))
            .header("origin", "https://fitreg.example")
            .form(&[("username", "admin"), ("password", ADMIN_PASSWORD)])
            .send()
            .await
            .unwrap(),
    )
    .await;
    assert_eq!(page.status, StatusCode::SEE_OTHER, "{}", page.text);
    let cookie = page.headers[header::SET_COOKIE].to_str().unwrap();
    assert!(cookie.contains("; Secure"), "{cookie}");
}

#[tokio::test]
async fn the_api_never_accepts_the_cookie_nor_the_pages_a_bearer_token() {
    let app = spawn_app().await;
    let session = sign_in(&app, "admin", ADMIN_PASSWORD).await;
    let token = session
        .cookie
        .trim_start_matches("fitreg_session=")
        .to_owned();
    let api = app.get_as(&token, "/auth/me").await;
    assert_eq!(api.status, StatusCode::UNAUTHORIZED);
    let cookie_on_api = browser()
        .get(app.url("/auth/me"))
        .header(header::COOKIE, &session.cookie)
        .send()
        .await
        .unwrap();
    assert_eq!(cookie_on_api.status(), StatusCode::UNAUTHORIZED);
    let bearer_as_cookie = browser()
        .get(app.url_root("/desk"))
        .header(
            header::COOKIE,
            format!("fitreg_session={}", app.admin_token),
        )
        .send()
        .await
        .unwrap();
    assert_eq!(bearer_as_cookie.status(), StatusCode::SEE_OTHER);
}

#[tokio::test]
async fn a_form_without_the_sessions_secret_or_from_another_site_is_refused_and_writes_nothing() {
    let app = spawn_app().await;
    let session = sign_in(&app, "admin", ADMIN_PASSWORD).await;
    let csrf = session.get("/desk").await.csrf();
    let audit_before = app.get_ok("/audit-log?per_page=1").await["total"].clone();

    let missing = session.post("/logout", &[]).await;
    assert_eq!(missing.status, StatusCode::FORBIDDEN);
    assert!(missing.text.contains("表单已失效"), "{}", missing.text);
    let wrong = session
        .post("/logout", &[("csrf_token", "0".repeat(64).as_str())])
        .await;
    assert_eq!(wrong.status, StatusCode::FORBIDDEN);
    let cross_site = session
        .post_with(
            "/logout",
            &[("csrf_token", csrf.as_str())],
            &[("sec-fetch-site", "cross-site")],
        )
        .await;
    assert_eq!(cross_site.status, StatusCode::FORBIDDEN);
    let other_origin = session
        .post_with(
            "/logout",
            &[("csrf_token", csrf.as_str())],
            &[("origin", "https://evil.example")],
        )
        .await;
    assert_eq!(other_origin.status, StatusCode::FORBIDDEN);
    let null_origin = session
        .post_with(
            "/logout",
            &[("csrf_token", csrf.as_str())],
            &[("origin", "null")],
        )
        .await;
    assert_eq!(null_origin.status, StatusCode::FORBIDDEN);
    // A password change forged the same ways changes nothing.
    let forged = session
        .post_with(
            "/account/password",
            &[
                ("current_password", ADMIN_PASSWORD),
                ("new_password", "a-new-password-9"),
                ("password_again", "a-new-password-9"),
            ],
            &[("sec-fetch-site", "same-origin")],
        )
        .await;
    assert_eq!(forged.status, StatusCode::FORBIDDEN);
    assert_eq!(
        app.login("admin", ADMIN_PASSWORD).await.status,
        StatusCode::OK
    );

    // Still signed in: nothing above ended the session or wrote to the audit log but the login.
    assert_eq!(session.get("/desk").await.status, StatusCode::OK);
    let audit_after = app.get_ok("/audit-log?per_page=1").await["total"].clone();
    assert_eq!(
        audit_after.as_i64().unwrap(),
        audit_before.as_i64().unwrap() + 1,
        "only the API login of the check above"
    );

    // The origin of the public URL is accepted without Sec-Fetch-Site.
    let origin = app.state.config.public_url.trim_end_matches('/').to_owned();
    let logout = session
        .post_with(
            "/logout",
            &[("csrf_token", csrf.as_str())],
            &[("origin", origin.as_str())],
        )
        .await;
    assert_eq!(logout.status, StatusCode::SEE_OTHER);
    assert_eq!(logout.location(), "/login?done=logout");
    let cleared = logout.headers[header::SET_COOKIE].to_str().unwrap();
    assert!(cleared.contains("Max-Age=0"), "{cleared}");
    let after = session.get("/desk").await;
    assert_eq!(after.status, StatusCode::SEE_OTHER, "the session ended");
}

#[tokio::test]
async fn a_password_change_keeps_this_session_and_ends_every_other() {
    let app = spawn_app().await;
    let (member, _) = member(&app).await;
    let here = sign_in(&app, &member.username, USER_PASSWORD).await;
    let elsewhere = sign_in(&app, &member.username, USER_PASSWORD).await;
    let form = here.get("/account/password").await;
    assert_eq!(form.status, StatusCode::OK);
    let csrf = form.csrf();

    let mismatch = here
        .post(
            "/account/password",
            &[
                ("csrf_token", csrf.as_str()),
                ("current_password", USER_PASSWORD),
                ("new_password", "a-new-password-9"),
                ("password_again", "another-password-9"),
            ],
        )
        .await;
    assert_eq!(mismatch.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(mismatch.text.contains("两次输入的密码不一致"));
    let short = here
        .post(
            "/account/password",
            &[
                ("csrf_token", csrf.as_str()),
                ("current_password", USER_PASSWORD),
                ("new_password", "short"),
                ("password_again", "short"),
            ],
        )
        .await;
    assert_eq!(short.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(
        short.text.contains("密码至少需要 10 个字符"),
        "{}",
        short.text
    );
    assert_eq!(
        app.get_as(&member.token, "/auth/me").await.status,
        StatusCode::OK
    );

    let changed = here
        .post(
            "/account/password",
            &[
                ("csrf_token", csrf.as_str()),
                ("current_password", USER_PASSWORD),
                ("new_password", "a-new-password-9"),
                ("password_again", "a-new-password-9"),
            ],
        )
        .await;
    assert_eq!(changed.status, StatusCode::SEE_OTHER, "{}", changed.text);
    assert_eq!(here.get("/me").await.status, StatusCode::OK);
    assert_eq!(elsewhere.get("/me").await.status, StatusCode::SEE_OTHER);
    assert_eq!(
        app.get_as(&member.token, "/auth/me").await.status,
        StatusCode::UNAUTHORIZED
    );
}

#[tokio::test]
async fn disabling_an_account_ends_its_cookie_session() {
    let app = spawn_app().await;
    let (member, _) = member(&app).await;
    let session = sign_in(&app, &member.username, USER_PASSWORD).await;
    assert_eq!(session.get("/me").await.status, StatusCode::OK);
    let reply = app
        .send_json(
            &app.admin_token,
            Method::PATCH,
            &format!("/accounts/{}", member.id),
            json!({"disabled": true}),
        )
        .await;
    assert_eq!(reply.status, StatusCode::OK, "{}", reply.text);
    assert_eq!(session.get("/me").await.status, StatusCode::SEE_OTHER);
}

#[tokio::test]
async fn member_pages_are_for_members_and_staff_land_on_their_desk() {
    let app = spawn_app().await;
    let officer_street = app.street_id("450203001").await;
    let officer = app.user("street_officer", Some(officer_street)).await;
    let session = sign_in(&app, &officer.username, USER_PASSWORD).await;
    assert_eq!(session.get("/").await.location(), "/desk");
    let desk = session.get("/desk").await;
    assert_eq!(desk.status, StatusCode::OK);
    assert!(desk.text.contains("街道（乡镇）工作人员"));
    let me = session.get("/me").await;
    assert_eq!(me.status, StatusCode::FORBIDDEN);
    assert!(me.text.contains("没有权限"));
}

#[tokio::test]
async fn a_mail_link_without_a_live_token_says_so_in_chinese() {
    let app = spawn_app().await;
    let client = browser();
    let empty = read(client.get(app.url_root("/activate")).send().await.unwrap()).await;
    assert_eq!(empty.status, StatusCode::OK);
    assert!(empty.text.contains("链接已失效"));
    let used = read(
        client
            .post(app.url_root("/reset-password"))
            .header("sec-fetch-site", "same-origin")
            .form(&[
                ("token", "f".repeat(64).as_str()),
                ("password", "a-new-password-9"),
                ("password_again", "a-new-password-9"),
            ])
            .send()
            .await
            .unwrap(),
    )
    .await;
    assert_eq!(
        used.status,
        StatusCode::UNPROCESSABLE_ENTITY,
        "{}",
        used.text
    );
    assert!(used.text.contains("链接已失效"), "{}", used.text);
    let forgot = read(
        client
            .post(app.url_root("/forgot-password"))
            .header("sec-fetch-site", "same-origin")
            .form(&[("email", "nobody@example.com")])
            .send()
            .await
            .unwrap(),
    )
    .await;
    assert_eq!(forgot.status, StatusCode::OK);
    assert!(forgot.text.contains("如果该邮箱属于一个账户"));
}

/// A qualified volunteer with a member account, signed in; the id of a community of the street.
async fn volunteer(app: &TestApp) -> (Session<'_>, i64, i64) {
    let (member, person_id) = member(app).await;
    app.qualify(
        person_id,
        json!({"kind": "fitness_volunteer", "certified_on": "2024-01-01"}),
    )
    .await;
    let community = app.community_id("450203001001").await;
    let session = sign_in(app, &member.username, USER_PASSWORD).await;
    (session, person_id, community)
}

#[tokio::test]
async fn a_member_logs_a_session_sees_the_rule_by_its_field_and_a_second_send_adds_nothing() {
    let app = spawn_app().await;
    let (session, person_id, community) = volunteer(&app).await;
    let form = session.get("/me/sessions/new").await;
    assert_eq!(form.status, StatusCode::OK, "{}", form.text);
    assert!(form.text.contains("登记服务"));
    assert!(
        form.text.contains("广场舞"),
        "activities are named in Chinese"
    );
    let csrf = form.csrf();
    let key = field(&form, "form_key");
    let yesterday = (chrono::Utc::now() + chrono::TimeDelta::hours(8) - chrono::TimeDelta::days(1))
        .date_naive()
        .to_string();
    let community = community.to_string();
    let mut values = vec![
        ("csrf_token", csrf.as_str()),
        ("form_key", key.as_str()),
        ("community_id", community.as_str()),
        ("activity", "square_dance"),
        ("date", yesterday.as_str()),
        ("start_time", "09:00"),
        ("end_time", "08:00"),
        ("participants", "25"),
        ("description", "带领居民跳广场舞"),
    ];
    let wrong = session.post("/me/sessions", &values).await;
    assert_eq!(
        wrong.status,
        StatusCode::UNPROCESSABLE_ENTITY,
        "{}",
        wrong.text
    );
    assert!(
        wrong.text.contains("data-testid=\"end_time-error\"")
            && wrong.text.contains("结束时间必须晚于开始时间"),
        "{}",
        wrong.text
    );
    assert!(
        wrong.text.contains("带领居民跳广场舞"),
        "the form keeps what was typed"
    );
    assert_eq!(field(&wrong, "participants"), "25");
    let sessions = app
        .get_ok(&format!("/service-sessions?person_id={person_id}"))
        .await;
    assert_eq!(sessions["total"], 0, "nothing was written");

    values[6] = ("end_time", "10:30");
    let done = session.post("/me/sessions", &values).await;
    assert_eq!(done.status, StatusCode::SEE_OTHER, "{}", done.text);
    let again = session.post("/me/sessions", &values).await;
    assert_eq!(again.status, StatusCode::SEE_OTHER, "{}", again.text);
    let sessions = app
        .get_ok(&format!("/service-sessions?person_id={person_id}"))
        .await;
    assert_eq!(sessions["total"], 1, "a form sent twice logs one session");
    assert_eq!(sessions["items"][0]["status"], "pending");

    let list = session.get(done.location()).await;
    assert_eq!(list.status, StatusCode::OK);
    assert!(list.text.contains("服务已登记"));
    assert!(
        list.text.contains("待审核") && list.text.contains("1.5 小时"),
        "{}",
        list.text
    );
    let home = session.get("/me").await;
    assert!(
        home.text.contains("1.5 小时"),
        "pending hours on the home page"
    );
}

#[tokio::test]
async fn the_session_pages_are_a_members_own() {
    let app = spawn_app().await;
    let officer = app
        .user("street_officer", Some(app.street_id("450203001").await))
        .await;
    let session = sign_in(&app, &officer.username, USER_PASSWORD).await;
    for path in ["/me/sessions", "/me/sessions/new"] {
        assert_eq!(
            session.get(path).await.status,
            StatusCode::FORBIDDEN,
            "{path}"
        );
    }
    let csrf = session.get("/desk").await.csrf();
    let posted = session
        .post("/me/sessions", &[("csrf_token", csrf.as_str())])
        .await;
    assert_eq!(posted.status, StatusCode::FORBIDDEN);
}

#[tokio::test]
async fn a_poster_opens_the_check_in_of_its_community_and_check_out_closes_it() {
    let app = spawn_app().await;
    let street = app.street_id("450203001").await;
    let (member_session, person_id, community) = volunteer(&app).await;

    // The poster: for the bureau and the community's own officers.
    let officer = app.user("street_officer", Some(street)).await;
    let other_street = app.street_id("450203002").await;
    let stranger = app.user("street_officer", Some(other_street)).await;
    let auditor = app.user("auditor", None).await;
    let poster_path = format!("/communities/{community}/poster");
    let poster = sign_in(&app, &officer.username, USER_PASSWORD)
        .await
        .get(&poster_path)
        .await;
    assert_eq!(poster.status, StatusCode::OK, "{}", poster.text);
    assert!(poster.text.contains("<svg") && poster.text.contains("签到"));
    let link = format!("/me/check-in?community_id={community}");
    assert!(
        poster.text.contains(&link),
        "the QR code's address is printed"
    );
    let admin = sign_in(&app, "admin", ADMIN_PASSWORD).await;
    assert_eq!(admin.get(&poster_path).await.status, StatusCode::OK);
    for (who, status) in [
        (&stranger, StatusCode::NOT_FOUND),
        (&auditor, StatusCode::FORBIDDEN),
    ] {
        let session = sign_in(&app, &who.username, USER_PASSWORD).await;
        assert_eq!(
            session.get(&poster_path).await.status,
            status,
            "{}",
            who.username
        );
    }
    assert_eq!(
        member_session.get(&poster_path).await.status,
        StatusCode::NOT_FOUND
    );

    // Scanned without a session: log in first, then back at the check-in.
    let anonymous = read(browser().get(app.url_root(&link)).send().await.unwrap()).await;
    assert_eq!(
        anonymous.location(),
        format!("/login?next=%2Fme%2Fcheck-in%3Fcommunity_id%3D{community}")
    );

    let form = member_session.get(&link).await;
    assert_eq!(form.status, StatusCode::OK, "{}", form.text);
    assert!(
        form.text
            .contains(&format!("<option value=\"{community}\" selected>")),
        "the poster's community is chosen"
    );
    let csrf = form.csrf();
    let community_value = community.to_string();
    let checked_in = member_session
        .post(
            "/me/check-in",
            &[
                ("csrf_token", csrf.as_str()),
                ("community_id", community_value.as_str()),
                ("activity", "square_dance"),
            ],
        )
        .await;
    assert_eq!(
        checked_in.status,
        StatusCode::SEE_OTHER,
        "{}",
        checked_in.text
    );
    let open = member_session.get("/me/check-in").await;
    assert!(
        open.text.contains("data-testid=\"open-session\""),
        "{}",
        open.text
    );
    assert!(open.text.contains("服务进行中"));
    let again = member_session
        .post(
            "/me/check-in",
            &[
                ("csrf_token", csrf.as_str()),
                ("community_id", community_value.as_str()),
                ("activity", "square_dance"),
            ],
        )
        .await;
    assert!(
        again.status.is_client_error(),
        "one open check-in at a time"
    );

    let sessions = app
        .get_ok(&format!("/service-sessions?person_id={person_id}"))
        .await;
    let id = sessions["items"][0]["id"].as_i64().unwrap().to_string();
    let out = member_session
        .post(
            "/me/check-out",
            &[
                ("csrf_token", csrf.as_str()),
                ("session_id", id.as_str()),
                ("participants", "12"),
                ("description", "晨练"),
            ],
        )
        .await;
    assert_eq!(out.status, StatusCode::SEE_OTHER, "{}", out.text);
    let closed = app.get_ok(&format!("/service-sessions/{id}")).await;
    assert!(!closed["ended_at"].is_null(), "{closed}");
    assert_eq!(closed["participants"], 12);
    let after = member_session.get("/me/check-in").await;
    assert!(after.text.contains("data-testid=\"check-in\""));
}

#[tokio::test]
async fn a_member_withdraws_a_pending_session_and_asks_to_correct_an_approved_one() {
    let app = spawn_app().await;
    let (session, person_id, community) = volunteer(&app).await;
    let log = |start: &'static str, end: &'static str| {
        let body = json!({
            "community_id": community,
            "started_at": format!("{}T{start}:00+08:00", (chrono::Utc::now() + chrono::TimeDelta::hours(8) - chrono::TimeDelta::days(2)).date_naive()),
            "ended_at": format!("{}T{end}:00+08:00", (chrono::Utc::now() + chrono::TimeDelta::hours(8) - chrono::TimeDelta::days(2)).date_naive()),
            "activity": "square_dance",
            "participants": 10,
            "description": "广场舞",
            "person_id": person_id,
        });
        app.send_json(&app.admin_token, Method::POST, "/service-sessions", body)
    };
    let first = log("08:00", "09:00").await;
    assert_eq!(first.status, StatusCode::CREATED, "{}", first.text);
    let pending = first.json["id"].as_i64().unwrap();
    let second = log("10:00", "11:00").await;
    let approved = second.json["id"].as_i64().unwrap();
    let reviewed = app
        .send_json(
            &app.admin_token,
            Method::POST,
            &format!("/service-sessions/{approved}/review"),
            json!({"decision": "approve"}),
        )
        .await;
    assert_eq!(reviewed.status, StatusCode::OK, "{}", reviewed.text);

    let list = session.get("/me/sessions").await;
    assert!(list.text.contains(&format!("/me/sessions/{pending}")));
    let page = session.get(&format!("/me/sessions/{pending}")).await;
    assert_eq!(page.status, StatusCode::OK, "{}", page.text);
    assert!(page.text.contains("data-testid=\"withdraw\""));
    let csrf = page.csrf();
    let withdrawn = session
        .post(
            &format!("/me/sessions/{pending}/withdraw"),
            &[("csrf_token", csrf.as_str())],
        )
        .await;
    assert_eq!(
        withdrawn.status,
        StatusCode::SEE_OTHER,
        "{}",
        withdrawn.text
    );
    let after = session.get(&format!("/me/sessions/{pending}")).await;
    assert!(after.text.contains("已撤回") && after.text.contains("撤回"));
    assert_eq!(
        app.get_ok(&format!("/service-sessions/{pending}")).await["status"],
        "withdrawn"
    );

    let page = session.get(&format!("/me/sessions/{approved}")).await;
    assert!(page.text.contains("申请更正"));
    let no_reason = session
        .post(
            &format!("/me/sessions/{approved}/correction"),
            &[
                ("csrf_token", csrf.as_str()),
                ("start_time", "10:00"),
                ("end_time", "11:30"),
                ("reason", ""),
            ],
        )
        .await;
    assert_eq!(
        no_reason.status,
        StatusCode::UNPROCESSABLE_ENTITY,
        "{}",
        no_reason.text
    );
    assert!(
        no_reason.text.contains("reason-error"),
        "{}",
        no_reason.text
    );
    let asked = session
        .post(
            &format!("/me/sessions/{approved}/correction"),
            &[
                ("csrf_token", csrf.as_str()),
                ("start_time", "10:00"),
                ("end_time", "11:30"),
                ("participants", "10"),
                ("description", "广场舞"),
                ("reason", "结束时间登记错了"),
            ],
        )
        .await;
    assert_eq!(asked.status, StatusCode::SEE_OTHER, "{}", asked.text);
    let shown = session.get(&format!("/me/sessions/{approved}")).await;
    assert!(
        shown.text.contains("结束时间登记错了") && shown.text.contains("等待审核"),
        "{}",
        shown.text
    );

    // Another member's session is nobody's business here.
    let street = app.street_id("450203001").await;
    let someone = app.person("李强", "19790202", 13, street).await;
    let other = app
        .member(someone["id"].as_i64().unwrap() as i32, Some(street))
        .await;
    let other_session = sign_in(&app, &other.username, USER_PASSWORD).await;
    assert_eq!(
        other_session
            .get(&format!("/me/sessions/{approved}"))
            .await
            .status,
        StatusCode::NOT_FOUND
    );
}

#[tokio::test]
async fn a_member_prints_a_certificate_that_anyone_can_check_in_chinese() {
    let app = spawn_app().await;
    let (session, person_id, community) = volunteer(&app).await;
    let day = (chrono::Utc::now() + chrono::TimeDelta::hours(8) - chrono::TimeDelta::days(1))
        .date_naive();
    let logged = app
        .send_json(
            &app.admin_token,
            Method::POST,
            "/service-sessions",
            json!({
                "person_id": person_id,
                "community_id": community,
                "started_at": format!("{day}T08:00:00+08:00"),
                "ended_at": format!("{day}T10:00:00+08:00"),
                "activity": "square_dance",
                "participants": 20,
                "description": "广场舞",
            }),
        )
        .await;
    let id = logged.json["id"].as_i64().unwrap();
    app.send_json(
        &app.admin_token,
        Method::POST,
        &format!("/service-sessions/{id}/review"),
        json!({"decision": "approve"}),
    )
    .await;

    let form = session.get("/me/certificate").await;
    assert_eq!(form.status, StatusCode::OK, "{}", form.text);
    let bad = session.get("/me/certificate/print?from=2026-13-01").await;
    assert_eq!(bad.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(bad.text.contains("请填写有效的日期"));
    let printed = session
        .get(&format!("/me/certificate/print?from={day}&to={day}"))
        .await;
    assert_eq!(printed.status, StatusCode::OK, "{}", printed.text);
    let policy = printed.headers[header::CONTENT_SECURITY_POLICY]
        .to_str()
        .unwrap();
    assert!(!policy.contains("unsafe-inline"), "{policy}");
    assert!(printed.text.contains("志愿服务记录证明") && printed.text.contains("张丽"));
    assert!(
        printed.text.contains("<svg"),
        "the verification address as a QR code"
    );
    assert!(printed.text.contains("size:A4"));
    let at = printed.text.find("/verify/").unwrap() + "/verify/".len();
    let code = &printed.text[at..at + 32];

    let check = read(
        browser()
            .get(app.url_root(&format!("/verify/{code}")))
            .send()
            .await
            .unwrap(),
    )
    .await;
    assert_eq!(check.status, StatusCode::OK, "{}", check.text);
    assert!(check.text.contains("与登记记录一致"), "{}", check.text);
    assert!(check.text.contains("张*") && !check.text.contains("张丽"));
    assert!(check.text.contains("2 小时"));
    let unknown = read(
        browser()
            .get(app.url_root("/verify/0123456789abcdef0123456789abcdef"))
            .send()
            .await
            .unwrap(),
    )
    .await;
    assert_eq!(unknown.status, StatusCode::NOT_FOUND);
    assert!(unknown.text.contains("页面不存在"));

    let officer = app
        .user("street_officer", Some(app.street_id("450203001").await))
        .await;
    let staff = sign_in(&app, &officer.username, USER_PASSWORD).await;
    assert_eq!(
        staff.get("/me/certificate").await.status,
        StatusCode::FORBIDDEN
    );
    assert_eq!(
        staff.get("/me/certificate/print").await.status,
        StatusCode::FORBIDDEN
    );
}

#[tokio::test]
async fn a_member_sees_the_courses_held_and_where_it_stands_for_the_next_grade() {
    let app = spawn_app().await;
    let (session, person_id, _) = volunteer(&app).await;
    let empty = session.get("/me/training").await;
    assert_eq!(empty.status, StatusCode::OK, "{}", empty.text);
    assert!(empty.text.contains("还没有参加过培训"));
    assert!(
        empty.text.contains("申报三级社会体育指导员"),
        "{}",
        empty.text
    );

    let course = app
        .send_json(
            &app.admin_token,
            Method::POST,
            "/courses",
            json!({
                "title": "三级社会体育指导员培训班",
                "kind": "certification",
                "target_role": "social_sports_instructor",
                "target_grade": "third",
                "organizer": "区文体新局",
                "location": "鱼峰区全民健身中心",
                "starts_on": "2025-03-01",
                "ends_on": "2025-03-05",
                "hours": 30.0,
                "capacity": 30,
                "status": "open",
            }),
        )
        .await;
    assert_eq!(course.status, StatusCode::CREATED, "{}", course.text);
    let course = course.json["id"].as_i64().unwrap();
    let seat = app
        .send_json(
            &app.admin_token,
            Method::POST,
            &format!("/courses/{course}/enrollments"),
            json!({"person_id": person_id}),
        )
        .await;
    assert_eq!(seat.status, StatusCode::CREATED, "{}", seat.text);
    let done = app
        .send_json(
            &app.admin_token,
            Method::POST,
            &format!("/courses/{course}/enrollments/{person_id}/result"),
            json!({"status": "completed"}),
        )
        .await;
    assert!(done.status.is_success(), "{}", done.text);

    let page = session.get("/me/training").await;
    assert!(page.text.contains("三级社会体育指导员培训班") && page.text.contains("结业"));
    assert!(page.text.contains("30 小时"), "{}", page.text);
    assert!(page.text.contains("2025 年"));
    assert!(page.text.contains("培训学时（小时）") && page.text.contains("满足"));
}

#[tokio::test]
async fn a_member_edits_a_pending_session_under_the_rules_of_logging() {
    let app = spawn_app().await;
    let (session, person_id, community) = volunteer(&app).await;
    let day = (chrono::Utc::now() + chrono::TimeDelta::hours(8) - chrono::TimeDelta::days(1))
        .date_naive();
    let logged = app
        .send_json(
            &app.admin_token,
            Method::POST,
            "/service-sessions",
            json!({
                "person_id": person_id,
                "community_id": community,
                "started_at": format!("{day}T08:00:00+08:00"),
                "ended_at": format!("{day}T09:00:00+08:00"),
                "activity": "square_dance",
                "participants": 5,
                "description": "广场舞",
            }),
        )
        .await;
    let id = logged.json["id"].as_i64().unwrap();
    let detail = session.get(&format!("/me/sessions/{id}")).await;
    assert!(detail.text.contains(&format!("/me/sessions/{id}/edit")));
    let form = session.get(&format!("/me/sessions/{id}/edit")).await;
    assert_eq!(form.status, StatusCode::OK, "{}", form.text);
    assert_eq!(field(&form, "start_time"), "08:00");
    assert_eq!(field(&form, "participants"), "5");
    let csrf = form.csrf();
    let version = field(&form, "version");
    let community = community.to_string();
    let date = day.to_string();
    let mut values = vec![
        ("csrf_token", csrf.as_str()),
        ("version", version.as_str()),
        ("community_id", community.as_str()),
        ("activity", "square_dance"),
        ("date", date.as_str()),
        ("start_time", "08:00"),
        ("end_time", "21:00"),
        ("participants", "5"),
        ("description", "广场舞"),
    ];
    let too_long = session
        .post(&format!("/me/sessions/{id}/edit"), &values)
        .await;
    assert_eq!(
        too_long.status,
        StatusCode::UNPROCESSABLE_ENTITY,
        "{}",
        too_long.text
    );
    assert!(
        too_long.text.contains("一次服务最长 12 小时"),
        "{}",
        too_long.text
    );
    values[6] = ("end_time", "09:30");
    let saved = session
        .post(&format!("/me/sessions/{id}/edit"), &values)
        .await;
    assert_eq!(saved.status, StatusCode::SEE_OTHER, "{}", saved.text);
    let stored = app.get_ok(&format!("/service-sessions/{id}")).await;
    assert_eq!(stored["hours"], 1.5, "{stored}");
    let stale = session
        .post(&format!("/me/sessions/{id}/edit"), &values)
        .await;
    assert_eq!(stale.status, StatusCode::CONFLICT, "{}", stale.text);
    assert!(stale.text.contains("请刷新页面后重试"), "{}", stale.text);
}

#[tokio::test]
async fn every_member_page_is_the_members_alone_and_every_page_runs_no_inline_code() {
    let app = spawn_app().await;
    let (member_session, _, _) = volunteer(&app).await;
    let member_pages = [
        "/me",
        "/me/sessions",
        "/me/sessions/new",
        "/me/check-in",
        "/me/certificate",
        "/me/training",
    ];
    for path in member_pages {
        let page = member_session.get(path).await;
        assert_eq!(page.status, StatusCode::OK, "{path}: {}", page.text);
        let policy = page.headers[header::CONTENT_SECURITY_POLICY]
            .to_str()
            .unwrap();
        assert!(
            !policy.contains("unsafe-inline") && policy.contains("default-src 'self'"),
            "{path}: {policy}"
        );
        assert!(
            !page.text.contains("<script>") && !page.text.contains(" style=\""),
            "{path}"
        );
    }
    let street = app.street_id("450203001").await;
    let officer = app.user("street_officer", Some(street)).await;
    let auditor = app.user("auditor", None).await;
    let admin = sign_in(&app, "admin", ADMIN_PASSWORD).await;
    let officer = sign_in(&app, &officer.username, USER_PASSWORD).await;
    let auditor = sign_in(&app, &auditor.username, USER_PASSWORD).await;
    for (who, session) in [
        ("bureau", &admin),
        ("officer", &officer),
        ("auditor", &auditor),
    ] {
        assert_eq!(session.get("/desk").await.status, StatusCode::OK, "{who}");
        for path in member_pages {
            let page = session.get(path).await;
            assert_eq!(page.status, StatusCode::FORBIDDEN, "{who} {path}");
            assert!(page.text.contains("没有权限"), "{who} {path}");
        }
    }
    // A forged form from the auditor writes nothing.
    let csrf = auditor.get("/desk").await.csrf();
    let posted = auditor
        .post(
            "/me/check-in",
            &[
                ("csrf_token", csrf.as_str()),
                ("community_id", "1"),
                ("activity", "square_dance"),
            ],
        )
        .await;
    assert_eq!(posted.status, StatusCode::FORBIDDEN);
}
