//! A person's member account, on their page: whether there is one and how it stands (activated,
//! waiting for activation, disabled); the invitation that creates one without a password, so the
//! person sets it from the mail; and a fresh invitation while the account still waits.

use std::collections::HashMap;

use poem::{Request, Response, handler, web::Path};

use super::detail::{Typed, render};
use crate::{
    domain::{
        FieldViolation,
        account::{Role, Username},
    },
    error::AppError,
    services::accounts::{self, NewAccount},
    web::{
        messages::FieldErrors,
        see_other,
        session::{CsrfForm, WebCaller, state},
        views::staff::{may_change, require_staff},
    },
};

/// The account part of a person's page.
#[derive(Debug, Default)]
pub struct AccountSection {
    /// Whether the person has an account the caller may see.
    pub exists: bool,
    pub username: String,
    pub activated: bool,
    pub disabled: bool,
    /// A username to start from when inviting: `m` and the person's number.
    pub suggestion: String,
}

/// How the person's account stands, as the caller may see it.
pub async fn section(
    db: &sea_orm::DatabaseConnection,
    who: &WebCaller,
    person_id: i32,
) -> Result<AccountSection, AppError> {
    Ok(
        match accounts::of_person(db, &who.caller, person_id).await? {
            Some(account) => AccountSection {
                exists: true,
                activated: account.password_hash.is_some(),
                disabled: account.disabled,
                username: account.username,
                suggestion: String::new(),
            },
            None => AccountSection {
                suggestion: format!("m{person_id:02}"),
                ..Default::default()
            },
        },
    )
}

fn refuse_readers(who: &WebCaller) -> Result<(), AppError> {
    require_staff(who)?;
    if !may_change(who) {
        return Err(AppError::Forbidden("督查人员只能查看，不能开通账户".into()));
    }
    Ok(())
}

/// A refusal shown in the account part: the username's by its field, the rest together.
async fn refused(
    req: &Request,
    who: &WebCaller,
    person_id: i32,
    values: HashMap<String, String>,
    err: AppError,
) -> poem::Result<Response> {
    let violations = match &err {
        AppError::BadRequest { errors, .. }
        | AppError::Unprocessable { errors, .. }
        | AppError::Conflict { errors, .. } => errors,
        _ => return Err(err.into()),
    };
    let shown: Vec<FieldViolation> = violations
        .iter()
        .map(|v| {
            let field = if v.field == "username" {
                "username"
            } else {
                "account"
            };
            FieldViolation::new(field, v.code, v.message.clone())
        })
        .collect();
    let typed = Typed {
        form: "account".into(),
        values,
        errors: FieldErrors::of(&shown),
    };
    render(req, who, person_id, typed, "", err.status()).await
}

/// `POST /people/:id/account`: a member account for the person, without a password; the
/// invitation goes to the address on the person's record.
#[handler]
pub async fn invite(
    req: &Request,
    Path(id): Path<i32>,
    CsrfForm { who, form }: CsrfForm<HashMap<String, String>>,
) -> poem::Result<Response> {
    refuse_readers(&who)?;
    let state = state(req)?;
    let raw = form.get("username").map_or("", String::as_str);
    let username = match Username::parse(raw) {
        Ok(username) => username,
        Err(violation) => {
            return refused(req, &who, id, form, AppError::of(violation)).await;
        }
    };
    let new = NewAccount {
        username,
        role: Role::Member,
        email: None,
        street_id: None,
        person_id: Some(id),
        password: None,
    };
    match accounts::create(
        &state.db,
        &state.hasher,
        &who.caller,
        new,
        &state.config.public_url,
    )
    .await
    {
        Ok(_) => Ok(see_other(&format!("/people/{id}?done=invited"))),
        Err(err) => refused(req, &who, id, form, err).await,
    }
}

/// `POST /people/:id/account/invitation`: a new activation link for the person's account while it
/// waits for activation; the earlier link stops working.
#[handler]
pub async fn resend(
    req: &Request,
    Path(id): Path<i32>,
    CsrfForm { who, .. }: CsrfForm<HashMap<String, String>>,
) -> poem::Result<Response> {
    refuse_readers(&who)?;
    let state = state(req)?;
    let account = accounts::of_person(&state.db, &who.caller, id)
        .await?
        .ok_or_else(|| AppError::not_found("account", format!("of person {id}")))?;
    match accounts::resend_invitation(&state.db, &who.caller, account.id, &state.config.public_url)
        .await
    {
        Ok(_) => Ok(see_other(&format!("/people/{id}?done=reinvited"))),
        Err(err) => refused(req, &who, id, HashMap::new(), err).await,
    }
}
