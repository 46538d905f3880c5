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

/// Collects the violations of several values parsed one after the other, so one answer can name
/// every field at fault.
#[derive(Debug, Default)]
pub struct Violations(Vec<FieldViolation>);

impl Violations {
    /// The parsed value, or `None` with its violation kept.
    pub fn check<T>(&mut self, parsed: Result<T, FieldViolation>) -> Option<T> {
        parsed.map_err(|v| self.0.push(v)).ok()
    }

    /// An optional value parsed when present.
    pub fn check_some<R, T>(
        &mut self,
        raw: Option<R>,
        parse: impl FnOnce(R) -> Result<T, FieldViolation>,
    ) -> Option<Option<T>> {
        match raw {
            None => Some(None),
            Some(raw) => self.check(parse(raw)).map(Some),
        }
    }

    pub fn push(&mut self, violation: FieldViolation) {
        self.0.push(violation);
    }

    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    pub fn into_vec(self) -> Vec<FieldViolation> {
        self.0
    }

    /// `Ok` when nothing was at fault, else every violation.
    pub fn finish(self) -> Result<(), Vec<FieldViolation>> {
        if self.0.is_empty() {
            Ok(())
        } else {
            Err(self.0)
        }
    }
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
