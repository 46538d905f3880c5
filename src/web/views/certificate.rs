//! A member's certificate of service (志愿服务记录证明): choose a period, open the printable
//! certificate (A4), and the public page anyone reaches from its QR code to check it.

use askama::Template;
use chrono::{Datelike, NaiveDate};
use poem::{
    Request, Response, handler,
    http::{StatusCode, header},
    web::{Path, Query},
};
use serde::Deserialize;

use crate::{
    domain::{hours::hours, time::today},
    services::certificates,
    web::{
        Layout, format,
        messages::FieldErrors,
        page, page_with_status,
        session::{WebCaller, state},
        views::sessions::own_person,
    },
};

#[derive(Template)]
#[template(path = "member/certificate.html")]
struct ChoosePage {
    layout: Layout,
    title: &'static str,
    from: String,
    to: String,
    errors: FieldErrors,
}

#[derive(Deserialize)]
pub struct Period {
    from: Option<String>,
    to: Option<String>,
}

/// The period form, this year up to today by default.
#[handler]
pub async fn choose(req: &Request, who: WebCaller) -> poem::Result<Response> {
    let _state = state(req)?;
    own_person(&who)?;
    let account = who.account.clone();
    let to = today();
    let from = NaiveDate::from_ymd_opt(to.year(), 1, 1).unwrap_or(to);
    page(&ChoosePage {
        layout: Layout::signed_in(&who, &account.username, "/me/certificate"),
        title: "服务证明",
        from: from.to_string(),
        to: to.to_string(),
        errors: FieldErrors::default(),
    })
}

/// The printable certificate of the period, issued and numbered now.
#[handler]
pub async fn print(
    req: &Request,
    who: WebCaller,
    Query(period): Query<Period>,
) -> poem::Result<Response> {
    let state = state(req)?;
    let person_id = own_person(&who)?;
    let day = |raw: &Option<String>| {
        raw.as_deref()
            .filter(|r| !r.trim().is_empty())
            .map(|r| NaiveDate::parse_from_str(r.trim(), "%Y-%m-%d"))
    };
    let (from, to) = match (day(&period.from).transpose(), day(&period.to).transpose()) {
        (Ok(from), Ok(to)) => (from, to),
        (from, _) => {
            let field = if from.is_err() { "from" } else { "to" };
            let account = who.account.clone();
            return page_with_status(
                &ChoosePage {
                    layout: Layout::signed_in(&who, &account.username, "/me/certificate"),
                    title: "服务证明",
                    from: period.from.unwrap_or_default(),
                    to: period.to.unwrap_or_default(),
                    errors: FieldErrors::one(field, "date.invalid"),
                },
                StatusCode::UNPROCESSABLE_ENTITY,
            );
        }
    };
    let issued = match certificates::issue(
        &state.db,
        &who.caller,
        person_id,
        from,
        to,
        &state.config.public_url,
    )
    .await
    {
        Ok(issued) => issued,
        Err(err) => match FieldErrors::from_error(&err) {
            Some(errors) => {
                let account = who.account.clone();
                return page_with_status(
                    &ChoosePage {
                        layout: Layout::signed_in(&who, &account.username, "/me/certificate"),
                        title: "服务证明",
                        from: period.from.unwrap_or_default(),
                        to: period.to.unwrap_or_default(),
                        errors,
                    },
                    err.status(),
                );
            }
            None => return Err(err.into()),
        },
    };
    Ok(Response::builder()
        .content_type("text/html; charset=utf-8")
        .header(header::CONTENT_SECURITY_POLICY, certificates::page_policy())
        .header(header::CACHE_CONTROL, "no-store")
        .body(certificates::render(&issued)))
}

#[derive(Template)]
#[template(path = "verify.html")]
struct VerifyPage {
    layout: Layout,
    title: &'static str,
    number: String,
    name: String,
    from: String,
    to: String,
    sessions: i32,
    hours: String,
    issuer: String,
    issued: String,
    matches: bool,
    record_hours: String,
    record_sessions: i32,
}

/// The public check of a certificate: what the registry confirms, in Chinese, without the full
/// name or the ID number.
#[handler]
pub async fn verify(req: &Request, Path(code): Path<String>) -> poem::Result<Response> {
    let state = state(req)?;
    let verified = certificates::verify(&state.db, &code).await?;
    let c = &verified.certificate;
    page(&VerifyPage {
        layout: Layout::public(),
        title: "证明核验",
        number: c.number.clone().unwrap_or_default(),
        name: verified.masked_name.clone(),
        from: format::date(c.period_from),
        to: format::date(c.period_to),
        sessions: c.sessions,
        hours: format::hours(hours(i64::from(c.quarters))),
        issuer: c.issuer.clone(),
        issued: format::date(crate::domain::time::day_of(c.issued_at)),
        matches: verified.matches_record(),
        record_hours: format::hours(hours(i64::from(verified.record_quarters))),
        record_sessions: verified.record_sessions,
    })
}
