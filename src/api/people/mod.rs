//! `/people`: enrolment, reading and changing people, and subject access (this file), their
//! qualifications (`qualifications`), and the bodies both use (`dto`).

mod dto;
mod qualifications;

pub use dto::*;
pub use qualifications::QualificationsApi;

use poem_openapi::{
    OpenApi,
    param::{Header, Path, Query},
    payload::Json,
};

use super::{
    ApiTags, Page, accounts::maybe, auth::BearerAuth, expected_version, json::JsonBody,
    pagination::page_request,
};
use crate::{
    app::AppState,
    domain::careers::RegistrationStanding,
    domain::{
        Violations,
        account::Email,
        id_number::IdNumber,
        person::{Grade, PersonStatus, QualificationKind},
        phone::Phone,
        time::today,
    },
    error::AppError,
    services::people::{self, NewPerson, PersonChanges, PersonFilter},
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
        // Parsed here, at the edge: the service only ever sees checked identity values.
        let mut violations = Violations::default();
        let id_number = violations.check(IdNumber::parse(&body.id_number, today()));
        let phone = violations.check(Phone::parse(&body.phone));
        let email = violations.check_some(body.email.as_deref(), Email::parse);
        let (Some(id_number), Some(phone), Some(email)) = (id_number, phone, email) else {
            return Err(violations.into());
        };
        let new = NewPerson {
            name: body.name,
            gender: body.gender,
            birth_date: body.birth_date,
            id_number,
            phone,
            email,
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
        let mut violations = Violations::default();
        let phone = violations.check_some(body.phone.as_deref(), Phone::parse);
        let id_number =
            violations.check_some(body.id_number.as_deref(), |n| IdNumber::parse(n, today()));
        let email = match maybe(body.email) {
            Some(Some(raw)) => violations.check(Email::parse(&raw)).map(|e| Some(Some(e))),
            Some(None) => Some(Some(None)),
            None => Some(None),
        };
        let (Some(phone), Some(id_number), Some(email)) = (phone, id_number, email) else {
            return Err(violations.into());
        };
        let changes = PersonChanges {
            name: body.name,
            phone,
            email,
            specialties: body.specialties.map(|codes| specialties(codes, &licences)),
            status: body.status,
            street_id: body.street_id,
            id_number,
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
}
