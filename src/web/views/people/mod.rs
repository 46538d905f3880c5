//! The street's people: the list with its search and filters, and the same list as a file.
//! One person's page is in [`detail`], enrolling and editing in [`form`], qualifications and
//! standing in [`standing`], the member account in [`account`].

pub mod account;
pub mod detail;
pub mod form;
pub mod id_check;
pub mod standing;

use askama::Template;
use poem::{IntoResponse, Request, Response, handler, web::Query};
use serde::Deserialize;

use crate::{
    api::files::{ExportFile, ExportFormat},
    domain::{
        account::Role,
        careers::RegistrationStanding,
        id_number::mask,
        person::{Grade, PersonStatus, QualificationKind, QualificationStatus},
    },
    error::AppError,
    services::{
        PageRequest,
        people::{self, PersonFilter, PersonView},
        people_export::{self, Format},
        regions::{self, CommunityFilter},
    },
    web::{
        Layout, page,
        session::{WebCaller, state},
        views::{
            sessions::Choice,
            staff::{Pager, code, code_of, may_change, page_number, query_string, require_staff},
        },
    },
};

/// People shown per page.
const PER_PAGE: u64 = 50;

/// The list's search and filters, as the form sends them.
#[derive(Debug, Default, Deserialize)]
pub struct PeopleQuery {
    q: Option<String>,
    community_id: Option<String>,
    role: Option<String>,
    grade: Option<String>,
    status: Option<String>,
    registration: Option<String>,
    page: Option<String>,
}

impl PeopleQuery {
    fn filter(&self) -> PersonFilter {
        PersonFilter {
            q: self.q.clone().filter(|q| !q.trim().is_empty()),
            community_id: self
                .community_id
                .as_deref()
                .and_then(|c| c.trim().parse().ok()),
            role: code_of(self.role.as_deref()),
            grade: code_of(self.grade.as_deref()),
            status: code_of(self.status.as_deref()),
            registration: code_of(self.registration.as_deref()),
            ..Default::default()
        }
    }

    /// The filters in force, as query parameters (without the page).
    fn params(&self) -> Vec<(&'static str, String)> {
        let filter = self.filter();
        vec![
            ("q", filter.q.clone().unwrap_or_default()),
            (
                "community_id",
                filter
                    .community_id
                    .map(|c| c.to_string())
                    .unwrap_or_default(),
            ),
            ("role", filter.role.map(code).unwrap_or_default()),
            ("grade", filter.grade.map(code).unwrap_or_default()),
            ("status", filter.status.map(code).unwrap_or_default()),
            (
                "registration",
                filter.registration.map(code).unwrap_or_default(),
            ),
        ]
    }
}

/// One line of the list.
pub struct PersonRow {
    pub id: i32,
    pub name: String,
    pub gender: &'static str,
    pub id_number: String,
    pub phone: String,
    pub qualifications: String,
    pub status: &'static str,
    pub active: bool,
    /// The person's street, on the district roles' list.
    pub street: String,
}

/// The qualifications in force, in Chinese: `社会体育指导员（二级）、文体管理员（兼职）`.
pub fn held_names(view: &PersonView) -> String {
    view.qualifications
        .iter()
        .filter(|q| q.status == QualificationStatus::Active)
        .map(|q| match (q.grade, q.employment) {
            (Some(grade), _) => format!("{}（{}）", q.kind.chinese(), grade.chinese()),
            (None, Some(employment)) => format!("{}（{}）", q.kind.chinese(), employment.chinese()),
            (None, None) => q.kind.chinese().to_owned(),
        })
        .collect::<Vec<_>>()
        .join("、")
}

fn row_of(view: &PersonView, streets: &std::collections::HashMap<i32, String>) -> PersonRow {
    let p = &view.person;
    PersonRow {
        id: p.id,
        name: p.name.clone(),
        gender: p.gender.chinese(),
        id_number: if view.reveal_id_number {
            p.id_number.clone()
        } else {
            mask(&p.id_number)
        },
        phone: p.phone.clone(),
        qualifications: held_names(view),
        status: p.status.chinese(),
        active: p.status == PersonStatus::Active,
        street: streets.get(&p.street_id).cloned().unwrap_or_default(),
    }
}

/// Options of a select: an "any" first, then each `(code, label)`.
pub fn choices(any: &str, options: &[(String, String)], selected: &str) -> Vec<Choice> {
    std::iter::once((String::new(), any.to_owned()))
        .chain(options.iter().cloned())
        .map(|(value, label)| Choice {
            selected: value == selected,
            value,
            label,
        })
        .collect()
}

pub fn kind_options() -> Vec<(String, String)> {
    QualificationKind::ALL
        .iter()
        .map(|k| (code(k), k.chinese().to_owned()))
        .collect()
}

pub fn grade_options() -> Vec<(String, String)> {
    [Grade::Third, Grade::Second, Grade::First, Grade::National]
        .iter()
        .map(|g| (code(g), g.chinese().to_owned()))
        .collect()
}

/// The communities the caller's street holds (every one for the district roles), as choices.
pub async fn street_communities(
    db: &sea_orm::DatabaseConnection,
    who: &WebCaller,
) -> Result<Vec<(String, String)>, AppError> {
    let street_id = match who.caller.role {
        Role::StreetOfficer => who.caller.street_id,
        _ => None,
    };
    let found = regions::list_communities(
        db,
        &CommunityFilter {
            street_id,
            ..Default::default()
        },
        PageRequest::first(if street_id.is_some() { 1000 } else { 5000 }),
    )
    .await?;
    Ok(found
        .items
        .into_iter()
        .map(|(c, s)| {
            let label = if street_id.is_some() {
                c.name
            } else {
                format!("{}（{}）", c.name, s.name)
            };
            (c.id.to_string(), label)
        })
        .collect())
}

#[derive(Template)]
#[template(path = "office/people.html")]
struct PeoplePage {
    layout: Layout,
    title: &'static str,
    q: String,
    communities: Vec<Choice>,
    roles: Vec<Choice>,
    grades: Vec<Choice>,
    statuses: Vec<Choice>,
    registrations: Vec<Choice>,
    rows: Vec<PersonRow>,
    pager: Pager,
    filtered: bool,
    export_query: String,
    may_change: bool,
    district: bool,
}

/// `/people`: the people of the caller's street (the district for the bureau and auditors).
#[handler]
pub async fn list(
    req: &Request,
    who: WebCaller,
    Query(query): Query<PeopleQuery>,
) -> poem::Result<Response> {
    require_staff(&who)?;
    let state = state(req)?;
    let db = &state.db;
    let account = who.account.clone();
    let filter = query.filter();
    let page_no = page_number(query.page.as_deref());
    let found = people::list(
        db,
        &who.caller,
        &filter,
        PageRequest {
            page: page_no,
            per_page: PER_PAGE,
        },
    )
    .await?;
    let params = query.params();
    let selected = |name: &str| {
        params
            .iter()
            .find(|(n, _)| *n == name)
            .map(|(_, v)| v.clone())
            .unwrap_or_default()
    };
    let statuses: Vec<(String, String)> = [
        PersonStatus::Active,
        PersonStatus::Suspended,
        PersonStatus::Retired,
    ]
    .iter()
    .map(|s| (code(s), s.chinese().to_owned()))
    .collect();
    let registrations = vec![
        (
            code(RegistrationStanding::Current),
            "已完成本年度注册".to_owned(),
        ),
        (
            code(RegistrationStanding::Lapsed),
            "本年度注册已逾期".to_owned(),
        ),
    ];
    let district = who.caller.role != Role::StreetOfficer;
    let streets = if district {
        regions::list_streets(db, PageRequest::first(500))
            .await?
            .items
            .into_iter()
            .map(|s| (s.id, s.name))
            .collect()
    } else {
        std::collections::HashMap::new()
    };
    page(&PeoplePage {
        layout: Layout::signed_in(&who, &account.username, "/people"),
        title: "人员",
        q: filter.q.clone().unwrap_or_default(),
        communities: choices(
            "全部社区（村）",
            &street_communities(db, &who).await?,
            &selected("community_id"),
        ),
        roles: choices("全部类别", &kind_options(), &selected("role")),
        grades: choices("全部等级", &grade_options(), &selected("grade")),
        statuses: choices("全部状态", &statuses, &selected("status")),
        registrations: choices("不限", &registrations, &selected("registration")),
        rows: found.items.iter().map(|v| row_of(v, &streets)).collect(),
        pager: Pager::new("/people", &params, page_no, PER_PAGE, found.total),
        filtered: params.iter().any(|(_, v)| !v.is_empty()),
        export_query: query_string(&params),
        may_change: may_change(&who),
        district,
    })
}

#[derive(Debug, Default, Deserialize)]
pub struct ExportQuery {
    format: Option<String>,
    #[serde(flatten)]
    filters: PeopleQuery,
}

/// `/people/export?format=csv|xlsx&...`: the list with the filters on screen, as a file.
#[handler]
pub async fn export(
    req: &Request,
    who: WebCaller,
    Query(query): Query<ExportQuery>,
) -> poem::Result<Response> {
    require_staff(&who)?;
    let state = state(req)?;
    let (format, export_format) = match query.format.as_deref() {
        Some("xlsx") => (Format::Xlsx, ExportFormat::Xlsx),
        _ => (Format::Csv, ExportFormat::Csv),
    };
    let (bytes, _) =
        people_export::export(&state.db, &who.caller, &query.filters.filter(), format).await?;
    Ok(ExportFile {
        body: bytes.into(),
        format: export_format,
        name: format!("people-{}", crate::domain::time::today()),
    }
    .into_response())
}
