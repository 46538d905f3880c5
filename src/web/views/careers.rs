//! Careers: the instructors whose annual registration lapsed, registration decisions, grades
//! granted by the city, province or state, and each person's eligibility.

use poem::Route;

/// The pages of this area.
pub fn routes(route: Route) -> Route {
    route
}
