//! `fitreg serve`: migrate, seed a fresh database, listen, and shut down gracefully.

use std::{sync::Arc, time::Duration};

use anyhow::Context;
use poem::{
    Server,
    listener::{Acceptor, Listener, TcpListener},
};

use crate::{
    app::{AppState, build_app},
    config::Config,
    db,
    services::seed,
};

/// How long in-flight requests get to finish after a shutdown signal.
const SHUTDOWN_GRACE: Duration = Duration::from_secs(10);

pub async fn run(config: Config) -> anyhow::Result<()> {
    tracing::info!(config = ?config, "starting fitreg {}", env!("CARGO_PKG_VERSION"));
    let db = db::connect(&config.database_url).await?;
    db::migrate(&db).await.context("migration failed")?;
    if seed::is_fresh(&db).await? {
        let report = seed::run(&db, None).await.context("seeding failed")?;
        tracing::info!(%report, "seeded a fresh database");
    }

    let acceptor = TcpListener::bind(config.bind)
        .into_acceptor()
        .await
        .with_context(|| format!("cannot listen on {}", config.bind))?;
    let address = acceptor
        .local_addr()
        .into_iter()
        .next()
        .and_then(|a| a.as_socket_addr().copied())
        .context("listener has no address")?;
    let app = build_app(AppState {
        db: db.clone(),
        config: Arc::new(config),
    });
    tracing::info!("fitreg listening on http://{address} (API docs at http://{address}/docs)");
    Server::new_with_acceptor(acceptor)
        .run_with_graceful_shutdown(app, shutdown_signal(), Some(SHUTDOWN_GRACE))
        .await?;
    db.close().await?;
    tracing::info!("fitreg stopped");
    Ok(())
}

/// Resolves on Ctrl-C or SIGTERM.
async fn shutdown_signal() {
    let ctrl_c = async {
        if let Err(err) = tokio::signal::ctrl_c().await {
            tracing::error!(%err, "cannot listen for Ctrl-C");
            std::future::pending::<()>().await;
        }
    };
    #[cfg(unix)]
    let terminate = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut signal) => {
                signal.recv().await;
            }
            Err(err) => {
                tracing::error!(%err, "cannot listen for SIGTERM");
                std::future::pending::<()>().await;
            }
        }
    };
    #[cfg(not(unix))]
    let terminate = std::future::pending::<()>();
    tokio::select! {
        () = ctrl_c => {},
        () = terminate => {},
    }
    tracing::info!("shutdown signal received, finishing in-flight requests");
}
