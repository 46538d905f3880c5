//! Loading reference data: regions, sport items and policy defaults. Everything is upserted by
//! code in one transaction, so seeding twice changes nothing and a failed seed changes nothing.
//! Only fields that come from the source data are refreshed: population and the active flag
//! belong to the bureau and are never touched, and policy values are only added, never reset.

mod read;
mod write;

pub use read::RegionSet;
use read::{SportItemRow, parse_csv, parse_policy};
use write::{add_missing_policy, upsert_communities, upsert_sport_items, upsert_streets};

use sea_orm::{DatabaseConnection, EntityTrait, PaginatorTrait};

use crate::{db, entities::street};

/// The default seed set, compiled into the binary so `serve` works from any folder.
pub mod embedded {
    pub const STREETS: &str = include_str!("../../../seeds/streets.csv");
    pub const COMMUNITIES: &str = include_str!("../../../seeds/communities.csv");
    pub const SPORT_ITEMS: &str = include_str!("../../../seeds/sport-items.csv");
    pub const POLICY: &str = include_str!("../../../seeds/policy.toml");
}

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
