//! Registration reminders: every day in December, each active instructor with an address who has
//! no approved registration for the coming year yet gets a reminder; every day in January, each
//! street officer gets the list of the street's instructors still unregistered for the year. Both
//! go through the outbox, at most once a day.

use std::collections::BTreeMap;

use chrono::{DateTime, Datelike, NaiveDate, NaiveTime, Utc};
use sea_orm::{
    ColumnTrait, ConnectionTrait, DatabaseConnection, EntityTrait, QueryFilter, QueryOrder,
    sea_query::Query,
};

use super::{audit::Entry, schedule};
use crate::{
    auth::Caller,
    db,
    domain::{
        account::Role,
        careers::RegistrationStatus,
        person::{PersonStatus, QualificationKind, QualificationStatus},
        time,
    },
    entities::{account, person, qualification, registration, street},
    error::AppError,
    mail::{self, Mail},
};

const JOB: &str = "registration_reminder";

/// What one run queued.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct ReminderRun {
    /// The year the reminders are about.
    pub year: i32,
    /// Mails to instructors (December).
    pub reminders: usize,
    /// Mails to street officers (January).
    pub lists: usize,
}

/// Queues the mails due on `day` (reminders in December, lists in January) if the day can be
/// claimed for the job: claim, reads and mails in one transaction, so a failed run leaves the day
/// unclaimed and a claimed day has its mails.
async fn queue(db: &DatabaseConnection, day: NaiveDate) -> Result<Option<ReminderRun>, AppError> {
    let year = match day.month() {
        12 => day.year() + 1,
        1 => day.year(),
        _ => return Ok(None),
    };
    let txn = db::begin_write(db).await?;
    if !schedule::claim_day(&txn, JOB, day).await? {
        return Ok(None);
    }
    let unregistered = unregistered_instructors(&txn, year).await?;
    let mut run = ReminderRun {
        year,
        ..ReminderRun::default()
    };
    if day.month() == 12 {
        for person in unregistered.iter().filter(|p| p.email.is_some()) {
            let reminder = Mail::RegistrationReminder {
                name: &person.name,
                year,
            };
            mail::enqueue(&txn, person.email.as_deref().unwrap_or_default(), &reminder).await?;
            run.reminders += 1;
        }
    } else {
        let mut by_street: BTreeMap<i32, Vec<(String, String)>> = BTreeMap::new();
        for person in &unregistered {
            by_street
                .entry(person.street_id)
                .or_default()
                .push((person.name.clone(), person.phone.clone()));
        }
        let names: BTreeMap<i32, String> = street::Entity::find()
            .filter(street::Column::Id.is_in(by_street.keys().copied()))
            .all(&txn)
            .await?
            .into_iter()
            .map(|s| (s.id, s.name))
            .collect();
        let officers = account::Entity::find()
            .filter(account::Column::Role.eq(Role::StreetOfficer))
            .filter(account::Column::Disabled.eq(false))
            .filter(account::Column::Email.is_not_null())
            .filter(account::Column::StreetId.is_in(by_street.keys().copied()))
            .all(&txn)
            .await?;
        for officer in officers {
            let Some(street_id) = officer.street_id else {
                continue;
            };
            let (Some(people), Some(street)) = (by_street.get(&street_id), names.get(&street_id))
            else {
                continue;
            };
            let list = Mail::RegistrationList {
                street,
                year,
                people: people.clone(),
            };
            mail::enqueue(&txn, officer.email.as_deref().unwrap_or_default(), &list).await?;
            run.lists += 1;
        }
    }
    Entry::new("send_registration_reminders", "registration", day)
        .after(&serde_json::json!({"year": year, "reminders": run.reminders, "lists": run.lists}))
        .record(&txn, &Caller::system())
        .await?;
    txn.commit().await?;
    Ok(Some(run))
}

/// Active people with an active instructor qualification and no approved registration for
/// `year`, by street and name: one query. A rejected registration can be decided again once the
/// rule is met, so those people are reminded too.
async fn unregistered_instructors(
    db: &impl ConnectionTrait,
    year: i32,
) -> Result<Vec<person::Model>, AppError> {
    let mut instructors = Query::select();
    instructors
        .column(qualification::Column::PersonId)
        .from(qualification::Entity)
        .and_where(qualification::Column::Kind.eq(QualificationKind::SocialSportsInstructor))
        .and_where(qualification::Column::Status.eq(QualificationStatus::Active));
    let mut registered = Query::select();
    registered
        .column(registration::Column::PersonId)
        .from(registration::Entity)
        .and_where(registration::Column::Year.eq(year))
        .and_where(registration::Column::Status.eq(RegistrationStatus::Approved));
    Ok(person::Entity::find()
        .filter(person::Column::Status.eq(PersonStatus::Active))
        .filter(person::Column::Id.in_subquery(instructors.to_owned()))
        .filter(person::Column::Id.not_in_subquery(registered.to_owned()))
        .order_by_asc(person::Column::StreetId)
        .order_by_asc(person::Column::Name)
        .all(db)
        .await?)
}

/// Runs the day's reminders when the district clock has passed `at`, in December and January,
/// once a day. Returns what it did, or `None` when nothing was due or it ran already.
pub async fn run_daily_if_due(
    db: &DatabaseConnection,
    at: NaiveTime,
    now: DateTime<Utc>,
) -> Result<Option<ReminderRun>, AppError> {
    let local = time::local(now);
    let day = local.date_naive();
    if local.time() < at || !matches!(day.month(), 12 | 1) || schedule::ran_on(db, JOB, day).await?
    {
        return Ok(None);
    }
    queue(db, day).await
}

/// The daily loop in `serve`.
pub async fn run_daily(
    db: DatabaseConnection,
    at: NaiveTime,
    shutdown: tokio::sync::watch::Receiver<bool>,
) {
    schedule::every_half_minute(shutdown, "registration reminders", || async {
        Ok(run_daily_if_due(&db, at, Utc::now()).await?.map(|run| {
            format!(
                "{}: {} reminders, {} lists",
                run.year, run.reminders, run.lists
            )
        }))
    })
    .await
}
