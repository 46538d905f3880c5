//! `fitreg serve`: migrate, seed a fresh database, create the bootstrap admin, listen, and shut
//! down gracefully.

use std::time::Duration;

use anyhow::Context;
use poem::{
    Server,
    listener::{Acceptor, Listener, TcpListener},
};

use crate::{
    app::{AppState, Background, build_app},
    config::Config,
    services::auth::{self, Bootstrap},
};

/// How long in-flight requests get to finish after a shutdown signal.
const SHUTDOWN_GRACE: Duration = Duration::from_secs(10);

pub async fn run(config: Config) -> anyhow::Result<()> {
    tracing::info!(config = ?config, "starting fitreg {}", env!("CARGO_PKG_VERSION"));
    let db = super::open_prepared(&config.database_url).await?;
    let state = AppState::new(db.clone(), config.clone());
    state
        .hasher
        .warm()
        .await
        .map_err(|e| anyhow::anyhow!("{e}"))?;
    match auth::bootstrap_admin(&db, &state.hasher, config.admin_password.as_deref()).await? {
        Bootstrap::NotNeeded => {}
        Bootstrap::Created => {
            tracing::info!("created the bootstrap account admin with FITREG_ADMIN_PASSWORD")
        }
        Bootstrap::CreatedWithGeneratedPassword(password) => {
            // Shown once, on stdout only: it never reaches the log.
            println!("bootstrap admin password: {password}");
            tracing::info!(
                "created the bootstrap account admin; its password was printed on stdout"
            );
        }
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
    let background = Background::start(&state)?;
    let app = build_app(state);
    tracing::info!(
        "fitreg listening on http://{address} (open it in a browser; API docs at http://{address}/docs)"
    );
    if !config.bind.ip().is_loopback() && !config.public_url.starts_with("https://") {
        // Browsers keep a session cookie marked Secure only over https, and one without it
        // travels in the clear: an intranet deployment wants https in front.
        tracing::warn!(
            public_url = %config.public_url,
            "listening beyond loopback without an https FITREG_PUBLIC_URL: web sessions travel unencrypted; put https in front and set FITREG_PUBLIC_URL to it"
        );
    }
    Server::new_with_acceptor(acceptor)
        .run_with_graceful_shutdown(app, shutdown_signal(), Some(SHUTDOWN_GRACE))
        .await?;
    background.stop().await;
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
