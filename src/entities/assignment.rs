//! `assignment`: a person serving a community in a role from `starts_on` until `ends_on`
//! (exclusive; open while null).

use sea_orm::entity::prelude::*;
use serde::Serialize;

use crate::domain::person::{Employment, QualificationKind};

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel, Serialize)]
#[sea_orm(table_name = "assignment")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i32,
    pub person_id: i32,
    pub community_id: i32,
    pub role: QualificationKind,
    /// For administrators: full- or part-time when the assignment was made.
    pub employment: Option<Employment>,
    pub starts_on: Date,
    pub ends_on: Option<Date>,
    pub end_reason: Option<String>,
    pub created_by: Option<i32>,
    /// The import that made it, if any.
    pub import_id: Option<String>,
    pub created_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {
    #[sea_orm(
        belongs_to = "super::person::Entity",
        from = "Column::PersonId",
        to = "super::person::Column::Id"
    )]
    Person,
    #[sea_orm(
        belongs_to = "super::community::Entity",
        from = "Column::CommunityId",
        to = "super::community::Column::Id"
    )]
    Community,
}

impl Related<super::person::Entity> for Entity {
    fn to() -> RelationDef {
        Relation::Person.def()
    }
}

impl Related<super::community::Entity> for Entity {
    fn to() -> RelationDef {
        Relation::Community.def()
    }
}

impl ActiveModelBehavior for ActiveModel {}
