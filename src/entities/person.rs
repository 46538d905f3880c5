//! `person`: someone in the registry.

use sea_orm::entity::prelude::*;
use serde::Serialize;

use crate::domain::person::{Gender, PersonStatus};

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel, Serialize)]
#[sea_orm(table_name = "person")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i32,
    pub name: String,
    pub gender: Gender,
    pub birth_date: Date,
    /// The full resident ID number; audit entries hold it masked.
    #[sea_orm(unique)]
    #[serde(serialize_with = "crate::entities::person::masked")]
    pub id_number: String,
    pub phone: String,
    pub email: Option<String>,
    pub street_id: i32,
    pub status: PersonStatus,
    pub import_id: Option<String>,
    pub version: i32,
    pub created_at: DateTimeUtc,
    pub updated_at: DateTimeUtc,
}

/// Serialises an ID number masked, so an audit entry never holds a full one.
pub fn masked<S: serde::Serializer>(number: &str, serializer: S) -> Result<S::Ok, S::Error> {
    serializer.serialize_str(&crate::domain::id_number::mask(number))
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {
    #[sea_orm(
        belongs_to = "super::street::Entity",
        from = "Column::StreetId",
        to = "super::street::Column::Id"
    )]
    Street,
    #[sea_orm(has_many = "super::qualification::Entity")]
    Qualification,
    #[sea_orm(has_many = "super::assignment::Entity")]
    Assignment,
    #[sea_orm(has_many = "super::person_specialty::Entity")]
    PersonSpecialty,
}

impl Related<super::street::Entity> for Entity {
    fn to() -> RelationDef {
        Relation::Street.def()
    }
}

impl ActiveModelBehavior for ActiveModel {}
