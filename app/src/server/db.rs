//! The database pool for either backend, and its migrations.
//!
//! Queries go through sqlx's `Any` driver, so one set of runtime queries with `$1` placeholders
//! serves SQLite and PostgreSQL. Migrations are kept per backend (`app/migrations/sqlite` and
//! `app/migrations/postgres`) with the same numbers and meaning. Stored formats shared by both:
//! money as BIGINT minor units (scale in `crate::money`), times as BIGINT Unix milliseconds (UTC).
use sqlx::any::{AnyConnectOptions, AnyPoolOptions};
use sqlx::migrate::Migrator;
use sqlx::{AnyPool, ConnectOptions, Executor};
use std::str::FromStr;
use std::time::Duration;

static SQLITE_MIGRATIONS: Migrator = sqlx::migrate!("./migrations/sqlite");
static POSTGRES_MIGRATIONS: Migrator = sqlx::migrate!("./migrations/postgres");

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Backend {
    Sqlite,
    Postgres,
}

/// The backend behind a connection, for the few statements the two write differently.
pub fn backend_of(conn: &sqlx::AnyConnection) -> Backend {
    match conn.backend_name() {
        "SQLite" => Backend::Sqlite,
        _ => Backend::Postgres,
    }
}

/// A connection pool and the backend behind it. Cheap to clone.
#[derive(Clone, Debug)]
pub struct Db {
    pool: AnyPool,
    backend: Backend,
}

impl Db {
    /// Opens the database at `url` (creating a SQLite file if missing) and migrates it.
    pub async fn connect(url: &str) -> Result<Self, sqlx::Error> {
        let db = Self::open(url).await?;
        db.migrate_to(None).await?;
        Ok(db)
    }

    /// Opens the database at `url` without migrating it (the migration tests fill an older
    /// schema first).
    pub async fn open(url: &str) -> Result<Self, sqlx::Error> {
        sqlx::any::install_default_drivers();
        let backend = if url.starts_with("sqlite:") {
            Backend::Sqlite
        } else {
            Backend::Postgres
        };
        let url = match backend {
            Backend::Sqlite if !url.contains("mode=") => {
                let separator = if url.contains('?') { '&' } else { '?' };
                format!("{url}{separator}mode=rwc")
            }
            _ => url.to_string(),
        };
        let options = AnyConnectOptions::from_str(&url)?.disable_statement_logging();
        let pool = AnyPoolOptions::new()
            .max_connections(match backend {
                // One writer at a time on SQLite anyway; a few readers alongside in WAL mode.
                Backend::Sqlite => 4,
                Backend::Postgres => 16,
            })
            .acquire_timeout(Duration::from_secs(10))
            .after_connect(move |conn, _meta| {
                Box::pin(async move {
                    if backend == Backend::Sqlite {
                        conn.execute(
                            "PRAGMA foreign_keys = ON; PRAGMA busy_timeout = 10000; \
                             PRAGMA journal_mode = WAL; PRAGMA synchronous = NORMAL;",
                        )
                        .await?;
                    }
                    Ok(())
                })
            })
            .connect_with(options)
            .await?;
        Ok(Self { pool, backend })
    }

    /// Applies the migrations up to `last` (every one when `None`).
    pub async fn migrate_to(&self, last: Option<i64>) -> Result<(), sqlx::Error> {
        let all = match self.backend {
            Backend::Sqlite => &SQLITE_MIGRATIONS,
            Backend::Postgres => &POSTGRES_MIGRATIONS,
        };
        match last {
            None => all.run(&self.pool).await?,
            Some(last) => {
                let migrator = Migrator {
                    migrations: std::borrow::Cow::Owned(
                        all.migrations
                            .iter()
                            .filter(|m| m.version <= last)
                            .cloned()
                            .collect(),
                    ),
                    ..Migrator::DEFAULT
                };
                migrator.run(&self.pool).await?
            }
        }
        Ok(())
    }

    pub fn pool(&self) -> &AnyPool {
        &self.pool
    }

    pub fn backend(&self) -> Backend {
        self.backend
    }

    /// A cheap round trip, for the health check.
    pub async fn ping(&self) -> Result<(), sqlx::Error> {
        sqlx::query("SELECT 1")
            .execute(&self.pool)
            .await
            .map(|_| ())
    }

    /// A transaction that will write. On SQLite it takes the write lock at once
    /// (`BEGIN IMMEDIATE`): a transaction that reads first and upgrades later fails outright when
    /// another writer got in between, while one waiting for the lock just queues (busy_timeout).
    pub async fn begin_write(&self) -> Result<sqlx::Transaction<'static, sqlx::Any>, sqlx::Error> {
        match self.backend {
            Backend::Sqlite => self.pool.begin_with("BEGIN IMMEDIATE").await,
            Backend::Postgres => self.pool.begin().await,
        }
    }

    pub async fn close(&self) {
        self.pool.close().await;
    }
}

/// Milliseconds since the Unix epoch, the stored form of every timestamp (with the development
/// clock's lead, when it is on).
pub fn now_millis() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| i64::try_from(d.as_millis()).unwrap_or(i64::MAX))
        .unwrap_or(0)
        .saturating_add(super::clock::lead())
}

/// The keyset condition of a list read on from a cursor: `AND <column> < $<placeholder>` when
/// there is a cursor, nothing for the first page. (No bound at all on the first page: given
/// `id < i64::MAX`, SQLite's planner took another path and read the first page 100 times slower
/// than any later one.)
pub fn keyset_older(column: &str, before: Option<i64>, placeholder: usize) -> String {
    before
        .map(|_| format!("AND {column} < ${placeholder}"))
        .unwrap_or_default()
}

/// `%text%` for `LIKE ... ESCAPE '\\'`: the wildcards of what was typed match literally.
pub fn like_pattern(text: &str) -> String {
    format!(
        "%{}%",
        text.replace('\\', "\\\\")
            .replace('%', "\\%")
            .replace('_', "\\_")
    )
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeMap;
    use std::path::Path;

    /// A migration with its dialect taken out: comments dropped, case and white space folded,
    /// each backend's way of writing an auto-numbered key and a 64-bit integer made one word,
    /// and PostgreSQL's `SELECT setval(...)` left out (after rows are copied with their ids, an
    /// identity column's counter has to be moved on by hand; SQLite's moves by itself).
    fn normalised(sql: &str) -> String {
        let text: String = sql
            .lines()
            .map(|line| line.split("--").next().unwrap_or_default())
            .collect::<Vec<_>>()
            .join(" ")
            .to_lowercase();
        let mut text = text.split_whitespace().collect::<Vec<_>>().join(" ");
        for key in [
            "integer primary key autoincrement",
            "bigint generated by default as identity primary key",
            "bigserial primary key",
        ] {
            text = text.replace(key, "<auto id>");
        }
        text.replace("integer", "bigint")
            .split(';')
            .map(str::trim)
            .filter(|statement| !statement.starts_with("select setval("))
            .collect::<Vec<_>>()
            .join("; ")
    }

    fn migrations(dialect: &str) -> BTreeMap<String, String> {
        let dir = Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("migrations")
            .join(dialect);
        std::fs::read_dir(&dir)
            .expect("migrations folder")
            .map(|entry| {
                let path = entry.expect("entry").path();
                let name = path
                    .file_name()
                    .expect("name")
                    .to_string_lossy()
                    .into_owned();
                (
                    name,
                    normalised(&std::fs::read_to_string(&path).expect("read")),
                )
            })
            .collect()
    }

    /// Both backends get the same tables, columns, constraints and indexes: a migration that
    /// differs in more than its dialect (an index forgotten on one side) fails here.
    #[test]
    fn both_backends_migrate_to_the_same_schema() {
        let sqlite = migrations("sqlite");
        let postgres = migrations("postgres");
        assert_eq!(
            sqlite.keys().collect::<Vec<_>>(),
            postgres.keys().collect::<Vec<_>>(),
            "the same migrations, by number and name"
        );
        for (name, sql) in &sqlite {
            let other = &postgres[name];
            if sql != other {
                let at = sql
                    .chars()
                    .zip(other.chars())
                    .take_while(|(a, b)| a == b)
                    .count();
                panic!(
                    "{name} differs beyond its dialect at …{}… vs …{}…",
                    &sql[at.saturating_sub(40)..(at + 40).min(sql.len())],
                    &other[at.saturating_sub(40)..(at + 40).min(other.len())]
                );
            }
        }
    }

    #[test]
    fn a_missing_index_is_noticed() {
        let a = normalised("CREATE TABLE t (id INTEGER PRIMARY KEY AUTOINCREMENT); -- x\nCREATE INDEX i ON t (id);");
        let b =
            normalised("create table t (id BIGINT GENERATED BY DEFAULT AS IDENTITY PRIMARY KEY);");
        assert_ne!(a, b);
        assert_eq!(
            normalised("CREATE TABLE t (id INTEGER PRIMARY KEY AUTOINCREMENT, n INTEGER);"),
            normalised("create table t (id bigint generated by default as identity primary key, n bigint);")
        );
    }
}
