//! A person's specialties: known sport items, a licence for high-risk ones, none twice.

use std::collections::HashMap;

use sea_orm::{
    ActiveValue::Set, ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, QuerySelect,
};

use super::Specialty;
use crate::{
    domain::FieldViolation,
    entities::{person_specialty, sport_item},
    error::AppError,
};

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

pub(super) async fn replace_specialties(
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
