//! Resident ID numbers (居民身份证号码, GB 11643-1999): 6-digit address code, birth date
//! `YYYYMMDD`, 3-digit sequence (odd: male, even: female) and a check character.

use chrono::NaiveDate;

use super::{FieldViolation, person::Gender};

const WEIGHTS: [u32; 17] = [7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2];
const CHECK_CHARS: &[u8; 11] = b"10X98765432";

/// A checked 18-character resident ID number, upper-case.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct IdNumber(String);

impl IdNumber {
    /// Parses and checks a number. Any region prefix is accepted: residents keep the code of
    /// where their number was issued. `today` bounds the birth date.
    pub fn parse(raw: &str, today: NaiveDate) -> Result<Self, FieldViolation> {
        let invalid = |message: &str| FieldViolation::new("id_number", message);
        let number = raw.trim().to_ascii_uppercase();
        if number.len() == 15 && number.bytes().all(|b| b.is_ascii_digit()) {
            return Err(invalid(
                "15-digit ID numbers are obsolete: give the 18-character number",
            ));
        }
        if number.len() != 18 {
            return Err(invalid("must be 18 characters"));
        }
        let bytes = number.as_bytes();
        if !bytes[..17].iter().all(u8::is_ascii_digit)
            || !(bytes[17].is_ascii_digit() || bytes[17] == b'X')
        {
            return Err(invalid("must be 17 digits followed by a digit or X"));
        }
        let sum: u32 = bytes[..17]
            .iter()
            .zip(WEIGHTS)
            .map(|(b, w)| u32::from(b - b'0') * w)
            .sum();
        if CHECK_CHARS[(sum % 11) as usize] != bytes[17] {
            return Err(invalid("the check character does not match (GB 11643)"));
        }
        let birth = NaiveDate::parse_from_str(&number[6..14], "%Y%m%d")
            .map_err(|_| invalid("the birth date in the number is not a real date"))?;
        if birth >= today {
            return Err(invalid("the birth date in the number must be a past date"));
        }
        Ok(Self(number))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }

    pub fn into_inner(self) -> String {
        self.0
    }

    pub fn birth_date(&self) -> NaiveDate {
        NaiveDate::parse_from_str(&self.0[6..14], "%Y%m%d").expect("checked on parse")
    }

    pub fn gender(&self) -> Gender {
        let sequence = self.0.as_bytes()[16] - b'0';
        if sequence % 2 == 1 {
            Gender::Male
        } else {
            Gender::Female
        }
    }
}

/// The form others see: the first 6 and last 4 characters kept, e.g. `450203********123X`.
pub fn mask(number: &str) -> String {
    if number.len() != 18 || !number.is_ascii() {
        return "*".repeat(number.chars().count());
    }
    format!("{}{}{}", &number[..6], "*".repeat(8), &number[14..])
}

#[cfg(test)]
mod tests {
    use super::*;

    fn today() -> NaiveDate {
        NaiveDate::from_ymd_opt(2026, 11, 29).unwrap()
    }

    #[test]
    fn the_standard_test_vectors_are_valid() {
        let a = IdNumber::parse("11010519491231002X", today()).unwrap();
        assert_eq!(
            a.birth_date(),
            NaiveDate::from_ymd_opt(1949, 12, 31).unwrap()
        );
        assert_eq!(a.gender(), Gender::Female);
        let b = IdNumber::parse("440524188001010014", today()).unwrap();
        assert_eq!(b.birth_date(), NaiveDate::from_ymd_opt(1880, 1, 1).unwrap());
        assert_eq!(b.gender(), Gender::Male);
    }

    #[test]
    fn a_lower_case_x_is_accepted_and_stored_upper() {
        assert_eq!(
            IdNumber::parse(" 11010519491231002x ", today())
                .unwrap()
                .as_str(),
            "11010519491231002X"
        );
    }

    #[test]
    fn a_wrong_check_character_is_refused() {
        let err = IdNumber::parse("110105194912310021", today()).unwrap_err();
        assert!(err.message.contains("check"), "{}", err.message);
    }

    #[test]
    fn fifteen_digit_numbers_are_refused_with_a_clear_message() {
        let err = IdNumber::parse("110105491231002", today()).unwrap_err();
        assert!(err.message.contains("15-digit"));
    }

    #[test]
    fn impossible_or_future_birth_dates_are_refused() {
        // 1949-02-30 with a correct check digit would still not be a date.
        assert!(IdNumber::parse("110105194902300027", today()).is_err());
        let future = with_check("45020320300101001");
        assert!(
            IdNumber::parse(&future, today())
                .unwrap_err()
                .message
                .contains("past")
        );
    }

    #[test]
    fn any_region_prefix_is_accepted() {
        let yufeng = with_check("45020319900307123");
        let number = IdNumber::parse(&yufeng, today()).unwrap();
        assert_eq!(number.gender(), Gender::Male);
        assert!(IdNumber::parse(&with_check("65010219900307124"), today()).is_ok());
    }

    #[test]
    fn masking_keeps_the_first_six_and_last_four() {
        assert_eq!(mask("45020319900307123X"), "450203********123X");
    }

    /// Appends the right check character, for building test numbers.
    fn with_check(first17: &str) -> String {
        let sum: u32 = first17
            .bytes()
            .zip(WEIGHTS)
            .map(|(b, w)| u32::from(b - b'0') * w)
            .sum();
        format!("{first17}{}", CHECK_CHARS[(sum % 11) as usize] as char)
    }

    #[test]
    fn the_1880_vector_has_a_valid_check_character() {
        assert_eq!(with_check("44052418800101001"), "440524188001010014");
    }
}
