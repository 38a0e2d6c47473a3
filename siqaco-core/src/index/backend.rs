//! The catalogue's two backends behind one small interface: SQLite (rusqlite, the embedded
//! default) and PostgreSQL (the `postgres` crate, feature `postgres`).
//!
//! All SQL of the catalogue is written once, in SQLite's dialect with numbered parameters
//! (`?1`, `?2`, ...) and the syntax both servers accept (`INSERT ... ON CONFLICT DO
//! NOTHING`, `RETURNING`); for PostgreSQL the parameters are renamed `$1`, `$2`, ... The
//! few statements that must differ (DDL, the typed `tsindex` columns, catalogue
//! introspection) are chosen by the [`BackendKind`] of the connection. Values cross the interface as
//! [`SqlValue`]; queries return all rows at once.

use crate::error::{BoxedSource, Error, Result};
use std::path::Path;

/// A value bound to or read from a catalogue statement.
#[derive(Clone, Debug, PartialEq)]
pub enum SqlValue {
    /// SQL NULL.
    Null,
    /// An integer (SQLite INTEGER; PostgreSQL smallint, integer, bigint, boolean).
    Int(i64),
    /// A floating-point number (SQLite REAL; PostgreSQL real, double precision).
    Real(f64),
    /// Text.
    Text(String),
}

impl SqlValue {
    /// The value as an integer (NULL and unparsable text give 0).
    pub fn as_i64(&self) -> i64 {
        match self {
            SqlValue::Int(i) => *i,
            SqlValue::Real(x) => *x as i64,
            SqlValue::Text(s) => s.parse().unwrap_or(0),
            SqlValue::Null => 0,
        }
    }

    /// The value as a float (NULL and unparsable text give 0).
    pub fn as_f64(&self) -> f64 {
        match self {
            SqlValue::Int(i) => *i as f64,
            SqlValue::Real(x) => *x,
            SqlValue::Text(s) => s.parse().unwrap_or(0.0),
            SqlValue::Null => 0.0,
        }
    }

    /// The value as text, `None` for NULL.
    pub fn as_opt_text(&self) -> Option<String> {
        match self {
            SqlValue::Null => None,
            SqlValue::Int(i) => Some(i.to_string()),
            SqlValue::Real(x) => Some(x.to_string()),
            SqlValue::Text(s) => Some(s.clone()),
        }
    }

    /// The value as text, empty for NULL.
    pub fn as_text(&self) -> String {
        self.as_opt_text().unwrap_or_default()
    }

    /// The value as an optional integer.
    pub fn as_opt_i64(&self) -> Option<i64> {
        match self {
            SqlValue::Null => None,
            v => Some(v.as_i64()),
        }
    }
}

impl From<i64> for SqlValue {
    fn from(v: i64) -> Self {
        SqlValue::Int(v)
    }
}
impl From<f64> for SqlValue {
    fn from(v: f64) -> Self {
        SqlValue::Real(v)
    }
}
impl From<&str> for SqlValue {
    fn from(v: &str) -> Self {
        SqlValue::Text(v.to_string())
    }
}
impl From<&String> for SqlValue {
    fn from(v: &String) -> Self {
        SqlValue::Text(v.clone())
    }
}
impl From<String> for SqlValue {
    fn from(v: String) -> Self {
        SqlValue::Text(v)
    }
}
impl<T: Into<SqlValue>> From<Option<T>> for SqlValue {
    fn from(v: Option<T>) -> Self {
        v.map_or(SqlValue::Null, Into::into)
    }
}

/// Builds a `Vec<SqlValue>` from heterogeneous values.
macro_rules! vals {
    ($($x:expr),* $(,)?) => {{
        #[allow(clippy::useless_vec)]
        let v: Vec<$crate::index::backend::SqlValue> =
            vec![$($crate::index::backend::SqlValue::from($x)),*];
        v
    }};
}
pub(crate) use vals;

/// Which database a catalogue lives in.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum BackendKind {
    /// A SQLite file.
    Sqlite,
    /// A PostgreSQL database.
    Postgres,
}

enum Conn {
    Sqlite(rusqlite::Connection),
    #[cfg(feature = "postgres")]
    Postgres {
        client: Box<postgres::Client>,
        statements: std::collections::HashMap<String, postgres::Statement>,
    },
}

/// An open connection and the name used in error messages (file, or URL without password).
pub(crate) struct Db {
    conn: Conn,
    label: String,
}

/// `true` when `target` is a PostgreSQL connection URL.
pub fn is_postgres_url(target: &str) -> bool {
    target.starts_with("postgresql://") || target.starts_with("postgres://")
}

/// Checks that the SQLite catalogue `path` can be opened without harm before SQLite
/// touches it: an existing regular file (a symbolic link to one included), or a missing
/// file whose directory exists. SQLite writes its journal (`PATH-journal`, `PATH-wal`)
/// beside the file, so a device (`/dev/null`), a directory, a pipe or a socket is refused
/// before anything is created next to it.
///
/// # Errors
/// [`Error::Database`] naming the path and what it is.
pub fn check_sqlite_target(path: &Path) -> Result<()> {
    let label = path.display();
    if path.as_os_str().is_empty() {
        return Err(Error::database(
            "empty catalogue path: expected a SQLite file or a postgresql:// URL",
        ));
    }
    match std::fs::metadata(path) {
        Ok(m) if m.is_file() => Ok(()),
        Ok(m) => {
            let what = if m.is_dir() {
                "a directory"
            } else {
                special_file_kind(&m)
            };
            Err(Error::database(format!(
                "{label}: is {what}, not a regular file: a catalogue is a SQLite file or a \
                 postgresql:// URL"
            )))
        }
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
            let dir = match path.parent() {
                Some(d) if !d.as_os_str().is_empty() => d,
                _ => Path::new("."),
            };
            if dir.is_dir() {
                Ok(())
            } else {
                Err(Error::database(format!(
                    "{label}: the directory {} does not exist (the catalogue file is created, \
                     its directory is not)",
                    dir.display()
                )))
            }
        }
        Err(e) => Err(Error::database_from(format!("{label}: {e}"), e)),
    }
}

/// What a file that is neither a regular file nor a directory is, for messages.
fn special_file_kind(m: &std::fs::Metadata) -> &'static str {
    #[cfg(unix)]
    {
        use std::os::unix::fs::FileTypeExt;
        let t = m.file_type();
        if t.is_char_device() {
            return "a character device";
        }
        if t.is_block_device() {
            return "a block device";
        }
        if t.is_fifo() {
            return "a named pipe";
        }
        if t.is_socket() {
            return "a socket";
        }
    }
    let _ = m;
    "a special file"
}

/// The URL without its password (for messages).
pub fn redact_url(url: &str) -> String {
    let Some((scheme, rest)) = url.split_once("://") else {
        return url.to_string();
    };
    let (auth, host) = match rest.rsplit_once('@') {
        Some((a, h)) => (Some(a), h),
        None => (None, rest),
    };
    match auth {
        Some(a) => {
            let user = a.split(':').next().unwrap_or_default();
            format!("{scheme}://{user}@{host}")
        }
        None => url.to_string(),
    }
}

/// `?N` parameters renamed `$N` (PostgreSQL).
#[cfg(any(feature = "postgres", test))]
fn dollar_params(sql: &str) -> String {
    let b = sql.as_bytes();
    let mut out = String::with_capacity(sql.len());
    for (i, c) in sql.char_indices() {
        if c == '?' && b.get(i + 1).is_some_and(u8::is_ascii_digit) {
            out.push('$');
        } else {
            out.push(c);
        }
    }
    out
}

#[cfg(feature = "postgres")]
mod pg {
    use super::SqlValue;
    use postgres::types::{private::BytesMut, to_sql_checked, IsNull, ToSql, Type};
    use std::error::Error as StdError;

    type BoxErr = Box<dyn StdError + Sync + Send>;

    impl ToSql for SqlValue {
        fn to_sql(&self, ty: &Type, out: &mut BytesMut) -> Result<IsNull, BoxErr> {
            match self {
                SqlValue::Null => Ok(IsNull::Yes),
                SqlValue::Int(i) => match *ty {
                    Type::INT2 => i16::try_from(*i)?.to_sql(ty, out),
                    Type::INT4 => i32::try_from(*i)?.to_sql(ty, out),
                    Type::FLOAT8 => (*i as f64).to_sql(ty, out),
                    Type::TEXT | Type::VARCHAR => i.to_string().to_sql(ty, out),
                    _ => i.to_sql(ty, out),
                },
                SqlValue::Real(x) => match *ty {
                    Type::FLOAT4 => (*x as f32).to_sql(ty, out),
                    Type::TEXT | Type::VARCHAR => x.to_string().to_sql(ty, out),
                    _ => x.to_sql(ty, out),
                },
                SqlValue::Text(s) => s.as_str().to_sql(ty, out),
            }
        }

        fn accepts(_ty: &Type) -> bool {
            true
        }

        to_sql_checked!();
    }

    pub(super) fn value(row: &postgres::Row, i: usize) -> Result<SqlValue, postgres::Error> {
        let ty = row.columns()[i].type_().clone();
        Ok(match ty {
            Type::INT8 => row.try_get::<_, Option<i64>>(i)?.map(SqlValue::Int),
            Type::INT4 => row
                .try_get::<_, Option<i32>>(i)?
                .map(|v| SqlValue::Int(v.into())),
            Type::INT2 => row
                .try_get::<_, Option<i16>>(i)?
                .map(|v| SqlValue::Int(v.into())),
            Type::BOOL => row
                .try_get::<_, Option<bool>>(i)?
                .map(|v| SqlValue::Int(v.into())),
            Type::FLOAT8 => row.try_get::<_, Option<f64>>(i)?.map(SqlValue::Real),
            Type::FLOAT4 => row
                .try_get::<_, Option<f32>>(i)?
                .map(|v| SqlValue::Real(v.into())),
            // text-like types; anything else must be cast to text in the query
            _ => row.try_get::<_, Option<String>>(i)?.map(SqlValue::Text),
        }
        .unwrap_or(SqlValue::Null))
    }
}

fn sqlite_value(v: rusqlite::types::ValueRef<'_>) -> SqlValue {
    use rusqlite::types::ValueRef;
    match v {
        ValueRef::Null => SqlValue::Null,
        ValueRef::Integer(i) => SqlValue::Int(i),
        ValueRef::Real(x) => SqlValue::Real(x),
        ValueRef::Text(t) | ValueRef::Blob(t) => {
            SqlValue::Text(String::from_utf8_lossy(t).into_owned())
        }
    }
}

impl rusqlite::ToSql for SqlValue {
    fn to_sql(&self) -> rusqlite::Result<rusqlite::types::ToSqlOutput<'_>> {
        use rusqlite::types::{ToSqlOutput, ValueRef};
        Ok(ToSqlOutput::Borrowed(match self {
            SqlValue::Null => ValueRef::Null,
            SqlValue::Int(i) => ValueRef::Integer(*i),
            SqlValue::Real(x) => ValueRef::Real(*x),
            SqlValue::Text(s) => ValueRef::Text(s.as_bytes()),
        }))
    }
}

impl Db {
    /// Opens a SQLite file in WAL mode with a 10 s busy timeout, after
    /// [`check_sqlite_target`] (nothing is created beside a device or a directory).
    pub(crate) fn open_sqlite(path: &Path) -> Result<Db> {
        let label = path.display().to_string();
        let e = |err: rusqlite::Error| Error::database_from(format!("{label}: {err}"), err);
        check_sqlite_target(path)?;
        let conn = rusqlite::Connection::open(path).map_err(e)?;
        conn.busy_timeout(std::time::Duration::from_secs(10))
            .map_err(e)?;
        conn.query_row("PRAGMA journal_mode=WAL", [], |r| r.get::<_, String>(0))
            .map_err(e)?;
        conn.execute_batch("PRAGMA synchronous=NORMAL; PRAGMA case_sensitive_like=ON;")
            .map_err(e)?;
        Ok(Db {
            conn: Conn::Sqlite(conn),
            label,
        })
    }

    /// Opens an existing SQLite file read-only (no WAL switch, nothing created).
    pub(crate) fn open_sqlite_read_only(path: &Path) -> Result<Db> {
        let label = path.display().to_string();
        let e = |err: rusqlite::Error| Error::database_from(format!("{label}: {err}"), err);
        check_sqlite_target(path)?;
        if !path.is_file() {
            return Err(Error::database(format!("{label}: no such file")));
        }
        let conn = rusqlite::Connection::open_with_flags(
            path,
            rusqlite::OpenFlags::SQLITE_OPEN_READ_ONLY | rusqlite::OpenFlags::SQLITE_OPEN_NO_MUTEX,
        )
        .map_err(e)?;
        conn.busy_timeout(std::time::Duration::from_secs(10))
            .map_err(e)?;
        conn.execute_batch("PRAGMA case_sensitive_like=ON;")
            .map_err(e)?;
        Ok(Db {
            conn: Conn::Sqlite(conn),
            label,
        })
    }

    /// Connects to PostgreSQL (no TLS: loopback or trusted networks) with the session
    /// time zone set to UTC.
    #[cfg(feature = "postgres")]
    pub(crate) fn open_postgres(url: &str) -> Result<Db> {
        let label = redact_url(url);
        let mut client = postgres::Client::connect(url, postgres::NoTls)
            .map_err(|err| Error::database_from(format!("{label}: {err}"), err))?;
        client
            .batch_execute("SET TIME ZONE 'UTC'; SET client_min_messages = WARNING;")
            .map_err(|err| Error::database_from(format!("{label}: {err}"), err))?;
        Ok(Db {
            conn: Conn::Postgres {
                client: Box::new(client),
                statements: Default::default(),
            },
            label,
        })
    }

    /// Without the `postgres` feature: an error saying so.
    #[cfg(not(feature = "postgres"))]
    pub(crate) fn open_postgres(url: &str) -> Result<Db> {
        Err(Error::database(format!(
            "{}: this siqaco was built without the `postgres` feature",
            redact_url(url)
        )))
    }

    /// The backend.
    pub(crate) fn kind(&self) -> BackendKind {
        match self.conn {
            Conn::Sqlite(_) => BackendKind::Sqlite,
            #[cfg(feature = "postgres")]
            Conn::Postgres { .. } => BackendKind::Postgres,
        }
    }

    /// The file name or redacted URL.
    pub(crate) fn label(&self) -> &str {
        &self.label
    }

    fn err(&self, sql: &str, failure: SqlFailure) -> Error {
        let head: String = sql.split_whitespace().take(6).collect::<Vec<_>>().join(" ");
        let SqlFailure { message, source } = failure;
        Error::database_from(
            format!("{}: {message} (in `{head} ...`)", self.label),
            source,
        )
    }

    /// Runs statements without parameters.
    pub(crate) fn batch(&mut self, sql: &str) -> Result<()> {
        let r = match &mut self.conn {
            Conn::Sqlite(c) => c.execute_batch(sql).map_err(SqlFailure::from),
            #[cfg(feature = "postgres")]
            Conn::Postgres { client, .. } => client.batch_execute(sql).map_err(pg_msg),
        };
        r.map_err(|e| self.err(sql, e))
    }

    /// Runs one statement; returns the number of rows changed.
    pub(crate) fn execute(&mut self, sql: &str, params: &[SqlValue]) -> Result<u64> {
        let r = match &mut self.conn {
            Conn::Sqlite(c) => c
                .prepare_cached(sql)
                .and_then(|mut st| st.execute(rusqlite::params_from_iter(params.iter())))
                .map(|n| n as u64)
                .map_err(SqlFailure::from),
            #[cfg(feature = "postgres")]
            Conn::Postgres { client, statements } => pg_statement(client, statements, sql)
                .and_then(|st| {
                    let p: Vec<&(dyn postgres::types::ToSql + Sync)> = params
                        .iter()
                        .map(|v| v as &(dyn postgres::types::ToSql + Sync))
                        .collect();
                    client.execute(&st, &p).map_err(pg_msg)
                }),
        };
        r.map_err(|e| self.err(sql, e))
    }

    /// Runs one query; returns all rows.
    pub(crate) fn query(&mut self, sql: &str, params: &[SqlValue]) -> Result<Vec<Vec<SqlValue>>> {
        let r = match &mut self.conn {
            Conn::Sqlite(c) => (|| {
                let mut st = c.prepare_cached(sql)?;
                let n = st.column_count();
                let mut rows = st.query(rusqlite::params_from_iter(params.iter()))?;
                let mut out = Vec::new();
                while let Some(r) = rows.next()? {
                    let mut v = Vec::with_capacity(n);
                    for i in 0..n {
                        v.push(sqlite_value(r.get_ref(i)?));
                    }
                    out.push(v);
                }
                Ok(out)
            })()
            .map_err(|e: rusqlite::Error| SqlFailure::from(e)),
            #[cfg(feature = "postgres")]
            Conn::Postgres { client, statements } => pg_statement(client, statements, sql)
                .and_then(|st| {
                    let p: Vec<&(dyn postgres::types::ToSql + Sync)> = params
                        .iter()
                        .map(|v| v as &(dyn postgres::types::ToSql + Sync))
                        .collect();
                    let rows = client.query(&st, &p).map_err(pg_msg)?;
                    rows.iter()
                        .map(|r| {
                            (0..r.len())
                                .map(|i| pg::value(r, i))
                                .collect::<std::result::Result<Vec<_>, _>>()
                        })
                        .collect::<std::result::Result<Vec<_>, _>>()
                        .map_err(pg_msg)
                }),
        };
        r.map_err(|e| self.err(sql, e))
    }

    /// Inserts `rows` (each one value per column of `columns`) into `table`: SQLite by one
    /// prepared `INSERT` per row, PostgreSQL by one `COPY ... FROM STDIN` in the text format
    /// (values written as text, converted by the server as the casts of an `INSERT` from
    /// text parameters would: the same rows either way). Run inside the caller's
    /// transaction. Returns the number of rows.
    pub(crate) fn insert_rows(
        &mut self,
        table: &str,
        columns: &str,
        rows: &[Vec<SqlValue>],
    ) -> Result<u64> {
        if rows.is_empty() {
            return Ok(0);
        }
        match &mut self.conn {
            Conn::Sqlite(_) => {
                let n = columns.split(',').count();
                let params: Vec<String> = (1..=n).map(|i| format!("?{i}")).collect();
                let sql = format!(
                    "INSERT INTO {table} ({columns}) VALUES ({})",
                    params.join(",")
                );
                for r in rows {
                    self.execute(&sql, r)?;
                }
            }
            #[cfg(feature = "postgres")]
            Conn::Postgres { client, .. } => {
                let sql = format!("COPY {table} ({columns}) FROM STDIN");
                let mut text = String::new();
                for r in rows {
                    copy_text_row(&mut text, r);
                }
                let r = (|| {
                    use std::io::Write;
                    let mut w = client.copy_in(&sql).map_err(pg_msg)?;
                    w.write_all(text.as_bytes()).map_err(|e| SqlFailure {
                        message: e.to_string(),
                        source: Box::new(e),
                    })?;
                    w.finish().map_err(pg_msg)
                })();
                r.map_err(|e| self.err(&sql, e))?;
            }
        }
        Ok(rows.len() as u64)
    }

    /// The first column of the first row (NULL when no row).
    pub(crate) fn query_one(&mut self, sql: &str, params: &[SqlValue]) -> Result<SqlValue> {
        Ok(self
            .query(sql, params)?
            .into_iter()
            .next()
            .and_then(|r| r.into_iter().next())
            .unwrap_or(SqlValue::Null))
    }

    /// Runs `f` in a transaction: committed when `f` succeeds, rolled back otherwise.
    pub(crate) fn transaction<T>(&mut self, f: impl FnOnce(&mut Db) -> Result<T>) -> Result<T> {
        self.batch("BEGIN")?;
        match f(self) {
            Ok(v) => {
                self.batch("COMMIT")?;
                Ok(v)
            }
            Err(e) => {
                let _ = self.batch("ROLLBACK");
                Err(e)
            }
        }
    }
}

/// A failed statement: the text to show and the client library's error, kept as the
/// source of the [`Error::Database`] built from it.
struct SqlFailure {
    /// rusqlite's message, or a PostgreSQL server's own message (without the client's
    /// `db error: ` wrapper).
    message: String,
    /// The `rusqlite` or `postgres` error.
    source: BoxedSource,
}

impl From<rusqlite::Error> for SqlFailure {
    fn from(e: rusqlite::Error) -> Self {
        SqlFailure {
            message: e.to_string(),
            source: Box::new(e),
        }
    }
}

#[cfg(feature = "postgres")]
fn pg_msg(e: postgres::Error) -> SqlFailure {
    let message = match e.as_db_error() {
        Some(d) => d.message().to_string(),
        None => e.to_string(),
    };
    SqlFailure {
        message,
        source: Box::new(e),
    }
}

/// Appends `row` to `out` as one line of PostgreSQL's `COPY` text format: values separated
/// by tabs, NULL as `\N`, backslash, tab, newline and carriage return escaped.
#[cfg(any(feature = "postgres", test))]
fn copy_text_row(out: &mut String, row: &[SqlValue]) {
    for (i, v) in row.iter().enumerate() {
        if i > 0 {
            out.push('\t');
        }
        match v {
            SqlValue::Null => out.push_str("\\N"),
            SqlValue::Int(n) => out.push_str(&n.to_string()),
            // the shortest text that reads back as the same f64 (PostgreSQL's float8 input
            // rounds correctly)
            SqlValue::Real(x) => out.push_str(&x.to_string()),
            SqlValue::Text(t) => {
                for c in t.chars() {
                    match c {
                        '\\' => out.push_str("\\\\"),
                        '\t' => out.push_str("\\t"),
                        '\n' => out.push_str("\\n"),
                        '\r' => out.push_str("\\r"),
                        c => out.push(c),
                    }
                }
            }
        }
    }
    out.push('\n');
}

#[cfg(feature = "postgres")]
fn pg_statement(
    client: &mut postgres::Client,
    cache: &mut std::collections::HashMap<String, postgres::Statement>,
    sql: &str,
) -> std::result::Result<postgres::Statement, SqlFailure> {
    if let Some(s) = cache.get(sql) {
        return Ok(s.clone());
    }
    let st = client.prepare(&dollar_params(sql)).map_err(pg_msg)?;
    cache.insert(sql.to_string(), st.clone());
    Ok(st)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parameters_and_urls() {
        assert_eq!(
            dollar_params("SELECT a FROM t WHERE b=?1 AND c=?12"),
            "SELECT a FROM t WHERE b=$1 AND c=$12"
        );
        assert_eq!(
            redact_url("postgresql://u:secret@127.0.0.1:5432/db"),
            "postgresql://u@127.0.0.1:5432/db"
        );
        assert_eq!(
            redact_url("postgresql://u@127.0.0.1/db"),
            "postgresql://u@127.0.0.1/db"
        );
        assert!(is_postgres_url("postgres://x/y"));
        let mut line = String::new();
        copy_text_row(
            &mut line,
            &vals![7, 0.1, SqlValue::Null, "a\tb\\c\nd", 100.0],
        );
        assert_eq!(line, "7\t0.1\t\\N\ta\\tb\\\\c\\nd\t100\n");
        assert!(!is_postgres_url("/tmp/x.sqlite"));
    }
}
