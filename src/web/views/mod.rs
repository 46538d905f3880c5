//! One module per area of the UI.

pub mod auth;
pub mod home;
pub mod sessions;
