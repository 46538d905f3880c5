//! Reading streets and communities.

use sea_orm::{
    ColumnTrait, DatabaseConnection, EntityTrait, ExprTrait, QueryFilter, QueryOrder,
    sea_query::{Expr, LikeExpr},
};

use super::{PageRequest, Paged, fetch_page};
use crate::{
    domain::region::CommunityKind,
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
        let pattern = format!("%{}%", escape_like(q));
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

/// Escapes `%`, `_` and the escape character itself for a LIKE pattern.
pub fn escape_like(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        if matches!(c, '%' | '_' | '\\') {
            out.push('\\');
        }
        out.push(c);
    }
    out
}
