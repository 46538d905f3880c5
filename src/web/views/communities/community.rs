//! One community as its office keeps it: the people serving it, the history of its assignments,
//! a form to assign someone of the street and its QR poster.

use std::collections::HashMap;

use askama::Template;
use poem::{
    Request, Response, handler,
    http::StatusCode,
    web::{Path, Query},
};
use serde::Deserialize;

use super::gap_words;
use crate::{
    domain::{
        FieldViolation,
        person::{PersonStatus, QualificationKind, QualificationStatus},
        time::today,
    },
    error::AppError,
    services::{
        PageRequest,
        assignments::{self, AssignmentFilter, NewAssignment},
        coverage,
        coverage_alerts::AT_RISK_DAYS,
        people::{self, PersonFilter},
        regions,
    },
    web::{
        Layout, format,
        messages::FieldErrors,
        page_with_status, see_other,
        session::{CsrfForm, WebCaller, state},
        views::{
            people::{choices, kind_options},
            sessions::Choice,
            staff::{code_of, may_change, require_staff},
        },
    },
};

pub struct ServingRow {
    pub assignment_id: i32,
    pub person_id: i32,
    pub name: String,
    pub role: &'static str,
    pub employment: &'static str,
    pub starts_on: String,
}

pub struct TimelineRow {
    pub day: String,
    pub event: String,
    pub person_id: i32,
    pub name: String,
}

#[derive(Template)]
#[template(path = "office/community.html")]
struct CommunityPage {
    layout: Layout,
    title: &'static str,
    id: i32,
    name: String,
    street: String,
    active: bool,
    code: String,
    kind: &'static str,
    population: String,
    version: i32,
    /// The bureau keeps the community (name, population, active).
    admin: bool,
    /// Assignments without an end, which deactivating ends.
    open_assignments: usize,
    covered: bool,
    gap: String,
    at_risk: String,
    serving: Vec<ServingRow>,
    timeline: Vec<TimelineRow>,
    may_change: bool,
    people: Vec<Choice>,
    roles: Vec<Choice>,
    today: String,
    form: String,
    typed: HashMap<String, String>,
    errors: FieldErrors,
    notice: &'static str,
}

#[derive(Debug, Default, Deserialize)]
pub struct DetailQuery {
    done: Option<String>,
}

/// `/communities/:id`
#[handler]
pub async fn detail(
    req: &Request,
    who: WebCaller,
    Path(id): Path<i32>,
    Query(query): Query<DetailQuery>,
) -> poem::Result<Response> {
    let notice = match query.done.as_deref() {
        Some("assigned") => "已安排。",
        Some("ended") => "安排已结束。",
        Some("created") => "社区（村）已添加。",
        Some("saved") => "修改已保存。",
        Some("deactivated") => "社区（村）已停用，在这里的安排已于今天结束。",
        Some("reactivated") => "社区（村）已重新启用。",
        _ => "",
    };
    render(
        req,
        &who,
        id,
        String::new(),
        HashMap::new(),
        FieldErrors::default(),
        notice,
        StatusCode::OK,
    )
    .await
}

/// The community's page again with the errors of a form on it (`assign`, `end-<id>`).
pub async fn show_errors(
    req: &Request,
    who: &WebCaller,
    id: i32,
    form: String,
    typed: HashMap<String, String>,
    err: AppError,
) -> poem::Result<Response> {
    match FieldErrors::from_error(&err) {
        Some(errors) => {
            let status = err.status();
            render(req, who, id, form, typed, errors, "", status).await
        }
        None => Err(err.into()),
    }
}

#[allow(clippy::too_many_arguments)]
async fn render(
    req: &Request,
    who: &WebCaller,
    id: i32,
    form: String,
    typed: HashMap<String, String>,
    errors: FieldErrors,
    notice: &'static str,
    status: StatusCode,
) -> poem::Result<Response> {
    require_staff(who)?;
    let state = state(req)?;
    let db = &state.db;
    let account = who.account.clone();
    let (community, street) = regions::community_for_office(db, &who.caller, id).await?;
    let day = today();
    let audit = coverage::audit(db, &who.caller, day, Some(street.id)).await?;
    let covered = audit.communities.iter().any(|c| c.id == id && c.covered);
    let gap = coverage::gaps_in(db, &audit)
        .await?
        .into_iter()
        .find(|g| g.community.id == id)
        .map(|g| gap_words(g.uncovered_since, g.days))
        .unwrap_or_default();
    let at_risk = coverage::at_risk_in(db, &audit, AT_RISK_DAYS)
        .await?
        .into_iter()
        .find(|r| r.community.id == id)
        .map(|r| format!("{}起将没有文体管理员", format::date(r.uncovered_from)))
        .unwrap_or_default();
    let held = assignments::list(
        db,
        &who.caller,
        &AssignmentFilter {
            community_id: Some(id),
            ..Default::default()
        },
        PageRequest::first(2000),
    )
    .await?;
    let person_ids: Vec<i32> = held.items.iter().map(|a| a.person_id).collect();
    let names = people::names(db, &person_ids).await?;
    let name_of = |pid: i32| names.get(&pid).cloned().unwrap_or_default();
    let mut serving: Vec<ServingRow> = held
        .items
        .iter()
        .filter(|a| a.starts_on <= day && a.ends_on.is_none_or(|e| e > day))
        .map(|a| ServingRow {
            assignment_id: a.id,
            person_id: a.person_id,
            name: name_of(a.person_id),
            role: a.role.chinese(),
            employment: a.employment.map_or("", |e| e.chinese()),
            starts_on: format::date(a.starts_on),
        })
        .collect();
    serving.sort_by_key(|s| {
        (
            s.role != QualificationKind::CommunitySportsAdministrator.chinese(),
            s.assignment_id,
        )
    });
    let mut events: Vec<(chrono::NaiveDate, i32, TimelineRow)> = Vec::new();
    for a in &held.items {
        events.push((
            a.starts_on,
            a.id,
            TimelineRow {
                day: format::date(a.starts_on),
                event: format!("开始担任{}", a.role.chinese()),
                person_id: a.person_id,
                name: name_of(a.person_id),
            },
        ));
        if let Some(ends_on) = a.ends_on {
            events.push((
                ends_on,
                a.id,
                TimelineRow {
                    day: format::date(ends_on),
                    event: format!(
                        "不再担任{}{}",
                        a.role.chinese(),
                        a.end_reason
                            .as_deref()
                            .map(|r| format!("（{r}）"))
                            .unwrap_or_default()
                    ),
                    person_id: a.person_id,
                    name: name_of(a.person_id),
                },
            ));
        }
    }
    events.sort_by_key(|(day, id, _)| std::cmp::Reverse((*day, *id)));
    let may = may_change(who) && community.active;
    let people = if may {
        candidates(db, who, street.id).await?
    } else {
        Vec::new()
    };
    let selected = |name: &str| typed.get(name).cloned().unwrap_or_default();
    let open_assignments = held.items.iter().filter(|a| a.ends_on.is_none()).count();
    page_with_status(
        &CommunityPage {
            layout: Layout::signed_in(who, &account.username, "/communities"),
            title: "社区（村）",
            id,
            name: community.name,
            street: street.name,
            active: community.active,
            code: community.code,
            kind: super::admin::kind_name(community.kind),
            population: community
                .population
                .map(|p| p.to_string())
                .unwrap_or_default(),
            version: community.version,
            admin: who.caller.role == crate::domain::account::Role::BureauAdmin,
            open_assignments,
            covered,
            gap,
            at_risk,
            serving,
            timeline: events.into_iter().map(|(_, _, row)| row).collect(),
            may_change: may,
            people: choices("请选择人员", &people, &selected("person_id")),
            roles: choices(
                "请选择岗位",
                &kind_options(),
                &typed
                    .get("role")
                    .cloned()
                    .unwrap_or_else(|| "community_sports_administrator".to_owned()),
            ),
            today: day.to_string(),
            form,
            typed,
            errors,
            notice,
        },
        status,
    )
}

/// The street's active people who hold a qualification, as choices: `name（qualifications）`.
async fn candidates(
    db: &sea_orm::DatabaseConnection,
    who: &WebCaller,
    street_id: i32,
) -> Result<Vec<(String, String)>, AppError> {
    let found = people::list(
        db,
        &who.caller,
        &PersonFilter {
            street_id: Some(street_id),
            status: Some(PersonStatus::Active),
            ..Default::default()
        },
        PageRequest::first(2000),
    )
    .await?;
    Ok(found
        .items
        .iter()
        .filter(|v| {
            v.qualifications
                .iter()
                .any(|q| q.status == QualificationStatus::Active)
        })
        .map(|v| {
            (
                v.person.id.to_string(),
                format!(
                    "{}（{}）",
                    v.person.name,
                    crate::web::views::people::held_names(v)
                ),
            )
        })
        .collect())
}

/// `POST /communities/:id/assignments`: someone of the street starts serving the community.
#[handler]
pub async fn assign(
    req: &Request,
    Path(id): Path<i32>,
    CsrfForm { who, form }: CsrfForm<HashMap<String, String>>,
) -> poem::Result<Response> {
    let state = state(req)?;
    let field = |name: &str| form.get(name).map(|v| v.trim()).unwrap_or("");
    let mut violations = Vec::new();
    let person_id = field("person_id").parse::<i32>().ok();
    if person_id.is_none() {
        violations.push(FieldViolation::new(
            "person_id",
            "value.required",
            "is required",
        ));
    }
    let role: Option<QualificationKind> = code_of(Some(field("role")));
    if role.is_none() {
        violations.push(FieldViolation::new("role", "value.required", "is required"));
    }
    let starts_on = match field("starts_on") {
        "" => None,
        raw => match chrono::NaiveDate::parse_from_str(raw, "%Y-%m-%d") {
            Ok(day) => Some(day),
            Err(_) => {
                violations.push(FieldViolation::new(
                    "starts_on",
                    "date.invalid",
                    "is not a date",
                ));
                None
            }
        },
    };
    let result = match (person_id, role) {
        (Some(person_id), Some(role)) if violations.is_empty() => {
            // The community of the path, never a field: a form edited to name another street's
            // community or person is refused by the service's scope checks.
            assignments::create(
                &state.db,
                &who.caller,
                NewAssignment {
                    person_id,
                    community_id: id,
                    role,
                    starts_on,
                },
            )
            .await
        }
        _ => Err(AppError::violations(violations)),
    };
    match result {
        Ok(_) => Ok(see_other(&format!("/communities/{id}?done=assigned"))),
        Err(err) => show_errors(req, &who, id, "assign".into(), form, err).await,
    }
}
