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
pub mod time;
pub mod training;

/// A rule broken by one field of an input, reported to the client as `{field, message}`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FieldViolation {
    pub field: String,
    pub message: String,
}

impl FieldViolation {
    pub fn new(field: impl Into<String>, message: impl Into<String>) -> Self {
        Self {
            field: field.into(),
            message: message.into(),
        }
    }
}
