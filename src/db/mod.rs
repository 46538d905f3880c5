//! Opening the database: SQLite (the embedded default, WAL, foreign keys on, a busy timeout and a
//! pool for concurrent readers) or PostgreSQL, chosen by the URL's scheme.
//!
//! SQLite has one writer at a time. Rather than let every pooled connection race for the write
//! lock in SQLite's busy handler (which sleeps while the lock sits idle and serves the waiters in
//! no order), each SQLite file gets one writer connection of its own: [`begin_write`] takes it in
//! the order the requests came, writes queued behind each other commit together (see [`write`]),
//! and a request that waits longer than the bound is refused as overload (503 with `Retry-After`)
//! instead of hanging.

mod write;

pub use write::{ChainHead, ChainSlot, WriteTxn};

use std::{
    collections::HashMap,
    path::PathBuf,
    str::FromStr,
    sync::{Arc, LazyLock, Mutex},
    time::Duration,
};

use anyhow::{Context, bail};
use migration::{Migrator, MigratorTrait};
use sea_orm::{
    ConnectOptions, ConnectionTrait, Database, DatabaseConnection, DbBackend, DbErr,
    sqlx::sqlite::{SqliteConnectOptions, SqliteJournalMode, SqliteSynchronous},
};

/// How long a SQLite writer waits for the write lock before giving up.
const SQLITE_BUSY_TIMEOUT: Duration = Duration::from_secs(15);
/// Readers run beside the single writer in WAL mode.
const SQLITE_POOL_SIZE: u32 = 8;
const POSTGRES_POOL_SIZE: u32 = 16;
/// A pooled PostgreSQL connection idle this long is pinged before it is handed out.
const POSTGRES_PING_IDLE: Duration = Duration::from_secs(10);
/// How long a write waits for the SQLite writer before it is refused as overload.
pub const DEFAULT_WRITE_WAIT: Duration = Duration::from_secs(5);

/// The writer connection of each SQLite file opened by this process.
static WRITERS: LazyLock<Mutex<HashMap<PathBuf, Arc<write::Group>>>> =
    LazyLock::new(|| Mutex::new(HashMap::new()));

/// Opens a pool for `url`, creating a SQLite file (and its folder) when it does not exist yet;
/// writes wait at most [`DEFAULT_WRITE_WAIT`] for the SQLite writer.
pub async fn connect(url: &str) -> anyhow::Result<DatabaseConnection> {
    connect_with(url, DEFAULT_WRITE_WAIT).await
}

/// [`connect`] with the bound a write waits for the SQLite writer before it is refused.
pub async fn connect_with(url: &str, write_wait: Duration) -> anyhow::Result<DatabaseConnection> {
    let readers = open(url, None).await?;
    if readers.get_database_backend() == DbBackend::Sqlite && !is_in_memory(url) {
        let file = sqlite_file(&readers);
        let known = WRITERS
            .lock()
            .map_err(|_| anyhow::anyhow!("writer registry poisoned"))?
            .contains_key(&file);
        if !known {
            let writer = open(url, Some(write_wait)).await?;
            WRITERS
                .lock()
                .map_err(|_| anyhow::anyhow!("writer registry poisoned"))?
                .entry(file)
                .or_insert_with(|| write::Group::new(writer, write_wait));
        }
    }
    Ok(readers)
}

fn is_in_memory(url: &str) -> bool {
    url.contains(":memory:")
        || url.contains("mode=memory")
        || SqliteConnectOptions::from_str(url)
            .map(|o| o.get_filename().as_os_str().is_empty())
            .unwrap_or(false)
}

fn sqlite_file(db: &DatabaseConnection) -> PathBuf {
    let path = db
        .get_sqlite_connection_pool()
        .connect_options()
        .get_filename()
        .to_path_buf();
    std::fs::canonicalize(&path).unwrap_or(path)
}

/// The writer of a SQLite file opened by [`connect`], when there is one.
fn writer_of(db: &DatabaseConnection) -> Option<Arc<write::Group>> {
    if db.get_database_backend() != DbBackend::Sqlite {
        return None;
    }
    let file = sqlite_file(db);
    WRITERS.lock().ok()?.get(&file).cloned()
}

/// A pool for `url`: the readers (`writer_wait` none), or the single writer of a SQLite file.
async fn open(url: &str, writer_wait: Option<Duration>) -> anyhow::Result<DatabaseConnection> {
    let mut options = ConnectOptions::new(url.to_owned());
    options
        .sqlx_logging(false)
        .acquire_timeout(Duration::from_secs(30));
    if url.starts_with("sqlite:") {
        let parsed = SqliteConnectOptions::from_str(url)
            .with_context(|| format!("invalid SQLite URL {url}"))?;
        let in_memory = parsed.get_filename().as_os_str().is_empty()
            || url.contains(":memory:")
            || url.contains("mode=memory");
        let folder = parsed
            .get_filename()
            .parent()
            .filter(|d| !d.as_os_str().is_empty());
        if let (false, Some(dir)) = (in_memory, folder) {
            std::fs::create_dir_all(dir)
                .with_context(|| format!("cannot create database folder {}", dir.display()))?;
        }
        // An in-memory database lives in one connection; a file is shared by the pool. A
        // connection to a local file cannot be dropped by a server or a network, so it is not
        // pinged each time it is taken from the pool (a round trip to its worker thread that
        // doubled the cost of a small read).
        options
            .max_connections(if in_memory { 1 } else { SQLITE_POOL_SIZE })
            .test_before_acquire(false);
        if let Some(wait) = writer_wait {
            options
                .max_connections(1)
                .min_connections(1)
                .acquire_timeout(wait);
        }
        // The page cache: 2 MiB for each reader, 8 MiB for the writer, whose pages (the
        // indexes a write walks) are the same from one write to the next. Reads are not
        // memory-mapped: a mapped file counts in the resident set as it is read (114 MiB of the
        // 212 MiB the coverage bench held at Guangxi scale), and the kernel's page cache serves
        // the same pages to `read` as fast (the coverage audit took the same time either way).
        // With eight readers at 8 MiB each the process was resident at 166 MiB; at 2 MiB, 111.
        let cache_kib = if writer_wait.is_some() { 8192 } else { 2048 };
        options.map_sqlx_sqlite_opts(move |opts| {
            opts.create_if_missing(true)
                .journal_mode(SqliteJournalMode::Wal)
                .synchronous(SqliteSynchronous::Normal)
                .foreign_keys(true)
                .busy_timeout(SQLITE_BUSY_TIMEOUT)
                // A negative size is in KiB. Reports sort and group in memory, not on disk.
                .pragma("cache_size", format!("-{cache_kib}"))
                .pragma("mmap_size", "0")
                .pragma("temp_store", "memory")
        });
    } else if url.starts_with("postgres:") || url.starts_with("postgresql:") {
        // Only a connection idle long enough to have been dropped (a server restart, a proxy's
        // timeout) is pinged before use, not every connection on every checkout.
        options
            .max_connections(POSTGRES_POOL_SIZE)
            .test_before_acquire_if_idle_for(POSTGRES_PING_IDLE);
    } else {
        bail!(
            "unsupported database URL {}: use sqlite://PATH or postgres://...",
            crate::config::redact_url(url)
        );
    }
    Database::connect(options)
        .await
        .with_context(|| format!("cannot open database {}", crate::config::redact_url(url)))
}

/// Applies every pending migration.
pub async fn migrate(db: &DatabaseConnection) -> Result<(), DbErr> {
    Migrator::up(db, None).await
}

/// The name health reports for the backend.
pub fn backend_name(db: &impl ConnectionTrait) -> &'static str {
    match db.get_database_backend() {
        DbBackend::Postgres => "postgres",
        DbBackend::Sqlite => "sqlite",
        _ => "other",
    }
}

/// Starts a transaction that will write. On a SQLite file it runs on the file's writer
/// connection, taken in arrival order (a wait past the bound is refused as overload, answered 503),
/// in a savepoint of the group of writes committed together; the group's transaction takes the
/// write lock at `BEGIN` (`BEGIN IMMEDIATE`), so it never fails with `SQLITE_BUSY` when it upgrades
/// from reading to writing. PostgreSQL (and an in-memory SQLite database) use their pool.
pub async fn begin_write(db: &DatabaseConnection) -> Result<WriteTxn, DbErr> {
    match writer_of(db) {
        Some(group) => WriteTxn::join(&group).await,
        None => WriteTxn::alone(db).await,
    }
}
