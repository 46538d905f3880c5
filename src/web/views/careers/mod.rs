//! Careers: the instructors whose annual registration lapsed, registration decisions, grades
//! granted by the city, province or state, and each person's eligibility. The bureau's editing
//! of communities is routed here too (its handlers live with the community pages).

mod lapsed;
pub mod person;

use poem::{Route, get, post};

use super::communities::admin;

/// The pages of this area.
pub fn routes(route: Route) -> Route {
    route
        .at("/careers", get(lapsed::list))
        .at("/people/:id/registrations", post(person::register))
        .at("/communities/new", get(admin::new_page).post(admin::create))
        .at("/communities/:id/edit", post(admin::edit))
        .at("/communities/:id/deactivate", post(admin::deactivate))
        .at("/communities/:id/reactivate", post(admin::reactivate))
}
