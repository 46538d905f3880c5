//! The bureau keeps the district's communities: adds one (`/communities/new`), changes a
//! community's name and population, deactivates it (its open assignments end that day) and
//! makes it active again. Officers and auditors are refused (403) before anything is read.

use std::collections::HashMap;

use askama::Template;
use poem::{Request, Response, handler, http::StatusCode, web::Path};

use crate::{
    domain::{FieldViolation, region::CommunityKind},
    error::AppError,
    services::{
        PageRequest,
        regions::{self, CommunityChanges, NewCommunity},
    },
    web::{
        Layout,
        messages::FieldErrors,
        page_with_status, see_other,
        session::{CsrfForm, WebCaller, state},
        views::{
            communities::show_errors, people::choices, sessions::Choice, staff::require_staff,
        },
    },
};

type Fields = HashMap<String, String>;

/// The Chinese name of a community's kind.
pub fn kind_name(kind: CommunityKind) -> &'static str {
    match kind {
        CommunityKind::Community => "社区",
        CommunityKind::Village => "村",
    }
}

/// Only the bureau changes the district's communities.
fn require_bureau(who: &WebCaller) -> Result<(), AppError> {
    crate::web::views::staff::require_bureau(who, "只有区文体新局可以添加、修改或停用社区（村）")
}

fn text(form: &Fields, name: &str) -> String {
    form.get(name)
        .map(|v| v.trim().to_owned())
        .unwrap_or_default()
}

/// A population as typed: empty is none, anything but a whole number a violation.
fn population(form: &Fields, violations: &mut Vec<FieldViolation>) -> Option<i32> {
    match text(form, "population").as_str() {
        "" => None,
        raw => match raw.parse::<i32>() {
            Ok(n) => Some(n),
            Err(_) => {
                violations.push(FieldViolation::new(
                    "population",
                    "number.invalid",
                    "is not a whole number",
                ));
                None
            }
        },
    }
}

fn version(form: &Fields) -> Option<i64> {
    text(form, "version").parse().ok()
}

#[derive(Template)]
#[template(path = "office/community_new.html")]
struct NewCommunityPage {
    layout: Layout,
    title: &'static str,
    streets: Vec<Choice>,
    kinds: Vec<Choice>,
    typed: Fields,
    errors: FieldErrors,
}

impl NewCommunityPage {
    fn value(&self, name: &str) -> &str {
        self.typed.get(name).map_or("", String::as_str)
    }
}

async fn new_form(
    req: &Request,
    who: &WebCaller,
    typed: Fields,
    errors: FieldErrors,
    status: StatusCode,
) -> poem::Result<Response> {
    let state = state(req)?;
    let db = &state.db;
    let account = who.account.clone();
    let streets: Vec<(String, String)> = regions::list_streets(db, PageRequest::first(500))
        .await?
        .items
        .into_iter()
        .map(|s| (s.id.to_string(), format!("{}（{}）", s.name, s.code)))
        .collect();
    let kinds: Vec<(String, String)> = [CommunityKind::Community, CommunityKind::Village]
        .into_iter()
        .map(|k| (crate::web::views::staff::code(k), kind_name(k).to_owned()))
        .collect();
    let selected = |name: &str| typed.get(name).cloned().unwrap_or_default();
    page_with_status(
        &NewCommunityPage {
            layout: Layout::signed_in(who, &account.username, "/communities"),
            title: "添加社区（村）",
            streets: choices("请选择街道（乡镇）", &streets, &selected("street_id")),
            kinds: choices("按代码判断", &kinds, &selected("kind")),
            typed,
            errors,
        },
        status,
    )
}

/// `GET /communities/new`
#[handler]
pub async fn new_page(req: &Request, who: WebCaller) -> poem::Result<Response> {
    require_staff(&who)?;
    require_bureau(&who)?;
    new_form(
        req,
        &who,
        Fields::new(),
        FieldErrors::default(),
        StatusCode::OK,
    )
    .await
}

/// `POST /communities/new`: street, 12-digit code, name, kind (from the code when not given) and
/// population; a code that exists already is 409.
#[handler]
pub async fn create(
    req: &Request,
    CsrfForm { who, form }: CsrfForm<Fields>,
) -> poem::Result<Response> {
    require_bureau(&who)?;
    let state = state(req)?;
    let mut violations = Vec::new();
    let street_id = text(&form, "street_id").parse::<i32>().ok();
    if street_id.is_none() {
        violations.push(FieldViolation::new(
            "street_id",
            "street.unknown",
            "is required",
        ));
    }
    for field in ["code", "name"] {
        if text(&form, field).is_empty() {
            violations.push(FieldViolation::new(field, "value.required", "is required"));
        }
    }
    let population = population(&form, &mut violations);
    let result = match street_id {
        Some(street_id) if violations.is_empty() => {
            regions::create_community(
                &state.db,
                &who.caller,
                NewCommunity {
                    street_id,
                    code: text(&form, "code"),
                    name: text(&form, "name"),
                    official_name: None,
                    kind: crate::web::views::staff::code_of(form.get("kind").map(String::as_str)),
                    population,
                    active: None,
                },
            )
            .await
        }
        _ => Err(AppError::violations(violations)),
    };
    match result {
        Ok((created, _)) => Ok(see_other(&format!(
            "/communities/{}?done=created",
            created.id
        ))),
        Err(err) => match FieldErrors::from_error(&err) {
            Some(errors) => {
                let status = err.status();
                new_form(req, &who, form, errors, status).await
            }
            None => Err(err.into()),
        },
    }
}

async fn change(
    req: &Request,
    who: &WebCaller,
    id: i32,
    form_name: &str,
    form: Fields,
    result: Result<CommunityChanges, Vec<FieldViolation>>,
    done: &str,
) -> poem::Result<Response> {
    let state = state(req)?;
    let result = match result {
        Ok(changes) => regions::update_community(&state.db, &who.caller, id, changes)
            .await
            .map(|_| ()),
        Err(violations) => Err(AppError::violations(violations)),
    };
    match result {
        Ok(()) => Ok(see_other(&format!("/communities/{id}?done={done}"))),
        Err(err) => show_errors(req, who, id, form_name.to_owned(), form, err).await,
    }
}

/// `POST /communities/:id/edit`: the name and the population (empty clears it).
#[handler]
pub async fn edit(
    req: &Request,
    Path(id): Path<i32>,
    CsrfForm { who, form }: CsrfForm<Fields>,
) -> poem::Result<Response> {
    require_bureau(&who)?;
    let mut violations = Vec::new();
    let name = text(&form, "name");
    if name.is_empty() {
        violations.push(FieldViolation::new("name", "value.required", "is required"));
    }
    let population = population(&form, &mut violations);
    let changes = CommunityChanges {
        name: Some(name),
        population: Some(population),
        expected_version: version(&form),
        ..Default::default()
    };
    let result = if violations.is_empty() {
        Ok(changes)
    } else {
        Err(violations)
    };
    change(req, &who, id, "edit", form, result, "saved").await
}

/// `POST /communities/:id/deactivate`: with `confirm`; its open assignments end today.
#[handler]
pub async fn deactivate(
    req: &Request,
    Path(id): Path<i32>,
    CsrfForm { who, form }: CsrfForm<Fields>,
) -> poem::Result<Response> {
    require_bureau(&who)?;
    let result = if text(&form, "confirm") == "yes" {
        Ok(CommunityChanges {
            active: Some(false),
            expected_version: version(&form),
            ..Default::default()
        })
    } else {
        Err(vec![FieldViolation::new(
            "confirm",
            "community.confirm_required",
            "tick the box to confirm",
        )])
    };
    change(req, &who, id, "deactivate", form, result, "deactivated").await
}

/// `POST /communities/:id/reactivate`
#[handler]
pub async fn reactivate(
    req: &Request,
    Path(id): Path<i32>,
    CsrfForm { who, form }: CsrfForm<Fields>,
) -> poem::Result<Response> {
    require_bureau(&who)?;
    let changes = CommunityChanges {
        active: Some(true),
        expected_version: version(&form),
        ..Default::default()
    };
    change(
        req,
        &who,
        id,
        "reactivate",
        form,
        Ok(changes),
        "reactivated",
    )
    .await
}
