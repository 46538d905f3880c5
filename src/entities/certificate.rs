//! `certificate`: a service certificate as issued, verifiable by its code.

use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "certificate")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i32,
    /// 128 random bits, hex: the verification code printed on the certificate.
    #[sea_orm(unique)]
    pub code: String,
    /// The certificate number, e.g. `FR-2026-000012`.
    pub number: Option<String>,
    pub person_id: i32,
    pub period_from: Date,
    pub period_to: Date,
    pub quarters: i32,
    pub sessions: i32,
    /// The issuing office: the district bureau or a street office.
    pub issuer: String,
    pub issued_by: Option<i32>,
    pub issued_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
