//! The UI's static files (vendored Pico CSS and htmx with their licences, and `app.css`),
//! embedded in the binary. They are served under a path that carries a digest of their
//! contents, so a browser may keep them for a year and still never runs an old copy.

use std::sync::OnceLock;

use poem::{
    Response, handler,
    http::{StatusCode, header},
    web::Path,
};
use rust_embed::RustEmbed;
use sha2::{Digest, Sha256};

#[derive(RustEmbed)]
#[folder = "assets/"]
struct Assets;

/// The digest of every embedded file, the version part of each asset path.
pub fn version() -> &'static str {
    static VERSION: OnceLock<String> = OnceLock::new();
    VERSION.get_or_init(|| {
        let mut names: Vec<_> = Assets::iter().collect();
        names.sort();
        let mut digest = Sha256::new();
        for name in names {
            digest.update(name.as_bytes());
            if let Some(file) = Assets::get(&name) {
                digest.update(file.data);
            }
        }
        crate::auth::hex(&digest.finalize()[..6])
    })
}

/// The path of an asset, e.g. `/assets/3f2a…/app.css`.
pub fn path(name: &str) -> String {
    format!("/assets/{}/{name}", version())
}

#[handler]
pub fn serve(Path((version_asked, name)): Path<(String, String)>) -> Response {
    let file = (version_asked == version())
        .then(|| Assets::get(&name))
        .flatten();
    let Some(file) = file else {
        return Response::builder()
            .status(StatusCode::NOT_FOUND)
            .content_type("text/plain; charset=utf-8")
            .body("not found");
    };
    let content_type = match name.rsplit('.').next() {
        Some("css") => "text/css; charset=utf-8",
        Some("js") => "text/javascript; charset=utf-8",
        Some("svg") => "image/svg+xml",
        Some("png") => "image/png",
        _ => "text/plain; charset=utf-8",
    };
    Response::builder()
        .content_type(content_type)
        .header(header::CACHE_CONTROL, "public, max-age=31536000, immutable")
        .body(file.data.into_owned())
}
