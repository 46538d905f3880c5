//! Checking one row of an import into a typed [`Row`], naming every cell at fault, against what
//! the file refers to (`Lookups`, loaded once for the whole file).

use chrono::NaiveDate;

use super::{lookups::Lookups, read::Cells};
use crate::{
    auth::{Caller, Target},
    domain::{
        FieldViolation,
        account::{Email, Role},
        id_number::IdNumber,
        import::{
            parse_date, parse_employment, parse_gender, parse_grade, parse_role, split_specialties,
        },
        person::{Employment, Grade, QualificationKind, age_on},
        phone::Phone,
    },
    services::people::Specialty,
};

/// What a date cell that is no day is told.
const DATE_FORMAT: &str = "must be a date: YYYY-MM-DD, or 2024/3/5 or 2024年3月5日";

/// A checked row.
pub(super) struct Row {
    pub(super) name: String,
    pub(super) id_number: IdNumber,
    pub(super) phone: String,
    pub(super) email: Option<String>,
    pub(super) street_id: i32,
    pub(super) community_id: Option<i32>,
    pub(super) role: Option<QualificationKind>,
    pub(super) grade: Option<Grade>,
    pub(super) employment: Option<Employment>,
    pub(super) certificate_no: Option<String>,
    pub(super) certified_on: NaiveDate,
    pub(super) specialties: Vec<Specialty>,
}

/// The row as it will be written, or `None` with every cell at fault in `errors`.
pub(super) fn check_row(
    cells: &Cells<'_>,
    context: &Lookups,
    caller: &Caller,
    today: NaiveDate,
    errors: &mut Vec<FieldViolation>,
) -> Option<Row> {
    let identity = identity(cells, today, errors);
    let (street_id, community_id) = place(cells, context, caller, errors);
    let (role, grade, employment) = qualification(cells, caller, errors);
    let certified_on = certified_on(
        cells,
        identity.id_number.as_ref(),
        role,
        context,
        today,
        errors,
    );
    let certificate_no = cells.get("certificate_no").map(str::to_owned);
    let specialties = specialties(cells, context, certificate_no.as_deref(), errors);
    if let Some(existing) = identity
        .id_number
        .as_ref()
        .and_then(|n| context.existing.get(n.as_str()))
        && !caller.can_write(Target::Person {
            person_id: existing.id,
            street_id: existing.street_id,
        })
    {
        errors.push(FieldViolation::new(
            "id_number",
            "person.out_of_scope",
            "is registered to a person outside your street",
        ));
    }
    if !errors.is_empty() {
        return None;
    }
    Some(Row {
        name: identity.name?,
        id_number: identity.id_number?,
        phone: identity.phone?.into_inner(),
        email: identity.email.map(Email::into_inner),
        street_id: street_id?,
        community_id,
        role,
        grade,
        employment,
        certificate_no,
        certified_on: certified_on?,
        specialties,
    })
}

/// A cell that must be there.
fn required(cells: &Cells<'_>, column: &str, errors: &mut Vec<FieldViolation>) -> Option<String> {
    let value = cells.get(column).map(str::to_owned);
    if value.is_none() {
        errors.push(FieldViolation::new(column, "value.required", "is required"));
    }
    value
}

/// Who the row is: name, ID number (with the gender and birth date it implies), phone, address.
struct Identity {
    name: Option<String>,
    id_number: Option<IdNumber>,
    phone: Option<Phone>,
    email: Option<Email>,
}

fn identity(cells: &Cells<'_>, today: NaiveDate, errors: &mut Vec<FieldViolation>) -> Identity {
    let name = required(cells, "name", errors).and_then(|n| {
        crate::domain::text::name("name", &n, 50)
            .map_err(|v| errors.push(v))
            .ok()
    });
    let id_number = required(cells, "id_number", errors)
        .and_then(|n| IdNumber::parse(&n, today).map_err(|v| errors.push(v)).ok());
    if let Some(number) = &id_number {
        match cells.get("gender").map(|g| (g, parse_gender(g))) {
            Some((raw, None)) => errors.push(FieldViolation::new(
                "gender",
                "person.gender_unknown",
                format!("unknown gender {raw:?}: use 男/女 or male/female"),
            )),
            Some((_, Some(g))) if g != number.gender() => errors.push(FieldViolation::new(
                "gender",
                "person.gender_mismatch",
                "does not match the ID number",
            )),
            _ => {}
        }
        match cells.get("birth_date").map(|d| (d, parse_date(d))) {
            Some((_, None)) => errors.push(FieldViolation::new(
                "birth_date",
                "date.format",
                DATE_FORMAT,
            )),
            Some((_, Some(d))) if d != number.birth_date() => errors.push(FieldViolation::new(
                "birth_date",
                "person.birth_date_mismatch",
                "does not match the ID number",
            )),
            _ => {}
        }
    }
    let phone = required(cells, "phone", errors)
        .and_then(|p| Phone::parse(&p).map_err(|v| errors.push(v)).ok());
    let email = cells
        .get("email")
        .and_then(|e| Email::parse(e).map_err(|v| errors.push(v)).ok());
    Identity {
        name,
        id_number,
        phone,
        email,
    }
}

/// Where the row belongs: a street the caller may enrol in, and optionally an active community
/// of that street.
fn place(
    cells: &Cells<'_>,
    context: &Lookups,
    caller: &Caller,
    errors: &mut Vec<FieldViolation>,
) -> (Option<i32>, Option<i32>) {
    let street_id =
        required(cells, "street_code", errors).and_then(|code| match context.streets.get(&code) {
            None => {
                errors.push(FieldViolation::new(
                    "street_code",
                    "street.unknown",
                    format!("no street has code {code}"),
                ));
                None
            }
            Some(id) if !caller.can_write(Target::Street(*id)) => {
                errors.push(FieldViolation::new(
                    "street_code",
                    "street.out_of_scope",
                    "is not a street you may enrol people in",
                ));
                None
            }
            Some(id) => Some(*id),
        });
    let community =
        cells
            .get("community_code")
            .and_then(|code| match context.communities.get(code) {
                None => {
                    errors.push(FieldViolation::new(
                        "community_code",
                        "community.unknown",
                        format!("no community has code {code}"),
                    ));
                    None
                }
                Some(c) if !c.active => {
                    errors.push(FieldViolation::new(
                        "community_code",
                        "community.inactive",
                        "the community is inactive",
                    ));
                    None
                }
                Some(c) if street_id.is_some_and(|s| s != c.street_id) => {
                    errors.push(FieldViolation::new(
                        "community_code",
                        "community.other_street",
                        "is not in the row's street",
                    ));
                    None
                }
                Some(c) => Some(c.id),
            });
    (street_id, community)
}

/// The qualification the row records: role, and the grade or employment that role needs.
fn qualification(
    cells: &Cells<'_>,
    caller: &Caller,
    errors: &mut Vec<FieldViolation>,
) -> (Option<QualificationKind>, Option<Grade>, Option<Employment>) {
    let role = cells.get("role").and_then(|r| {
        let parsed = parse_role(r);
        if parsed.is_none() {
            errors.push(FieldViolation::new(
                "role",
                "qualification.kind_unknown",
                format!("unknown role {r:?}"),
            ));
        }
        parsed
    });
    if cells.get("community_code").is_some() && cells.get("role").is_none() {
        errors.push(FieldViolation::new(
            "role",
            "value.required",
            "is required with a community_code",
        ));
    }
    let grade = cells.get("grade").and_then(|g| {
        let parsed = parse_grade(g);
        if parsed.is_none() {
            errors.push(FieldViolation::new(
                "grade",
                "qualification.grade_unknown",
                format!("unknown grade {g:?}"),
            ));
        }
        parsed
    });
    let employment = cells.get("employment").and_then(|e| {
        let parsed = parse_employment(e);
        if parsed.is_none() {
            errors.push(FieldViolation::new(
                "employment",
                "qualification.employment_unknown",
                format!("unknown employment {e:?}: use 专职/兼职"),
            ));
        }
        parsed
    });
    if let Some(kind) = role {
        if kind.has_grade() != grade.is_some() {
            errors.push(FieldViolation::new(
                "grade",
                "qualification.grade_required",
                "social sports instructors, and only they, need a grade",
            ));
        }
        if kind.has_employment() != employment.is_some() {
            errors.push(FieldViolation::new(
                "employment",
                "qualification.employment_required",
                "administrators, and only they, need an employment",
            ));
        }
        if grade.is_some_and(|g| g > Grade::Third) && caller.role != Role::BureauAdmin {
            errors.push(FieldViolation::new(
                "grade",
                "qualification.grade_not_allowed",
                "officers record third grade only",
            ));
        }
    }
    (role, grade, employment)
}

/// The day the qualification was certified (default today): a real, past day on which the
/// person was of age.
fn certified_on(
    cells: &Cells<'_>,
    id_number: Option<&IdNumber>,
    role: Option<QualificationKind>,
    context: &Lookups,
    today: NaiveDate,
    errors: &mut Vec<FieldViolation>,
) -> Option<NaiveDate> {
    let certified_on = match cells.get("certified_on").map(parse_date) {
        None => Some(today),
        Some(Some(d)) if d > today => {
            errors.push(FieldViolation::new(
                "certified_on",
                "date.in_future",
                "must not be in the future",
            ));
            None
        }
        Some(Some(d)) => crate::domain::time::check_date("certified_on", d)
            .map_err(|v| errors.push(v))
            .ok(),
        Some(None) => {
            errors.push(FieldViolation::new(
                "certified_on",
                "date.format",
                DATE_FORMAT,
            ));
            None
        }
    };
    if let (Some(number), Some(day), Some(_)) = (id_number, certified_on, role) {
        let age = age_on(number.birth_date(), day);
        if age < context.min_age {
            errors.push(FieldViolation::new(
                "certified_on",
                "qualification.under_min_age",
                format!(
                    "the person was {age} on that day; the minimum age is {}",
                    context.min_age
                ),
            ));
        }
    }
    certified_on
}

/// Specialties by code or Chinese name; a high-risk one needs the row's `certificate_no`.
fn specialties(
    cells: &Cells<'_>,
    context: &Lookups,
    certificate_no: Option<&str>,
    errors: &mut Vec<FieldViolation>,
) -> Vec<Specialty> {
    let mut specialties = Vec::new();
    for given in cells
        .get("specialties")
        .map(split_specialties)
        .unwrap_or_default()
    {
        let code = context
            .sport_item_names
            .get(&given)
            .cloned()
            .unwrap_or(given);
        if specialties.iter().any(|s: &Specialty| s.sport_item == code) {
            continue;
        }
        match context.sport_items.get(&code) {
            None => errors.push(FieldViolation::new(
                "specialties",
                "sport_item.unknown",
                format!("unknown sport item {code:?}"),
            )),
            Some(true) if certificate_no.is_none() => errors.push(FieldViolation::new(
                "specialties",
                "specialty.licence_required",
                format!("{code} is high-risk: give its licence number in certificate_no"),
            )),
            Some(high_risk) => specialties.push(Specialty {
                licence_no: if *high_risk {
                    certificate_no.map(str::to_owned)
                } else {
                    None
                },
                sport_item: code,
            }),
        }
    }
    specialties
}
