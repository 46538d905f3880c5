//! Oversight, for the bureau (the auditors read it): accounts, the policy values, the audit log
//! and the outbox.

use poem::Route;

/// The pages of this area.
pub fn routes(route: Route) -> Route {
    route
}
