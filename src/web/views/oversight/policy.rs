//! The policy values: each with what it means in Chinese and the value in force, and the
//! bureau's form to change them. The form carries the version it was read at: when someone else
//! changed the policy meanwhile, nothing is written and the page says so (409) with the values
//! now in force next to the ones typed.

use std::collections::HashMap;

use askama::Template;
use poem::{Request, Response, handler, http::StatusCode, web::Query};
use serde::Deserialize;

use super::{Fields, Typed, layout, moment, require_bureau, text};
use crate::{
    domain::{
        FieldViolation,
        account::Role,
        policy::{Policy, STAR_LEVELS, TrainingHours},
    },
    error::AppError,
    services::policy::{self, VersionedPolicy},
    web::{
        Layout,
        messages::FieldErrors,
        page_with_status, see_other,
        session::{CsrfForm, WebCaller, state},
        views::staff::may_change,
    },
};

/// One value of the policy as the page shows it.
pub struct PolicyRow {
    /// The form field, as the service names it in its violations.
    pub field: &'static str,
    pub label: &'static str,
    pub meaning: &'static str,
    pub unit: &'static str,
    pub current: String,
    /// What the form shows: what was typed, or the value in force.
    pub shown: String,
    pub integer: bool,
}

/// The scalar values: field, name, meaning, unit, whether a whole number.
const VALUES: [(&str, &str, &str, &str, bool); 8] = [
    (
        "min_age",
        "最低年龄",
        "取得社会体育指导员等级须年满的年龄（完全民事行为能力）",
        "岁",
        true,
    ),
    (
        "instructor_annual_hours",
        "指导员年度服务时长",
        "社会体育指导员上一年度须有这么多已审核的服务时长，才能通过本年度工作注册",
        "小时",
        false,
    ),
    (
        "volunteer_annual_hours",
        "志愿者年度服务时长",
        "注册志愿者每年应完成的服务时长",
        "小时",
        false,
    ),
    (
        "training_hours.third",
        "三级培训学时",
        "晋升三级社会体育指导员须完成的培训学时",
        "学时",
        false,
    ),
    (
        "training_hours.second",
        "二级培训学时",
        "晋升二级社会体育指导员须完成的培训学时",
        "学时",
        false,
    ),
    (
        "training_hours.first",
        "一级培训学时",
        "晋升一级社会体育指导员须完成的培训学时",
        "学时",
        false,
    ),
    (
        "training_hours.national",
        "国家级培训学时",
        "晋升国家级社会体育指导员须完成的培训学时",
        "学时",
        false,
    ),
    (
        "instructors_per_1000_target",
        "指导员密度目标",
        "每千名常住人口拥有社会体育指导员的目标人数，覆盖总览按它衡量",
        "人/千人",
        false,
    ),
];

const STAR_NAMES: [&str; STAR_LEVELS] = ["一星", "二星", "三星", "四星", "五星"];

/// A number as a person writes it: `20`, `2.16`.
fn number(value: f64) -> String {
    format!("{value}")
}

fn current_value(p: &Policy, field: &str) -> String {
    match field {
        "min_age" => p.min_age.to_string(),
        "instructor_annual_hours" => number(p.instructor_annual_hours),
        "volunteer_annual_hours" => number(p.volunteer_annual_hours),
        "training_hours.third" => number(p.training_hours.third),
        "training_hours.second" => number(p.training_hours.second),
        "training_hours.first" => number(p.training_hours.first),
        "training_hours.national" => number(p.training_hours.national),
        "instructors_per_1000_target" => number(p.instructors_per_1000_target),
        _ => String::new(),
    }
}

fn star_field(level: usize) -> String {
    format!("star_thresholds.{}", level + 1)
}

pub struct StarInput {
    pub field: String,
    pub label: &'static str,
    pub current: String,
    pub shown: String,
}

#[derive(Template)]
#[template(path = "office/oversight/policy.html")]
struct PolicyPage {
    layout: Layout,
    title: &'static str,
    version: i64,
    updated_at: String,
    rows: Vec<PolicyRow>,
    stars: Vec<StarInput>,
    stars_current: String,
    may_change: bool,
    typed: Typed,
    /// Someone else changed the policy after the form was read.
    stale: bool,
    notice: &'static str,
}

async fn render(
    req: &Request,
    who: &WebCaller,
    typed: Typed,
    stale: bool,
    notice: &'static str,
    status: StatusCode,
) -> poem::Result<Response> {
    let layout = layout(req, who).await?;
    let VersionedPolicy {
        policy: now,
        version,
        updated_at,
    } = policy::get(&state(req)?.db).await?;
    // After a refusal for a stale version the form starts again from the values in force.
    let keep = !typed.form.is_empty() && !stale;
    let shown = |field: &str, current: &str| {
        if keep {
            typed.get(field).to_owned()
        } else {
            current.to_owned()
        }
    };
    let rows = VALUES
        .iter()
        .map(|&(field, label, meaning, unit, integer)| {
            let current = current_value(&now, field);
            PolicyRow {
                field,
                label,
                meaning,
                unit,
                shown: shown(field, &current),
                current,
                integer,
            }
        })
        .collect();
    let stars = (0..STAR_LEVELS)
        .map(|level| {
            let field = star_field(level);
            let current = now
                .star_thresholds
                .get(level)
                .map(|h| number(*h))
                .unwrap_or_default();
            StarInput {
                shown: shown(&field, &current),
                field,
                label: STAR_NAMES[level],
                current,
            }
        })
        .collect();
    let stars_current = now
        .star_thresholds
        .iter()
        .zip(STAR_NAMES)
        .map(|(h, name)| format!("{name} {} 小时", number(*h)))
        .collect::<Vec<_>>()
        .join("、");
    page_with_status(
        &PolicyPage {
            layout,
            title: "政策数值",
            version,
            updated_at: moment(updated_at),
            rows,
            stars,
            stars_current,
            may_change: may_change(who) && who.caller.role == Role::BureauAdmin,
            typed,
            stale,
            notice,
        },
        status,
    )
}

#[derive(Debug, Default, Deserialize)]
pub struct PolicyQuery {
    done: Option<String>,
}

/// `GET /admin/policy`
#[handler]
pub async fn page(
    req: &Request,
    who: WebCaller,
    Query(query): Query<PolicyQuery>,
) -> poem::Result<Response> {
    let notice = match query.done.as_deref() {
        Some("saved") => "政策数值已保存，各项规则即时按新数值计算。",
        Some("unchanged") => "数值没有变化，未作修改。",
        _ => "",
    };
    render(req, &who, Typed::default(), false, notice, StatusCode::OK).await
}

/// A number of the form; a missing or unreadable one is a violation on its field.
fn read_number(form: &Fields, field: &str, violations: &mut Vec<FieldViolation>) -> f64 {
    match text(form, field).map(|v| v.parse::<f64>()) {
        Some(Ok(value)) if value.is_finite() => value,
        Some(_) => {
            violations.push(FieldViolation::new(field, "number.invalid", "not a number"));
            0.0
        }
        None => {
            violations.push(FieldViolation::new(field, "value.required", "is required"));
            0.0
        }
    }
}

/// The policy the form asks for.
fn typed_policy(form: &Fields) -> Result<Policy, AppError> {
    let mut violations = Vec::new();
    let min_age = match text(form, "min_age").map(|v| v.parse::<u32>()) {
        Some(Ok(age)) => age,
        Some(Err(_)) => {
            violations.push(FieldViolation::new(
                "min_age",
                "number.invalid",
                "not a whole number",
            ));
            0
        }
        None => {
            violations.push(FieldViolation::new(
                "min_age",
                "value.required",
                "is required",
            ));
            0
        }
    };
    let mut n = |field: &str| read_number(form, field, &mut violations);
    let new = Policy {
        min_age,
        instructor_annual_hours: n("instructor_annual_hours"),
        volunteer_annual_hours: n("volunteer_annual_hours"),
        training_hours: TrainingHours {
            third: n("training_hours.third"),
            second: n("training_hours.second"),
            first: n("training_hours.first"),
            national: n("training_hours.national"),
        },
        star_thresholds: (0..STAR_LEVELS).map(|l| n(&star_field(l))).collect(),
        instructors_per_1000_target: n("instructors_per_1000_target"),
    };
    if violations.is_empty() {
        Ok(new)
    } else {
        Err(AppError::violations(violations))
    }
}

/// `POST /admin/policy`: every value at once, with the version the form was read at.
#[handler]
pub async fn edit(
    req: &Request,
    CsrfForm { who, form }: CsrfForm<Fields>,
) -> poem::Result<Response> {
    require_bureau(&who)?;
    let db = &state(req)?.db;
    // A form without its version is refused as stale rather than written blind.
    let expected = text(&form, "version")
        .and_then(|v| v.parse::<i64>().ok())
        .unwrap_or(-1);
    let result = match typed_policy(&form) {
        Ok(new) => {
            let before = policy::get(db).await?.version;
            policy::update(db, &who.caller, new, Some(expected))
                .await
                .map(|after| after.version != before)
        }
        Err(err) => Err(err),
    };
    let err = match result {
        Ok(true) => return Ok(see_other("/admin/policy?done=saved")),
        Ok(false) => return Ok(see_other("/admin/policy?done=unchanged")),
        Err(err) => err,
    };
    let Some(errors) = FieldErrors::from_error(&err) else {
        return Err(err.into());
    };
    let stale = matches!(&err, AppError::Conflict { errors, .. }
        if errors.iter().any(|v| v.code == "version.stale"));
    let values: HashMap<String, String> = form;
    let typed = Typed::failed("policy", values, errors);
    render(req, &who, typed, stale, "", err.status()).await
}
