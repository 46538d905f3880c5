//! Assignments: a person serving a community in a role. An assignment is in force on day D
//! when `starts_on <= D` and (`ends_on` is null or `D < ends_on`).

use crate::services::person_scope;
use chrono::{NaiveDate, Utc};
use sea_orm::{
    ActiveModelTrait, ActiveValue::Set, ColumnTrait, Condition, ConnectionTrait,
    DatabaseConnection, DbBackend, EntityTrait, QueryFilter, QueryOrder, QuerySelect, Value,
    sea_query::LockType,
};

use super::{PageRequest, Paged, audit::Entry, fetch_page};
use crate::{
    auth::{Caller, Target},
    db,
    domain::{
        person::{PersonStatus, QualificationKind, QualificationStatus},
        text,
        time::{self, today},
    },
    entities::{assignment, community, person, qualification},
    error::AppError,
};

#[derive(Debug, Clone)]
pub struct NewAssignment {
    pub person_id: i32,
    pub community_id: i32,
    pub role: QualificationKind,
    /// Defaults to today.
    pub starts_on: Option<NaiveDate>,
}

#[derive(Debug, Clone, Default)]
pub struct AssignmentFilter {
    pub person_id: Option<i32>,
    pub community_id: Option<i32>,
    pub role: Option<QualificationKind>,
    /// Only assignments in force on this day.
    pub as_of: Option<NaiveDate>,
}

/// The condition "in force on `day`".
pub fn in_force_on(day: NaiveDate) -> Condition {
    Condition::all()
        .add(assignment::Column::StartsOn.lte(day))
        .add(
            Condition::any()
                .add(assignment::Column::EndsOn.is_null())
                .add(assignment::Column::EndsOn.gt(day)),
        )
}

pub async fn create(
    db: &DatabaseConnection,
    caller: &Caller,
    new: NewAssignment,
) -> Result<assignment::Model, AppError> {
    let starts_on =
        time::check_date("starts_on", new.starts_on.unwrap_or_else(today)).map_err(AppError::of)?;
    // Everything is checked on the read pool first, so a refused request never waits for the
    // writer and an accepted one does little there.
    let seen = check(db, caller, &new, starts_on).await?;
    let txn = db::begin_write(db).await?;
    // Locked (on PostgreSQL; SQLite serialises writers) so that two identical requests are
    // checked for overlap one after the other: exactly one of them is created.
    person_scope::serialise(&txn, new.person_id).await?;
    // The community row is held too, so that a deactivation (which ends the community's open
    // assignments) commits before this check or after this assignment, never in between.
    if txn.get_database_backend() == DbBackend::Postgres {
        community::Entity::find_by_id(new.community_id)
            .lock(LockType::Share)
            .one(&txn)
            .await?;
    }
    // On the writer, one statement confirms that the person, the community and the
    // qualification are as they were read and finds an overlapping assignment; when any of
    // them changed in between, every check runs again inside the write.
    let (unchanged, overlapping) = confirm(&txn, &seen, &new, starts_on).await?;
    let Checked {
        community,
        qualified,
        ..
    } = if unchanged {
        seen
    } else {
        check(&txn, caller, &new, starts_on).await?
    };
    if let Some(existing) = overlapping {
        return Err(AppError::conflict(
            "starts_on",
            "assignment.overlap",
            format!("overlaps assignment {existing} of the same person, community and role"),
        ));
    }
    let created = assignment::ActiveModel {
        person_id: Set(new.person_id),
        community_id: Set(community.id),
        role: Set(new.role),
        employment: Set(qualified.employment),
        starts_on: Set(starts_on),
        ends_on: Set(None),
        end_reason: Set(None),
        created_by: Set(caller.account_id),
        created_at: Set(Utc::now()),
        ..Default::default()
    }
    .insert(&txn)
    .await?;
    Entry::new("create", "assignment", created.id)
        .after(&created)
        .record(&txn, caller)
        .await?;
    txn.commit().await?;
    Ok(created)
}

/// What an assignment is checked against.
struct Checked {
    person: person::Model,
    community: community::Model,
    qualified: qualification::Model,
}

/// The rules of a new assignment, in the order their errors are answered: the person (and the
/// caller's right to them), the community (and the right to assign there, and that it is
/// active), that the person is active and holds an active qualification of the role from
/// `starts_on` on at the latest.
async fn check(
    db: &impl ConnectionTrait,
    caller: &Caller,
    new: &NewAssignment,
    starts_on: NaiveDate,
) -> Result<Checked, AppError> {
    let person = person_scope::named(db, new.person_id).await?;
    caller.authorize_write(
        Target::Person {
            person_id: person.id,
            street_id: person.street_id,
        },
        "person",
        person.id,
    )?;
    let community = community::Entity::find_by_id(new.community_id)
        .one(db)
        .await?
        .ok_or_else(|| {
            AppError::invalid("community_id", "community.unknown", "no such community")
        })?;
    caller.require(
        caller.can_write(Target::Street(community.street_id)),
        "assign people to this community",
    )?;
    if !community.active {
        return Err(AppError::invalid(
            "community_id",
            "community.inactive",
            "the community is inactive",
        ));
    }
    if person.status != PersonStatus::Active {
        return Err(AppError::invalid(
            "person_id",
            "person.not_active",
            "the person is not active",
        ));
    }
    let qualified = qualification::Entity::find()
        .filter(qualification::Column::PersonId.eq(person.id))
        .filter(qualification::Column::Kind.eq(new.role))
        .filter(qualification::Column::Status.eq(QualificationStatus::Active))
        .one(db)
        .await?;
    let Some(qualified) = qualified else {
        return Err(AppError::invalid(
            "role",
            "assignment.not_qualified",
            "the person holds no active qualification of this kind",
        ));
    };
    // An administrator counts as covering a community only while qualified: the assignment
    // lies inside the qualification's active period, which starts on the day it was certified.
    if starts_on < qualified.certified_on {
        return Err(AppError::invalid(
            "starts_on",
            "assignment.before_qualification",
            format!(
                "the person is qualified for this role from {} on; the assignment cannot start earlier",
                qualified.certified_on
            ),
        ));
    }
    Ok(Checked {
        person,
        community,
        qualified,
    })
}

/// In one statement: whether the person, the community and the qualification are still the
/// rows [`check`] read (same version, still active), and the id of an assignment of the same
/// person, community and role still in force on `starts_on` or later.
async fn confirm(
    txn: &impl ConnectionTrait,
    seen: &Checked,
    new: &NewAssignment,
    starts_on: NaiveDate,
) -> Result<(bool, Option<i32>), AppError> {
    let sql = "SELECT \
         CASE WHEN EXISTS (SELECT 1 FROM person WHERE id = ? AND version = ? AND status = ? \
           AND street_id = ?) \
          AND EXISTS (SELECT 1 FROM community WHERE id = ? AND version = ? AND active = ? \
           AND street_id = ?) \
          AND EXISTS (SELECT 1 FROM qualification WHERE id = ? AND version = ? AND status = ?) \
         THEN 1 ELSE 0 END, \
         (SELECT id FROM assignment WHERE person_id = ? AND community_id = ? AND role = ? \
           AND (ends_on IS NULL OR ends_on > ?) LIMIT 1)";
    let values: Vec<Value> = vec![
        seen.person.id.into(),
        seen.person.version.into(),
        PersonStatus::Active.into(),
        seen.person.street_id.into(),
        seen.community.id.into(),
        seen.community.version.into(),
        true.into(),
        seen.community.street_id.into(),
        seen.qualified.id.into(),
        seen.qualified.version.into(),
        QualificationStatus::Active.into(),
        new.person_id.into(),
        new.community_id.into(),
        new.role.into(),
        starts_on.into(),
    ];
    let row = txn
        .query_one_raw(super::coverage::statement(
            txn.get_database_backend(),
            sql,
            values,
        ))
        .await?
        .ok_or_else(|| AppError::Internal("the confirming query returned no row".into()))?;
    let unchanged: i32 = row.try_get_by_index(0)?;
    Ok((unchanged == 1, row.try_get_by_index(1)?))
}

/// Ends an open assignment on `ends_on` (the first day it is no longer in force).
pub async fn end(
    db: &DatabaseConnection,
    caller: &Caller,
    id: i32,
    ends_on: NaiveDate,
    reason: &str,
) -> Result<assignment::Model, AppError> {
    let reason = text::required_text("reason", reason, 200).map_err(AppError::of)?;
    let reason = reason.as_str();
    let ends_on = time::check_date("ends_on", ends_on).map_err(AppError::of)?;
    let txn = db::begin_write(db).await?;
    let before = visible(&txn, caller, id).await?;
    let street_id = community::Entity::find_by_id(before.community_id)
        .one(&txn)
        .await?
        .map(|c| c.street_id);
    caller.require(
        street_id.is_some_and(|s| caller.can_write(Target::Street(s))),
        "end this assignment",
    )?;
    if before.ends_on.is_some() {
        return Err(AppError::conflict(
            "ends_on",
            "assignment.ended",
            "the assignment has ended already",
        ));
    }
    if ends_on <= before.starts_on {
        return Err(AppError::invalid(
            "ends_on",
            "assignment.end_before_start",
            "must be after starts_on",
        ));
    }
    let mut active: assignment::ActiveModel = before.clone().into();
    active.ends_on = Set(Some(ends_on));
    active.end_reason = Set(Some(reason.to_owned()));
    let after = active.update(&txn).await?;
    Entry::new("end", "assignment", id)
        .before(&before)
        .after(&after)
        .record(&txn, caller)
        .await?;
    txn.commit().await?;
    Ok(after)
}

pub async fn list(
    db: &DatabaseConnection,
    caller: &Caller,
    filter: &AssignmentFilter,
    page: PageRequest,
) -> Result<Paged<assignment::Model>, AppError> {
    let mut select = assignment::Entity::find().filter(super::list_scope::held(
        caller,
        assignment::Column::PersonId,
        assignment::Column::CommunityId,
    ));
    if let Some(person_id) = filter.person_id {
        select = select.filter(assignment::Column::PersonId.eq(person_id));
    }
    if let Some(community_id) = filter.community_id {
        select = select.filter(assignment::Column::CommunityId.eq(community_id));
    }
    if let Some(role) = filter.role {
        select = select.filter(assignment::Column::Role.eq(role));
    }
    if let Some(day) = filter.as_of {
        select = select.filter(in_force_on(day));
    }
    Ok(fetch_page(select.order_by_asc(assignment::Column::Id), db, page).await?)
}

pub async fn get(
    db: &DatabaseConnection,
    caller: &Caller,
    id: i32,
) -> Result<assignment::Model, AppError> {
    visible(db, caller, id).await
}

/// An assignment the caller may read: of a person or a community in its scope (404 otherwise).
async fn visible(
    db: &impl ConnectionTrait,
    caller: &Caller,
    id: i32,
) -> Result<assignment::Model, AppError> {
    let found = assignment::Entity::find_by_id(id)
        .one(db)
        .await?
        .ok_or_else(|| AppError::not_found("assignment", id))?;
    if person_scope::record_readable(db, caller, found.person_id, found.community_id).await? {
        Ok(found)
    } else {
        Err(AppError::not_found("assignment", id))
    }
}
