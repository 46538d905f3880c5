//! Service certificates: `GET /people/{id}/certificate` (printable HTML) and the public
//! `GET /certificates/{code}` that confirms one.

use chrono::{DateTime, NaiveDate, Utc};
use poem_openapi::{
    ApiResponse, Object, OpenApi,
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
    /// Whether the registry still holds what the certificate states for its period. A session
    /// revoked or corrected since makes it `false`: the certificate no longer matches the record.
    pub matches_record: bool,
    /// The approved hours the record holds for the period now.
    pub record_hours: f64,
    /// The approved sessions the record holds for the period now.
    pub record_sessions: i32,
}

/// The printable page, with the content security policy that lets its own style apply.
#[derive(ApiResponse)]
pub enum CertificatePage {
    /// The certificate.
    #[oai(status = 200)]
    Page(
        Html<String>,
        /// Allows the page's inline style, by hash, and nothing else.
        #[oai(header = "Content-Security-Policy")]
        String,
    ),
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
    ) -> Result<CertificatePage, AppError> {
        let issued = certificates::issue(
            &self.state.db,
            &auth.0,
            id.0,
            super::params::day("from", from.0)?,
            super::params::day("to", to.0)?,
            &self.state.config.public_url,
        )
        .await?;
        Ok(CertificatePage::Page(
            Html(certificates::render(&issued)),
            certificates::page_policy().to_owned(),
        ))
    }

    /// Verify a certificate
    ///
    /// Open to everyone: confirms the masked name, period and hours of the certificate with this
    /// code, and says whether the record still holds them (`matches_record`, with the hours and
    /// sessions held now); an unknown code is a 404.
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
        let matches_record = verified.matches_record();
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
            matches_record,
            record_hours: hours(i64::from(verified.record_quarters)),
            record_sessions: verified.record_sessions,
        }))
    }
}
