//! What the rows of a file refer to (streets, communities, people already registered, sport
//! items, the minimum age), loaded once for the whole file with a constant number of queries.

use std::collections::{HashMap, HashSet};

use sea_orm::{ColumnTrait, DatabaseConnection, EntityTrait, QueryFilter, QuerySelect};

use super::{CHUNK, read::Cells};
use crate::{
    entities::{community, person, sport_item, street},
    error::AppError,
    services::policy,
};

/// What the rows refer to, loaded once for the whole file.
pub(super) struct Lookups {
    pub(super) streets: HashMap<String, i32>,
    pub(super) communities: HashMap<String, community::Model>,
    pub(super) existing: HashMap<String, person::Model>,
    pub(super) sport_items: HashMap<String, bool>,
    /// Sport item codes by their Chinese names: offices write `太极拳`, not `taichi`.
    pub(super) sport_item_names: HashMap<String, String>,
    pub(super) min_age: i32,
}

impl Lookups {
    pub(super) async fn load(
        db: &DatabaseConnection,
        records: &[Cells<'_>],
    ) -> Result<Self, AppError> {
        let distinct = |column: &str| -> Vec<String> {
            let set: HashSet<String> = records
                .iter()
                .filter_map(|r| r.get(column).map(str::to_owned))
                .collect();
            set.into_iter().collect()
        };
        let mut streets = HashMap::new();
        for chunk in distinct("street_code").chunks(CHUNK) {
            let found: Vec<(String, i32)> = street::Entity::find()
                .select_only()
                .columns([street::Column::Code, street::Column::Id])
                .filter(street::Column::Code.is_in(chunk.iter().cloned()))
                .into_tuple()
                .all(db)
                .await?;
            streets.extend(found);
        }
        let mut communities = HashMap::new();
        for chunk in distinct("community_code").chunks(CHUNK) {
            for c in community::Entity::find()
                .filter(community::Column::Code.is_in(chunk.iter().cloned()))
                .all(db)
                .await?
            {
                communities.insert(c.code.clone(), c);
            }
        }
        let numbers: Vec<String> = distinct("id_number")
            .into_iter()
            .map(|n| n.to_ascii_uppercase())
            .collect();
        let mut existing = HashMap::new();
        for chunk in numbers.chunks(CHUNK) {
            for p in person::Entity::find()
                .filter(person::Column::IdNumber.is_in(chunk.iter().cloned()))
                .all(db)
                .await?
            {
                existing.insert(p.id_number.clone(), p);
            }
        }
        let items: Vec<(String, String, bool)> = sport_item::Entity::find()
            .select_only()
            .columns([
                sport_item::Column::Code,
                sport_item::Column::Name,
                sport_item::Column::HighRisk,
            ])
            .into_tuple()
            .all(db)
            .await?;
        let sport_items = items
            .iter()
            .map(|(code, _, high_risk)| (code.clone(), *high_risk))
            .collect();
        let sport_item_names = items
            .into_iter()
            .map(|(code, name, _)| (name, code))
            .collect();
        let min_age = policy::get(db).await?.policy.min_age as i32;
        Ok(Self {
            streets,
            communities,
            existing,
            sport_items,
            sport_item_names,
            min_age,
        })
    }
}
