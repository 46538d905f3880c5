//! Streets and communities.

mod common;

use common::spawn_app;

#[tokio::test]
async fn streets_list_the_twelve_yufeng_streets_and_towns() {
    let app = spawn_app().await;
    let body = app.get_ok("/streets").await;
    assert_eq!(body["total"], 12);
    assert_eq!(body["page"], 1);
    assert_eq!(body["per_page"], 50);
    let items = body["items"].as_array().unwrap();
    assert_eq!(items.len(), 12);
    assert_eq!(items[0]["code"], "450203001");
    assert_eq!(items[0]["name"], "天马街道");
    assert_eq!(items[0]["kind"], "street");
    assert_eq!(items[0]["county_code"], "450203");
    let kinds: Vec<_> = items.iter().map(|s| s["kind"].as_str().unwrap()).collect();
    assert!(kinds.contains(&"town"), "{kinds:?}");
    let names: Vec<_> = items.iter().map(|s| s["name"].as_str().unwrap()).collect();
    for administered_by_liudong in ["阳和街道", "雒容镇", "洛埠镇"] {
        assert!(names.contains(&administered_by_liudong), "{names:?}");
    }
}

#[tokio::test]
async fn a_street_is_read_by_id_and_an_unknown_id_is_a_404_problem() {
    let app = spawn_app().await;
    let first = app.get_ok("/streets?per_page=1").await["items"][0].clone();
    let street = app.get_ok(&format!("/streets/{}", first["id"])).await;
    assert_eq!(street, first);
    let missing = app.get("/streets/999999").await;
    missing.assert_problem(404);
    assert!(missing.json["detail"].as_str().unwrap().contains("street"));
}

#[tokio::test]
async fn all_101_communities_are_listed_with_their_streets_on_one_page_of_200() {
    let app = spawn_app().await;
    let body = app.get_ok("/communities?per_page=200").await;
    assert_eq!(body["total"], 101);
    let items = body["items"].as_array().unwrap();
    assert_eq!(items.len(), 101);
    let first = &items[0];
    assert_eq!(first["code"], "450203001001");
    assert_eq!(first["name"], "鱼峰社区");
    assert_eq!(first["official_name"], "鱼峰社区居委会");
    assert_eq!(first["kind"], "community");
    assert_eq!(first["street_code"], "450203001");
    assert_eq!(first["street_name"], "天马街道");
    assert_eq!(first["active"], true);
    assert_eq!(first["version"], 1);
    assert!(first["population"].is_null());
    assert!(
        items
            .iter()
            .all(|c| c["street_name"].is_string() && c["street_id"].is_number())
    );
    let codes: Vec<_> = items.iter().map(|c| c["code"].as_str().unwrap()).collect();
    let mut sorted = codes.clone();
    sorted.sort();
    assert_eq!(codes, sorted, "communities are ordered by code");
}

#[tokio::test]
async fn communities_are_paginated_without_gaps_or_repeats() {
    let app = spawn_app().await;
    let mut seen = Vec::new();
    for page in 1..=3 {
        let body = app
            .get_ok(&format!("/communities?per_page=40&page={page}"))
            .await;
        assert_eq!(body["total"], 101);
        assert_eq!(body["page"], page);
        seen.extend(
            body["items"]
                .as_array()
                .unwrap()
                .iter()
                .map(|c| c["id"].as_i64().unwrap()),
        );
    }
    assert_eq!(seen.len(), 101);
    seen.dedup();
    assert_eq!(seen.len(), 101);
    let beyond = app.get_ok("/communities?per_page=40&page=4").await;
    assert_eq!(beyond["items"].as_array().unwrap().len(), 0);
    assert_eq!(beyond["total"], 101);
}

#[tokio::test]
async fn communities_filter_by_street_kind_active_and_text() {
    let app = spawn_app().await;
    let streets = app.get_ok("/streets").await;
    let tianma = streets["items"]
        .as_array()
        .unwrap()
        .iter()
        .find(|s| s["name"] == "天马街道")
        .unwrap()
        .clone();
    let of_street = app
        .get_ok(&format!(
            "/communities?street_id={}&per_page=200",
            tianma["id"]
        ))
        .await;
    let items = of_street["items"].as_array().unwrap();
    assert!(!items.is_empty());
    assert!(items.iter().all(|c| c["street_id"] == tianma["id"]));
    assert_eq!(of_street["total"].as_u64().unwrap() as usize, items.len());

    let villages = app.get_ok("/communities?kind=village&per_page=200").await;
    let communities = app.get_ok("/communities?kind=community&per_page=200").await;
    assert!(villages["total"].as_u64().unwrap() > 0);
    assert_eq!(
        villages["total"].as_u64().unwrap() + communities["total"].as_u64().unwrap(),
        101
    );
    assert!(
        villages["items"]
            .as_array()
            .unwrap()
            .iter()
            .all(|c| c["kind"] == "village")
    );

    assert_eq!(app.get_ok("/communities?active=true").await["total"], 101);
    assert_eq!(app.get_ok("/communities?active=false").await["total"], 0);

    let by_name = app
        .get_ok(&format!("/communities?q={}", urlencode("鱼峰")))
        .await;
    assert!(
        by_name["items"]
            .as_array()
            .unwrap()
            .iter()
            .any(|c| c["name"] == "鱼峰社区")
    );
    let by_code = app.get_ok("/communities?q=450203001001").await;
    assert_eq!(by_code["total"], 1);
    // LIKE wildcards in the search text are matched literally.
    assert_eq!(app.get_ok("/communities?q=%25").await["total"], 0);
    assert_eq!(app.get_ok("/communities?q=_").await["total"], 0);
    assert_eq!(
        app.get_ok("/communities?street_id=999999").await["total"],
        0
    );
}

#[tokio::test]
async fn a_community_is_read_by_id_with_its_street() {
    let app = spawn_app().await;
    let listed = app.get_ok("/communities?per_page=1").await["items"][0].clone();
    let community = app.get_ok(&format!("/communities/{}", listed["id"])).await;
    assert_eq!(community, listed);
    app.get("/communities/0").await.assert_problem(404);
    app.get("/communities/-5").await.assert_problem(404);
}

#[tokio::test]
async fn bad_pagination_and_filter_values_are_400_problems_naming_the_parameter() {
    let app = spawn_app().await;
    for (query, field) in [
        ("per_page=201", "per_page"),
        ("per_page=0", "per_page"),
        ("per_page=-1", "per_page"),
        ("per_page=ten", "per_page"),
        ("page=0", "page"),
        ("page=x", "page"),
        ("active=maybe", "active"),
        ("kind=city", "kind"),
        ("street_id=abc", "street_id"),
        ("street_id=99999999999", "street_id"),
    ] {
        let reply = app.get(&format!("/communities?{query}")).await;
        reply.assert_problem(400);
        assert_eq!(reply.error_fields(), [field], "{query}: {}", reply.text);
    }
    app.get("/streets?per_page=500").await.assert_problem(400);
    app.get("/sport-items?page=0").await.assert_problem(400);
    let reply = app.get("/communities/abc").await;
    reply.assert_problem(400);
    assert_eq!(reply.error_fields(), ["path"]);
}

fn urlencode(text: &str) -> String {
    url::form_urlencoded::byte_serialize(text.as_bytes()).collect()
}

#[tokio::test]
async fn the_bureau_adds_a_community_whose_code_extends_its_streets() {
    let app = spawn_app().await;
    let street = app.street_id("450203001").await;
    let body = serde_json::json!({"street_id": street, "code": "450203001099", "name": "新城社区", "population": 8200});
    let created = app
        .send_json(
            &app.admin_token,
            reqwest::Method::POST,
            "/communities",
            body.clone(),
        )
        .await;
    assert_eq!(created.status, 201, "{}", created.text);
    assert_eq!(
        created.json["kind"], "community",
        "derived from the committee number"
    );
    assert_eq!(created.json["official_name"], "新城社区");
    assert_eq!(created.json["street_name"], "天马街道");
    assert_eq!(created.json["population"], 8200);
    assert_eq!(created.json["active"], true);
    assert_eq!(app.get_ok("/communities").await["total"], 102);
    let again = app
        .send_json(
            &app.admin_token,
            reqwest::Method::POST,
            "/communities",
            body,
        )
        .await;
    again.assert_problem(409);
    assert_eq!(again.error_fields(), ["code"]);

    let village = serde_json::json!({"street_id": street, "code": "450203001201", "name": "新村"});
    let village = app
        .send_json(
            &app.admin_token,
            reqwest::Method::POST,
            "/communities",
            village,
        )
        .await;
    assert_eq!(village.json["kind"], "village");
}

#[tokio::test]
async fn community_rules_are_422_problems_naming_the_field() {
    let app = spawn_app().await;
    let street = app.street_id("450203001").await;
    let cases = [
        (
            serde_json::json!({"street_id": street, "code": "450203002099", "name": "X"}),
            "code",
        ),
        (
            serde_json::json!({"street_id": street, "code": "45020300109", "name": "X"}),
            "code",
        ),
        (
            serde_json::json!({"street_id": street, "code": "450203001099", "name": "  "}),
            "name",
        ),
        (
            serde_json::json!({"street_id": street, "code": "450203001099", "name": "X", "population": -1}),
            "population",
        ),
        (
            serde_json::json!({"street_id": 999999, "code": "450203001099", "name": "X"}),
            "street_id",
        ),
        (
            serde_json::json!({"street_id": street, "code": "450203001999", "name": "X"}),
            "kind",
        ),
    ];
    for (body, field) in cases {
        let reply = app
            .send_json(
                &app.admin_token,
                reqwest::Method::POST,
                "/communities",
                body.clone(),
            )
            .await;
        reply.assert_problem(422);
        assert_eq!(reply.error_fields(), [field], "{body}: {}", reply.text);
    }
    assert_eq!(app.get_ok("/communities").await["total"], 101);
}

#[tokio::test]
async fn the_bureau_edits_and_deactivates_a_community_with_its_version() {
    let app = spawn_app().await;
    let path = "/communities/5";
    let edited = app
        .send_json(
            &app.admin_token,
            reqwest::Method::PATCH,
            path,
            serde_json::json!({"population": 12000, "version": 1}),
        )
        .await;
    assert_eq!(edited.status, 200, "{}", edited.text);
    assert_eq!(edited.json["population"], 12000);
    assert_eq!(edited.json["version"], 2);
    let stale = app
        .send_json(
            &app.admin_token,
            reqwest::Method::PATCH,
            path,
            serde_json::json!({"active": false, "version": 1}),
        )
        .await;
    stale.assert_problem(409);
    assert_eq!(app.get_ok(path).await["active"], true);
    let deactivated = app
        .send_json(
            &app.admin_token,
            reqwest::Method::PATCH,
            path,
            serde_json::json!({"active": false, "population": null}),
        )
        .await;
    assert_eq!(deactivated.json["active"], false);
    assert!(deactivated.json["population"].is_null());
    assert_eq!(app.get_ok("/communities?active=false").await["total"], 1);
    assert_eq!(app.get_ok("/communities?active=true").await["total"], 100);
    app.send_json(
        &app.admin_token,
        reqwest::Method::PATCH,
        "/communities/99999",
        serde_json::json!({}),
    )
    .await
    .assert_problem(404);
    let bad = app
        .send_json(
            &app.admin_token,
            reqwest::Method::PATCH,
            path,
            serde_json::json!({"popluation": 3}),
        )
        .await;
    bad.assert_problem(400);
    assert_eq!(
        bad.error_fields(),
        ["popluation"],
        "a misspelt field is refused, not ignored"
    );
}
