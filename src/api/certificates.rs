//! Service certificates: `GET /people/{id}/certificate` (printable HTML) and the public
//! `GET /certificates/{code}` that confirms one.

use chrono::{DateTime, NaiveDate, Utc};
use poem_openapi::{
    Object, OpenApi,
    param::{Path, Query},
    payload::{Html, Json},
};

use super::{ApiTags, auth::BearerAuth};
use crate::{app::AppState, domain::hours::hours, error::AppError, services::certificates};

pub struct CertificatesApi {
    state: AppState,
}

impl CertificatesApi {
    pub fn new(state: &AppState) -> Self {
        Self {
            state: state.clone(),
        }
    }
}

/// What a certificate's verification code confirms, without the person's full name or ID number.
#[derive(Object)]
pub struct CertificateCheck {
    pub code: String,
    /// The certificate number printed on it.
    pub number: Option<String>,
    /// The person's name, masked after its first character.
    pub name: String,
    pub period_from: NaiveDate,
    pub period_to: NaiveDate,
    pub hours: f64,
    pub sessions: i32,
    pub issuer: String,
    pub issued_at: DateTime<Utc>,
}

#[OpenApi(tag = "ApiTags::ServiceSessions")]
impl CertificatesApi {
    /// Issue a service certificate
    ///
    /// A printable HTML page (志愿服务记录证明) of the person's approved sessions from `from` to `to`
    /// (district days; default the current year up to today), with a unique number and a
    /// verification code and URL. For the bureau, the person and the officers of the person's street.
    #[oai(
        path = "/people/:id/certificate",
        method = "get",
        operation_id = "issue_certificate"
    )]
    async fn issue(
        &self,
        auth: BearerAuth,
        id: Path<i32>,
        from: Query<Option<NaiveDate>>,
        to: Query<Option<NaiveDate>>,
    ) -> Result<Html<String>, AppError> {
        let issued = certificates::issue(
            &self.state.db,
            &auth.0,
            id.0,
            super::params::day("from", from.0)?,
            super::params::day("to", to.0)?,
            &self.state.config.public_url,
        )
        .await?;
        Ok(Html(certificates::render(&issued)))
    }

    /// Verify a certificate
    ///
    /// Open to everyone: confirms the masked name, period and hours of the certificate with this
    /// code; an unknown code is a 404.
    #[oai(
        path = "/certificates/:code",
        method = "get",
        operation_id = "verify_certificate"
    )]
    async fn verify(
        &self,
        #[oai(validator(max_length = 64))] code: Path<String>,
    ) -> Result<Json<CertificateCheck>, AppError> {
        let verified = certificates::verify(&self.state.db, &code.0).await?;
        let c = verified.certificate;
        Ok(Json(CertificateCheck {
            code: c.code,
            number: c.number,
            name: verified.masked_name,
            period_from: c.period_from,
            period_to: c.period_to,
            hours: hours(i64::from(c.quarters)),
            sessions: c.sessions,
            issuer: c.issuer,
            issued_at: c.issued_at,
        }))
    }
}
