//! Accounts: roles, usernames, passwords and e-mail addresses as checked values.

use poem_openapi::Enum;
use sea_orm::{DeriveActiveEnum, EnumIter, sea_query::StringLen};
use serde::{Deserialize, Serialize};

use super::FieldViolation;

/// What an account may do (SPEC §3).
#[derive(
    Debug,
    Clone,
    Copy,
    PartialEq,
    Eq,
    Hash,
    EnumIter,
    DeriveActiveEnum,
    Enum,
    Serialize,
    Deserialize,
)]
#[sea_orm(rs_type = "String", db_type = "String(StringLen::N(32))")]
#[oai(rename_all = "snake_case")]
#[serde(rename_all = "snake_case")]
pub enum Role {
    /// The district bureau (区文体新局): everything.
    #[sea_orm(string_value = "bureau_admin")]
    BureauAdmin,
    /// A street office or township (街道/乡镇): its own street.
    #[sea_orm(string_value = "street_officer")]
    StreetOfficer,
    /// An instructor or volunteer: their own record.
    #[sea_orm(string_value = "member")]
    Member,
    /// An inspection office: reads everything, changes nothing.
    #[sea_orm(string_value = "auditor")]
    Auditor,
}

impl Role {
    /// The role's Chinese name, for mail.
    pub fn chinese_name(self) -> &'static str {
        match self {
            Role::BureauAdmin => "区文体新局管理员",
            Role::StreetOfficer => "街道（乡镇）工作人员",
            Role::Member => "社会体育指导员/志愿者",
            Role::Auditor => "督查人员",
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Role::BureauAdmin => "bureau_admin",
            Role::StreetOfficer => "street_officer",
            Role::Member => "member",
            Role::Auditor => "auditor",
        }
    }
}

impl std::str::FromStr for Role {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s {
            "bureau_admin" => Ok(Role::BureauAdmin),
            "street_officer" => Ok(Role::StreetOfficer),
            "member" => Ok(Role::Member),
            "auditor" => Ok(Role::Auditor),
            other => Err(format!(
                "unknown role {other:?}: use bureau_admin, street_officer, member or auditor"
            )),
        }
    }
}

/// What a one-time account token is for.
#[derive(Debug, Clone, Copy, PartialEq, Eq, EnumIter, DeriveActiveEnum, Serialize, Deserialize)]
#[sea_orm(rs_type = "String", db_type = "String(StringLen::N(32))")]
#[serde(rename_all = "snake_case")]
pub enum TokenPurpose {
    /// Setting the first password of an invited account.
    #[sea_orm(string_value = "activation")]
    Activation,
    /// Setting a new password after a reset request.
    #[sea_orm(string_value = "password_reset")]
    PasswordReset,
}

/// Minimum password length (SPEC: at least 10 characters).
pub const MIN_PASSWORD_CHARS: usize = 10;
/// Upper bound, so hashing cost stays bounded.
pub const MAX_PASSWORD_CHARS: usize = 256;

/// A login name: 3 to 64 characters of lower-case letters, digits, `.`, `_` and `-`.
/// Input is trimmed and lower-cased, so `Admin` and `admin` are one account.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Username(String);

impl Username {
    pub fn parse(raw: &str) -> Result<Self, FieldViolation> {
        let name = raw.trim().to_lowercase();
        let valid_chars = name
            .chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || "._-".contains(c));
        if !(3..=64).contains(&name.chars().count()) || !valid_chars {
            return Err(FieldViolation::new(
                "username",
                "account.username_format",
                "must be 3 to 64 characters: letters, digits, '.', '_' or '-'",
            ));
        }
        Ok(Self(name))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }

    pub fn into_inner(self) -> String {
        self.0
    }
}

/// Checks a new password against the rules: long enough, not absurdly long, not the username.
pub fn check_new_password(
    field: &str,
    password: &str,
    username: &str,
) -> Result<(), FieldViolation> {
    let chars = password.chars().count();
    if chars < MIN_PASSWORD_CHARS {
        return Err(FieldViolation::new(
            field,
            "password.too_short",
            format!("must be at least {MIN_PASSWORD_CHARS} characters"),
        ));
    }
    if chars > MAX_PASSWORD_CHARS {
        return Err(FieldViolation::new(
            field,
            "password.too_long",
            format!("must be at most {MAX_PASSWORD_CHARS} characters"),
        ));
    }
    if password.trim().eq_ignore_ascii_case(username.trim()) {
        return Err(FieldViolation::new(
            field,
            "password.equals_username",
            "must not be the username",
        ));
    }
    Ok(())
}

/// An e-mail address, trimmed and with its domain lower-cased.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Email(String);

impl Email {
    pub fn parse(raw: &str) -> Result<Self, FieldViolation> {
        let invalid =
            || FieldViolation::new("email", "email.invalid", "is not a valid e-mail address");
        let trimmed = raw.trim();
        let (local, domain) = trimmed.rsplit_once('@').ok_or_else(invalid)?;
        let domain_ok = domain.contains('.')
            && !domain.starts_with('.')
            && !domain.ends_with('.')
            && domain.split('.').all(|label| !label.is_empty());
        if local.is_empty()
            || trimmed.len() > 254
            || !domain_ok
            || trimmed
                .chars()
                .any(|c| c.is_whitespace() || c.is_control() || "<>(),;:\"[]".contains(c))
        {
            return Err(invalid());
        }
        Ok(Self(format!("{local}@{}", domain.to_lowercase())))
    }

    pub fn into_inner(self) -> String {
        self.0
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn usernames_are_trimmed_lower_cased_and_checked() {
        assert_eq!(Username::parse("  Admin ").unwrap().as_str(), "admin");
        assert_eq!(
            Username::parse("li.wei_02-x").unwrap().as_str(),
            "li.wei_02-x"
        );
        for bad in ["ab", "has space", "李伟", "semi;colon", &"a".repeat(65)] {
            assert!(Username::parse(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn passwords_need_ten_characters_and_must_differ_from_the_username() {
        assert!(check_new_password("password", "correct horse", "admin").is_ok());
        assert!(check_new_password("password", "short", "admin").is_err());
        assert!(check_new_password("password", "officer-one", "officer-one").is_err());
        assert!(check_new_password("password", "OFFICER-ONE", "officer-one").is_err());
        assert!(
            check_new_password("password", "密码密码密码密码密码", "admin").is_ok(),
            "ten characters, not bytes"
        );
        assert_eq!(
            check_new_password("new_password", "x", "a")
                .unwrap_err()
                .field,
            "new_password"
        );
    }

    #[test]
    fn emails_are_checked_and_their_domain_lower_cased() {
        assert_eq!(
            Email::parse(" Li.Wei@Example.CN ").unwrap().into_inner(),
            "Li.Wei@example.cn"
        );
        for bad in [
            "",
            "no-at",
            "@example.cn",
            "a@b",
            "a@.cn",
            "a b@example.cn",
            "a@example..cn",
            "<a@b.cn>",
        ] {
            assert!(Email::parse(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn roles_parse_from_their_snake_case_names() {
        for role in [
            Role::BureauAdmin,
            Role::StreetOfficer,
            Role::Member,
            Role::Auditor,
        ] {
            assert_eq!(role.as_str().parse::<Role>().unwrap(), role);
        }
        assert!("admin".parse::<Role>().is_err());
    }
}
