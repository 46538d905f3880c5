//! Grade eligibility: gathers what the registry holds on a person (age, training, service
//! sessions, registered years) and judges it against the grade's requirements.

use crate::services::person_scope;
use chrono::{Datelike, Months, NaiveDate, TimeDelta};
use sea_orm::{
    ColumnTrait, ConnectionTrait, DatabaseConnection, EntityTrait, PaginatorTrait, QueryFilter,
};
use serde::{Deserialize, Serialize};

use super::{policy, training};
use crate::{
    auth::Caller,
    domain::{
        careers::{Facts, RegistrationStatus, Requirement, requirements},
        person::{Grade, QualificationKind, QualificationStatus, SessionStatus, age_on},
        policy::Policy,
        time::today,
    },
    entities::{person, qualification, registration, service_session},
    error::AppError,
};

/// The judgement of one grade for one person on one day.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Eligibility {
    pub grade: Grade,
    pub as_of: NaiveDate,
    pub eligible: bool,
    pub requirements: Vec<Requirement>,
}

/// What `GET /people/{id}/eligibility` answers.
#[derive(Debug, Clone)]
pub struct Outlook {
    pub person_id: i32,
    /// The grade of the person's active instructor qualification, if any.
    pub current_grade: Option<Grade>,
    /// `None` when the person holds the national grade already and no grade was asked for.
    pub judged: Option<Eligibility>,
}

/// Eligibility for the person's next grade (`third` without one), or for `grade` when given.
pub async fn outlook(
    db: &DatabaseConnection,
    caller: &Caller,
    person_id: i32,
    grade: Option<Grade>,
) -> Result<Outlook, AppError> {
    let person = person_scope::find_readable(db, caller, person_id).await?;
    let current_grade = instructor_qualification(db, person_id)
        .await?
        .and_then(|q| q.grade);
    let wanted = match (grade, current_grade) {
        (Some(grade), _) => Some(grade),
        (None, Some(held)) => held.next(),
        (None, None) => Some(Grade::Third),
    };
    let judged = match wanted {
        Some(grade) => {
            let policy = policy::get(db).await?.policy;
            Some(judge(db, &person, grade, today(), &policy).await?)
        }
        None => None,
    };
    Ok(Outlook {
        person_id,
        current_grade,
        judged,
    })
}

/// Judges `grade` for `person` on `as_of`, from the records held that day.
pub async fn judge(
    db: &impl ConnectionTrait,
    person: &person::Model,
    grade: Grade,
    as_of: NaiveDate,
    policy: &Policy,
) -> Result<Eligibility, AppError> {
    let training = training::toward_grade(db, person.id, grade, as_of).await?;
    let mut facts = Facts {
        age: age_on(person.birth_date, as_of),
        certifications_completed: training.certifications_completed,
        credited_quarters: training.credited_quarters,
        ..Facts::default()
    };
    match grade.previous() {
        None => facts.approved_sessions = approved_sessions_before(db, person.id, as_of).await?,
        Some(below) => {
            facts.registered_years = registered_years(db, person.id, below, as_of).await?;
        }
    }
    let requirements = requirements(grade, &facts, policy);
    Ok(Eligibility {
        grade,
        as_of,
        eligible: requirements.iter().all(|r| r.met),
        requirements,
    })
}

/// The person's active social sports instructor qualification, if any.
pub async fn instructor_qualification(
    db: &impl ConnectionTrait,
    person_id: i32,
) -> Result<Option<qualification::Model>, AppError> {
    Ok(qualification::Entity::find()
        .filter(qualification::Column::PersonId.eq(person_id))
        .filter(qualification::Column::Kind.eq(QualificationKind::SocialSportsInstructor))
        .filter(qualification::Column::Status.eq(QualificationStatus::Active))
        .one(db)
        .await?)
}

/// Approved sessions that started in the 12 months up to and including `as_of` (UTC+08:00): from
/// the day after the same date a year earlier.
async fn approved_sessions_before(
    db: &impl ConnectionTrait,
    person_id: i32,
    as_of: NaiveDate,
) -> Result<i64, AppError> {
    let from = as_of
        .checked_sub_months(Months::new(12))
        .ok_or_else(|| AppError::invalid("as_of", "date.out_of_range", "is out of range"))?
        + TimeDelta::days(1);
    let (start, end) = crate::domain::time::days_span(from, as_of);
    let count = service_session::Entity::find()
        .filter(service_session::Column::PersonId.eq(person_id))
        .filter(service_session::Column::Status.eq(SessionStatus::Approved))
        .filter(service_session::Column::StartedAt.gte(start))
        .filter(service_session::Column::StartedAt.lt(end))
        .count(db)
        .await?;
    Ok(count as i64)
}

/// Years with an approved registration made as `grade`, from the year that grade was granted to
/// the year of `as_of`. Zero when the person's instructor grade is another.
async fn registered_years(
    db: &impl ConnectionTrait,
    person_id: i32,
    grade: Grade,
    as_of: NaiveDate,
) -> Result<i64, AppError> {
    let Some(held) = instructor_qualification(db, person_id).await? else {
        return Ok(0);
    };
    if held.grade != Some(grade) {
        return Ok(0);
    }
    let granted = held.grade_granted_on.unwrap_or(held.certified_on);
    let years = registration::Entity::find()
        .filter(registration::Column::PersonId.eq(person_id))
        .filter(registration::Column::Status.eq(RegistrationStatus::Approved))
        .filter(registration::Column::Grade.eq(grade))
        .filter(registration::Column::Year.gte(granted.year()))
        .filter(registration::Column::Year.lte(as_of.year()))
        .count(db)
        .await?;
    Ok(years as i64)
}
