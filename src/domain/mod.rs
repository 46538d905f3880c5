//! Pure domain rules: no I/O, no framework types. Values are parsed here at the edge so services
//! only ever receive checked data.

pub mod account;
pub mod careers;
pub mod hours;
pub mod id_number;
pub mod import;
pub mod person;
pub mod phone;
pub mod policy;
pub mod region;
pub mod text;
pub mod time;
pub mod training;

/// A rule broken by one field of an input, reported to the client as `{field, code, message}`:
/// `code` is the stable machine name of the rule (`session.too_long`) that clients translate,
/// `message` English prose for people reading logs and raw answers.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FieldViolation {
    pub field: String,
    pub code: &'static str,
    pub message: String,
}

impl FieldViolation {
    pub fn new(field: impl Into<String>, code: &'static str, message: impl Into<String>) -> Self {
        Self {
            field: field.into(),
            code,
            message: message.into(),
        }
    }
}
