//! Bulk enrolment from CSV (DOMAIN.md section 8). A file is checked whole against the database
//! with a constant number of queries, then written in chunks in one transaction: all or nothing
//! unless `partial`, nothing at all on a dry run. An existing person (same ID number) gains the
//! row's qualification and assignment. An import can be undone while nothing new hangs on it.

use std::collections::{HashMap, HashSet};

use chrono::{NaiveDate, Utc};
use sea_orm::{
    ActiveValue::Set, ColumnTrait, Condition, ConnectionTrait, DatabaseConnection, EntityTrait,
    PaginatorTrait, QueryFilter, QuerySelect,
};

use super::{audit::Entry, people::Specialty, policy};
use crate::{
    auth::{Caller, Target, hex},
    db,
    domain::{
        FieldViolation,
        account::{Email, Role},
        id_number::IdNumber,
        import::{
            COLUMNS, REQUIRED_COLUMNS, parse_employment, parse_gender, parse_grade, parse_role,
            split_specialties,
        },
        person::{Employment, Grade, PersonStatus, QualificationKind, QualificationStatus, age_on},
        phone::Phone,
        time::today,
    },
    entities::{
        account, assignment, certificate, community, enrollment, people_import, person,
        person_specialty, qualification, registration, service_session, sport_item, street,
    },
    error::AppError,
};

/// Largest CSV upload.
pub const MAX_UPLOAD: usize = 20 * 1024 * 1024;
/// Rows written per statement.
const CHUNK: usize = 500;

#[derive(Debug, Clone, Copy, Default)]
pub struct ImportOptions {
    /// Check and count, write nothing.
    pub dry_run: bool,
    /// Write the good rows and report the bad ones, instead of all or nothing.
    pub partial: bool,
}

/// A problem with one cell of the file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RowError {
    pub line: u64,
    pub field: String,
    pub code: &'static str,
    pub message: String,
}

#[derive(Debug, Clone, Default)]
pub struct ImportReport {
    /// Set when rows were written; `DELETE /imports/{id}` undoes them.
    pub import_id: Option<String>,
    pub dry_run: bool,
    pub created: usize,
    pub updated: usize,
    pub errors: Vec<RowError>,
}

/// A checked row.
struct Row {
    name: String,
    id_number: IdNumber,
    phone: String,
    email: Option<String>,
    street_id: i32,
    community_id: Option<i32>,
    role: Option<QualificationKind>,
    grade: Option<Grade>,
    employment: Option<Employment>,
    certificate_no: Option<String>,
    certified_on: NaiveDate,
    specialties: Vec<Specialty>,
}

/// One row's raw cells by column name.
struct Cells<'a> {
    line: u64,
    values: HashMap<&'a str, String>,
}

impl Cells<'_> {
    fn get(&self, column: &str) -> Option<&str> {
        self.values
            .get(column)
            .map(String::as_str)
            .filter(|v| !v.is_empty())
    }
}

pub async fn import(
    db: &DatabaseConnection,
    caller: &Caller,
    body: &[u8],
    options: ImportOptions,
) -> Result<ImportReport, AppError> {
    caller.require(
        matches!(caller.role, Role::BureauAdmin | Role::StreetOfficer),
        "import people",
    )?;
    let records = read_csv(body)?;
    let mut errors = Vec::new();
    let context = Lookups::load(db, &records).await?;
    let today = today();

    let mut rows = Vec::new();
    let mut seen: HashMap<String, u64> = HashMap::new();
    for cells in &records {
        let mut row_errors: Vec<FieldViolation> = cells
            .values
            .iter()
            .filter(|(_, value)| value.chars().any(crate::domain::text::is_forbidden_control))
            .map(|(column, _)| {
                FieldViolation::new(
                    *column,
                    "text.control_character",
                    "must not contain control characters",
                )
            })
            .collect();
        row_errors.sort_by(|a, b| a.field.cmp(&b.field));
        let row = if row_errors.is_empty() {
            check_row(cells, &context, caller, today, &mut row_errors)
        } else {
            None
        };
        if let Some(row) = &row
            && let Some(first) = seen.insert(row.id_number.as_str().to_owned(), cells.line)
        {
            row_errors.push(FieldViolation::new(
                "id_number",
                "import.duplicate_row",
                format!("duplicate of line {first}"),
            ));
        }
        if row_errors.is_empty() {
            rows.extend(row);
        } else {
            errors.extend(row_errors.into_iter().map(|v| RowError {
                line: cells.line,
                field: v.field,
                code: v.code,
                message: v.message,
            }));
        }
    }
    let mut report = ImportReport {
        dry_run: options.dry_run,
        errors,
        ..Default::default()
    };
    if (!report.errors.is_empty() && !options.partial) || rows.is_empty() {
        return Ok(report);
    }

    let import_id = hex(&rand::random::<[u8; 12]>());
    let txn = db::begin_write(db).await?;
    let (created, updated) = write_rows(&txn, caller, &import_id, &rows, &context).await?;
    report.created = created;
    report.updated = updated;
    if options.dry_run {
        txn.rollback().await?;
        return Ok(report);
    }
    Entry::new("import", "people_import", &import_id)
        .after(&serde_json::json!({"created": created, "updated": updated, "rejected_rows": report.errors.len()}))
        .record(&txn, caller)
        .await?;
    txn.commit().await?;
    report.import_id = Some(import_id);
    Ok(report)
}

fn read_csv(body: &[u8]) -> Result<Vec<Cells<'static>>, AppError> {
    let body = body.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(body);
    let mut reader = csv::ReaderBuilder::new().flexible(true).from_reader(body);
    let headers = reader
        .headers()
        .map_err(|e| {
            AppError::bad_request("body", "import.not_csv", format!("not a CSV file: {e}"))
        })?
        .clone();
    let mut columns = Vec::new();
    for header in headers.iter() {
        let name = header.trim();
        let known = COLUMNS.iter().find(|c| **c == name).ok_or_else(|| {
            AppError::bad_request(
                "header",
                "import.unknown_column",
                format!(
                    "unknown column {name:?}; the columns are {}",
                    COLUMNS.join(",")
                ),
            )
        })?;
        columns.push(*known);
    }
    for required in REQUIRED_COLUMNS {
        if !columns.contains(&required) {
            return Err(AppError::bad_request(
                "header",
                "import.missing_column",
                format!("the column {required:?} is missing"),
            ));
        }
    }
    let mut records = Vec::new();
    // Line numbers come from byte offsets: the csv crate miscounts lines of CRLF files.
    let (mut counted_to, mut line) = (0usize, 1u64);
    for record in reader.records() {
        let record = record.map_err(|e| {
            AppError::bad_request("body", "import.unreadable", format!("unreadable CSV: {e}"))
        })?;
        // With CRLF the reported offset is the previous line's '\n', so it is counted too.
        let start = record
            .position()
            .map(|p| p.byte() as usize + 1)
            .unwrap_or(counted_to)
            .clamp(counted_to, body.len());
        line += body[counted_to..start]
            .iter()
            .filter(|b| **b == b'\n')
            .count() as u64;
        counted_to = start;
        if record.iter().all(|v| v.trim().is_empty()) {
            continue;
        }
        let values = columns
            .iter()
            .zip(record.iter())
            .map(|(c, v)| (*c, v.trim().to_owned()))
            .collect();
        records.push(Cells { line, values });
    }
    if records.is_empty() {
        return Err(AppError::bad_request(
            "body",
            "import.empty",
            "the file has no rows",
        ));
    }
    Ok(records)
}

/// What the rows refer to, loaded once for the whole file.
struct Lookups {
    streets: HashMap<String, i32>,
    communities: HashMap<String, community::Model>,
    existing: HashMap<String, person::Model>,
    sport_items: HashMap<String, bool>,
    /// Sport item codes by their Chinese names: offices write `太极拳`, not `taichi`.
    sport_item_names: HashMap<String, String>,
    min_age: i32,
}

impl Lookups {
    async fn load(db: &DatabaseConnection, records: &[Cells<'_>]) -> Result<Self, AppError> {
        let distinct = |column: &str| -> Vec<String> {
            let set: HashSet<String> = records
                .iter()
                .filter_map(|r| r.get(column).map(str::to_owned))
                .collect();
            set.into_iter().collect()
        };
        let mut streets = HashMap::new();
        for chunk in distinct("street_code").chunks(CHUNK) {
            let found: Vec<(String, i32)> = street::Entity::find()
                .select_only()
                .columns([street::Column::Code, street::Column::Id])
                .filter(street::Column::Code.is_in(chunk.iter().cloned()))
                .into_tuple()
                .all(db)
                .await?;
            streets.extend(found);
        }
        let mut communities = HashMap::new();
        for chunk in distinct("community_code").chunks(CHUNK) {
            for c in community::Entity::find()
                .filter(community::Column::Code.is_in(chunk.iter().cloned()))
                .all(db)
                .await?
            {
                communities.insert(c.code.clone(), c);
            }
        }
        let numbers: Vec<String> = distinct("id_number")
            .into_iter()
            .map(|n| n.to_ascii_uppercase())
            .collect();
        let mut existing = HashMap::new();
        for chunk in numbers.chunks(CHUNK) {
            for p in person::Entity::find()
                .filter(person::Column::IdNumber.is_in(chunk.iter().cloned()))
                .all(db)
                .await?
            {
                existing.insert(p.id_number.clone(), p);
            }
        }
        let items: Vec<(String, String, bool)> = sport_item::Entity::find()
            .select_only()
            .columns([
                sport_item::Column::Code,
                sport_item::Column::Name,
                sport_item::Column::HighRisk,
            ])
            .into_tuple()
            .all(db)
            .await?;
        let sport_items = items
            .iter()
            .map(|(code, _, high_risk)| (code.clone(), *high_risk))
            .collect();
        let sport_item_names = items
            .into_iter()
            .map(|(code, name, _)| (name, code))
            .collect();
        let min_age = policy::get(db).await?.policy.min_age as i32;
        Ok(Self {
            streets,
            communities,
            existing,
            sport_items,
            sport_item_names,
            min_age,
        })
    }
}

fn check_row(
    cells: &Cells<'_>,
    context: &Lookups,
    caller: &Caller,
    today: NaiveDate,
    errors: &mut Vec<FieldViolation>,
) -> Option<Row> {
    let required = |column: &str, errors: &mut Vec<FieldViolation>| {
        let value = cells.get(column).map(str::to_owned);
        if value.is_none() {
            errors.push(FieldViolation::new(column, "value.required", "is required"));
        }
        value
    };
    let name = required("name", errors).and_then(|n| {
        crate::domain::text::name("name", &n, 50)
            .map_err(|v| errors.push(v))
            .ok()
    });
    let id_number = required("id_number", errors)
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
        match cells
            .get("birth_date")
            .map(|d| (d, NaiveDate::parse_from_str(d, "%Y-%m-%d")))
        {
            Some((_, Err(_))) => errors.push(FieldViolation::new(
                "birth_date",
                "date.format",
                "must be YYYY-MM-DD",
            )),
            Some((_, Ok(d))) if d != number.birth_date() => errors.push(FieldViolation::new(
                "birth_date",
                "person.birth_date_mismatch",
                "does not match the ID number",
            )),
            _ => {}
        }
    }
    let phone =
        required("phone", errors).and_then(|p| Phone::parse(&p).map_err(|v| errors.push(v)).ok());
    let email = cells
        .get("email")
        .and_then(|e| Email::parse(e).map_err(|v| errors.push(v)).ok());
    let street_id =
        required("street_code", errors).and_then(|code| match context.streets.get(&code) {
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
    let certified_on = match cells
        .get("certified_on")
        .map(|d| NaiveDate::parse_from_str(d, "%Y-%m-%d"))
    {
        None => Some(today),
        Some(Ok(d)) if d > today => {
            errors.push(FieldViolation::new(
                "certified_on",
                "date.in_future",
                "must not be in the future",
            ));
            None
        }
        Some(Ok(d)) => crate::domain::time::check_date("certified_on", d)
            .map_err(|v| errors.push(v))
            .ok(),
        Some(Err(_)) => {
            errors.push(FieldViolation::new(
                "certified_on",
                "date.format",
                "must be YYYY-MM-DD",
            ));
            None
        }
    };
    if let (Some(number), Some(day), Some(_)) = (&id_number, certified_on, role) {
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
    let certificate_no = cells.get("certificate_no").map(str::to_owned);
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
                    certificate_no.clone()
                } else {
                    None
                },
                sport_item: code,
            }),
        }
    }
    if let Some(existing) = id_number
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
        name: name?,
        id_number: id_number?,
        phone: phone?.into_inner(),
        email: email.map(Email::into_inner),
        street_id: street_id?,
        community_id: community,
        role,
        grade,
        employment,
        certificate_no,
        certified_on: certified_on?,
        specialties,
    })
}

/// Writes the checked rows; returns (people created, people updated).
async fn write_rows(
    txn: &impl ConnectionTrait,
    caller: &Caller,
    import_id: &str,
    rows: &[Row],
    context: &Lookups,
) -> Result<(usize, usize), AppError> {
    let now = Utc::now();
    people_import::Entity::insert(people_import::ActiveModel {
        id: Set(import_id.to_owned()),
        created_by: Set(caller.account_id),
        created: Set(0),
        updated: Set(0),
        created_at: Set(now),
        undone_at: Set(None),
    })
    .exec(txn)
    .await?;
    let new_rows: Vec<&Row> = rows
        .iter()
        .filter(|r| !context.existing.contains_key(r.id_number.as_str()))
        .collect();
    for chunk in new_rows.chunks(CHUNK) {
        person::Entity::insert_many(chunk.iter().map(|r| person::ActiveModel {
            name: Set(r.name.clone()),
            gender: Set(r.id_number.gender()),
            birth_date: Set(r.id_number.birth_date()),
            id_number: Set(r.id_number.as_str().to_owned()),
            phone: Set(r.phone.clone()),
            email: Set(r.email.clone()),
            street_id: Set(r.street_id),
            status: Set(PersonStatus::Active),
            import_id: Set(Some(import_id.to_owned())),
            version: Set(1),
            created_at: Set(now),
            updated_at: Set(now),
            ..Default::default()
        }))
        .exec_without_returning(txn)
        .await
        .map_err(|e| {
            AppError::unique_or_db(
                e,
                "id_number",
                "person.duplicate_id_number",
                "a person with this ID number was registered meanwhile",
            )
        })?;
    }
    let mut ids: HashMap<String, i32> = person::Entity::find()
        .select_only()
        .columns([person::Column::IdNumber, person::Column::Id])
        .filter(person::Column::ImportId.eq(import_id))
        .into_tuple::<(String, i32)>()
        .all(txn)
        .await?
        .into_iter()
        .collect();
    ids.extend(context.existing.iter().map(|(n, p)| (n.clone(), p.id)));

    let held: HashSet<(i32, QualificationKind)> =
        held_qualifications(txn, &context.existing).await?;
    let terms = assignment_terms(txn, &context.existing).await?;
    let mut specialties = Vec::new();
    let mut qualifications = Vec::new();
    let mut assignments = Vec::new();
    let mut updated = HashSet::new();
    for row in rows {
        let person_id = ids[row.id_number.as_str()];
        let is_new = !context.existing.contains_key(row.id_number.as_str());
        if is_new {
            specialties.extend(
                row.specialties
                    .iter()
                    .map(|s| person_specialty::ActiveModel {
                        person_id: Set(person_id),
                        sport_item: Set(s.sport_item.clone()),
                        licence_no: Set(s.licence_no.clone()),
                    }),
            );
        }
        if let Some(kind) = row.role
            && !held.contains(&(person_id, kind))
        {
            qualifications.push(qualification::ActiveModel {
                person_id: Set(person_id),
                kind: Set(kind),
                grade: Set(row.grade),
                certificate_no: Set(row.certificate_no.clone()),
                certified_on: Set(row.certified_on),
                employment: Set(row.employment),
                issued_by: Set(None),
                status: Set(QualificationStatus::Active),
                import_id: Set(Some(import_id.to_owned())),
                version: Set(1),
                created_at: Set(now),
                updated_at: Set(now),
                ..Default::default()
            });
            if !is_new {
                updated.insert(person_id);
            }
        }
        // Like a single assignment, an imported one may not overlap a term of the same person,
        // community and role: it is open-ended, so any term not ended by its start overlaps.
        let overlaps = |community_id: i32, kind: QualificationKind| {
            terms
                .get(&(person_id, community_id, kind))
                .is_some_and(|ends| {
                    ends.iter()
                        .any(|end| end.is_none_or(|end| end > row.certified_on))
                })
        };
        if let (Some(community_id), Some(kind)) = (row.community_id, row.role)
            && !overlaps(community_id, kind)
        {
            assignments.push(assignment::ActiveModel {
                person_id: Set(person_id),
                community_id: Set(community_id),
                role: Set(kind),
                employment: Set(row.employment),
                starts_on: Set(row.certified_on),
                ends_on: Set(None),
                end_reason: Set(None),
                created_by: Set(caller.account_id),
                import_id: Set(Some(import_id.to_owned())),
                created_at: Set(now),
                ..Default::default()
            });
            if !is_new {
                updated.insert(person_id);
            }
        }
    }
    insert_chunks::<person_specialty::Entity>(txn, specialties).await?;
    insert_chunks::<qualification::Entity>(txn, qualifications).await?;
    insert_chunks::<assignment::Entity>(txn, assignments).await?;
    let created = new_rows.len();
    people_import::Entity::update(people_import::ActiveModel {
        id: Set(import_id.to_owned()),
        created: Set(created as i32),
        updated: Set(updated.len() as i32),
        ..Default::default()
    })
    .exec(txn)
    .await?;
    Ok((created, updated.len()))
}

async fn insert_chunks<E: EntityTrait>(
    txn: &impl ConnectionTrait,
    rows: Vec<E::ActiveModel>,
) -> Result<(), AppError>
where
    E::ActiveModel: sea_orm::ActiveModelTrait<Entity = E> + Send,
{
    let mut rows = rows.into_iter().peekable();
    while rows.peek().is_some() {
        let chunk: Vec<_> = rows.by_ref().take(CHUNK).collect();
        E::insert_many(chunk).exec_without_returning(txn).await?;
    }
    Ok(())
}

async fn held_qualifications(
    txn: &impl ConnectionTrait,
    existing: &HashMap<String, person::Model>,
) -> Result<HashSet<(i32, QualificationKind)>, AppError> {
    let ids: Vec<i32> = existing.values().map(|p| p.id).collect();
    let mut held = HashSet::new();
    for chunk in ids.chunks(CHUNK) {
        let rows: Vec<(i32, QualificationKind)> = qualification::Entity::find()
            .select_only()
            .columns([qualification::Column::PersonId, qualification::Column::Kind])
            .filter(qualification::Column::PersonId.is_in(chunk.iter().copied()))
            .filter(qualification::Column::Status.eq(QualificationStatus::Active))
            .into_tuple()
            .all(txn)
            .await?;
        held.extend(rows);
    }
    Ok(held)
}

/// The end days of every assignment term of the already registered people, by person,
/// community and role.
async fn assignment_terms(
    txn: &impl ConnectionTrait,
    existing: &HashMap<String, person::Model>,
) -> Result<HashMap<(i32, i32, QualificationKind), Vec<Option<NaiveDate>>>, AppError> {
    let ids: Vec<i32> = existing.values().map(|p| p.id).collect();
    let mut terms: HashMap<(i32, i32, QualificationKind), Vec<Option<NaiveDate>>> = HashMap::new();
    for chunk in ids.chunks(CHUNK) {
        let rows: Vec<(i32, i32, QualificationKind, Option<NaiveDate>)> =
            assignment::Entity::find()
                .select_only()
                .columns([
                    assignment::Column::PersonId,
                    assignment::Column::CommunityId,
                    assignment::Column::Role,
                    assignment::Column::EndsOn,
                ])
                .filter(assignment::Column::PersonId.is_in(chunk.iter().copied()))
                .into_tuple()
                .all(txn)
                .await?;
        for (person_id, community_id, role, ends_on) in rows {
            terms
                .entry((person_id, community_id, role))
                .or_default()
                .push(ends_on);
        }
    }
    Ok(terms)
}

/// Removes what an import wrote, unless its people have gained other records or changed since.
pub async fn undo(
    db: &DatabaseConnection,
    caller: &Caller,
    import_id: &str,
) -> Result<(), AppError> {
    // Auditors read every import and change none; for members no import exists.
    caller.require(caller.role != Role::Auditor, "undo imports")?;
    let txn = db::begin_write(db).await?;
    let found = people_import::Entity::find_by_id(import_id.to_owned())
        .one(&txn)
        .await?
        .filter(|i| {
            caller.role == Role::BureauAdmin
                || (caller.account_id.is_some() && i.created_by == caller.account_id)
        })
        .ok_or_else(|| AppError::not_found("import", import_id))?;
    if found.undone_at.is_some() {
        return Err(AppError::conflict(
            "import_id",
            "import.undone",
            "the import has been undone already",
        ));
    }
    let people: Vec<i32> = person::Entity::find()
        .select_only()
        .column(person::Column::Id)
        .filter(person::Column::ImportId.eq(import_id))
        .into_tuple()
        .all(&txn)
        .await?;
    let changed_people = person::Entity::find()
        .filter(person::Column::ImportId.eq(import_id))
        .filter(person::Column::Version.gt(1))
        .count(&txn)
        .await?;
    let mut others = 0;
    for chunk in people.chunks(CHUNK) {
        others += qualification::Entity::find()
            .filter(qualification::Column::PersonId.is_in(chunk.iter().copied()))
            .filter(
                Condition::any()
                    .add(qualification::Column::ImportId.is_null())
                    .add(qualification::Column::ImportId.ne(import_id)),
            )
            .count(&txn)
            .await?;
        others += assignment::Entity::find()
            .filter(assignment::Column::PersonId.is_in(chunk.iter().copied()))
            .filter(
                Condition::any()
                    .add(assignment::Column::ImportId.is_null())
                    .add(assignment::Column::ImportId.ne(import_id)),
            )
            .count(&txn)
            .await?;
        others += account::Entity::find()
            .filter(account::Column::PersonId.is_in(chunk.iter().copied()))
            .count(&txn)
            .await?;
        others += service_session::Entity::find()
            .filter(service_session::Column::PersonId.is_in(chunk.iter().copied()))
            .count(&txn)
            .await?;
        others += enrollment::Entity::find()
            .filter(enrollment::Column::PersonId.is_in(chunk.iter().copied()))
            .count(&txn)
            .await?;
        others += certificate::Entity::find()
            .filter(certificate::Column::PersonId.is_in(chunk.iter().copied()))
            .count(&txn)
            .await?;
        others += registration::Entity::find()
            .filter(registration::Column::PersonId.is_in(chunk.iter().copied()))
            .count(&txn)
            .await?;
    }
    let changed_records = qualification::Entity::find()
        .filter(qualification::Column::ImportId.eq(import_id))
        .filter(qualification::Column::Version.gt(1))
        .count(&txn)
        .await?
        + assignment::Entity::find()
            .filter(assignment::Column::ImportId.eq(import_id))
            .filter(assignment::Column::EndsOn.is_not_null())
            .count(&txn)
            .await?;
    if changed_people + others + changed_records > 0 {
        return Err(AppError::conflict(
            "import_id",
            "import.undo_not_possible",
            "people of this import have changed or gained other records since; undo is no longer possible",
        ));
    }
    assignment::Entity::delete_many()
        .filter(assignment::Column::ImportId.eq(import_id))
        .exec(&txn)
        .await?;
    qualification::Entity::delete_many()
        .filter(qualification::Column::ImportId.eq(import_id))
        .exec(&txn)
        .await?;
    for chunk in people.chunks(CHUNK) {
        person_specialty::Entity::delete_many()
            .filter(person_specialty::Column::PersonId.is_in(chunk.iter().copied()))
            .exec(&txn)
            .await?;
    }
    let removed = person::Entity::delete_many()
        .filter(person::Column::ImportId.eq(import_id))
        .exec(&txn)
        .await?;
    people_import::Entity::update(people_import::ActiveModel {
        id: Set(import_id.to_owned()),
        undone_at: Set(Some(Utc::now())),
        ..Default::default()
    })
    .exec(&txn)
    .await?;
    Entry::new("undo_import", "people_import", import_id)
        .after(&serde_json::json!({"people_removed": removed.rows_affected}))
        .record(&txn, caller)
        .await?;
    txn.commit().await?;
    Ok(())
}
