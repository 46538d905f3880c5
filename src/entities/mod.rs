//! sea-orm entities, one file per table: derives only, behaviour lives in `services` and `domain`.

pub mod community;
pub mod policy;
pub mod sport_item;
pub mod street;
