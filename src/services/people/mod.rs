//! The people registry: enrolling (`create`), changing (`update`), listing and filtering
//! (`query`), privacy (full ID numbers only for the bureau and the person, every such read
//! audited, and subject access: `privacy`) and specialties (`specialties`).

mod create;
mod privacy;
mod query;
mod specialties;
mod update;

use chrono::NaiveDate;

pub use create::create;
pub use privacy::{data_export, get, record_id_number_read};
pub use query::{
    Registered, filtered, list, load_qualifications, load_specialties, names, registered,
};
pub use specialties::{MAX_SPECIALTIES, check_specialties};
pub use update::update;

use crate::{
    domain::{
        account::Email,
        careers::RegistrationStanding,
        id_number::IdNumber,
        person::{Gender, Grade, PersonStatus, QualificationKind},
        phone::Phone,
    },
    entities::{person, person_specialty, qualification},
};

/// A specialty as asked for: a sport item code and, for high-risk items, a licence number.
#[derive(Debug, Clone)]
pub struct Specialty {
    pub sport_item: String,
    pub licence_no: Option<String>,
}

#[derive(Debug, Clone)]
pub struct NewPerson {
    pub name: String,
    pub gender: Option<Gender>,
    pub birth_date: Option<NaiveDate>,
    pub id_number: IdNumber,
    pub phone: Phone,
    pub email: Option<Email>,
    /// Officers enrol into their own street; the bureau names one.
    pub street_id: Option<i32>,
    pub specialties: Vec<Specialty>,
}

#[derive(Debug, Clone, Default)]
pub struct PersonChanges {
    pub name: Option<String>,
    pub phone: Option<Phone>,
    /// `Some(None)` removes the address.
    pub email: Option<Option<Email>>,
    pub specialties: Option<Vec<Specialty>>,
    pub status: Option<PersonStatus>,
    /// Bureau only: moves the person to another street.
    pub street_id: Option<i32>,
    /// Bureau only: corrects a mistyped number (birth date and gender follow it).
    pub id_number: Option<IdNumber>,
    pub expected_version: Option<i64>,
}

#[derive(Debug, Clone, Default)]
pub struct PersonFilter {
    /// Name (part), phone (part) or full ID number.
    pub q: Option<String>,
    pub street_id: Option<i32>,
    /// People assigned there today.
    pub community_id: Option<i32>,
    /// People holding an active qualification of this kind.
    pub role: Option<QualificationKind>,
    pub grade: Option<Grade>,
    pub status: Option<PersonStatus>,
    pub specialty: Option<String>,
    /// Instructors current or lapsed with this year's work registration.
    pub registration: Option<RegistrationStanding>,
}

/// A person with their specialties and qualifications.
#[derive(Debug, Clone)]
pub struct PersonView {
    pub person: person::Model,
    pub specialties: Vec<person_specialty::Model>,
    pub qualifications: Vec<qualification::Model>,
    /// Whether the caller may see the full ID number.
    pub reveal_id_number: bool,
}
