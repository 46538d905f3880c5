//! Streets and communities: everyone reads them, the bureau adds and changes communities.

use crate::services::open_assignments;
use chrono::Utc;
use sea_orm::{
    ActiveModelTrait,
    ActiveValue::Set,
    ColumnTrait, ConnectionTrait, DatabaseConnection, EntityTrait, ExprTrait, QueryFilter,
    QueryOrder,
    sea_query::{Expr, LikeExpr},
};

use super::{PageRequest, Paged, audit::Entry, fetch_page};
use crate::{
    auth::{Caller, Target},
    db,
    domain::{
        FieldViolation,
        region::{CommunityKind, check_community_code},
    },
    entities::{community, street},
    error::AppError,
};

/// Filters of the community list; all optional.
#[derive(Debug, Clone, Default)]
pub struct CommunityFilter {
    pub street_id: Option<i32>,
    pub active: Option<bool>,
    pub kind: Option<CommunityKind>,
    /// Part of the name or code.
    pub q: Option<String>,
}

/// A community with the street it belongs to.
pub type CommunityWithStreet = (community::Model, street::Model);

pub async fn list_streets(
    db: &DatabaseConnection,
    page: PageRequest,
) -> Result<Paged<street::Model>, AppError> {
    Ok(fetch_page(
        street::Entity::find().order_by_asc(street::Column::Code),
        db,
        page,
    )
    .await?)
}

pub async fn get_street(db: &DatabaseConnection, id: i32) -> Result<street::Model, AppError> {
    street::Entity::find_by_id(id)
        .one(db)
        .await?
        .ok_or_else(|| AppError::not_found("street", id))
}

pub async fn list_communities(
    db: &DatabaseConnection,
    filter: &CommunityFilter,
    page: PageRequest,
) -> Result<Paged<CommunityWithStreet>, AppError> {
    let mut select = community::Entity::find().find_also_related(street::Entity);
    if let Some(street_id) = filter.street_id {
        select = select.filter(community::Column::StreetId.eq(street_id));
    }
    if let Some(active) = filter.active {
        select = select.filter(community::Column::Active.eq(active));
    }
    if let Some(kind) = filter.kind {
        select = select.filter(community::Column::Kind.eq(kind));
    }
    if let Some(q) = filter.q.as_deref().map(str::trim).filter(|q| !q.is_empty()) {
        let pattern = format!("%{}%", super::query::escape_like(q));
        select = select.filter(
            Expr::col((community::Entity, community::Column::Name))
                .like(LikeExpr::new(pattern.clone()).escape('\\'))
                .or(Expr::col((community::Entity, community::Column::Code))
                    .like(LikeExpr::new(pattern).escape('\\'))),
        );
    }
    let paged = fetch_page(select.order_by_asc(community::Column::Code), db, page).await?;
    with_street(paged)
}

/// The names of communities, by id.
pub async fn community_names(
    db: &DatabaseConnection,
    ids: &[i32],
) -> Result<std::collections::HashMap<i32, String>, AppError> {
    if ids.is_empty() {
        return Ok(Default::default());
    }
    Ok(community::Entity::find()
        .filter(community::Column::Id.is_in(ids.iter().copied()))
        .all(db)
        .await?
        .into_iter()
        .map(|c| (c.id, c.name))
        .collect())
}

pub async fn get_community(
    db: &DatabaseConnection,
    id: i32,
) -> Result<CommunityWithStreet, AppError> {
    let found = community::Entity::find_by_id(id)
        .find_also_related(street::Entity)
        .one(db)
        .await?;
    match found {
        Some((community, Some(street))) => Ok((community, street)),
        Some((community, None)) => Err(orphan(&community)),
        None => Err(AppError::not_found("community", id)),
    }
}

/// A community whose check-in poster the caller may print: the bureau's, or the officers' of its
/// street (an officer of another street or a member gets 404, an auditor 403).
pub async fn community_for_poster(
    db: &DatabaseConnection,
    caller: &Caller,
    id: i32,
) -> Result<CommunityWithStreet, AppError> {
    let found = get_community(db, id).await?;
    caller.authorize_write(Target::Street(found.0.street_id), "community", id)?;
    Ok(found)
}

/// A community as a street's page shows it: the bureau's and the auditors', or the officers' of
/// its street (an officer of another street or a member gets 404).
pub async fn community_for_office(
    db: &DatabaseConnection,
    caller: &Caller,
    id: i32,
) -> Result<CommunityWithStreet, AppError> {
    let found = get_community(db, id).await?;
    caller.authorize_read(Target::Street(found.0.street_id), "community", id)?;
    Ok(found)
}

/// The foreign key guarantees every community a street; a missing one is a server fault.
fn with_street(
    paged: Paged<(community::Model, Option<street::Model>)>,
) -> Result<Paged<CommunityWithStreet>, AppError> {
    let mut items = Vec::with_capacity(paged.items.len());
    for (community, street) in paged.items {
        items.push((community.clone(), street.ok_or_else(|| orphan(&community))?));
    }
    Ok(Paged {
        items,
        total: paged.total,
        page: paged.page,
        per_page: paged.per_page,
    })
}

fn orphan(community: &community::Model) -> AppError {
    AppError::Internal(format!(
        "community {} has no street {}",
        community.id, community.street_id
    ))
}

/// A community to add.
#[derive(Debug, Clone)]
pub struct NewCommunity {
    pub street_id: i32,
    pub code: String,
    pub name: String,
    pub official_name: Option<String>,
    /// Derived from the code when absent.
    pub kind: Option<CommunityKind>,
    pub population: Option<i32>,
    pub active: Option<bool>,
}

/// Changes to a community; `None` leaves a field as it is.
#[derive(Debug, Clone, Default)]
pub struct CommunityChanges {
    pub name: Option<String>,
    pub official_name: Option<String>,
    pub kind: Option<CommunityKind>,
    /// `Some(None)` clears the population.
    pub population: Option<Option<i32>>,
    pub active: Option<bool>,
    pub expected_version: Option<i64>,
}

/// Largest population a community may be given.
const MAX_POPULATION: i32 = 10_000_000;

pub async fn create_community(
    db: &DatabaseConnection,
    caller: &Caller,
    new: NewCommunity,
) -> Result<CommunityWithStreet, AppError> {
    caller.require(caller.can_write(Target::Reference), "add communities")?;
    let street = street::Entity::find_by_id(new.street_id)
        .one(db)
        .await?
        .ok_or_else(|| {
            AppError::invalid(
                "street_id",
                "street.unknown",
                format!("no street has id {}", new.street_id),
            )
        })?;
    let mut violations = Vec::new();
    let code = new.code.trim().to_owned();
    if let Err(message) = check_community_code(&code, &street.code) {
        violations.push(FieldViolation::new(
            "code",
            "community.code_invalid",
            message,
        ));
    }
    let name = checked_name("name", &new.name, &mut violations);
    let official_name = new
        .official_name
        .as_deref()
        .map(|n| checked_name("official_name", n, &mut violations));
    check_population(new.population, &mut violations);
    let kind = new.kind.or_else(|| CommunityKind::from_code(&code));
    if kind.is_none() && violations.is_empty() {
        violations.push(FieldViolation::new(
            "kind",
            "community.kind_required",
            "cannot be derived from the code: give community or village",
        ));
    }
    let (Some(kind), true) = (kind, violations.is_empty()) else {
        return Err(AppError::violations(violations));
    };

    let txn = db::begin_write(db).await?;
    if community::Entity::find()
        .filter(community::Column::Code.eq(code.as_str()))
        .one(&txn)
        .await?
        .is_some()
    {
        return Err(AppError::conflict(
            "code",
            "community.duplicate",
            format!("community {code} exists already"),
        ));
    }
    let now = Utc::now();
    let created = community::ActiveModel {
        street_id: Set(street.id),
        code: Set(code),
        official_name: Set(official_name.unwrap_or_else(|| name.clone())),
        name: Set(name),
        kind: Set(kind),
        population: Set(new.population),
        active: Set(new.active.unwrap_or(true)),
        version: Set(1),
        created_at: Set(now),
        updated_at: Set(now),
        ..Default::default()
    }
    .insert(&txn)
    .await
    .map_err(|e| {
        AppError::unique_or_db(
            e,
            "code",
            "community.duplicate",
            "a community with this code exists already",
        )
    })?;
    Entry::new("create", "community", created.id)
        .after(&created)
        .record(&txn, caller)
        .await?;
    txn.commit().await?;
    Ok((created, street))
}

pub async fn update_community(
    db: &DatabaseConnection,
    caller: &Caller,
    id: i32,
    changes: CommunityChanges,
) -> Result<CommunityWithStreet, AppError> {
    caller.require(caller.can_write(Target::Reference), "change communities")?;
    let mut violations = Vec::new();
    let name = changes
        .name
        .as_deref()
        .map(|n| checked_name("name", n, &mut violations));
    let official_name = changes
        .official_name
        .as_deref()
        .map(|n| checked_name("official_name", n, &mut violations));
    check_population(changes.population.flatten(), &mut violations);
    if !violations.is_empty() {
        return Err(AppError::violations(violations));
    }

    let txn = db::begin_write(db).await?;
    let (before, street) = get_community_in(&txn, id).await?;
    AppError::check_version(changes.expected_version, before.version)?;
    let mut active: community::ActiveModel = before.clone().into();
    if let Some(name) = name {
        active.name = Set(name);
    }
    if let Some(official_name) = official_name {
        active.official_name = Set(official_name);
    }
    if let Some(kind) = changes.kind {
        active.kind = Set(kind);
    }
    if let Some(population) = changes.population {
        active.population = Set(population);
    }
    if let Some(flag) = changes.active
        && flag != before.active
    {
        active.active = Set(flag);
        active.deactivated_on = Set(if flag {
            None
        } else {
            Some(crate::domain::time::today())
        });
    }
    active.version = Set(before.version + 1);
    active.updated_at = Set(Utc::now());
    let after = active.update(&txn).await?;
    let action = match (before.active, after.active) {
        (true, false) => "deactivate",
        (false, true) => "activate",
        _ => "update",
    };
    Entry::new(action, "community", id)
        .before(&before)
        .after(&after)
        .record(&txn, caller)
        .await?;
    if action == "deactivate" {
        open_assignments::end_open(
            &txn,
            caller,
            open_assignments::Scope::Community(id),
            None,
            "community deactivated",
        )
        .await?;
    }
    txn.commit().await?;
    Ok((after, street))
}

async fn get_community_in(
    db: &impl ConnectionTrait,
    id: i32,
) -> Result<CommunityWithStreet, AppError> {
    match community::Entity::find_by_id(id)
        .find_also_related(street::Entity)
        .one(db)
        .await?
    {
        Some((community, Some(street))) => Ok((community, street)),
        Some((community, None)) => Err(orphan(&community)),
        None => Err(AppError::not_found("community", id)),
    }
}

fn checked_name(field: &str, raw: &str, violations: &mut Vec<FieldViolation>) -> String {
    crate::domain::text::name(field, raw, 100).unwrap_or_else(|v| {
        violations.push(v);
        raw.trim().to_owned()
    })
}

fn check_population(population: Option<i32>, violations: &mut Vec<FieldViolation>) {
    if population.is_some_and(|p| !(0..=MAX_POPULATION).contains(&p)) {
        violations.push(FieldViolation::new(
            "population",
            "number.out_of_range",
            format!("must be between 0 and {MAX_POPULATION}"),
        ));
    }
}
