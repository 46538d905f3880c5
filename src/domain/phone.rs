//! Mainland mobile numbers: `+86`/`86` prefix, spaces and hyphens stripped, then `1[3-9]` and 9
//! more digits.

use super::FieldViolation;

/// A normalised 11-digit mainland mobile number.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Phone(String);

impl Phone {
    pub fn parse(raw: &str) -> Result<Self, FieldViolation> {
        let compact: String = raw
            .chars()
            .filter(|c| !c.is_whitespace() && *c != '-')
            .collect();
        let digits = compact
            .strip_prefix("+86")
            .or_else(|| {
                if compact.len() == 13 {
                    compact.strip_prefix("86")
                } else {
                    None
                }
            })
            .unwrap_or(&compact);
        let bytes = digits.as_bytes();
        let valid = bytes.len() == 11
            && bytes.iter().all(u8::is_ascii_digit)
            && bytes[0] == b'1'
            && (b'3'..=b'9').contains(&bytes[1]);
        if valid {
            Ok(Self(digits.to_owned()))
        } else {
            Err(FieldViolation::new(
                "phone",
                "phone.invalid",
                "must be a mainland mobile number, e.g. 13812345678",
            ))
        }
    }

    pub fn into_inner(self) -> String {
        self.0
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn prefixes_spaces_and_hyphens_are_stripped() {
        for raw in [
            "13812345678",
            "+86 138 1234 5678",
            "86-138-1234-5678",
            "+8613812345678",
            " 138-1234-5678 ",
        ] {
            assert_eq!(
                Phone::parse(raw).unwrap().into_inner(),
                "13812345678",
                "{raw}"
            );
        }
    }

    #[test]
    fn other_numbers_are_refused() {
        for raw in [
            "12812345678",
            "1381234567",
            "138123456789",
            "0772-1234567",
            "1381234567a",
            "",
        ] {
            assert!(Phone::parse(raw).is_err(), "{raw}");
        }
    }
}
