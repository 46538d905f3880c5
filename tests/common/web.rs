//! Speaking to the web UI as a browser does: pages read whole, a signed-in session's cookie,
//! form posts from this site.

use reqwest::{StatusCode, header};

use super::TestApp;

/// A browser of its own: no redirects followed, so each answer can be read.
pub fn browser() -> reqwest::Client {
    reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap()
}

pub struct Page {
    pub status: StatusCode,
    pub headers: header::HeaderMap,
    pub text: String,
}

impl Page {
    pub fn location(&self) -> &str {
        self.headers
            .get(header::LOCATION)
            .and_then(|v| v.to_str().ok())
            .unwrap_or("")
    }

    /// The value of the page's first hidden `csrf_token`.
    pub fn csrf(&self) -> String {
        let at = self
            .text
            .find("name=\"csrf_token\" value=\"")
            .expect("a csrf field");
        let rest = &self.text[at + "name=\"csrf_token\" value=\"".len()..];
        rest[..rest.find('"').unwrap()].to_owned()
    }
}

pub async fn read(response: reqwest::Response) -> Page {
    Page {
        status: response.status(),
        headers: response.headers().clone(),
        text: response.text().await.unwrap(),
    }
}

/// A signed-in browser: its session cookie.
pub struct Session<'a> {
    pub app: &'a TestApp,
    pub client: reqwest::Client,
    pub cookie: String,
}

impl<'a> Session<'a> {
    pub async fn get(&self, path: &str) -> Page {
        read(
            self.client
                .get(self.app.url_root(path))
                .header(header::COOKIE, &self.cookie)
                .send()
                .await
                .unwrap(),
        )
        .await
    }

    /// A form post as a browser on this site sends it.
    pub async fn post(&self, path: &str, form: &[(&str, &str)]) -> Page {
        self.post_with(path, form, &[("sec-fetch-site", "same-origin")])
            .await
    }

    pub async fn post_with(
        &self,
        path: &str,
        form: &[(&str, &str)],
        headers: &[(&str, &str)],
    ) -> Page {
        let mut request = self
            .client
            .post(self.app.url_root(path))
            .header(header::COOKIE, &self.cookie)
            .form(form);
        for (name, value) in headers {
            request = request.header(*name, *value);
        }
        read(request.send().await.unwrap()).await
    }
}

pub trait Root {
    fn url_root(&self, path: &str) -> String;
}

impl Root for TestApp {
    fn url_root(&self, path: &str) -> String {
        format!("{}{path}", self.base)
    }
}

pub async fn sign_in<'a>(app: &'a TestApp, username: &str, password: &str) -> Session<'a> {
    let client = browser();
    let page = read(
        client
            .post(app.url_root("/login"))
            .header("sec-fetch-site", "same-origin")
            .form(&[("username", username), ("password", password)])
            .send()
            .await
            .unwrap(),
    )
    .await;
    assert_eq!(page.status, StatusCode::SEE_OTHER, "{}", page.text);
    let set_cookie = page
        .headers
        .get(header::SET_COOKIE)
        .expect("a session cookie")
        .to_str()
        .unwrap();
    let cookie = set_cookie.split(';').next().unwrap().to_owned();
    Session {
        app,
        client,
        cookie,
    }
}

/// The value of a form field on a page.
pub fn field(page: &Page, name: &str) -> String {
    let marker = format!("name=\"{name}\"");
    let at = page
        .text
        .find(&marker)
        .unwrap_or_else(|| panic!("no field {name}"));
    let rest = &page.text[at..];
    let value = rest.find("value=\"").unwrap() + "value=\"".len();
    rest[value..value + rest[value..].find('"').unwrap()].to_owned()
}
