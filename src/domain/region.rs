//! Statistical division codes (统计用区划代码) of streets and communities, and their kinds.

use poem_openapi::Enum;
use sea_orm::{DeriveActiveEnum, EnumIter, sea_query::StringLen};
use serde::{Deserialize, Serialize};

/// What level of township-level division a street is: 街道, 镇 or 乡.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, EnumIter, DeriveActiveEnum, Enum, Serialize, Deserialize,
)]
#[sea_orm(rs_type = "String", db_type = "String(StringLen::N(16))")]
#[oai(rename_all = "snake_case")]
#[serde(rename_all = "snake_case")]
pub enum StreetKind {
    /// 街道: an urban street office.
    #[sea_orm(string_value = "street")]
    Street,
    /// 镇: a town.
    #[sea_orm(string_value = "town")]
    Town,
    /// 乡: a township.
    #[sea_orm(string_value = "township")]
    Township,
}

/// What a community is: an urban residents' committee (社区) or a village (村).
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, EnumIter, DeriveActiveEnum, Enum, Serialize, Deserialize,
)]
#[sea_orm(rs_type = "String", db_type = "String(StringLen::N(16))")]
#[oai(rename_all = "snake_case")]
#[serde(rename_all = "snake_case")]
pub enum CommunityKind {
    /// 社区: an urban community (residents' committee).
    #[sea_orm(string_value = "community")]
    Community,
    /// 村: a village (villagers' committee).
    #[sea_orm(string_value = "village")]
    Village,
}

impl CommunityKind {
    /// The kind a 12-digit code says: committee numbers 001-199 are communities (居委会), 200-399
    /// villages (村委会).
    pub fn from_code(code: &str) -> Option<Self> {
        let number: u16 = code.get(9..12)?.parse().ok()?;
        match number {
            1..=199 => Some(Self::Community),
            200..=399 => Some(Self::Village),
            _ => None,
        }
    }
}

/// A township-level code: 9 digits (6-digit county code + 3-digit street).
pub fn check_street_code(code: &str) -> Result<(), String> {
    if code.len() == 9 && code.bytes().all(|b| b.is_ascii_digit()) {
        Ok(())
    } else {
        Err(format!("street code must be 9 digits, got {code:?}"))
    }
}

/// A village-level code: 12 digits, starting with the code of the street it belongs to.
pub fn check_community_code(code: &str, street_code: &str) -> Result<(), String> {
    if code.len() != 12 || !code.bytes().all(|b| b.is_ascii_digit()) {
        return Err(format!("community code must be 12 digits, got {code:?}"));
    }
    if !code.starts_with(street_code) {
        return Err(format!(
            "community code {code} does not belong to street {street_code}"
        ));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn street_codes_are_nine_digits() {
        assert!(check_street_code("450203001").is_ok());
        assert!(check_street_code("45020300").is_err());
        assert!(check_street_code("45020300a").is_err());
        assert!(check_street_code("4502030011").is_err());
    }

    #[test]
    fn the_committee_number_tells_community_from_village() {
        assert_eq!(
            CommunityKind::from_code("450203001001"),
            Some(CommunityKind::Community)
        );
        assert_eq!(
            CommunityKind::from_code("450203100201"),
            Some(CommunityKind::Village)
        );
        assert_eq!(CommunityKind::from_code("450203100999"), None);
        assert_eq!(CommunityKind::from_code("4502"), None);
    }

    #[test]
    fn community_codes_extend_their_street_code() {
        assert!(check_community_code("450203001001", "450203001").is_ok());
        assert!(check_community_code("450203002001", "450203001").is_err());
        assert!(check_community_code("45020300100", "450203001").is_err());
        assert!(check_community_code("45020300100x", "450203001").is_err());
    }
}
