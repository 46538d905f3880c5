//! The application: shared state and the routes, used by `serve` and by the tests alike.

use std::sync::Arc;

use poem::{
    EndpointExt, Response, Route,
    endpoint::{BoxEndpoint, make_sync},
    http::{Method, header},
    middleware::Cors,
};
use sea_orm::DatabaseConnection;

use crate::{api, auth::PasswordHasher, config::Config, mail};

/// What every request handler can reach.
#[derive(Clone)]
pub struct AppState {
    pub db: DatabaseConnection,
    pub config: Arc<Config>,
    pub hasher: PasswordHasher,
}

impl AppState {
    pub fn new(db: DatabaseConnection, config: Config) -> Self {
        Self {
            db,
            config: Arc::new(config),
            hasher: PasswordHasher::default(),
        }
    }
}

/// How often the server purges expired login failures, idempotency keys, tokens and sessions.
const HOUSEKEEPING_INTERVAL: std::time::Duration = std::time::Duration::from_secs(600);

/// Work the server does beside answering requests: the mail worker, the daily alerts, closing
/// stale check-ins and housekeeping.
pub struct Background {
    shutdown: tokio::sync::watch::Sender<bool>,
    tasks: Vec<tokio::task::JoinHandle<()>>,
}

impl Background {
    /// Starts the mail worker when an SMTP server is configured (without one, mail waits in the
    /// outbox until a server is configured and the service restarted), the daily coverage alert
    /// and the registration reminders when `FITREG_ALERT_AT` is set, and the closing of check-ins left open for 12 hours.
    pub fn start(state: &AppState) -> anyhow::Result<Self> {
        let (shutdown, watch) = tokio::sync::watch::channel(false);
        let mut tasks = Vec::new();
        match &state.config.smtp_url {
            Some(url) => {
                let transport = mail::worker::transport(url)
                    .map_err(|e| anyhow::anyhow!("FITREG_SMTP_URL is not a valid SMTP URL: {e}"))?;
                let settings = mail::worker::DeliverySettings::from_config(&state.config)?;
                tasks.push(tokio::spawn(mail::worker::run(
                    state.db.clone(),
                    transport,
                    settings,
                    watch.clone(),
                )));
                tracing::info!("mail worker started");
            }
            None => {
                tracing::warn!("FITREG_SMTP_URL is not set: mail waits in the outbox until it is")
            }
        }
        if let Some(at) = state.config.alert_at {
            tasks.push(tokio::spawn(crate::services::coverage_alerts::run_daily(
                state.db.clone(),
                at,
                watch.clone(),
            )));
            tasks.push(tokio::spawn(
                crate::services::registration_reminders::run_daily(
                    state.db.clone(),
                    at,
                    watch.clone(),
                ),
            ));
            tracing::info!(
                %at,
                "daily coverage alert scheduled (UTC+08:00), with the registration reminders in December and January"
            );
        }
        tasks.push(tokio::spawn(crate::services::housekeeping::run(
            state.db.clone(),
            HOUSEKEEPING_INTERVAL,
            watch.clone(),
        )));
        tasks.push(tokio::spawn(close_stale_check_ins(state.db.clone(), watch)));
        Ok(Self { shutdown, tasks })
    }

    /// Asks the background work to stop and waits for it.
    pub async fn stop(self) {
        let _ = self.shutdown.send(true);
        for task in self.tasks {
            let _ = task.await;
        }
    }
}

/// Closes check-ins left open for 12 hours, once a minute, until shutdown.
async fn close_stale_check_ins(
    db: DatabaseConnection,
    mut shutdown: tokio::sync::watch::Receiver<bool>,
) {
    loop {
        match crate::services::service_sessions::close_stale(&db, chrono::Utc::now()).await {
            Ok(0) => {}
            Ok(n) => tracing::info!(sessions = n, "closed check-ins left open for 12 hours"),
            Err(err) => tracing::warn!(error = %err, "closing stale check-ins failed"),
        }
        tokio::select! {
            () = tokio::time::sleep(std::time::Duration::from_secs(60)) => {}
            _ = shutdown.changed() => {}
        }
        if *shutdown.borrow() {
            break;
        }
    }
}

/// Builds the HTTP application: the API under `/api/v1`, its OpenAPI document at
/// `/api/v1/openapi.json` and Swagger UI at `/docs`.
pub fn build_app(state: AppState) -> BoxEndpoint<'static, Response> {
    let api = api::service(&state);
    let raw = api.spec();
    let document = api::document::complete(&raw);
    let (docs_page, docs_policy) =
        api::document::swagger_page(&api.swagger_ui_html(), &raw, &document);
    let spec = make_sync(move |_| {
        Response::builder()
            .content_type("application/json")
            .body(document.clone())
    });
    let docs = make_sync(move |_| {
        Response::builder()
            .content_type("text/html; charset=utf-8")
            .header(header::CONTENT_SECURITY_POLICY, docs_policy.as_str())
            .body(docs_page.clone())
    });
    let origins = state.config.cors_origins.clone();
    let routes = Route::new()
        .at(format!("{}/openapi.json", api::API_PREFIX), spec)
        .nest(api::API_PREFIX, api)
        .at("/docs", docs)
        .nest("/", crate::web::routes())
        .around(api::middleware::limit_body)
        .data(state);
    let routes = if origins.is_empty() {
        routes.boxed()
    } else {
        routes
            .with(
                Cors::new()
                    .allow_origins(origins)
                    .allow_methods([
                        Method::GET,
                        Method::POST,
                        Method::PUT,
                        Method::PATCH,
                        Method::DELETE,
                    ])
                    .allow_headers([
                        header::AUTHORIZATION,
                        header::CONTENT_TYPE,
                        header::IF_MATCH,
                        api::middleware::REQUEST_ID_HEADER,
                        poem::http::HeaderName::from_static("idempotency-key"),
                    ])
                    .expose_headers([api::middleware::REQUEST_ID_HEADER, header::RETRY_AFTER]),
            )
            .around(api::middleware::vary_origin)
            .boxed()
    };
    routes.around(api::middleware::request_context).boxed()
}
