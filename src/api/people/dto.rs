//! The people endpoints' request and response bodies.

use chrono::{DateTime, NaiveDate, Utc};
use poem_openapi::{ApiResponse, Object, payload::Json, types::MaybeUndefined};

use crate::api::careers::GradeEligibility;
use crate::{
    domain::{
        id_number::mask,
        person::{Employment, Gender, Grade, PersonStatus, QualificationKind, QualificationStatus},
    },
    entities::qualification,
    services::{
        eligibility::Eligibility,
        people::{PersonView, Specialty},
    },
};

/// A licence number for a high-risk specialty (swimming, climbing ...).
#[derive(Debug, Clone, Object)]
#[oai(deny_unknown_fields)]
pub struct SpecialtyLicence {
    /// The sport item code.
    #[oai(validator(max_length = 64))]
    pub sport_item: String,
    /// The vocational licence number.
    #[oai(validator(max_length = 64))]
    pub licence_no: String,
}

/// A person in the registry.
#[derive(Debug, Object)]
pub struct Person {
    pub id: i32,
    pub name: String,
    pub gender: Gender,
    pub birth_date: NaiveDate,
    /// The full number for the bureau and the person; `450203********123X` for everyone else.
    pub id_number: String,
    /// Whether `id_number` is masked.
    pub id_number_masked: bool,
    pub phone: String,
    pub email: Option<String>,
    pub street_id: i32,
    /// Sport item codes the person can teach.
    pub specialties: Vec<String>,
    /// Licence numbers of high-risk specialties.
    pub specialty_licences: Vec<SpecialtyLicence>,
    pub status: PersonStatus,
    pub qualifications: Vec<Qualification>,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
    /// Optimistic-lock version, sent back with updates.
    pub version: i32,
}

impl From<PersonView> for Person {
    fn from(view: PersonView) -> Self {
        let p = view.person;
        Self {
            id: p.id,
            name: p.name,
            gender: p.gender,
            birth_date: p.birth_date,
            id_number: if view.reveal_id_number {
                p.id_number
            } else {
                mask(&p.id_number)
            },
            id_number_masked: !view.reveal_id_number,
            phone: p.phone,
            email: p.email,
            street_id: p.street_id,
            specialties: view
                .specialties
                .iter()
                .map(|s| s.sport_item.clone())
                .collect(),
            specialty_licences: view
                .specialties
                .into_iter()
                .filter_map(|s| {
                    s.licence_no.map(|licence_no| SpecialtyLicence {
                        sport_item: s.sport_item,
                        licence_no,
                    })
                })
                .collect(),
            status: p.status,
            qualifications: view
                .qualifications
                .into_iter()
                .map(Qualification::from)
                .collect(),
            created_at: p.created_at,
            updated_at: p.updated_at,
            version: p.version,
        }
    }
}

/// A qualification: instructor (with grade), volunteer, scientific fitness instructor or
/// administrator (full- or part-time).
#[derive(Debug, Object)]
pub struct Qualification {
    pub id: i32,
    pub kind: QualificationKind,
    /// Social sports instructors only.
    pub grade: Option<Grade>,
    pub certificate_no: Option<String>,
    pub certified_on: NaiveDate,
    /// Administrators only.
    pub employment: Option<Employment>,
    /// Who granted it, for grades granted outside the district.
    pub issued_by: Option<String>,
    pub status: QualificationStatus,
    pub revoked_at: Option<DateTime<Utc>>,
    pub revoke_reason: Option<String>,
    /// The day the current grade was granted (instructors).
    pub grade_granted_on: Option<NaiveDate>,
    /// The eligibility for the current grade as judged on the day it was recorded. Grades granted
    /// outside the district are recorded whatever it says, so a mismatch shows here.
    pub eligibility_at_grant: Option<GradeEligibility>,
    pub version: i32,
}

impl From<qualification::Model> for Qualification {
    fn from(q: qualification::Model) -> Self {
        Self {
            id: q.id,
            kind: q.kind,
            grade: q.grade,
            certificate_no: q.certificate_no,
            certified_on: q.certified_on,
            employment: q.employment,
            issued_by: q.issued_by,
            status: q.status,
            revoked_at: q.revoked_at,
            revoke_reason: q.revoke_reason,
            grade_granted_on: q
                .grade
                .map(|_| q.grade_granted_on.unwrap_or(q.certified_on)),
            eligibility_at_grant: q
                .eligibility_at_grant
                .as_deref()
                .and_then(|json| serde_json::from_str::<Eligibility>(json).ok())
                .map(GradeEligibility::from),
            version: q.version,
        }
    }
}

/// A person to enrol.
#[derive(Object)]
#[oai(deny_unknown_fields)]
pub struct NewPersonRequest {
    #[oai(validator(max_length = 100))]
    pub name: String,
    /// Checked against the ID number; derived from it when absent.
    pub gender: Option<Gender>,
    /// Checked against the ID number; derived from it when absent.
    pub birth_date: Option<NaiveDate>,
    /// 18 characters (GB 11643); any region prefix.
    #[oai(validator(max_length = 32))]
    pub id_number: String,
    /// A mainland mobile number; `+86`, spaces and hyphens are stripped.
    #[oai(validator(max_length = 32))]
    pub phone: String,
    #[oai(validator(max_length = 254))]
    pub email: Option<String>,
    /// Required for the bureau; officers enrol into their own street.
    pub street_id: Option<i32>,
    /// Sport item codes.
    #[oai(default)]
    pub specialties: Vec<String>,
    /// Licence numbers, required for high-risk specialties.
    #[oai(default)]
    pub specialty_licences: Vec<SpecialtyLicence>,
}

/// Changes to a person; absent fields stay as they are.
#[derive(Object)]
#[oai(deny_unknown_fields)]
pub struct PersonPatch {
    #[oai(validator(max_length = 100))]
    pub name: Option<String>,
    #[oai(validator(max_length = 32))]
    pub phone: Option<String>,
    /// `null` removes it.
    #[oai(validator(max_length = 254))]
    pub email: MaybeUndefined<String>,
    /// Replaces the specialties.
    pub specialties: Option<Vec<String>>,
    /// Licences for the new specialties.
    pub specialty_licences: Option<Vec<SpecialtyLicence>>,
    /// Leaving `active` ends the person's open assignments today.
    pub status: Option<PersonStatus>,
    /// Bureau only: moves the person to another street.
    pub street_id: Option<i32>,
    /// Bureau only: corrects the number; birth date and gender follow it.
    #[oai(validator(max_length = 32))]
    pub id_number: Option<String>,
    /// The version read; a stale one gets 409. `If-Match` works too.
    pub version: Option<i64>,
}

/// A qualification to record.
#[derive(Object)]
#[oai(deny_unknown_fields)]
pub struct NewQualificationRequest {
    pub kind: QualificationKind,
    /// Required for social sports instructors; officers record `third` only. Granting `third`
    /// (the district's own grant) needs the person to be eligible on `certified_on` (see
    /// `GET /people/{id}/eligibility`), else 422 naming each unmet requirement; `second` and above
    /// are granted outside the district and need `issued_by` and `certificate_no`.
    pub grade: Option<Grade>,
    #[oai(validator(max_length = 64))]
    pub certificate_no: Option<String>,
    pub certified_on: NaiveDate,
    /// Required for administrators.
    pub employment: Option<Employment>,
    #[oai(validator(max_length = 128))]
    pub issued_by: Option<String>,
}

/// Changes to a qualification: a grade promotion, a correction, or a revocation with a reason.
#[derive(Object)]
#[oai(deny_unknown_fields)]
pub struct QualificationPatch {
    /// A promotion. `second` and above are granted outside the district: record `issued_by` and
    /// `certificate_no` with it. Grades are never lowered.
    pub grade: Option<Grade>,
    /// The day the new grade was granted; defaults to today.
    pub granted_on: Option<NaiveDate>,
    #[oai(validator(max_length = 64))]
    pub certificate_no: MaybeUndefined<String>,
    pub employment: Option<Employment>,
    #[oai(validator(max_length = 128))]
    pub issued_by: MaybeUndefined<String>,
    /// `revoked` revokes it (a reason is required) and ends the person's assignments in that role.
    pub status: Option<QualificationStatus>,
    #[oai(validator(max_length = 500))]
    pub reason: Option<String>,
    /// The version read; a stale one gets 409.
    pub version: Option<i64>,
}

#[derive(ApiResponse)]
pub enum NoContent {
    /// Done.
    #[oai(status = 204)]
    Done,
}

#[derive(ApiResponse)]
pub enum CreatedPerson {
    /// The person was enrolled.
    #[oai(status = 201)]
    Created(Json<Person>),
}

#[derive(ApiResponse)]
pub enum CreatedQualification {
    /// The qualification was recorded.
    #[oai(status = 201)]
    Created(Json<Qualification>),
}

/// Specialty codes with the licences given for them.
pub(super) fn specialties(codes: Vec<String>, licences: &[SpecialtyLicence]) -> Vec<Specialty> {
    codes
        .into_iter()
        .map(|code| Specialty {
            licence_no: licences
                .iter()
                .find(|l| l.sport_item == code)
                .map(|l| l.licence_no.clone()),
            sport_item: code,
        })
        .collect()
}
