//! Resident ID numbers (居民身份证号码, GB 11643-1999): 6-digit address code, birth date
//! `YYYYMMDD`, 3-digit sequence (odd: male, even: female) and a check character.
//!
//! The address code must be one of GB/T 2260, current or retired (`seeds/gb2260-codes.txt`).

use std::sync::OnceLock;

use chrono::NaiveDate;

use super::{FieldViolation, person::Gender};

const WEIGHTS: [u32; 17] = [7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2];
const CHECK_CHARS: &[u8; 11] = b"10X98765432";

/// Every GB/T 2260 address code that has ever named a place, one a line (`#` starts a comment).
const ADDRESS_CODES: &str = include_str!("../../seeds/gb2260-codes.txt");

/// The address codes of [`ADDRESS_CODES`], sorted, parsed on first use.
fn address_codes() -> &'static [u32] {
    static CODES: OnceLock<Vec<u32>> = OnceLock::new();
    CODES.get_or_init(|| {
        let mut codes: Vec<u32> = ADDRESS_CODES
            .lines()
            .map(|line| line.split('#').next().unwrap_or_default().trim())
            .filter(|code| !code.is_empty())
            .map(|code| match code.parse() {
                Ok(value) if code.len() == 6 => value,
                _ => panic!("gb2260-codes.txt: {code:?} is not a 6-digit code"),
            })
            .collect();
        codes.sort_unstable();
        codes.dedup();
        codes
    })
}

/// True when `code` (six digits) is a GB/T 2260 address code, current or retired, including
/// `810000`, `820000` and `830000` of the residence permits of Hong Kong, Macao and Taiwan
/// residents.
pub fn is_address_code(code: &str) -> bool {
    code.len() == 6
        && code.bytes().all(|b| b.is_ascii_digit())
        && code
            .parse()
            .is_ok_and(|value: u32| address_codes().binary_search(&value).is_ok())
}

/// The violation of a number whose first six digits are no GB/T 2260 address code.
fn unknown_region(code: &str) -> FieldViolation {
    FieldViolation::new(
        "id_number",
        "id_number.unknown_region",
        format!("the address code {code} (first six digits) names no place in GB/T 2260"),
    )
}

/// A checked 18-character resident ID number, upper-case.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct IdNumber {
    number: String,
    birth: NaiveDate,
}

impl IdNumber {
    /// Parses and checks a number. The first six digits must be a GB/T 2260 address code, retired
    /// ones too: residents keep the code of where and when their number was issued. `today` bounds
    /// the birth date.
    pub fn parse(raw: &str, today: NaiveDate) -> Result<Self, FieldViolation> {
        let invalid =
            |code: &'static str, message: &str| FieldViolation::new("id_number", code, message);
        let number = raw.trim().to_ascii_uppercase();
        if number.len() == 15 && number.bytes().all(|b| b.is_ascii_digit()) {
            return Err(invalid(
                "id_number.obsolete_15_digit",
                "15-digit ID numbers are obsolete: give the 18-character number",
            ));
        }
        if number.len() != 18 {
            return Err(invalid("id_number.length", "must be 18 characters"));
        }
        let bytes = number.as_bytes();
        if !bytes[..17].iter().all(u8::is_ascii_digit)
            || !(bytes[17].is_ascii_digit() || bytes[17] == b'X')
        {
            return Err(invalid(
                "id_number.format",
                "must be 17 digits followed by a digit or X",
            ));
        }
        let sum: u32 = bytes[..17]
            .iter()
            .zip(WEIGHTS)
            .map(|(b, w)| u32::from(b - b'0') * w)
            .sum();
        if CHECK_CHARS[(sum % 11) as usize] != bytes[17] {
            return Err(invalid(
                "id_number.checksum",
                "the check character does not match (GB 11643)",
            ));
        }
        if !is_address_code(&number[..6]) {
            return Err(unknown_region(&number[..6]));
        }
        let birth = NaiveDate::parse_from_str(&number[6..14], "%Y%m%d").map_err(|_| {
            invalid(
                "id_number.birth_date",
                "the birth date in the number is not a real date",
            )
        })?;
        if birth >= today {
            return Err(invalid(
                "id_number.birth_date",
                "the birth date in the number must be a past date",
            ));
        }
        if birth < super::time::EARLIEST_BIRTH {
            return Err(invalid(
                "id_number.birth_date",
                "the birth date in the number is before 1880: nobody alive was born then",
            ));
        }
        Ok(Self { number, birth })
    }

    pub fn as_str(&self) -> &str {
        &self.number
    }

    pub fn into_inner(self) -> String {
        self.number
    }

    pub fn birth_date(&self) -> NaiveDate {
        self.birth
    }

    pub fn gender(&self) -> Gender {
        let sequence = self.number.as_bytes()[16] - b'0';
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
        let ancient = with_check("45020318000101001");
        assert_eq!(
            IdNumber::parse(&ancient, today()).unwrap_err().code,
            "id_number.birth_date"
        );
        assert!(IdNumber::parse("440524188001010014", today()).is_ok());
    }

    #[test]
    fn current_and_retired_address_codes_are_accepted() {
        let yufeng = with_check("45020319900307123");
        let number = IdNumber::parse(&yufeng, today()).unwrap();
        assert_eq!(number.gender(), Gender::Male);
        assert!(IdNumber::parse(&with_check("65010219900307124"), today()).is_ok());
        // 潮阳县, retired in 1993, and 崇文区 of Beijing, retired in 2010.
        assert!(IdNumber::parse(&with_check("44052419900307123"), today()).is_ok());
        assert!(IdNumber::parse(&with_check("11010319900307123"), today()).is_ok());
        // Province- and prefecture-level codes.
        assert!(IdNumber::parse(&with_check("45000019900307123"), today()).is_ok());
        assert!(IdNumber::parse(&with_check("45020019900307123"), today()).is_ok());
    }

    #[test]
    fn residence_permits_of_hong_kong_macao_and_taiwan_residents_are_accepted() {
        for region in ["810000", "820000", "830000"] {
            let number = with_check(&format!("{region}19900307123"));
            assert!(IdNumber::parse(&number, today()).is_ok(), "{number}");
        }
    }

    #[test]
    fn an_address_code_that_names_no_place_is_refused() {
        // All zeros, a province that does not exist, a county that does not exist in Guangxi.
        for region in ["000000", "990101", "450299", "459999"] {
            let number = with_check(&format!("{region}19900307123"));
            let err = IdNumber::parse(&number, today()).unwrap_err();
            assert_eq!(err, unknown_region(region));
            assert_eq!(
                err.message,
                format!("the address code {region} (first six digits) names no place in GB/T 2260")
            );
        }
    }

    #[test]
    fn a_wrong_check_character_is_reported_before_the_address_code() {
        let err = IdNumber::parse("000000199003071230", today()).unwrap_err();
        assert!(err.message.contains("check"), "{}", err.message);
    }

    #[test]
    fn the_embedded_address_codes_are_sorted_unique_six_digit_codes() {
        let codes: Vec<&str> = ADDRESS_CODES
            .lines()
            .map(|line| line.split('#').next().unwrap_or_default().trim())
            .filter(|code| !code.is_empty())
            .collect();
        assert!(
            codes
                .iter()
                .all(|code| code.len() == 6 && is_address_code(code))
        );
        assert!(
            codes.windows(2).all(|pair| pair[0] < pair[1]),
            "sorted, no repeats"
        );
        assert_eq!(address_codes().len(), codes.len());
        assert!(is_address_code("450203"));
        assert!(!is_address_code("45020"));
        assert!(!is_address_code("+45020"));
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
