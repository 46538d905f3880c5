//! The bureau's coverage dashboard: the district against the 100% target, each street, the gaps
//! and the communities at risk, the trend of 24 months, its exports and the print view.

use poem::Route;

/// The pages of this area.
pub fn routes(route: Route) -> Route {
    route
}
