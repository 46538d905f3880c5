//! The careers parts of a person's page: the qualifications with the grant of each grade (who
//! granted it, the certificate, whether the person met the grade's conditions that day), the
//! conditions of the next grade as a table, and the annual work registrations with the form
//! that decides one (`POST /people/:id/registrations`).

use std::collections::HashMap;

use poem::{Request, Response, handler, web::Path};
use sea_orm::DatabaseConnection;

use crate::{
    domain::{
        account::Role,
        careers::RegistrationStatus,
        hours::hours,
        person::{Grade, QualificationKind, QualificationStatus},
        time::today,
    },
    entities::registration,
    error::AppError,
    services::{
        PageRequest,
        eligibility::{self, Eligibility},
        people::PersonView,
        policy, registration_list,
        registrations::{self, NewRegistration},
    },
    web::{
        format,
        messages::FieldErrors,
        see_other,
        session::{CsrfForm, WebCaller, state},
        views::{
            people::detail::{Typed, render},
            sessions::Choice,
            staff::{code, may_change},
            training::{grade_name, requirement_name},
        },
    },
};

pub struct QualificationRow {
    pub id: i32,
    pub version: i32,
    pub kind: &'static str,
    pub grade: String,
    pub employment: &'static str,
    pub certificate_no: String,
    pub certified_on: String,
    /// For a grade: who granted it and when, and the conditions of that day.
    pub granted: String,
    pub granted_check: String,
    pub active: bool,
    pub revoked: String,
    pub grades_above: Vec<Choice>,
}

pub struct RegistrationRow {
    pub year: i32,
    pub approved: bool,
    pub overridden: bool,
    pub reason: String,
    pub note: String,
    pub decided: String,
}

pub struct RequirementRow {
    pub name: &'static str,
    pub required: String,
    pub actual: String,
    pub met: bool,
}

/// The next grade judged today.
pub struct NextGrade {
    pub grade: String,
    pub eligible: bool,
    pub rows: Vec<RequirementRow>,
}

/// What the page shows of the person's career.
pub struct CareersSection {
    /// Whether the caller may decide a registration here.
    pub may_register: bool,
    /// Whether the caller records grades granted by the city, province or state (the bureau).
    pub may_record_grades: bool,
    pub rule: String,
    pub years: Vec<Choice>,
    pub overriding: bool,
    pub registrations: Vec<RegistrationRow>,
    pub next: Option<NextGrade>,
    pub national: bool,
}

/// The section for `view`, with what was typed into the registration form kept.
pub async fn section(
    db: &DatabaseConnection,
    who: &WebCaller,
    view: &PersonView,
    typed: &Typed,
) -> Result<CareersSection, AppError> {
    let id = view.person.id;
    let decided = registrations::list(db, &who.caller, id, PageRequest::first(50))
        .await?
        .items;
    let names = registration_list::deciders(db, &decided).await?;
    let outlook = eligibility::outlook(db, &who.caller, id, None).await?;
    let hours_needed = policy::get(db).await?.policy.instructor_annual_hours;
    let instructor = view
        .qualifications
        .iter()
        .any(|q| q.kind == QualificationKind::SocialSportsInstructor);
    let wanted = if typed.form == "registration" {
        typed.get("year").to_owned()
    } else {
        today().format("%Y").to_string()
    };
    Ok(CareersSection {
        may_register: may_change(who) && (instructor || !decided.is_empty()),
        may_record_grades: who.caller.role == Role::BureauAdmin,
        rule: format!(
            "当年持有有效的社会体育指导员资格，且上一年通过审核的服务不少于 {}",
            format::hours(hours_needed)
        ),
        years: registration_list::decidable_years()
            .into_iter()
            .map(|y| Choice {
                selected: y.to_string() == wanted,
                value: y.to_string(),
                label: format!("{y}年"),
            })
            .collect(),
        overriding: typed.form == "registration" && !typed.get("override").is_empty(),
        registrations: decided.iter().map(|r| row_of(r, &names)).collect(),
        national: outlook.current_grade == Some(Grade::National),
        next: outlook.judged.map(next_grade),
    })
}

fn row_of(r: &registration::Model, names: &HashMap<i32, String>) -> RegistrationRow {
    let who = r
        .created_by
        .and_then(|id| names.get(&id).cloned())
        .unwrap_or_else(|| "系统".to_owned());
    RegistrationRow {
        year: r.year,
        approved: r.status == RegistrationStatus::Approved,
        overridden: r.overridden,
        reason: reason_words(r),
        note: r.note.clone().unwrap_or_default(),
        decided: format!("{who}，{}", format::date_time(r.created_at)),
    }
}

/// Why a registration was decided so, in Chinese, from what the decision kept.
pub fn reason_words(r: &registration::Model) -> String {
    let served = format::hours(hours(i64::from(r.served_quarters)));
    if r.status == RegistrationStatus::Approved && !r.overridden {
        return format!(
            "{}年持有有效的社会体育指导员资格，{}年通过审核的服务 {served}，符合注册规则",
            r.year,
            r.year - 1
        );
    }
    let short = shortfall_words(r.year, i64::from(r.served_quarters), &r.reason);
    if r.overridden {
        format!("不符合规则（{short}），经办人依说明批准")
    } else {
        short
    }
}

/// What fell short of the rule for `year`, in Chinese, from the reason the decision kept.
pub fn shortfall_words(year: i32, served_quarters: i64, reason: &str) -> String {
    let served = format::hours(hours(served_quarters));
    let mut short = Vec::new();
    if reason.contains("held no active") {
        short.push(format!("{year}年没有有效的社会体育指导员资格"));
    }
    if let Some(at) = reason.find("the policy asks for ") {
        let asked = reason[at + "the policy asks for ".len()..]
            .split_whitespace()
            .next()
            .and_then(|n| n.parse::<f64>().ok());
        short.push(match asked {
            Some(asked) => format!(
                "{}年通过审核的服务 {served}，少于要求的 {}",
                year - 1,
                format::hours(asked)
            ),
            None => format!("{}年通过审核的服务 {served}，未达到要求", year - 1),
        });
    }
    if short.is_empty() {
        short.push("未满足注册规则".to_owned());
    }
    short.join("；")
}

fn amount(value: f64) -> String {
    let text = format!("{value:.2}");
    text.trim_end_matches('0').trim_end_matches('.').to_owned()
}

fn next_grade(judged: Eligibility) -> NextGrade {
    NextGrade {
        grade: grade_name(judged.grade),
        eligible: judged.eligible,
        rows: judged
            .requirements
            .iter()
            .map(|r| RequirementRow {
                name: requirement_name(&r.name),
                required: amount(r.required),
                actual: amount(r.actual),
                met: r.met,
            })
            .collect(),
    }
}

/// The conditions of a grade on the day it was granted, as kept beside it.
fn check_at_grant(kept: Option<&str>) -> String {
    let Some(judged) = kept.and_then(|k| serde_json::from_str::<Eligibility>(k).ok()) else {
        return String::new();
    };
    if judged.eligible {
        return "批准当日条件已满足".to_owned();
    }
    let unmet: Vec<&str> = judged
        .requirements
        .iter()
        .filter(|r| !r.met)
        .map(|r| requirement_name(&r.name))
        .collect();
    format!("批准当日未满足：{}", unmet.join("、"))
}

pub fn qualification_rows(view: &PersonView) -> Vec<QualificationRow> {
    view.qualifications
        .iter()
        .map(|q| {
            let grades_above = match q.grade {
                Some(held) => [Grade::Second, Grade::First, Grade::National]
                    .into_iter()
                    .filter(|g| *g > held)
                    .map(|g| Choice {
                        selected: false,
                        value: code(g),
                        label: g.chinese().to_owned(),
                    })
                    .collect(),
                None => Vec::new(),
            };
            let granted = match (q.grade, &q.issued_by) {
                (Some(_), Some(by)) => format!(
                    "{}（{}）",
                    by,
                    format::date(q.grade_granted_on.unwrap_or(q.certified_on))
                ),
                (Some(grade), None) if grade.granted_by_district() => format!(
                    "本区（{}）",
                    format::date(q.grade_granted_on.unwrap_or(q.certified_on))
                ),
                _ => String::new(),
            };
            QualificationRow {
                id: q.id,
                version: q.version,
                kind: q.kind.chinese(),
                grade: q.grade.map(|g| g.chinese().to_owned()).unwrap_or_default(),
                employment: q.employment.map_or("", |e| e.chinese()),
                certificate_no: q.certificate_no.clone().unwrap_or_default(),
                certified_on: format::date(q.certified_on),
                granted,
                granted_check: check_at_grant(q.eligibility_at_grant.as_deref()),
                active: q.status == QualificationStatus::Active,
                revoked: match (&q.revoked_at, &q.revoke_reason) {
                    (Some(at), reason) => format!(
                        "{} 撤销{}",
                        format::date(crate::domain::time::day_of(*at)),
                        reason
                            .as_deref()
                            .map(|r| format!("：{r}"))
                            .unwrap_or_default()
                    ),
                    _ => String::new(),
                },
                grades_above,
            }
        })
        .collect()
}

type Fields = HashMap<String, String>;

/// `POST /people/:id/registrations`: decides the person's registration for `year` by the rule;
/// with `override` and a note, approves it against the rule.
#[handler]
pub async fn register(
    req: &Request,
    Path(id): Path<i32>,
    CsrfForm { who, form }: CsrfForm<Fields>,
) -> poem::Result<Response> {
    if !may_change(&who) {
        return Err(AppError::Forbidden("您的账户只能查看，不能办理年度注册".into()).into());
    }
    let state = state(req)?;
    let result = match form.get("year").and_then(|y| y.trim().parse::<i32>().ok()) {
        Some(year) => {
            registrations::register(
                &state.db,
                &who.caller,
                id,
                NewRegistration {
                    year,
                    note: form.get("note").cloned(),
                    overridden: form.get("override").is_some_and(|v| !v.is_empty()),
                },
            )
            .await
        }
        None => Err(AppError::invalid("year", "value.required", "is required")),
    };
    match result {
        Ok(saved) if saved.status == RegistrationStatus::Approved => Ok(see_other(&format!(
            "/people/{id}?done=registration-approved#registrations-title"
        ))),
        Ok(_) => Ok(see_other(&format!(
            "/people/{id}?done=registration-rejected#registrations-title"
        ))),
        Err(err) => match FieldErrors::from_error(&err) {
            Some(errors) => {
                let status = err.status();
                let typed = Typed {
                    form: "registration".into(),
                    values: form,
                    errors,
                };
                render(req, &who, id, typed, "", status).await
            }
            None => Err(err.into()),
        },
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn decided(status: RegistrationStatus, overridden: bool, reason: &str) -> registration::Model {
        registration::Model {
            id: 1,
            person_id: 1,
            year: 2026,
            status,
            reason: reason.to_owned(),
            overridden,
            note: None,
            grade: Some(Grade::Third),
            served_quarters: 79,
            created_by: None,
            created_at: chrono::Utc::now(),
        }
    }

    #[test]
    fn reasons_read_in_chinese() {
        let short = "held no active social sports instructor qualification in 2026; served \
                     19.75 approved hours in 2025; the policy asks for 20 (instructor_annual_hours)";
        let words = reason_words(&decided(RegistrationStatus::Rejected, false, short));
        assert_eq!(
            words,
            "2026年没有有效的社会体育指导员资格；2025年通过审核的服务 19.75 小时，少于要求的 20 小时"
        );
        let words = reason_words(&decided(RegistrationStatus::Approved, true, short));
        assert!(words.starts_with("不符合规则（") && words.ends_with("经办人依说明批准"));
        let words = reason_words(&decided(RegistrationStatus::Approved, false, "met"));
        assert!(words.contains("符合注册规则") && words.contains("19.75 小时"));
        assert_eq!(amount(2.5), "2.5");
        assert_eq!(amount(30.0), "30");
    }
}
