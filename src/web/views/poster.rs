//! A community's check-in poster: its name and a QR code that opens the check-in page with the
//! community chosen (after a login when needed). Printed on A4 and hung where people exercise.

use askama::Template;
use poem::{Request, Response, handler, web::Path};

use crate::{
    services::regions,
    web::{
        Layout, page,
        session::{WebCaller, state},
    },
};

#[derive(Template)]
#[template(path = "poster.html")]
struct Poster {
    layout: Layout,
    title: &'static str,
    community: String,
    street: String,
    link: String,
    qr_svg: String,
}

#[handler]
pub async fn poster(req: &Request, who: WebCaller, Path(id): Path<i32>) -> poem::Result<Response> {
    let state = state(req)?;
    let (community, street) = regions::community_for_poster(&state.db, &who.caller, id).await?;
    let account = who.account.clone();
    let link = format!(
        "{}/me/check-in?community_id={}",
        state.config.public_url.trim_end_matches('/'),
        community.id
    );
    let qr_svg = crate::qr::svg(&link, 320)?;
    page(&Poster {
        layout: Layout::signed_in(&who, &account.username, ""),
        title: "签到二维码",
        community: community.name,
        street: street.name,
        link,
        qr_svg,
    })
}
