//! The list envelope `{items, total, page, per_page}` shared by every list endpoint.

use poem_openapi::{
    Object,
    types::{ParseFromJSON, ToJSON},
};

use crate::services::{DEFAULT_PER_PAGE, PageRequest, Paged};

/// One page of a list.
#[derive(Debug, Object)]
pub struct Page<T: ParseFromJSON + ToJSON> {
    /// The items on this page.
    pub items: Vec<T>,
    /// How many items the whole list holds.
    pub total: u64,
    /// This page's number, from 1.
    pub page: u64,
    /// The page size asked for.
    pub per_page: u64,
}

impl<T: ParseFromJSON + ToJSON> Page<T> {
    pub fn from_paged<M>(paged: Paged<M>, to_dto: impl FnMut(M) -> T) -> Self {
        let paged = paged.map(to_dto);
        Self {
            items: paged.items,
            total: paged.total,
            page: paged.page,
            per_page: paged.per_page,
        }
    }
}

/// The page asked for; the bounds are checked by the parameters' validators.
pub fn page_request(page: Option<u64>, per_page: Option<u64>) -> PageRequest {
    PageRequest {
        page: page.unwrap_or(1),
        per_page: per_page.unwrap_or(DEFAULT_PER_PAGE),
    }
}
