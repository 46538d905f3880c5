//! One module per area of the UI.

pub mod auth;
pub mod careers;
pub mod certificate;
pub mod check_in;
pub mod communities;
pub mod courses;
pub mod dashboard;
pub mod home;
pub mod imports;
pub mod oversight;
pub mod people;
pub mod poster;
pub mod review;
pub mod session_detail;
pub mod sessions;
pub mod staff;
pub mod training;
