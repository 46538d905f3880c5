//! What the HTTP benchmarks share: a configuration for a database URL and the real application
//! served on a loopback port.

use std::net::SocketAddr;

use fitreg::{
    app::{AppState, build_app},
    config::Config,
};
use poem::{
    Server,
    listener::{Acceptor, Listener, TcpListener},
};

/// The default configuration, pointed at `url`.
pub fn config(url: &str) -> Config {
    use clap::Parser;
    #[derive(Parser)]
    struct Args {
        #[command(flatten)]
        config: Config,
    }
    let mut config = Args::parse_from(["fitreg"]).config;
    config.database_url = url.to_owned();
    config
}

/// Serves the application on a free loopback port until the process ends.
pub async fn serve(state: AppState) -> SocketAddr {
    let acceptor = TcpListener::bind("127.0.0.1:0")
        .into_acceptor()
        .await
        .expect("bind a loopback port");
    let address = *acceptor.local_addr()[0]
        .as_socket_addr()
        .expect("a socket address");
    tokio::spawn(async move {
        let _ = Server::new_with_acceptor(acceptor)
            .run(build_app(state))
            .await;
    });
    address
}
