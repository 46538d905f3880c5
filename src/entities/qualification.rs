//! `qualification`: a person's standing as instructor, volunteer or administrator.

use sea_orm::entity::prelude::*;
use serde::Serialize;

use crate::domain::person::{Employment, Grade, QualificationKind, QualificationStatus};

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel, Serialize)]
#[sea_orm(table_name = "qualification")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i32,
    pub person_id: i32,
    pub kind: QualificationKind,
    pub grade: Option<Grade>,
    pub certificate_no: Option<String>,
    pub certified_on: Date,
    pub employment: Option<Employment>,
    pub issued_by: Option<String>,
    pub status: QualificationStatus,
    pub revoked_at: Option<DateTimeUtc>,
    pub revoked_by: Option<i32>,
    pub revoke_reason: Option<String>,
    /// The day the current grade was granted (the certification day when never promoted).
    pub grade_granted_on: Option<Date>,
    /// The eligibility for the current grade as judged the day it was recorded (JSON).
    pub eligibility_at_grant: Option<String>,
    /// The import that recorded it, if any.
    pub import_id: Option<String>,
    pub version: i32,
    pub created_at: DateTimeUtc,
    pub updated_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {
    #[sea_orm(
        belongs_to = "super::person::Entity",
        from = "Column::PersonId",
        to = "super::person::Column::Id"
    )]
    Person,
}

impl ActiveModelBehavior for ActiveModel {}

impl Related<super::person::Entity> for Entity {
    fn to() -> RelationDef {
        Relation::Person.def()
    }
}
