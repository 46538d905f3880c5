//! The people registry: enrolling, reading, listing and changing people within the caller's
//! scope. Full resident ID numbers are shown only to the bureau and the person, and each such
//! read is audited.

use std::collections::HashMap;

use chrono::{Datelike, NaiveDate, Utc};
use sea_orm::{
    ActiveModelTrait,
    ActiveValue::Set,
    ColumnTrait, Condition, ConnectionTrait, DatabaseConnection, EntityTrait, ExprTrait,
    QueryFilter, QueryOrder, QuerySelect,
    sea_query::{Expr, LikeExpr, Query},
};
use serde_json::json;

use super::{PageRequest, Paged, assignments, audit::Entry, fetch_page, regions::escape_like};
use crate::{
    auth::{Caller, Target},
    db,
    domain::{
        FieldViolation,
        account::{Email, Role},
        careers::{RegistrationStanding, RegistrationStatus},
        id_number::IdNumber,
        person::{Gender, Grade, PersonStatus, QualificationKind, QualificationStatus},
        phone::Phone,
        time::today,
    },
    entities::{
        account, assignment, enrollment, person, person_specialty, qualification, registration,
        service_session, sport_item, street,
    },
    error::AppError,
};

/// A specialty as asked for: a sport item code and, for high-risk items, a licence number.
#[derive(Debug, Clone)]
pub struct Specialty {
    pub sport_item: String,
    pub licence_no: Option<String>,
}

#[derive(Debug, Clone)]
pub struct NewPerson {
    pub name: String,
    pub gender: Option<Gender>,
    pub birth_date: Option<NaiveDate>,
    pub id_number: String,
    pub phone: String,
    pub email: Option<String>,
    /// Officers enrol into their own street; the bureau names one.
    pub street_id: Option<i32>,
    pub specialties: Vec<Specialty>,
}

#[derive(Debug, Clone, Default)]
pub struct PersonChanges {
    pub name: Option<String>,
    pub phone: Option<String>,
    pub email: Option<Option<String>>,
    pub specialties: Option<Vec<Specialty>>,
    pub status: Option<PersonStatus>,
    /// Bureau only: moves the person to another street.
    pub street_id: Option<i32>,
    /// Bureau only: corrects a mistyped number (birth date and gender follow it).
    pub id_number: Option<String>,
    pub expected_version: Option<i64>,
}

#[derive(Debug, Clone, Default)]
pub struct PersonFilter {
    /// Name (part), phone (part) or full ID number.
    pub q: Option<String>,
    pub street_id: Option<i32>,
    /// People assigned there today.
    pub community_id: Option<i32>,
    /// People holding an active qualification of this kind.
    pub role: Option<QualificationKind>,
    pub grade: Option<Grade>,
    pub status: Option<PersonStatus>,
    pub specialty: Option<String>,
    /// Instructors current or lapsed with this year's work registration.
    pub registration: Option<RegistrationStanding>,
}

/// A person with their specialties and qualifications.
#[derive(Debug, Clone)]
pub struct PersonView {
    pub person: person::Model,
    pub specialties: Vec<person_specialty::Model>,
    pub qualifications: Vec<qualification::Model>,
    /// Whether the caller may see the full ID number.
    pub reveal_id_number: bool,
}

fn target(person: &person::Model) -> Target<'static> {
    Target::Person {
        person_id: person.id,
        street_id: person.street_id,
    }
}

/// A person the caller may read (404 when unknown or out of scope).
pub async fn find_readable(
    db: &impl ConnectionTrait,
    caller: &Caller,
    id: i32,
) -> Result<person::Model, AppError> {
    let found = find(db, id).await?;
    caller.authorize_read(target(&found), "person", id)?;
    Ok(found)
}

/// A person the caller may change (404 when unknown or out of scope, 403 when read-only).
pub async fn find_writable(
    db: &impl ConnectionTrait,
    caller: &Caller,
    id: i32,
) -> Result<person::Model, AppError> {
    let found = find(db, id).await?;
    caller.authorize_write(target(&found), "person", id)?;
    Ok(found)
}

/// Whether `caller` sees full ID numbers of `person`: the bureau, and the person.
pub fn may_see_id_number(caller: &Caller, person_id: i32) -> bool {
    caller.role == Role::BureauAdmin
        || (caller.role == Role::Member && caller.person_id == Some(person_id))
}

pub async fn create(
    db: &DatabaseConnection,
    caller: &Caller,
    new: NewPerson,
) -> Result<PersonView, AppError> {
    let street_id = match (caller.role, new.street_id) {
        (Role::StreetOfficer, None) => caller
            .street_id
            .ok_or(AppError::Forbidden("no street".into()))?,
        (_, Some(street_id)) => street_id,
        (_, None) => {
            return Err(AppError::invalid(
                "street_id",
                "value.required",
                "is required",
            ));
        }
    };
    caller.require(
        caller.can_write(Target::Street(street_id)),
        "enrol people in this street",
    )?;
    let mut violations = Vec::new();
    let name = checked_name(&new.name, &mut violations);
    let id_number = IdNumber::parse(&new.id_number, today())
        .map_err(|v| violations.push(v))
        .ok();
    if let Some(number) = &id_number {
        if new.birth_date.is_some_and(|d| d != number.birth_date()) {
            violations.push(FieldViolation::new(
                "birth_date",
                "person.birth_date_mismatch",
                "does not match the birth date in the ID number",
            ));
        }
        if new.gender.is_some_and(|g| g != number.gender()) {
            violations.push(FieldViolation::new(
                "gender",
                "person.gender_mismatch",
                "does not match the ID number (odd sequence: male)",
            ));
        }
    }
    let phone = Phone::parse(&new.phone)
        .map_err(|v| violations.push(v))
        .ok();
    let email = new
        .email
        .as_deref()
        .map(Email::parse)
        .transpose()
        .map_err(|v| violations.push(v))
        .ok()
        .flatten();
    check_specialties(db, &new.specialties, &mut violations).await?;
    if street::Entity::find_by_id(street_id)
        .one(db)
        .await?
        .is_none()
    {
        violations.push(FieldViolation::new(
            "street_id",
            "street.unknown",
            format!("no street has id {street_id}"),
        ));
    }
    if !violations.is_empty() {
        return Err(AppError::violations(violations));
    }
    let id_number = id_number.expect("checked above");

    let txn = db::begin_write(db).await?;
    ensure_id_number_free(&txn, id_number.as_str(), None).await?;
    let now = Utc::now();
    let created = person::ActiveModel {
        name: Set(name),
        gender: Set(id_number.gender()),
        birth_date: Set(id_number.birth_date()),
        id_number: Set(id_number.into_inner()),
        phone: Set(phone.expect("checked above").into_inner()),
        email: Set(email.map(Email::into_inner)),
        street_id: Set(street_id),
        status: Set(PersonStatus::Active),
        import_id: Set(None),
        version: Set(1),
        created_at: Set(now),
        updated_at: Set(now),
        ..Default::default()
    }
    .insert(&txn)
    .await
    .map_err(|e| {
        AppError::unique_or_db(
            e,
            "id_number",
            "person.duplicate_id_number",
            "a person with this ID number is registered already",
        )
    })?;
    replace_specialties(&txn, created.id, &new.specialties).await?;
    Entry::new("create", "person", created.id)
        .after(&created)
        .record(&txn, caller)
        .await?;
    txn.commit().await?;
    Ok(PersonView {
        reveal_id_number: may_see_id_number(caller, created.id),
        specialties: load_specialties(db, &[created.id])
            .await?
            .remove(&created.id)
            .unwrap_or_default(),
        qualifications: Vec::new(),
        person: created,
    })
}

/// One person. A full ID number shown is recorded as a `read_id_number` audit entry.
pub async fn get(
    db: &DatabaseConnection,
    caller: &Caller,
    id: i32,
) -> Result<PersonView, AppError> {
    let found = find(db, id).await?;
    caller.authorize_read(target(&found), "person", id)?;
    let reveal = may_see_id_number(caller, id);
    if reveal {
        record_id_number_read(db, caller, id).await?;
    }
    let mut specialties = load_specialties(db, &[id]).await?;
    let mut qualifications = load_qualifications(db, &[id]).await?;
    Ok(PersonView {
        specialties: specialties.remove(&id).unwrap_or_default(),
        qualifications: qualifications.remove(&id).unwrap_or_default(),
        reveal_id_number: reveal,
        person: found,
    })
}

pub async fn record_id_number_read(
    db: &DatabaseConnection,
    caller: &Caller,
    person_id: i32,
) -> Result<(), AppError> {
    let txn = db::begin_write(db).await?;
    Entry::new("read_id_number", "person", person_id)
        .record(&txn, caller)
        .await?;
    txn.commit().await?;
    Ok(())
}

pub async fn find(db: &impl ConnectionTrait, id: i32) -> Result<person::Model, AppError> {
    person::Entity::find_by_id(id)
        .one(db)
        .await?
        .ok_or_else(|| AppError::not_found("person", id))
}

/// Whether the caller may read a record of a person held at a community (an assignment, a service
/// session): through the person's scope, or through the community's street.
pub async fn record_readable(
    db: &impl ConnectionTrait,
    caller: &Caller,
    person_id: i32,
    community_id: i32,
) -> Result<bool, AppError> {
    let person = find(db, person_id).await?;
    if caller.can_read(target(&person)) {
        return Ok(true);
    }
    let community = crate::entities::community::Entity::find_by_id(community_id)
        .one(db)
        .await?;
    Ok(community.is_some_and(|c| caller.can_read(Target::Street(c.street_id))))
}

/// The street a person is registered in (404 when there is no such person).
pub async fn street_of(db: &impl ConnectionTrait, person_id: i32) -> Result<i32, AppError> {
    Ok(find(db, person_id).await?.street_id)
}

/// People matching `filter` within the caller's scope, with their specialties and
/// qualifications: three queries whatever the page size. Lists show ID numbers masked.
pub async fn list(
    db: &DatabaseConnection,
    caller: &Caller,
    filter: &PersonFilter,
    page: PageRequest,
) -> Result<Paged<PersonView>, AppError> {
    let select = filtered(caller, filter)?;
    let paged = fetch_page(select.order_by_asc(person::Column::Id), db, page).await?;
    let ids: Vec<i32> = paged.items.iter().map(|p| p.id).collect();
    let mut specialties = load_specialties(db, &ids).await?;
    let mut qualifications = load_qualifications(db, &ids).await?;
    Ok(paged.map(|person| PersonView {
        specialties: specialties.remove(&person.id).unwrap_or_default(),
        qualifications: qualifications.remove(&person.id).unwrap_or_default(),
        reveal_id_number: false,
        person,
    }))
}

/// The select behind the list and the export.
pub fn filtered(
    caller: &Caller,
    filter: &PersonFilter,
) -> Result<sea_orm::Select<person::Entity>, AppError> {
    let mut select = person::Entity::find().filter(super::list_scope::people(caller));
    if let Some(q) = filter.q.as_deref().map(str::trim).filter(|q| !q.is_empty()) {
        let pattern = format!("%{}%", escape_like(q));
        let digits: String = q.chars().filter(char::is_ascii_digit).collect();
        let mut any = Condition::any()
            .add(Expr::col(person::Column::Name).like(LikeExpr::new(pattern).escape('\\')))
            .add(person::Column::IdNumber.eq(q.to_ascii_uppercase()));
        if digits.len() >= 3 {
            any = any
                .add(Expr::col(person::Column::Phone).like(LikeExpr::new(format!("%{digits}%"))));
        }
        select = select.filter(any);
    }
    if let Some(street_id) = filter.street_id {
        select = select.filter(person::Column::StreetId.eq(street_id));
    }
    if let Some(status) = filter.status {
        select = select.filter(person::Column::Status.eq(status));
    }
    if let Some(community_id) = filter.community_id {
        let day = today();
        let mut in_force = Query::select();
        in_force
            .column(assignment::Column::PersonId)
            .from(assignment::Entity)
            .and_where(assignment::Column::CommunityId.eq(community_id))
            .and_where(assignment::Column::StartsOn.lte(day))
            .cond_where(
                Condition::any()
                    .add(assignment::Column::EndsOn.is_null())
                    .add(assignment::Column::EndsOn.gt(day)),
            );
        select = select.filter(person::Column::Id.in_subquery(in_force.to_owned()));
    }
    if filter.role.is_some() || filter.grade.is_some() {
        let mut held = Query::select();
        held.column(qualification::Column::PersonId)
            .from(qualification::Entity)
            .and_where(qualification::Column::Status.eq(QualificationStatus::Active));
        if let Some(role) = filter.role {
            held.and_where(qualification::Column::Kind.eq(role));
        }
        if let Some(grade) = filter.grade {
            held.and_where(qualification::Column::Grade.eq(grade));
        }
        select = select.filter(person::Column::Id.in_subquery(held.to_owned()));
    }
    if let Some(standing) = filter.registration {
        select = select.filter(registration_condition(standing, today()));
    }
    if let Some(specialty) = &filter.specialty {
        let mut teaches = Query::select();
        teaches
            .column(person_specialty::Column::PersonId)
            .from(person_specialty::Entity)
            .and_where(person_specialty::Column::SportItem.eq(specialty.as_str()));
        select = select.filter(person::Column::Id.in_subquery(teaches.to_owned()));
    }
    Ok(select)
}

/// People current with the registration of `day`'s year, or instructors lapsed with it (only
/// after 31 March: until then the year's registration is still open).
fn registration_condition(standing: RegistrationStanding, day: NaiveDate) -> Condition {
    let mut approved = Query::select();
    approved
        .column(registration::Column::PersonId)
        .from(registration::Entity)
        .and_where(registration::Column::Year.eq(day.year()))
        .and_where(registration::Column::Status.eq(RegistrationStatus::Approved));
    match standing {
        RegistrationStanding::Current => {
            Condition::all().add(person::Column::Id.in_subquery(approved.to_owned()))
        }
        RegistrationStanding::Lapsed => {
            let mut instructors = Query::select();
            instructors
                .column(qualification::Column::PersonId)
                .from(qualification::Entity)
                .and_where(
                    qualification::Column::Kind.eq(QualificationKind::SocialSportsInstructor),
                )
                .and_where(qualification::Column::Status.eq(QualificationStatus::Active));
            let period_closed = day.month() > 3;
            Condition::all()
                .add(Expr::val(period_closed).eq(true))
                .add(person::Column::Status.eq(PersonStatus::Active))
                .add(person::Column::Id.in_subquery(instructors.to_owned()))
                .add(person::Column::Id.not_in_subquery(approved.to_owned()))
        }
    }
}

pub async fn load_specialties(
    db: &impl ConnectionTrait,
    ids: &[i32],
) -> Result<HashMap<i32, Vec<person_specialty::Model>>, AppError> {
    let mut map: HashMap<i32, Vec<person_specialty::Model>> = HashMap::new();
    if ids.is_empty() {
        return Ok(map);
    }
    let rows = person_specialty::Entity::find()
        .filter(person_specialty::Column::PersonId.is_in(ids.iter().copied()))
        .order_by_asc(person_specialty::Column::SportItem)
        .all(db)
        .await?;
    for row in rows {
        map.entry(row.person_id).or_default().push(row);
    }
    Ok(map)
}

pub async fn load_qualifications(
    db: &impl ConnectionTrait,
    ids: &[i32],
) -> Result<HashMap<i32, Vec<qualification::Model>>, AppError> {
    let mut map: HashMap<i32, Vec<qualification::Model>> = HashMap::new();
    if ids.is_empty() {
        return Ok(map);
    }
    let rows = qualification::Entity::find()
        .filter(qualification::Column::PersonId.is_in(ids.iter().copied()))
        .order_by_asc(qualification::Column::Id)
        .all(db)
        .await?;
    for row in rows {
        map.entry(row.person_id).or_default().push(row);
    }
    Ok(map)
}

pub async fn update(
    db: &DatabaseConnection,
    caller: &Caller,
    id: i32,
    changes: PersonChanges,
) -> Result<PersonView, AppError> {
    let mut violations = Vec::new();
    let name = changes
        .name
        .as_deref()
        .map(|n| checked_name(n, &mut violations));
    let phone = changes
        .phone
        .as_deref()
        .map(Phone::parse)
        .transpose()
        .map_err(|v| violations.push(v))
        .ok()
        .flatten();
    let email = match &changes.email {
        Some(Some(raw)) => Email::parse(raw)
            .map(|e| Some(Some(e.into_inner())))
            .map_err(|v| violations.push(v))
            .ok()
            .flatten(),
        Some(None) => Some(None),
        None => None,
    };
    let id_number = changes
        .id_number
        .as_deref()
        .map(|n| IdNumber::parse(n, today()))
        .transpose()
        .map_err(|v| violations.push(v))
        .ok()
        .flatten();
    if let Some(specialties) = &changes.specialties {
        check_specialties(db, specialties, &mut violations).await?;
    }
    if !violations.is_empty() {
        return Err(AppError::violations(violations));
    }

    let txn = db::begin_write(db).await?;
    let before = find(&txn, id).await?;
    caller.authorize_write(target(&before), "person", id)?;
    if changes.street_id.is_some_and(|s| s != before.street_id) || id_number.is_some() {
        caller.require(
            caller.role == Role::BureauAdmin,
            "move a person or change an ID number",
        )?;
    }
    AppError::check_version(changes.expected_version, before.version)?;
    if let Some(street_id) = changes.street_id
        && street::Entity::find_by_id(street_id)
            .one(&txn)
            .await?
            .is_none()
    {
        return Err(AppError::invalid(
            "street_id",
            "street.unknown",
            format!("no street has id {street_id}"),
        ));
    }
    let mut active: person::ActiveModel = before.clone().into();
    if let Some(name) = name {
        active.name = Set(name);
    }
    if let Some(phone) = phone {
        active.phone = Set(phone.into_inner());
    }
    if let Some(email) = email {
        active.email = Set(email);
    }
    if let Some(number) = id_number {
        ensure_id_number_free(&txn, number.as_str(), Some(id)).await?;
        active.gender = Set(number.gender());
        active.birth_date = Set(number.birth_date());
        active.id_number = Set(number.into_inner());
    }
    if let Some(street_id) = changes.street_id {
        active.street_id = Set(street_id);
    }
    if let Some(status) = changes.status {
        active.status = Set(status);
    }
    active.version = Set(before.version + 1);
    active.updated_at = Set(Utc::now());
    let after = active.update(&txn).await.map_err(|e| {
        AppError::unique_or_db(
            e,
            "id_number",
            "person.duplicate_id_number",
            "a person with this ID number is registered already",
        )
    })?;
    if let Some(specialties) = &changes.specialties {
        replace_specialties(&txn, id, specialties).await?;
    }
    if after.status != PersonStatus::Active && before.status == PersonStatus::Active {
        let reason = format!(
            "person {}",
            json!(after.status).as_str().unwrap_or("inactive")
        );
        assignments::end_open(&txn, caller, assignments::Scope::Person(id), None, &reason).await?;
    }
    if after.street_id != before.street_id {
        // Member accounts follow their person, so the new street's officers see them.
        account::Entity::update_many()
            .col_expr(account::Column::StreetId, Expr::value(after.street_id))
            .filter(account::Column::PersonId.eq(id))
            .exec(&txn)
            .await?;
    }
    Entry::new("update", "person", id)
        .before(&before)
        .after(&after)
        .record(&txn, caller)
        .await?;
    txn.commit().await?;
    get(db, caller, id).await
}

/// Everything the registry holds on one person, for the bureau or the person (subject access).
pub async fn data_export(
    db: &DatabaseConnection,
    caller: &Caller,
    id: i32,
) -> Result<serde_json::Value, AppError> {
    let found = find(db, id).await?;
    caller.authorize_read(target(&found), "person", id)?;
    caller.require(may_see_id_number(caller, id), "export this person's data")?;
    record_id_number_read(db, caller, id).await?;
    let specialties = load_specialties(db, &[id])
        .await?
        .remove(&id)
        .unwrap_or_default();
    let qualifications = load_qualifications(db, &[id])
        .await?
        .remove(&id)
        .unwrap_or_default();
    let assignments = assignment::Entity::find()
        .filter(assignment::Column::PersonId.eq(id))
        .order_by_asc(assignment::Column::Id)
        .all(db)
        .await?;
    let service_sessions = service_session::Entity::find()
        .filter(service_session::Column::PersonId.eq(id))
        .order_by_asc(service_session::Column::Id)
        .all(db)
        .await?;
    let registrations = registration::Entity::find()
        .filter(registration::Column::PersonId.eq(id))
        .order_by_asc(registration::Column::Year)
        .all(db)
        .await?;
    let training = enrollment::Entity::find()
        .filter(enrollment::Column::PersonId.eq(id))
        .order_by_asc(enrollment::Column::Id)
        .all(db)
        .await?;
    let accounts: Vec<_> = account::Entity::find()
        .filter(account::Column::PersonId.eq(id))
        .all(db)
        .await?
        .into_iter()
        .map(|a| json!({"id": a.id, "username": a.username, "role": a.role, "email": a.email, "disabled": a.disabled,
                        "created_at": a.created_at, "last_login_at": a.last_login_at}))
        .collect();
    let mut person = serde_json::to_value(&found).map_err(|e| AppError::Internal(e.to_string()))?;
    person["id_number"] = json!(found.id_number);
    Ok(json!({
        "exported_at": Utc::now(),
        "person": person,
        "specialties": specialties,
        "qualifications": qualifications,
        "assignments": assignments,
        "service_sessions": service_sessions,
        "training": training,
        "registrations": registrations,
        "accounts": accounts,
    }))
}

fn checked_name(raw: &str, violations: &mut Vec<FieldViolation>) -> String {
    crate::domain::text::name("name", raw, 50).unwrap_or_else(|v| {
        violations.push(v);
        raw.trim().to_owned()
    })
}

async fn ensure_id_number_free(
    db: &impl ConnectionTrait,
    number: &str,
    except: Option<i32>,
) -> Result<(), AppError> {
    let mut existing = person::Entity::find().filter(person::Column::IdNumber.eq(number));
    if let Some(id) = except {
        existing = existing.filter(person::Column::Id.ne(id));
    }
    if existing.one(db).await?.is_some() {
        return Err(AppError::conflict(
            "id_number",
            "person.duplicate_id_number",
            "a person with this ID number is registered already",
        ));
    }
    Ok(())
}

/// Every code must name a sport item; high-risk items need a licence number.
/// The most specialties one person lists (the code table holds fewer items than this).
pub const MAX_SPECIALTIES: usize = 64;

pub async fn check_specialties(
    db: &impl ConnectionTrait,
    specialties: &[Specialty],
    violations: &mut Vec<FieldViolation>,
) -> Result<(), AppError> {
    if specialties.is_empty() {
        return Ok(());
    }
    if specialties.len() > MAX_SPECIALTIES {
        violations.push(FieldViolation::new(
            "specialties",
            "specialty.too_many",
            format!(
                "at most {MAX_SPECIALTIES} specialties, not {}",
                specialties.len()
            ),
        ));
        return Ok(());
    }
    let known: HashMap<String, bool> = sport_item::Entity::find()
        .select_only()
        .columns([sport_item::Column::Code, sport_item::Column::HighRisk])
        .into_tuple::<(String, bool)>()
        .all(db)
        .await?
        .into_iter()
        .collect();
    let mut seen = std::collections::HashSet::new();
    for specialty in specialties {
        match known.get(&specialty.sport_item) {
            None => violations.push(FieldViolation::new(
                "specialties",
                "sport_item.unknown",
                format!("unknown sport item {:?}", specialty.sport_item),
            )),
            Some(true)
                if specialty
                    .licence_no
                    .as_deref()
                    .is_none_or(|l| l.trim().is_empty()) =>
            {
                violations.push(FieldViolation::new(
                    "specialties",
                    "specialty.licence_required",
                    format!(
                        "{} is high-risk: it needs a licence number",
                        specialty.sport_item
                    ),
                ))
            }
            Some(_) => {}
        }
        if !seen.insert(&specialty.sport_item) {
            violations.push(FieldViolation::new(
                "specialties",
                "specialty.duplicate",
                format!("{} is listed twice", specialty.sport_item),
            ));
        }
    }
    Ok(())
}

async fn replace_specialties(
    db: &impl ConnectionTrait,
    person_id: i32,
    specialties: &[Specialty],
) -> Result<(), AppError> {
    person_specialty::Entity::delete_many()
        .filter(person_specialty::Column::PersonId.eq(person_id))
        .exec(db)
        .await?;
    if specialties.is_empty() {
        return Ok(());
    }
    person_specialty::Entity::insert_many(specialties.iter().map(|s| {
        person_specialty::ActiveModel {
            person_id: Set(person_id),
            sport_item: Set(s.sport_item.clone()),
            licence_no: Set(s
                .licence_no
                .as_deref()
                .map(str::trim)
                .filter(|l| !l.is_empty())
                .map(str::to_owned)),
        }
    }))
    .exec_without_returning(db)
    .await?;
    Ok(())
}
