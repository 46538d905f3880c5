//! Who is calling, and the one place that decides what they may read and change (SPEC §3).
//! Services describe what they touch as a [`Target`]; [`Caller`] answers.

use std::fmt::Display;

use crate::{domain::account::Role, entities::account, error::AppError};

/// The authenticated caller of a use case.
#[derive(Debug, Clone)]
pub struct Caller {
    /// `None` for the system itself (bootstrap, command line).
    pub account_id: Option<i32>,
    pub role: Role,
    pub street_id: Option<i32>,
    pub person_id: Option<i32>,
    /// The login session the request came with.
    pub session_id: Option<i32>,
    /// The request id, written into audit entries.
    pub request_id: Option<String>,
}

/// What a use case reads or changes.
#[derive(Debug, Clone, Copy)]
pub enum Target<'a> {
    /// Reference data (regions, sport items, policy): everyone reads, the bureau writes.
    Reference,
    /// District-wide records (the audit log, the outbox): the bureau and auditors read.
    DistrictRecords,
    /// Something that belongs to one street: a community's or a person's.
    Street(i32),
    /// One person's registry record: the person reads it, the street office keeps it.
    Person { person_id: i32, street_id: i32 },
    /// An account.
    Account(&'a account::Model),
}

impl Caller {
    /// The system acting on its own behalf (bootstrap, `fitreg account create`).
    pub fn system() -> Self {
        Self {
            account_id: None,
            role: Role::BureauAdmin,
            street_id: None,
            person_id: None,
            session_id: None,
            request_id: None,
        }
    }

    fn own_street(&self, street_id: i32) -> bool {
        self.role == Role::StreetOfficer && self.street_id == Some(street_id)
    }

    pub fn can_read(&self, target: Target<'_>) -> bool {
        match (self.role, target) {
            (Role::BureauAdmin | Role::Auditor, _) => true,
            (_, Target::Reference) => true,
            (_, Target::DistrictRecords) => false,
            (Role::StreetOfficer, Target::Street(street_id))
            | (Role::StreetOfficer, Target::Person { street_id, .. }) => self.own_street(street_id),
            (Role::StreetOfficer, Target::Account(a)) => {
                a.street_id.is_some_and(|s| self.own_street(s))
            }
            (Role::Member, Target::Person { person_id, .. }) => self.person_id == Some(person_id),
            (Role::Member, Target::Account(a)) => self.account_id == Some(a.id),
            (Role::Member, Target::Street(_)) => false,
        }
    }

    pub fn can_write(&self, target: Target<'_>) -> bool {
        match (self.role, target) {
            (Role::BureauAdmin, _) => true,
            (Role::Auditor, _) => false,
            (_, Target::Reference | Target::DistrictRecords) => false,
            (Role::StreetOfficer, Target::Street(street_id))
            | (Role::StreetOfficer, Target::Person { street_id, .. }) => self.own_street(street_id),
            (Role::StreetOfficer, Target::Account(a)) => {
                a.role == Role::Member && a.street_id.is_some_and(|s| self.own_street(s))
            }
            // Members read their registry record; the street office keeps it.
            (Role::Member, Target::Person { .. } | Target::Account(_) | Target::Street(_)) => false,
        }
    }

    /// Reading something addressed by id: out of scope, it does not exist for this caller (404).
    pub fn authorize_read(
        &self,
        target: Target<'_>,
        entity: &'static str,
        id: impl Display,
    ) -> Result<(), AppError> {
        if self.can_read(target) {
            Ok(())
        } else {
            Err(AppError::not_found(entity, id))
        }
    }

    /// Changing something addressed by id: unreadable is 404, readable but not writable is 403.
    pub fn authorize_write(
        &self,
        target: Target<'_>,
        entity: &'static str,
        id: impl Display,
    ) -> Result<(), AppError> {
        self.authorize_read(target, entity, &id)?;
        if self.can_write(target) {
            Ok(())
        } else {
            Err(AppError::Forbidden(format!(
                "your role may not change this {entity}"
            )))
        }
    }

    /// An action on a collection (create, list): 403 when the role may not do it at all.
    pub fn require(&self, allowed: bool, action: &str) -> Result<(), AppError> {
        if allowed {
            Ok(())
        } else {
            Err(AppError::Forbidden(format!("your role may not {action}")))
        }
    }

    pub fn is_district_wide_reader(&self) -> bool {
        matches!(self.role, Role::BureauAdmin | Role::Auditor)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn caller(role: Role, street_id: Option<i32>, person_id: Option<i32>) -> Caller {
        Caller {
            account_id: Some(7),
            role,
            street_id,
            person_id,
            session_id: None,
            request_id: None,
        }
    }

    #[test]
    fn auditors_read_everything_and_change_nothing() {
        let auditor = caller(Role::Auditor, None, None);
        for target in [
            Target::Reference,
            Target::DistrictRecords,
            Target::Street(1),
        ] {
            assert!(auditor.can_read(target));
            assert!(!auditor.can_write(target));
        }
    }

    #[test]
    fn officers_read_and_change_their_own_street_only() {
        let officer = caller(Role::StreetOfficer, Some(1), None);
        assert!(officer.can_read(Target::Street(1)) && officer.can_write(Target::Street(1)));
        assert!(!officer.can_read(Target::Street(2)) && !officer.can_write(Target::Street(2)));
        assert!(officer.can_read(Target::Reference) && !officer.can_write(Target::Reference));
        assert!(!officer.can_read(Target::DistrictRecords));
        let err = officer
            .authorize_write(Target::Street(2), "community", 5)
            .unwrap_err();
        assert!(matches!(err, AppError::NotFound { .. }));
        let err = officer
            .authorize_write(Target::Reference, "community", 5)
            .unwrap_err();
        assert!(matches!(err, AppError::Forbidden(_)));
    }

    #[test]
    fn members_reach_only_their_own_person() {
        let member = caller(Role::Member, None, Some(3));
        let own = Target::Person {
            person_id: 3,
            street_id: 1,
        };
        assert!(member.can_read(own) && !member.can_write(own));
        assert!(!member.can_read(Target::Person {
            person_id: 4,
            street_id: 1
        }));
        assert!(!member.can_read(Target::Street(1)));
    }
}
