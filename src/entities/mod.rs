//! sea-orm entities, one file per table: derives only, behaviour lives in `services` and `domain`.

pub mod account;
pub mod account_token;
pub mod assignment;
pub mod audit_head;
pub mod audit_log;
pub mod certificate;
pub mod community;
pub mod course;
pub mod enrollment;
pub mod login_failure;
pub mod outbox;
pub mod people_import;
pub mod person;
pub mod person_specialty;
pub mod policy;
pub mod qualification;
pub mod registration;
pub mod request_throttle;
pub mod scheduled_run;
pub mod service_session;
pub mod session;
pub mod session_correction;
pub mod session_history;
pub mod session_idempotency;
pub mod sport_item;
pub mod street;
