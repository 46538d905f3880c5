//! The one place that narrows a list to what the caller may read (SPEC §3). Every list builds its
//! query from these conditions, so a list never shows what a read by id would refuse, and never
//! hides what it would allow.

use sea_orm::{
    ColumnTrait, Condition,
    sea_query::{Expr, Query},
};

use crate::{
    auth::Caller,
    domain::account::Role,
    entities::{account, community, person},
};

/// Nothing matches: an officer without a street, a member without a person.
fn none() -> Condition {
    Condition::all().add(Expr::value(false))
}

/// People the caller may read: all for the district, its street's for an officer, itself for a
/// member.
pub fn people(caller: &Caller) -> Condition {
    match (caller.role, caller.street_id, caller.person_id) {
        (Role::BureauAdmin | Role::Auditor, _, _) => Condition::all(),
        (Role::StreetOfficer, Some(street), _) => {
            Condition::all().add(person::Column::StreetId.eq(street))
        }
        (Role::Member, _, Some(me)) => Condition::all().add(person::Column::Id.eq(me)),
        _ => none(),
    }
}

/// Accounts the caller may read: all for the district, those of its street for an officer, its
/// own for a member.
pub fn accounts(caller: &Caller) -> Condition {
    match (caller.role, caller.street_id, caller.account_id) {
        (Role::BureauAdmin | Role::Auditor, _, _) => Condition::all(),
        (Role::StreetOfficer, Some(street), _) => {
            Condition::all().add(account::Column::StreetId.eq(street))
        }
        (Role::Member, _, Some(me)) => Condition::all().add(account::Column::Id.eq(me)),
        _ => none(),
    }
}

/// Records of a person (enrolments, registrations): those of the people the caller may read.
pub fn of_person(caller: &Caller, person_column: impl ColumnTrait) -> Condition {
    match (caller.role, caller.street_id, caller.person_id) {
        (Role::BureauAdmin | Role::Auditor, _, _) => Condition::all(),
        (Role::StreetOfficer, Some(street), _) => {
            Condition::all().add(person_column.in_subquery(people_of_street(street)))
        }
        (Role::Member, _, Some(me)) => Condition::all().add(person_column.eq(me)),
        _ => none(),
    }
}

/// Records of a person held at a community (assignments, service sessions): an officer reads
/// those of its street's people and those held in its street's communities, as a read by id does.
pub fn held(
    caller: &Caller,
    person_column: impl ColumnTrait,
    community_column: impl ColumnTrait,
) -> Condition {
    match (caller.role, caller.street_id, caller.person_id) {
        (Role::BureauAdmin | Role::Auditor, _, _) => Condition::all(),
        (Role::StreetOfficer, Some(street), _) => Condition::any()
            .add(person_column.in_subquery(people_of_street(street)))
            .add(community_column.in_subquery(communities_of_street(street))),
        (Role::Member, _, Some(me)) => Condition::all().add(person_column.eq(me)),
        _ => none(),
    }
}

/// Rows held in the communities of one street (a filter, not a scope).
pub fn in_street(community_column: impl ColumnTrait, street_id: i32) -> Condition {
    Condition::all().add(community_column.in_subquery(communities_of_street(street_id)))
}

fn people_of_street(street_id: i32) -> sea_orm::sea_query::SelectStatement {
    Query::select()
        .column(person::Column::Id)
        .from(person::Entity)
        .and_where(person::Column::StreetId.eq(street_id))
        .to_owned()
}

fn communities_of_street(street_id: i32) -> sea_orm::sea_query::SelectStatement {
    Query::select()
        .column(community::Column::Id)
        .from(community::Entity)
        .and_where(community::Column::StreetId.eq(street_id))
        .to_owned()
}
