//! Writing checked rows in chunks, inside the import's transaction: new people with their
//! specialties, qualifications and assignments, and known people's new qualifications.

use std::collections::{HashMap, HashSet};

use chrono::{NaiveDate, Utc};
use sea_orm::{
    ActiveValue::Set, ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, QuerySelect,
};

use super::{CHUNK, check::Row, lookups::Lookups};
use crate::{
    auth::Caller,
    domain::person::{PersonStatus, QualificationKind, QualificationStatus},
    entities::{assignment, people_import, person, person_specialty, qualification},
    error::AppError,
};

/// Writes the checked rows; returns (people created, people updated).
pub(super) async fn write_rows(
    txn: &impl ConnectionTrait,
    caller: &Caller,
    import_id: &str,
    rows: &[Row],
    context: &Lookups,
) -> Result<(usize, usize), AppError> {
    let now = Utc::now();
    people_import::Entity::insert(people_import::ActiveModel {
        id: Set(import_id.to_owned()),
        created_by: Set(caller.account_id),
        created: Set(0),
        updated: Set(0),
        created_at: Set(now),
        undone_at: Set(None),
    })
    .exec(txn)
    .await?;
    let new_rows: Vec<&Row> = rows
        .iter()
        .filter(|r| !context.existing.contains_key(r.id_number.as_str()))
        .collect();
    for chunk in new_rows.chunks(CHUNK) {
        person::Entity::insert_many(chunk.iter().map(|r| person::ActiveModel {
            name: Set(r.name.clone()),
            gender: Set(r.id_number.gender()),
            birth_date: Set(r.id_number.birth_date()),
            id_number: Set(r.id_number.as_str().to_owned()),
            phone: Set(r.phone.clone()),
            email: Set(r.email.clone()),
            street_id: Set(r.street_id),
            status: Set(PersonStatus::Active),
            import_id: Set(Some(import_id.to_owned())),
            version: Set(1),
            created_at: Set(now),
            updated_at: Set(now),
            ..Default::default()
        }))
        .exec_without_returning(txn)
        .await
        .map_err(|e| {
            AppError::unique_or_db(
                e,
                "id_number",
                "person.duplicate_id_number",
                "a person with this ID number was registered meanwhile",
            )
        })?;
    }
    let mut ids: HashMap<String, i32> = person::Entity::find()
        .select_only()
        .columns([person::Column::IdNumber, person::Column::Id])
        .filter(person::Column::ImportId.eq(import_id))
        .into_tuple::<(String, i32)>()
        .all(txn)
        .await?
        .into_iter()
        .collect();
    ids.extend(context.existing.iter().map(|(n, p)| (n.clone(), p.id)));

    let held: HashSet<(i32, QualificationKind)> =
        held_qualifications(txn, &context.existing).await?;
    let terms = assignment_terms(txn, &context.existing).await?;
    let mut specialties = Vec::new();
    let mut qualifications = Vec::new();
    let mut assignments = Vec::new();
    let mut updated = HashSet::new();
    for row in rows {
        let person_id = ids[row.id_number.as_str()];
        let is_new = !context.existing.contains_key(row.id_number.as_str());
        if is_new {
            specialties.extend(
                row.specialties
                    .iter()
                    .map(|s| person_specialty::ActiveModel {
                        person_id: Set(person_id),
                        sport_item: Set(s.sport_item.clone()),
                        licence_no: Set(s.licence_no.clone()),
                    }),
            );
        }
        if let Some(kind) = row.role
            && !held.contains(&(person_id, kind))
        {
            qualifications.push(qualification::ActiveModel {
                person_id: Set(person_id),
                kind: Set(kind),
                grade: Set(row.grade),
                certificate_no: Set(row.certificate_no.clone()),
                certified_on: Set(row.certified_on),
                employment: Set(row.employment),
                issued_by: Set(None),
                status: Set(QualificationStatus::Active),
                import_id: Set(Some(import_id.to_owned())),
                version: Set(1),
                created_at: Set(now),
                updated_at: Set(now),
                ..Default::default()
            });
            if !is_new {
                updated.insert(person_id);
            }
        }
        // Like a single assignment, an imported one may not overlap a term of the same person,
        // community and role: it is open-ended, so any term not ended by its start overlaps.
        let overlaps = |community_id: i32, kind: QualificationKind| {
            terms
                .get(&(person_id, community_id, kind))
                .is_some_and(|ends| {
                    ends.iter()
                        .any(|end| end.is_none_or(|end| end > row.certified_on))
                })
        };
        if let (Some(community_id), Some(kind)) = (row.community_id, row.role)
            && !overlaps(community_id, kind)
        {
            assignments.push(assignment::ActiveModel {
                person_id: Set(person_id),
                community_id: Set(community_id),
                role: Set(kind),
                employment: Set(row.employment),
                starts_on: Set(row.certified_on),
                ends_on: Set(None),
                end_reason: Set(None),
                created_by: Set(caller.account_id),
                import_id: Set(Some(import_id.to_owned())),
                created_at: Set(now),
                ..Default::default()
            });
            if !is_new {
                updated.insert(person_id);
            }
        }
    }
    insert_chunks::<person_specialty::Entity>(txn, specialties).await?;
    insert_chunks::<qualification::Entity>(txn, qualifications).await?;
    insert_chunks::<assignment::Entity>(txn, assignments).await?;
    let created = new_rows.len();
    people_import::Entity::update(people_import::ActiveModel {
        id: Set(import_id.to_owned()),
        created: Set(created as i32),
        updated: Set(updated.len() as i32),
        ..Default::default()
    })
    .exec(txn)
    .await?;
    Ok((created, updated.len()))
}

async fn insert_chunks<E: EntityTrait>(
    txn: &impl ConnectionTrait,
    rows: Vec<E::ActiveModel>,
) -> Result<(), AppError>
where
    E::ActiveModel: sea_orm::ActiveModelTrait<Entity = E> + Send,
{
    let mut rows = rows.into_iter().peekable();
    while rows.peek().is_some() {
        let chunk: Vec<_> = rows.by_ref().take(CHUNK).collect();
        E::insert_many(chunk).exec_without_returning(txn).await?;
    }
    Ok(())
}

async fn held_qualifications(
    txn: &impl ConnectionTrait,
    existing: &HashMap<String, person::Model>,
) -> Result<HashSet<(i32, QualificationKind)>, AppError> {
    let ids: Vec<i32> = existing.values().map(|p| p.id).collect();
    let mut held = HashSet::new();
    for chunk in ids.chunks(CHUNK) {
        let rows: Vec<(i32, QualificationKind)> = qualification::Entity::find()
            .select_only()
            .columns([qualification::Column::PersonId, qualification::Column::Kind])
            .filter(qualification::Column::PersonId.is_in(chunk.iter().copied()))
            .filter(qualification::Column::Status.eq(QualificationStatus::Active))
            .into_tuple()
            .all(txn)
            .await?;
        held.extend(rows);
    }
    Ok(held)
}

/// The end days of every assignment term of the already registered people, by person,
/// community and role.
async fn assignment_terms(
    txn: &impl ConnectionTrait,
    existing: &HashMap<String, person::Model>,
) -> Result<HashMap<(i32, i32, QualificationKind), Vec<Option<NaiveDate>>>, AppError> {
    let ids: Vec<i32> = existing.values().map(|p| p.id).collect();
    let mut terms: HashMap<(i32, i32, QualificationKind), Vec<Option<NaiveDate>>> = HashMap::new();
    for chunk in ids.chunks(CHUNK) {
        let rows: Vec<(i32, i32, QualificationKind, Option<NaiveDate>)> =
            assignment::Entity::find()
                .select_only()
                .columns([
                    assignment::Column::PersonId,
                    assignment::Column::CommunityId,
                    assignment::Column::Role,
                    assignment::Column::EndsOn,
                ])
                .filter(assignment::Column::PersonId.is_in(chunk.iter().copied()))
                .into_tuple()
                .all(txn)
                .await?;
        for (person_id, community_id, role, ends_on) in rows {
            terms
                .entry((person_id, community_id, role))
                .or_default()
                .push(ends_on);
        }
    }
    Ok(terms)
}
