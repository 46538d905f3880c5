//! `/people/{id}/qualifications`: recording, promoting and revoking qualifications.

use poem_openapi::{OpenApi, param::Path, payload::Json};

use super::super::{ApiTags, accounts::maybe, auth::BearerAuth, json::JsonBody};
use super::dto::*;
use crate::{
    app::AppState,
    error::AppError,
    services::qualifications::{self, NewQualification, QualificationChanges},
};

pub struct QualificationsApi {
    state: AppState,
}

impl QualificationsApi {
    pub fn new(state: &AppState) -> Self {
        Self {
            state: state.clone(),
        }
    }
}

#[OpenApi(tag = "ApiTags::People")]
impl QualificationsApi {
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
