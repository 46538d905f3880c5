//! Loading reference data: regions, sport items and policy defaults. Everything is upserted by
//! code in one transaction, so seeding twice changes nothing and a failed seed changes nothing.
//! Only fields that come from the source data are refreshed: population and the active flag
//! belong to the bureau and are never touched, and policy values are only added, never reset.

use std::{collections::HashMap, path::Path};

use anyhow::{Context, bail};
use chrono::Utc;
use sea_orm::{
    ActiveModelTrait, ActiveValue::Set, ConnectionTrait, DatabaseConnection, DatabaseTransaction,
    EntityTrait, PaginatorTrait, QuerySelect, sea_query::OnConflict,
};
use serde::{Deserialize, de::DeserializeOwned};

use crate::{
    db,
    domain::{
        policy::Policy,
        region::{CommunityKind, StreetKind, check_community_code, check_street_code},
    },
    entities::{community, policy, sport_item, street},
};

/// The default seed set, compiled into the binary so `serve` works from any folder.
pub mod embedded {
    pub const STREETS: &str = include_str!("../../seeds/streets.csv");
    pub const COMMUNITIES: &str = include_str!("../../seeds/communities.csv");
    pub const SPORT_ITEMS: &str = include_str!("../../seeds/sport-items.csv");
    pub const POLICY: &str = include_str!("../../seeds/policy.toml");
}

/// Rows are written in chunks that stay under SQLite's bound-parameter limit.
const INSERT_CHUNK: usize = 1000;

/// What one seeding run did to one table.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub struct Counts {
    pub inserted: usize,
    pub updated: usize,
    pub unchanged: usize,
}

/// What one seeding run did.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub struct SeedReport {
    pub streets: Counts,
    pub communities: Counts,
    pub sport_items: Counts,
    pub policy_keys_added: usize,
}

impl std::fmt::Display for SeedReport {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let c = |c: Counts| {
            format!(
                "{} new, {} updated, {} unchanged",
                c.inserted, c.updated, c.unchanged
            )
        };
        write!(
            f,
            "streets: {}; communities: {}; sport items: {}; policy keys added: {}",
            c(self.streets),
            c(self.communities),
            c(self.sport_items),
            self.policy_keys_added
        )
    }
}

#[derive(Debug, Deserialize)]
struct StreetRow {
    code: String,
    name: String,
    kind: StreetKind,
    county_code: String,
}

#[derive(Debug, Deserialize)]
struct CommunityRow {
    code: String,
    name: String,
    official_name: String,
    street_code: String,
    kind: CommunityKind,
}

#[derive(Debug, Deserialize)]
struct SportItemRow {
    code: String,
    name: String,
    category: String,
    high_risk: bool,
}

/// A parsed and checked set of streets and their communities.
pub struct RegionSet {
    streets: Vec<StreetRow>,
    communities: Vec<CommunityRow>,
}

impl RegionSet {
    /// Parses `streets.csv` and `communities.csv` (UTF-8, with or without BOM), naming the file and
    /// line of the first bad row.
    pub fn parse(streets_csv: &str, communities_csv: &str) -> anyhow::Result<Self> {
        let streets: Vec<StreetRow> = parse_csv("streets.csv", streets_csv)?;
        let communities: Vec<CommunityRow> = parse_csv("communities.csv", communities_csv)?;
        for (i, s) in streets.iter().enumerate() {
            check_street_code(&s.code)
                .map_err(|e| anyhow::anyhow!("streets.csv line {}: {e}", i + 2))?;
        }
        for (i, c) in communities.iter().enumerate() {
            check_street_code(&c.street_code)
                .and_then(|()| check_community_code(&c.code, &c.street_code))
                .map_err(|e| anyhow::anyhow!("communities.csv line {}: {e}", i + 2))?;
        }
        reject_duplicates("streets.csv", streets.iter().map(|s| s.code.as_str()))?;
        reject_duplicates(
            "communities.csv",
            communities.iter().map(|c| c.code.as_str()),
        )?;
        Ok(Self {
            streets,
            communities,
        })
    }

    /// Reads `streets.csv` and `communities.csv` from a folder.
    pub fn from_dir(dir: &Path) -> anyhow::Result<Self> {
        let read = |name: &str| {
            let path = dir.join(name);
            std::fs::read_to_string(&path)
                .with_context(|| format!("cannot read {}", path.display()))
        };
        Self::parse(&read("streets.csv")?, &read("communities.csv")?)
    }

    pub fn embedded() -> anyhow::Result<Self> {
        Self::parse(embedded::STREETS, embedded::COMMUNITIES)
    }
}

fn parse_csv<T: DeserializeOwned>(file: &str, text: &str) -> anyhow::Result<Vec<T>> {
    let text = text.strip_prefix('\u{feff}').unwrap_or(text);
    let mut reader = csv::ReaderBuilder::new()
        .trim(csv::Trim::All)
        .from_reader(text.as_bytes());
    let mut rows = Vec::new();
    for record in reader.deserialize() {
        rows.push(record.map_err(|e| {
            let line = e.position().map(|p| p.line()).unwrap_or(0);
            anyhow::anyhow!("{file} line {line}: {e}")
        })?);
    }
    Ok(rows)
}

fn reject_duplicates<'a>(file: &str, codes: impl Iterator<Item = &'a str>) -> anyhow::Result<()> {
    let mut seen = HashMap::new();
    for (i, code) in codes.enumerate() {
        if let Some(first) = seen.insert(code, i + 2) {
            bail!(
                "{file} line {}: code {code} already appears on line {first}",
                i + 2
            );
        }
    }
    Ok(())
}

/// Seeds the embedded defaults, or `regions` instead of the embedded Yufeng regions.
pub async fn run(
    db: &DatabaseConnection,
    regions: Option<&RegionSet>,
) -> anyhow::Result<SeedReport> {
    let embedded_regions;
    let regions = match regions {
        Some(r) => r,
        None => {
            embedded_regions = RegionSet::embedded()?;
            &embedded_regions
        }
    };
    let sport_items: Vec<SportItemRow> = parse_csv("sport-items.csv", embedded::SPORT_ITEMS)?;
    let policy_defaults = parse_policy(embedded::POLICY)?;

    let txn = db::begin_write(db).await?;
    let report = SeedReport {
        streets: upsert_streets(&txn, &regions.streets).await?,
        communities: upsert_communities(&txn, &regions.communities).await?,
        sport_items: upsert_sport_items(&txn, &sport_items).await?,
        policy_keys_added: add_missing_policy(&txn, &policy_defaults).await?,
    };
    txn.commit().await?;
    Ok(report)
}

/// True when no region has been loaded yet: a fresh database that `serve` seeds by itself.
pub async fn is_fresh(db: &DatabaseConnection) -> anyhow::Result<bool> {
    Ok(street::Entity::find().count(db).await? == 0)
}

/// Parses the policy file into its keys, checking that together they form a valid policy.
fn parse_policy(text: &str) -> anyhow::Result<serde_json::Map<String, serde_json::Value>> {
    let table: toml::Table = toml::from_str(text).context("seeds/policy.toml is not valid TOML")?;
    let value = serde_json::to_value(&table).context("seeds/policy.toml")?;
    let policy: Policy = serde_json::from_value(value.clone()).context("seeds/policy.toml")?;
    if let Err(violations) = policy.validate() {
        let list: Vec<_> = violations
            .iter()
            .map(|v| format!("{}: {}", v.field, v.message))
            .collect();
        bail!("seeds/policy.toml: {}", list.join("; "));
    }
    match value {
        serde_json::Value::Object(map) => Ok(map),
        _ => bail!("seeds/policy.toml must be a table"),
    }
}

async fn add_missing_policy(
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

async fn upsert_streets(txn: &DatabaseTransaction, rows: &[StreetRow]) -> anyhow::Result<Counts> {
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

async fn upsert_communities(
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

async fn upsert_sport_items(
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_embedded_seeds_parse() {
        let regions = RegionSet::embedded().unwrap();
        assert_eq!(regions.streets.len(), 12);
        assert_eq!(regions.communities.len(), 101);
        assert!(parse_policy(embedded::POLICY).is_ok());
        let items: Vec<SportItemRow> = parse_csv("sport-items.csv", embedded::SPORT_ITEMS).unwrap();
        assert!(
            items
                .iter()
                .any(|i| i.code == "square_dance" && !i.high_risk)
        );
    }

    #[test]
    fn a_bad_row_is_named_by_file_and_line() {
        let streets = "code,name,kind,county_code\n450203001,天马街道,street,450203\n450203002,驾鹤街道,borough,450203\n";
        let err = RegionSet::parse(streets, "code,name,official_name,street_code,kind\n")
            .err()
            .unwrap();
        assert!(err.to_string().contains("streets.csv line 3"), "{err}");
    }

    #[test]
    fn a_community_outside_its_street_code_is_rejected() {
        let streets = "code,name,kind,county_code\n450203001,天马街道,street,450203\n";
        let communities = "\u{feff}code,name,official_name,street_code,kind\n450203002001,X,X居委会,450203001,community\n";
        let err = RegionSet::parse(streets, communities).err().unwrap();
        assert!(err.to_string().contains("communities.csv line 2"), "{err}");
    }

    #[test]
    fn duplicate_codes_are_rejected() {
        let streets =
            "code,name,kind,county_code\n450203001,A,street,450203\n450203001,B,street,450203\n";
        let err = RegionSet::parse(streets, "code,name,official_name,street_code,kind\n")
            .err()
            .unwrap();
        assert!(err.to_string().contains("line 3"), "{err}");
    }
}
