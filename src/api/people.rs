//! `/people`: enrolment, reading and changing people, their qualifications, and subject access.

use chrono::{DateTime, NaiveDate, Utc};
use poem_openapi::{
    ApiResponse, Object, OpenApi,
    param::{Header, Path, Query},
    payload::Json,
    types::MaybeUndefined,
};

use super::{
    ApiTags, Page, accounts::maybe, auth::BearerAuth, careers::GradeEligibility, expected_version,
    json::JsonBody, pagination::page_request,
};
use crate::{
    app::AppState,
    domain::careers::RegistrationStanding,
    domain::{
        id_number::mask,
        person::{Employment, Gender, Grade, PersonStatus, QualificationKind, QualificationStatus},
    },
    entities::qualification,
    error::AppError,
    services::{
        eligibility::Eligibility,
        people::{self, NewPerson, PersonChanges, PersonFilter, PersonView, Specialty},
        qualifications::{self, NewQualification, QualificationChanges},
    },
};

pub struct PeopleApi {
    state: AppState,
}

impl PeopleApi {
    pub fn new(state: &AppState) -> Self {
        Self {
            state: state.clone(),
        }
    }
}

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

fn specialties(codes: Vec<String>, licences: &[SpecialtyLicence]) -> Vec<Specialty> {
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

#[OpenApi(tag = "ApiTags::People")]
impl PeopleApi {
    /// Enrol a person
    ///
    /// The ID number must pass the GB 11643 check and agree with the birth date and gender; it is
    /// unique (409). Officers enrol into their own street.
    #[oai(path = "/people", method = "post", operation_id = "create_person")]
    async fn create(
        &self,
        auth: BearerAuth,
        body: JsonBody<NewPersonRequest>,
    ) -> Result<CreatedPerson, AppError> {
        let body = body.0;
        let new = NewPerson {
            name: body.name,
            gender: body.gender,
            birth_date: body.birth_date,
            id_number: body.id_number,
            phone: body.phone,
            email: body.email,
            street_id: body.street_id,
            specialties: specialties(body.specialties, &body.specialty_licences),
        };
        Ok(CreatedPerson::Created(Json(
            people::create(&self.state.db, &auth.0, new).await?.into(),
        )))
    }

    /// List people
    ///
    /// Within the caller's scope. ID numbers are masked in lists; read one person for the full
    /// number.
    #[oai(path = "/people", method = "get", operation_id = "list_people")]
    async fn list(
        &self,
        auth: BearerAuth,
        /// Part of the name, part of the phone number, or the full ID number.
        #[oai(validator(max_length = 100))]
        q: Query<Option<String>>,
        street_id: Query<Option<i32>>,
        /// People assigned to this community today.
        community_id: Query<Option<i32>>,
        /// People holding an active qualification of this kind.
        role: Query<Option<QualificationKind>>,
        /// Instructors of this grade.
        grade: Query<Option<Grade>>,
        status: Query<Option<PersonStatus>>,
        /// People with this sport item as a specialty.
        #[oai(validator(max_length = 64))]
        specialty: Query<Option<String>>,
        /// Instructors `current` with this year's work registration, or `lapsed` (no approved
        /// registration for this year once it closed on 31 March).
        registration: Query<Option<RegistrationStanding>>,
        /// Page number, from 1 to 100000.
        #[oai(validator(minimum(value = "1"), maximum(value = "100000")))]
        page: Query<Option<u64>>,
        /// Items per page, 1 to 200 (default 50).
        #[oai(validator(minimum(value = "1"), maximum(value = "200")))]
        per_page: Query<Option<u64>>,
    ) -> Result<Json<Page<Person>>, AppError> {
        let filter = PersonFilter {
            q: q.0,
            street_id: street_id.0,
            community_id: community_id.0,
            role: role.0,
            grade: grade.0,
            status: status.0,
            specialty: specialty.0,
            registration: registration.0,
        };
        let paged = people::list(
            &self.state.db,
            &auth.0,
            &filter,
            page_request(page.0, per_page.0),
        )
        .await?;
        Ok(Json(Page::from_paged(paged, Person::from)))
    }

    /// Get a person
    ///
    /// The bureau and the person see the full ID number, and that read is recorded in the audit
    /// log (`read_id_number`).
    #[oai(path = "/people/:id", method = "get", operation_id = "get_person")]
    async fn get(&self, auth: BearerAuth, id: Path<i32>) -> Result<Json<Person>, AppError> {
        Ok(Json(
            people::get(&self.state.db, &auth.0, id.0).await?.into(),
        ))
    }

    /// Change a person
    #[oai(path = "/people/:id", method = "patch", operation_id = "update_person")]
    async fn update(
        &self,
        auth: BearerAuth,
        id: Path<i32>,
        /// The version read, as an alternative to the body's `version`.
        #[oai(name = "If-Match")]
        if_match: Header<Option<String>>,
        body: JsonBody<PersonPatch>,
    ) -> Result<Json<Person>, AppError> {
        let body = body.0;
        let licences = body.specialty_licences.unwrap_or_default();
        let changes = PersonChanges {
            name: body.name,
            phone: body.phone,
            email: maybe(body.email),
            specialties: body.specialties.map(|codes| specialties(codes, &licences)),
            status: body.status,
            street_id: body.street_id,
            id_number: body.id_number,
            expected_version: expected_version(if_match.0.as_deref(), body.version)?,
        };
        Ok(Json(
            people::update(&self.state.db, &auth.0, id.0, changes)
                .await?
                .into(),
        ))
    }

    /// Everything held on a person
    ///
    /// Subject access: one JSON document with the person, specialties, qualifications,
    /// assignments and accounts. For the bureau and the person.
    #[oai(
        path = "/people/:id/data-export",
        method = "get",
        operation_id = "export_person_data"
    )]
    async fn data_export(
        &self,
        auth: BearerAuth,
        id: Path<i32>,
    ) -> Result<Json<serde_json::Value>, AppError> {
        Ok(Json(
            people::data_export(&self.state.db, &auth.0, id.0).await?,
        ))
    }

    /// Record a qualification
    ///
    /// The person must be old enough on `certified_on` (policy `min_age`) and not hold an active
    /// qualification of that kind already.
    #[oai(
        path = "/people/:id/qualifications",
        method = "post",
        operation_id = "create_qualification"
    )]
    async fn add_qualification(
        &self,
        auth: BearerAuth,
        id: Path<i32>,
        body: JsonBody<NewQualificationRequest>,
    ) -> Result<CreatedQualification, AppError> {
        let body = body.0;
        let new = NewQualification {
            kind: body.kind,
            grade: body.grade,
            certificate_no: body.certificate_no,
            certified_on: body.certified_on,
            employment: body.employment,
            issued_by: body.issued_by,
        };
        let created = qualifications::add(&self.state.db, &auth.0, id.0, new).await?;
        Ok(CreatedQualification::Created(Json(created.into())))
    }

    /// Change or revoke a qualification
    #[oai(
        path = "/people/:id/qualifications/:qid",
        method = "patch",
        operation_id = "update_qualification"
    )]
    async fn update_qualification(
        &self,
        auth: BearerAuth,
        id: Path<i32>,
        /// The qualification's id.
        qid: Path<i32>,
        body: JsonBody<QualificationPatch>,
    ) -> Result<Json<Qualification>, AppError> {
        let body = body.0;
        let changes = QualificationChanges {
            grade: body.grade,
            granted_on: body.granted_on,
            certificate_no: maybe(body.certificate_no),
            employment: body.employment,
            issued_by: maybe(body.issued_by),
            status: body.status,
            reason: body.reason,
            expected_version: body.version,
        };
        Ok(Json(
            qualifications::update(&self.state.db, &auth.0, id.0, qid.0, changes)
                .await?
                .into(),
        ))
    }
}
