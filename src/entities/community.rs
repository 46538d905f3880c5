//! `community`: communities (社区) and villages (村).

use sea_orm::entity::prelude::*;
use serde::Serialize;

use crate::domain::region::CommunityKind;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel, Serialize)]
#[sea_orm(table_name = "community")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i32,
    pub street_id: i32,
    #[sea_orm(unique)]
    pub code: String,
    pub name: String,
    pub official_name: String,
    pub kind: CommunityKind,
    pub population: Option<i32>,
    pub active: bool,
    /// The day it was deactivated; a past day's coverage audit still counts it before then.
    pub deactivated_on: Option<Date>,
    pub version: i32,
    pub created_at: DateTimeUtc,
    pub updated_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {
    #[sea_orm(
        belongs_to = "super::street::Entity",
        from = "Column::StreetId",
        to = "super::street::Column::Id"
    )]
    Street,
}

impl Related<super::street::Entity> for Entity {
    fn to() -> RelationDef {
        Relation::Street.def()
    }
}

impl ActiveModelBehavior for ActiveModel {}
