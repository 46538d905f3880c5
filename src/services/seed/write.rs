//! Writing the seed set: upserts by code that refresh only what comes from the source data, and
//! policy keys that are only ever added.

use std::collections::HashMap;

use anyhow::Context;
use chrono::Utc;
use sea_orm::{
    ActiveModelTrait, ActiveValue::Set, ConnectionTrait, DatabaseTransaction, EntityTrait,
    QuerySelect, sea_query::OnConflict,
};

use super::{
    Counts,
    read::{CommunityRow, SportItemRow, StreetRow},
};
use crate::entities::{community, policy, sport_item, street};

/// Rows are written in chunks that stay under SQLite's bound-parameter limit.
const INSERT_CHUNK: usize = 1000;

pub(super) async fn add_missing_policy(
    txn: &DatabaseTransaction,
    defaults: &serde_json::Map<String, serde_json::Value>,
) -> anyhow::Result<usize> {
    let existing: Vec<String> = policy::Entity::find()
        .select_only()
        .column(policy::Column::Key)
        .into_tuple()
        .all(txn)
        .await?;
    let now = Utc::now();
    let missing: Vec<policy::ActiveModel> = defaults
        .iter()
        .filter(|(key, _)| !existing.contains(key))
        .map(|(key, value)| policy::ActiveModel {
            key: Set(key.clone()),
            value: Set(value.to_string()),
            version: Set(1),
            updated_at: Set(now),
        })
        .collect();
    let added = missing.len();
    if added > 0 {
        policy::Entity::insert_many(missing)
            .on_conflict(
                OnConflict::column(policy::Column::Key)
                    .do_nothing()
                    .to_owned(),
            )
            .exec_without_returning(txn)
            .await?;
    }
    Ok(added)
}

pub(super) async fn upsert_streets(
    txn: &DatabaseTransaction,
    rows: &[StreetRow],
) -> anyhow::Result<Counts> {
    let existing: HashMap<String, street::Model> = street::Entity::find()
        .all(txn)
        .await?
        .into_iter()
        .map(|s| (s.code.clone(), s))
        .collect();
    let now = Utc::now();
    let mut counts = Counts::default();
    let mut new_rows = Vec::new();
    for row in rows {
        match existing.get(&row.code) {
            None => new_rows.push(street::ActiveModel {
                code: Set(row.code.clone()),
                name: Set(row.name.clone()),
                kind: Set(row.kind),
                county_code: Set(row.county_code.clone()),
                created_at: Set(now),
                updated_at: Set(now),
                ..Default::default()
            }),
            Some(s)
                if s.name == row.name && s.kind == row.kind && s.county_code == row.county_code =>
            {
                counts.unchanged += 1
            }
            Some(s) => {
                let mut active: street::ActiveModel = s.clone().into();
                active.name = Set(row.name.clone());
                active.kind = Set(row.kind);
                active.county_code = Set(row.county_code.clone());
                active.updated_at = Set(now);
                active.update(txn).await?;
                counts.updated += 1;
            }
        }
    }
    counts.inserted = insert_chunked::<street::Entity>(txn, new_rows).await?;
    Ok(counts)
}

pub(super) async fn upsert_communities(
    txn: &DatabaseTransaction,
    rows: &[CommunityRow],
) -> anyhow::Result<Counts> {
    let street_ids: HashMap<String, i32> = street::Entity::find()
        .select_only()
        .columns([street::Column::Code, street::Column::Id])
        .into_tuple::<(String, i32)>()
        .all(txn)
        .await?
        .into_iter()
        .collect();
    let existing: HashMap<String, community::Model> = community::Entity::find()
        .all(txn)
        .await?
        .into_iter()
        .map(|c| (c.code.clone(), c))
        .collect();
    let now = Utc::now();
    let mut counts = Counts::default();
    let mut new_rows = Vec::new();
    for row in rows {
        let street_id = *street_ids.get(&row.street_code).with_context(|| {
            format!(
                "community {} names unknown street {}",
                row.code, row.street_code
            )
        })?;
        match existing.get(&row.code) {
            None => new_rows.push(community::ActiveModel {
                street_id: Set(street_id),
                code: Set(row.code.clone()),
                name: Set(row.name.clone()),
                official_name: Set(row.official_name.clone()),
                kind: Set(row.kind),
                population: Set(None),
                active: Set(true),
                version: Set(1),
                created_at: Set(now),
                updated_at: Set(now),
                ..Default::default()
            }),
            Some(c)
                if c.street_id == street_id
                    && c.name == row.name
                    && c.official_name == row.official_name
                    && c.kind == row.kind =>
            {
                counts.unchanged += 1
            }
            Some(c) => {
                let mut active: community::ActiveModel = c.clone().into();
                active.street_id = Set(street_id);
                active.name = Set(row.name.clone());
                active.official_name = Set(row.official_name.clone());
                active.kind = Set(row.kind);
                active.version = Set(c.version + 1);
                active.updated_at = Set(now);
                active.update(txn).await?;
                counts.updated += 1;
            }
        }
    }
    counts.inserted = insert_chunked::<community::Entity>(txn, new_rows).await?;
    Ok(counts)
}

pub(super) async fn upsert_sport_items(
    txn: &DatabaseTransaction,
    rows: &[SportItemRow],
) -> anyhow::Result<Counts> {
    let existing: HashMap<String, sport_item::Model> = sport_item::Entity::find()
        .all(txn)
        .await?
        .into_iter()
        .map(|s| (s.code.clone(), s))
        .collect();
    let mut counts = Counts::default();
    let mut new_rows = Vec::new();
    for row in rows {
        match existing.get(&row.code) {
            None => new_rows.push(sport_item::ActiveModel {
                code: Set(row.code.clone()),
                name: Set(row.name.clone()),
                category: Set(row.category.clone()),
                high_risk: Set(row.high_risk),
                ..Default::default()
            }),
            Some(s)
                if s.name == row.name
                    && s.category == row.category
                    && s.high_risk == row.high_risk =>
            {
                counts.unchanged += 1
            }
            Some(s) => {
                let mut active: sport_item::ActiveModel = s.clone().into();
                active.name = Set(row.name.clone());
                active.category = Set(row.category.clone());
                active.high_risk = Set(row.high_risk);
                active.update(txn).await?;
                counts.updated += 1;
            }
        }
    }
    counts.inserted = insert_chunked::<sport_item::Entity>(txn, new_rows).await?;
    Ok(counts)
}

async fn insert_chunked<E: EntityTrait>(
    txn: &impl ConnectionTrait,
    rows: Vec<E::ActiveModel>,
) -> anyhow::Result<usize>
where
    E::ActiveModel: ActiveModelTrait<Entity = E> + Send,
{
    let total = rows.len();
    let mut rows = rows.into_iter().peekable();
    while rows.peek().is_some() {
        let chunk: Vec<_> = rows.by_ref().take(INSERT_CHUNK).collect();
        E::insert_many(chunk).exec_without_returning(txn).await?;
    }
    Ok(total)
}
