//! Reading the seed files: streets, communities and sport items from CSV (UTF-8, with or without
//! BOM), the policy defaults from TOML, each checked and named by file and line when wrong.

use std::{collections::HashMap, path::Path};

use anyhow::{Context, bail};
use serde::{Deserialize, de::DeserializeOwned};

use super::embedded;
use crate::domain::{
    policy::Policy,
    region::{CommunityKind, StreetKind, check_community_code, check_street_code},
};

#[derive(Debug, Deserialize)]
pub(super) struct StreetRow {
    pub(super) code: String,
    pub(super) name: String,
    pub(super) kind: StreetKind,
    pub(super) county_code: String,
}

#[derive(Debug, Deserialize)]
pub(super) struct CommunityRow {
    pub(super) code: String,
    pub(super) name: String,
    pub(super) official_name: String,
    pub(super) street_code: String,
    pub(super) kind: CommunityKind,
}

#[derive(Debug, Deserialize)]
pub(super) struct SportItemRow {
    pub(super) code: String,
    pub(super) name: String,
    pub(super) category: String,
    pub(super) high_risk: bool,
}

/// A parsed and checked set of streets and their communities.
pub struct RegionSet {
    pub(super) streets: Vec<StreetRow>,
    pub(super) communities: Vec<CommunityRow>,
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

pub(super) fn parse_csv<T: DeserializeOwned>(file: &str, text: &str) -> anyhow::Result<Vec<T>> {
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

/// Parses the policy file into its keys, checking that together they form a valid policy.
pub(super) fn parse_policy(
    text: &str,
) -> anyhow::Result<serde_json::Map<String, serde_json::Value>> {
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
