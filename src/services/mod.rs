//! Use cases. Each checks its inputs, opens a transaction for writes and applies the domain
//! rules; none sees an HTTP type.

pub mod account_tokens;
pub mod accounts;
pub mod assignments;
pub mod audit;
pub mod auth;
pub mod backup;
pub mod certificates;
pub mod courses;
pub mod coverage;
pub mod coverage_alerts;
pub mod coverage_export;
pub mod coverage_trend;
pub mod eligibility;
pub mod enrollment_export;
pub mod enrollments;
pub mod housekeeping;
pub mod import;
pub mod list_scope;
pub mod open_assignments;
pub mod outbox;
pub mod people;
pub mod people_export;
pub mod person_scope;
pub mod policy;
pub mod qualifications;
pub mod query;
pub mod regions;
pub mod registration_list;
pub mod registration_reminders;
pub mod registrations;
pub mod schedule;
pub mod seed;
pub mod service_sessions;
pub mod sport_items;
pub mod spreadsheet;
pub mod throttle;
pub mod training;

use sea_orm::{ConnectionTrait, DbErr, PaginatorTrait, SelectorTrait};

/// Largest page a list returns.
pub const MAX_PER_PAGE: u64 = 200;
/// Highest page number a list accepts (100,000 pages of 200 is far beyond any list here).
pub const MAX_PAGE: u64 = 100_000;
/// Page size when the client names none.
pub const DEFAULT_PER_PAGE: u64 = 50;

/// Which page of a list to return; `page` counts from 1.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PageRequest {
    pub page: u64,
    pub per_page: u64,
}

impl PageRequest {
    /// The first `per_page` items.
    pub fn first(per_page: u64) -> Self {
        Self { page: 1, per_page }
    }
}

impl Default for PageRequest {
    fn default() -> Self {
        Self {
            page: 1,
            per_page: DEFAULT_PER_PAGE,
        }
    }
}

/// One page of a list and the size of the whole list.
#[derive(Debug, Clone, PartialEq)]
pub struct Paged<T> {
    pub items: Vec<T>,
    pub total: u64,
    pub page: u64,
    pub per_page: u64,
}

impl<T> Paged<T> {
    pub fn map<U>(self, f: impl FnMut(T) -> U) -> Paged<U> {
        Paged {
            items: self.items.into_iter().map(f).collect(),
            total: self.total,
            page: self.page,
            per_page: self.per_page,
        }
    }
}

/// Runs a select as one counted page.
pub async fn fetch_page<'db, C, S>(
    select: S,
    db: &'db C,
    request: PageRequest,
) -> Result<Paged<<S::Selector as SelectorTrait>::Item>, DbErr>
where
    C: ConnectionTrait,
    S: PaginatorTrait<'db, C>,
{
    // The API bounds both numbers; here they are clamped again so that no caller can make the
    // offset overflow the database's signed 64-bit integers.
    let per_page = request.per_page.clamp(1, MAX_PER_PAGE);
    let page = request.page.clamp(1, MAX_PAGE);
    let paginator = select.paginate(db, per_page);
    let total = paginator.num_items().await?;
    let items = paginator.fetch_page(page - 1).await?;
    Ok(Paged {
        items,
        total,
        page: request.page,
        per_page: request.per_page,
    })
}
