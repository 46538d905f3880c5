//! Enrolling a person and changing one: the ID number checked as it is typed (its check
//! character, and the birth date and gender it holds, shown before the form is sent), the phone
//! normalised, specialties picked by their Chinese names with the licence number a high-risk
//! item needs, and an ID number registered already linked to the person who holds it.

use std::collections::{HashMap, HashSet};

use super::id_check::{IdCheck, check_number};
use crate::{
    domain::{
        FieldViolation, account::Email, account::Role, id_number::IdNumber, id_number::mask,
        phone::Phone, time::today,
    },
    error::AppError,
    services::{
        PageRequest,
        people::{self, NewPerson, PersonChanges, Specialty},
        regions, sport_items,
    },
    web::{
        Layout,
        messages::FieldErrors,
        page_with_status, see_other,
        session::{CsrfForm, WebCaller, state},
        views::{sessions::Choice, staff::require_staff},
    },
};
use askama::Template;
use poem::{Request, Response, handler, http::StatusCode, web::Path};

/// What was typed.
#[derive(Debug, Default)]
pub struct PersonForm {
    name: String,
    id_number: String,
    phone: String,
    email: String,
    street_id: String,
    version: String,
    specialties: HashSet<String>,
    licences: HashMap<String, String>,
}

impl PersonForm {
    fn from_pairs(pairs: Vec<(String, String)>) -> Self {
        let mut form = Self::default();
        for (name, value) in pairs {
            match name.as_str() {
                "name" => form.name = value,
                "id_number" => form.id_number = value,
                "phone" => form.phone = value,
                "email" => form.email = value,
                "street_id" => form.street_id = value,
                "version" => form.version = value,
                "specialty" => {
                    form.specialties.insert(value);
                }
                other => {
                    if let Some(code) = other.strip_prefix("licence_") {
                        form.licences.insert(code.to_owned(), value);
                    }
                }
            }
        }
        form
    }

    fn specialties(&self) -> Vec<Specialty> {
        let mut codes: Vec<&String> = self.specialties.iter().collect();
        codes.sort();
        codes
            .into_iter()
            .map(|code| Specialty {
                sport_item: code.clone(),
                licence_no: self
                    .licences
                    .get(code)
                    .map(|l| l.trim().to_owned())
                    .filter(|l| !l.is_empty()),
            })
            .collect()
    }
}

pub struct SpecialtyChoice {
    pub code: String,
    pub name: String,
    pub high_risk: bool,
    pub checked: bool,
    pub licence: String,
}

#[derive(Template)]
#[template(path = "office/person_form.html")]
struct PersonFormPage {
    layout: Layout,
    title: &'static str,
    action: String,
    submit: &'static str,
    /// The person being changed; none when enrolling.
    person_id: Option<i32>,
    /// Whether the ID number can be typed (enrolling, or the bureau correcting one).
    id_editable: bool,
    id_masked: String,
    form: PersonForm,
    check: IdCheck,
    streets: Vec<Choice>,
    specialties: Vec<SpecialtyChoice>,
    errors: FieldErrors,
}

#[allow(clippy::too_many_arguments)]
async fn render(
    req: &Request,
    who: &WebCaller,
    person_id: Option<i32>,
    id_masked: String,
    form: PersonForm,
    errors: FieldErrors,
    status: StatusCode,
) -> poem::Result<Response> {
    require_staff(who)?;
    let state = state(req)?;
    let db = &state.db;
    let account = who.account.clone();
    let id_editable = person_id.is_none() || who.caller.role == Role::BureauAdmin;
    let check = if id_editable {
        check_number(db, who, &form.id_number, person_id).await?
    } else {
        IdCheck::default()
    };
    let streets = if who.caller.role == Role::BureauAdmin {
        regions::list_streets(db, PageRequest::first(500))
            .await?
            .items
            .into_iter()
            .map(|s| Choice {
                selected: form.street_id == s.id.to_string(),
                value: s.id.to_string(),
                label: s.name,
            })
            .collect()
    } else {
        Vec::new()
    };
    let specialties = sport_items::list(db, PageRequest::first(500))
        .await?
        .items
        .into_iter()
        .map(|item| SpecialtyChoice {
            checked: form.specialties.contains(&item.code),
            licence: form.licences.get(&item.code).cloned().unwrap_or_default(),
            code: item.code,
            name: item.name,
            high_risk: item.high_risk,
        })
        .collect();
    let (title, action, submit) = match person_id {
        None => ("登记新人员", "/people/new".to_owned(), "登记"),
        Some(id) => ("修改人员信息", format!("/people/{id}/edit"), "保存修改"),
    };
    page_with_status(
        &PersonFormPage {
            layout: Layout::signed_in(who, &account.username, "/people"),
            title,
            action,
            submit,
            person_id,
            id_editable,
            id_masked,
            form,
            check,
            streets,
            specialties,
            errors,
        },
        status,
    )
}

/// `GET /people/new`
#[handler]
pub async fn new_page(req: &Request, who: WebCaller) -> poem::Result<Response> {
    let form = PersonForm {
        street_id: who
            .caller
            .street_id
            .map(|s| s.to_string())
            .unwrap_or_default(),
        ..Default::default()
    };
    render(
        req,
        &who,
        None,
        String::new(),
        form,
        FieldErrors::default(),
        StatusCode::OK,
    )
    .await
}

/// The typed values parsed, or the violations of each field.
struct Parsed {
    name: String,
    id_number: Option<IdNumber>,
    phone: Option<Phone>,
    email: Option<Email>,
    street_id: Option<i32>,
}

fn parse(form: &PersonForm, id_required: bool) -> Result<Parsed, Vec<FieldViolation>> {
    let mut violations = Vec::new();
    let name = form.name.trim().to_owned();
    if name.is_empty() {
        violations.push(FieldViolation::new("name", "value.required", "is required"));
    }
    let id_number = if form.id_number.trim().is_empty() {
        if id_required {
            violations.push(FieldViolation::new(
                "id_number",
                "value.required",
                "is required",
            ));
        }
        None
    } else {
        IdNumber::parse(&form.id_number, today())
            .map_err(|v| violations.push(v))
            .ok()
    };
    let phone = if form.phone.trim().is_empty() {
        violations.push(FieldViolation::new(
            "phone",
            "value.required",
            "is required",
        ));
        None
    } else {
        Phone::parse(&form.phone)
            .map_err(|v| violations.push(v))
            .ok()
    };
    let email = if form.email.trim().is_empty() {
        None
    } else {
        Email::parse(&form.email)
            .map_err(|v| violations.push(v))
            .ok()
    };
    let street_id = form.street_id.trim().parse().ok();
    if violations.is_empty() {
        Ok(Parsed {
            name,
            id_number,
            phone,
            email,
            street_id,
        })
    } else {
        Err(violations)
    }
}

/// `POST /people/new`
#[handler]
pub async fn create(
    req: &Request,
    CsrfForm { who, form }: CsrfForm<Vec<(String, String)>>,
) -> poem::Result<Response> {
    let state = state(req)?;
    let form = PersonForm::from_pairs(form);
    let result = match parse(&form, true) {
        Ok(parsed) => match (parsed.id_number, parsed.phone) {
            (Some(id_number), Some(phone)) => {
                people::create(
                    &state.db,
                    &who.caller,
                    NewPerson {
                        name: parsed.name,
                        gender: None,
                        birth_date: None,
                        id_number,
                        phone,
                        email: parsed.email,
                        // An officer enrols into its own street whatever the form says.
                        street_id: match who.caller.role {
                            Role::StreetOfficer => None,
                            _ => parsed.street_id,
                        },
                        specialties: form.specialties(),
                    },
                )
                .await
            }
            _ => Err(AppError::invalid(
                "id_number",
                "value.required",
                "is required",
            )),
        },
        Err(violations) => Err(AppError::violations(violations)),
    };
    match result {
        Ok(created) => Ok(see_other(&format!(
            "/people/{}?done=created",
            created.person.id
        ))),
        Err(err) => match FieldErrors::from_error(&err) {
            Some(errors) => {
                let status = err.status();
                render(req, &who, None, String::new(), form, errors, status).await
            }
            None => Err(err.into()),
        },
    }
}

/// `GET /people/:id/edit`
#[handler]
pub async fn edit_page(
    req: &Request,
    who: WebCaller,
    Path(id): Path<i32>,
) -> poem::Result<Response> {
    require_staff(&who)?;
    let state = state(req)?;
    let view = people::get(&state.db, &who.caller, id).await?;
    let p = &view.person;
    let form = PersonForm {
        name: p.name.clone(),
        id_number: if who.caller.role == Role::BureauAdmin {
            p.id_number.clone()
        } else {
            String::new()
        },
        phone: p.phone.clone(),
        email: p.email.clone().unwrap_or_default(),
        street_id: p.street_id.to_string(),
        version: p.version.to_string(),
        specialties: view
            .specialties
            .iter()
            .map(|s| s.sport_item.clone())
            .collect(),
        licences: view
            .specialties
            .iter()
            .filter_map(|s| Some((s.sport_item.clone(), s.licence_no.clone()?)))
            .collect(),
    };
    let masked = mask(&p.id_number);
    render(
        req,
        &who,
        Some(id),
        masked,
        form,
        FieldErrors::default(),
        StatusCode::OK,
    )
    .await
}

/// `POST /people/:id/edit`
#[handler]
pub async fn edit(
    req: &Request,
    Path(id): Path<i32>,
    CsrfForm { who, form }: CsrfForm<Vec<(String, String)>>,
) -> poem::Result<Response> {
    let state = state(req)?;
    let form = PersonForm::from_pairs(form);
    let bureau = who.caller.role == Role::BureauAdmin;
    let result = match parse(&form, bureau) {
        Ok(parsed) => {
            people::update(
                &state.db,
                &who.caller,
                id,
                PersonChanges {
                    name: Some(parsed.name),
                    phone: parsed.phone,
                    email: Some(parsed.email),
                    specialties: Some(form.specialties()),
                    street_id: parsed.street_id.filter(|_| bureau),
                    id_number: parsed.id_number.filter(|_| bureau),
                    expected_version: form.version.trim().parse().ok(),
                    ..Default::default()
                },
            )
            .await
        }
        Err(violations) => Err(AppError::violations(violations)),
    };
    match result {
        Ok(_) => Ok(see_other(&format!("/people/{id}?done=saved"))),
        Err(err) => match FieldErrors::from_error(&err) {
            Some(errors) => {
                let status = err.status();
                let masked = people::get(&state.db, &who.caller, id)
                    .await
                    .map(|v| mask(&v.person.id_number))?;
                render(req, &who, Some(id), masked, form, errors, status).await
            }
            None => Err(err.into()),
        },
    }
}
