//! The line under the ID number field: what the number typed so far says (too short yet, a
//! wrong check character, an unknown region, or the birth date and gender it holds) and whether
//! someone holds it already, for htmx to swap in as the number is typed.

use askama::Template;
use poem::{Request, Response, handler, web::Query};
use serde::Deserialize;

use crate::{
    domain::{id_number::IdNumber, time::today},
    error::AppError,
    services::people::{self, Registered},
    web::{
        format,
        messages::message,
        page,
        session::{WebCaller, state},
        views::staff::require_staff,
    },
};

/// What the ID number field says under itself.
#[derive(Debug, Default)]
pub struct IdCheck {
    /// `ok`, `error`, `typing`, or empty before anything is typed.
    pub state: &'static str,
    pub message: String,
    /// The person already registered with this number, when the caller may open their page.
    pub existing: Option<(i32, String)>,
}

/// Checks a number as typed so far, and whether someone holds it already (other than `own`).
pub async fn check_number(
    db: &sea_orm::DatabaseConnection,
    who: &WebCaller,
    raw: &str,
    own: Option<i32>,
) -> Result<IdCheck, AppError> {
    let typed = raw.trim();
    if typed.is_empty() {
        return Ok(IdCheck::default());
    }
    let number = match IdNumber::parse(typed, today()) {
        Ok(number) => number,
        Err(_) if typed.len() < 18 && typed.chars().all(|c| c.is_ascii_digit()) => {
            return Ok(IdCheck {
                state: "typing",
                message: format!("已输入 {} 位，共 18 位", typed.len()),
                existing: None,
            });
        }
        Err(violation) => {
            return Ok(IdCheck {
                state: "error",
                message: message(violation.code).to_owned(),
                existing: None,
            });
        }
    };
    let implied = format!(
        "号码有效：{}出生，{}",
        format::date(number.birth_date()),
        number.gender().chinese()
    );
    Ok(match people::registered(db, &who.caller, &number).await? {
        Registered::Readable { id, .. } if Some(id) == own => IdCheck {
            state: "ok",
            message: implied,
            existing: None,
        },
        Registered::Readable { id, name } => IdCheck {
            state: "error",
            message: "这个身份证号码已经登记过：".to_owned(),
            existing: Some((id, name)),
        },
        Registered::Elsewhere => IdCheck {
            state: "error",
            message: "这个身份证号码已在其他街道（乡镇）登记，请联系区文体新局".to_owned(),
            existing: None,
        },
        Registered::No => IdCheck {
            state: "ok",
            message: implied,
            existing: None,
        },
    })
}

#[derive(Template)]
#[template(path = "office/id_check.html")]
struct IdCheckPartial {
    check: IdCheck,
}

#[derive(Deserialize)]
pub struct CheckQuery {
    id_number: Option<String>,
    person_id: Option<i32>,
}

/// `/people/check-id?id_number=`: the line under the ID number field, for htmx to swap in as
/// the number is typed.
#[handler]
pub async fn check_id(
    req: &Request,
    who: WebCaller,
    Query(query): Query<CheckQuery>,
) -> poem::Result<Response> {
    require_staff(&who)?;
    let state = state(req)?;
    let raw = query.id_number.unwrap_or_default();
    let check = check_number(&state.db, &who, &raw, query.person_id).await?;
    page(&IdCheckPartial { check })
}
