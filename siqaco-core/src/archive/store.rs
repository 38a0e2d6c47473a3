//! Archives in S3-compatible object storage: `s3://bucket/prefix` roots.
//!
//! An archive root is a local directory (a plain path or a `file://` URL) or a bucket prefix
//! (`s3://bucket/prefix`, [`ArchiveRoot`]). With the `objectstore` feature, every operation
//! that takes an archive root (`scan`, `streams`, `index`, `read`, `qc`, `report`) reads
//! a bucket prefix as it reads a directory:
//!
//! * **Listing** walks the layout's template one path component at a time, as
//!   [`super::Archive::list_files`] walks directories: one LIST request with the `/`
//!   delimiter per prefix whose name can still match the selection and the window (a
//!   component that is only literal text, such as `continuous_waveforms`, is not listed).
//!   A LIST of more than 1000 keys is paged by the store (one request per page).
//! * **Reading** a day file is one GET of the whole object: a scan parses the body as it
//!   arrives (`open_object`), other readers receive it into one buffer of the object's
//!   size; its records pass the same validation gate as a file's ([`crate::record`]). A
//!   catalogue row is read with one ranged GET (`byte_offset`, `bytes`).
//! * **Client**: the `object_store` crate (Apache Arrow project; request signing, the
//!   credential chain, retries with exponential back-off) over rustls, at most
//!   [`StoreOptions::in_flight`] requests in flight (default 16).
//!
//! The client is configured from the standard variables (`object_store`'s
//! `AmazonS3Builder::from_env`): `AWS_ENDPOINT_URL` (or `AWS_ENDPOINT`), `AWS_REGION`,
//! `AWS_ACCESS_KEY_ID`, `AWS_SECRET_ACCESS_KEY`, `AWS_SESSION_TOKEN`, web identity; then
//! the profile `AWS_PROFILE` (default `default`) of the shared files `~/.aws/credentials`
//! and `~/.aws/config` for what the environment does not give (`profile`, as the AWS CLI
//! reads them); then container credentials, else the instance role;
//! `AWS_SKIP_SIGNATURE=true` (or
//! [`StoreOptions::anonymous`]) sends unsigned requests, for public buckets. A plain
//! `http://` endpoint is accepted only on a loopback address (`127.0.0.0/8`, `::1`,
//! `localhost`), for test servers. `docs/object-storage.md` has the four public layouts,
//! the costs and a worked example.

use crate::error::{Error, Result};
use std::path::{Path, PathBuf};

/// The URL scheme of object-store archive roots.
pub const S3_SCHEME: &str = "s3://";

/// Whether `path` is an object-store URL (`s3://...`) rather than a local path.
pub fn is_object_url(path: &Path) -> bool {
    path.to_str().is_some_and(|s| s.starts_with(S3_SCHEME))
}

/// A bucket and a key prefix: `s3://bucket/prefix`.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct ObjectUrl {
    /// The bucket name (S3 rules: 3–63 lower-case letters, digits, `.` and `-`).
    pub bucket: String,
    /// The key prefix without leading or trailing `/` (empty: the whole bucket).
    pub prefix: String,
}

impl ObjectUrl {
    /// The URL of the object `key` of this bucket (`key` is the full key).
    pub fn object(&self, key: &str) -> String {
        format!("{S3_SCHEME}{}/{key}", self.bucket)
    }

    /// The key of `rel` (a `/`-separated path) under the prefix.
    pub fn key(&self, rel: &str) -> String {
        match (self.prefix.is_empty(), rel.is_empty()) {
            (true, _) => rel.to_string(),
            (false, true) => self.prefix.clone(),
            (false, false) => format!("{}/{rel}", self.prefix),
        }
    }
}

impl std::fmt::Display for ObjectUrl {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{S3_SCHEME}{}", self.bucket)?;
        if !self.prefix.is_empty() {
            write!(f, "/{}", self.prefix)?;
        }
        Ok(())
    }
}

impl std::str::FromStr for ObjectUrl {
    type Err = Error;

    /// Parses `s3://bucket` or `s3://bucket/prefix` (a trailing `/` is ignored).
    ///
    /// # Errors
    /// [`Error::InvalidArgument`] for another scheme, an empty or invalid bucket name
    /// (S3's rules), or a prefix with an empty, `.` or `..` component.
    fn from_str(s: &str) -> Result<Self> {
        let rest = s.strip_prefix(S3_SCHEME).ok_or_else(|| {
            Error::invalid_argument(format!(
                "{s:?} is not an object-store URL (s3://bucket/prefix)"
            ))
        })?;
        let (bucket, prefix) = rest.split_once('/').unwrap_or((rest, ""));
        let prefix = prefix.trim_end_matches('/');
        let ok_bucket = (3..=63).contains(&bucket.len())
            && bucket
                .bytes()
                .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'.' || b == b'-')
            && !bucket.starts_with(['.', '-'])
            && !bucket.ends_with(['.', '-']);
        if !ok_bucket {
            return Err(Error::invalid_argument(format!(
                "{s:?}: bucket name {bucket:?} is not valid (3 to 63 lower-case letters, \
                 digits, '.' and '-')"
            )));
        }
        if !prefix.is_empty()
            && prefix
                .split('/')
                .any(|c| c.is_empty() || c == "." || c == "..")
        {
            return Err(Error::invalid_argument(format!(
                "{s:?}: the key prefix has an empty, '.' or '..' component"
            )));
        }
        Ok(ObjectUrl {
            bucket: bucket.to_string(),
            prefix: prefix.to_string(),
        })
    }
}

/// Where an archive is: a local directory or a bucket prefix.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum ArchiveRoot {
    /// A local directory (a plain path or `file://path`).
    Local(PathBuf),
    /// A bucket prefix in S3-compatible object storage.
    Object(ObjectUrl),
}

impl ArchiveRoot {
    /// Parses an archive root as the front ends give it: `s3://bucket/prefix`,
    /// `file:///absolute/path` (or `file://relative/path`) or a plain path.
    ///
    /// # Errors
    /// As [`ObjectUrl`]'s `FromStr`; [`Error::InvalidArgument`] for another `scheme://`
    /// (`gs://`, `https://`...).
    pub fn parse(text: &str) -> Result<ArchiveRoot> {
        if text.starts_with(S3_SCHEME) {
            return Ok(ArchiveRoot::Object(text.parse()?));
        }
        if let Some(path) = text.strip_prefix("file://") {
            return Ok(ArchiveRoot::Local(PathBuf::from(path)));
        }
        if let Some((scheme, _)) = text.split_once("://") {
            if !scheme.is_empty() && scheme.bytes().all(|b| b.is_ascii_alphanumeric()) {
                return Err(Error::invalid_argument(format!(
                    "{text:?}: archive roots are local paths, file:// or s3:// URLs \
                     (not {scheme}://)"
                )));
            }
        }
        Ok(ArchiveRoot::Local(PathBuf::from(text)))
    }

    /// The root as a path: the local path, or the `s3://` URL as a path (the form the
    /// operations' requests carry and [`is_object_url`] recognises).
    pub fn to_path(&self) -> PathBuf {
        match self {
            ArchiveRoot::Local(p) => p.clone(),
            ArchiveRoot::Object(u) => PathBuf::from(u.to_string()),
        }
    }
}

/// A root given as a path: `file://` removed; an `s3://` URL checked.
///
/// # Errors
/// As [`ArchiveRoot::parse`]; for `s3://` roots without the `objectstore` feature,
/// [`Error::InvalidArgument`] saying so.
pub(crate) fn normalize_root(path: &Path) -> Result<PathBuf> {
    let Some(text) = path.to_str() else {
        return Ok(path.to_path_buf());
    };
    let root = ArchiveRoot::parse(text)?;
    if matches!(root, ArchiveRoot::Object(_)) && !cfg!(feature = "objectstore") {
        return Err(Error::invalid_argument(format!(
            "{text}: this siqaco was built without the `objectstore` feature (s3:// roots)"
        )));
    }
    Ok(root.to_path())
}

/// The worker threads for reading the files of the archive at `root`: `threads` when set;
/// else, for a bucket, one per request in flight ([`StoreOptions::in_flight`]: each
/// thread waits for its GET, then scans), and `None` (all cores) for a local directory.
pub(crate) fn reading_threads(root: &Path, threads: Option<usize>) -> Option<usize> {
    #[cfg(feature = "objectstore")]
    if threads.is_none() && is_object_url(root) {
        return Some(client::in_flight());
    }
    let _ = root;
    threads
}

/// `len` bytes from `offset` of the file or object `path` that a catalogue row points to.
/// An object (`s3://bucket/key`) is read with one ranged GET sent with `If-Match: etag`
/// when the catalogue has the object's ETag ([`crate::index::Catalogue`]'s
/// `siqaco_files.etag`): an object replaced since it was indexed is then an error that
/// names it and says to re-index (HTTP 412 from the store), never the bytes of another
/// object at the indexed offsets. A file is read as by [`crate::archive::read_range_aligned`].
///
/// # Errors
/// The I/O error of the read; `UnexpectedEof` when the file or object ends before
/// `offset + len`; for an object, the store's answer (kind `Other` for a changed object).
#[cfg_attr(not(feature = "sqlite"), allow(dead_code))]
pub(crate) fn read_indexed_range(
    path: &Path,
    offset: u64,
    len: usize,
    etag: Option<&str>,
) -> std::io::Result<Vec<u8>> {
    #[cfg(feature = "objectstore")]
    if let Some(r) = client::read_object_range(path, offset, len, etag) {
        return r;
    }
    let _ = etag;
    crate::archive::read_range_aligned(path, offset, len).map(|b| b.to_vec())
}

#[cfg(feature = "objectstore")]
mod profile;

#[cfg(feature = "objectstore")]
pub(in crate::archive) use client::find;
#[cfg(feature = "objectstore")]
pub use client::{configure, request_counts, RequestCounts, StoreOptions};
#[cfg(all(feature = "objectstore", feature = "update"))]
pub(crate) use client::{head_etag, write_object};
#[cfg(feature = "objectstore")]
pub(crate) use client::{open_object, read_object, read_object_range, read_versioned};

#[cfg(feature = "objectstore")]
mod client {
    use super::{ObjectUrl, S3_SCHEME};
    use crate::archive::{Archive, Emit, Found, Walker};
    use crate::error::{Error, Result};
    use crate::sid::NslcGlob;
    use object_store::aws::{AmazonS3Builder, AmazonS3ConfigKey};
    use object_store::limit::LimitStore;
    use object_store::path::Path as ObjPath;
    use object_store::{BackoffConfig, ObjectStore, RetryConfig};
    use std::collections::HashMap;
    use std::path::Path;
    use std::sync::atomic::{AtomicU64, Ordering};
    use std::sync::{Arc, Mutex, OnceLock};
    use std::time::Duration;

    /// How the object-store client behaves; set once per process with [`configure`]
    /// before the first request (later calls apply to buckets not yet used).
    #[derive(Clone, Debug, PartialEq)]
    #[non_exhaustive]
    pub struct StoreOptions {
        /// Requests in flight at most, per bucket (default 16, or `SIQACO_S3_IN_FLIGHT`).
        pub in_flight: usize,
        /// Unsigned requests, for public buckets (default false, or true when
        /// `AWS_SKIP_SIGNATURE` is `true`).
        pub anonymous: bool,
        /// Retries of a failed request (5xx, 429, connection errors) with exponential
        /// back-off from 100 ms (doubling, at most 15 s between tries); default 10, or
        /// `SIQACO_S3_RETRIES`.
        pub max_retries: usize,
        /// No retry is started after this long from the first try (default 3 minutes).
        pub retry_timeout: Duration,
    }

    impl Default for StoreOptions {
        fn default() -> Self {
            let env = |name: &str| std::env::var(name).ok().and_then(|v| v.parse().ok());
            StoreOptions {
                in_flight: env("SIQACO_S3_IN_FLIGHT").filter(|n| *n > 0).unwrap_or(16),
                anonymous: false,
                max_retries: env("SIQACO_S3_RETRIES").unwrap_or(10),
                retry_timeout: Duration::from_secs(180),
            }
        }
    }

    /// Requests made since the process started (all buckets): what a scan cost.
    #[derive(Clone, Copy, Debug, Default, PartialEq, Eq, serde::Serialize)]
    pub struct RequestCounts {
        /// LIST requests (listing calls; a listing of more than 1000 keys is paged by the
        /// store and counts once here).
        pub lists: u64,
        /// GET requests of whole objects.
        pub gets: u64,
        /// GET requests of byte ranges (catalogue rows).
        pub range_gets: u64,
        /// Bytes received by GET requests.
        pub bytes: u64,
    }

    static OPTIONS: OnceLock<Mutex<StoreOptions>> = OnceLock::new();
    static BUCKETS: OnceLock<Mutex<HashMap<String, Arc<dyn ObjectStore>>>> = OnceLock::new();
    static RUNTIME: OnceLock<tokio::runtime::Runtime> = OnceLock::new();
    static LISTS: AtomicU64 = AtomicU64::new(0);
    static GETS: AtomicU64 = AtomicU64::new(0);
    static RANGE_GETS: AtomicU64 = AtomicU64::new(0);
    static BYTES: AtomicU64 = AtomicU64::new(0);

    /// Sets the client options of this process (see [`StoreOptions`]).
    ///
    /// # Errors
    /// [`Error::InvalidField`] `in_flight` when it is 0.
    pub fn configure(options: StoreOptions) -> Result<()> {
        if options.in_flight == 0 {
            return Err(Error::field(
                "in_flight",
                "at least one request in flight is needed",
            ));
        }
        let cell = OPTIONS.get_or_init(|| Mutex::new(StoreOptions::default()));
        *cell.lock().unwrap_or_else(|e| e.into_inner()) = options;
        Ok(())
    }

    /// The requests made so far by this process ([`RequestCounts`]).
    pub fn request_counts() -> RequestCounts {
        RequestCounts {
            lists: LISTS.load(Ordering::Relaxed),
            gets: GETS.load(Ordering::Relaxed),
            range_gets: RANGE_GETS.load(Ordering::Relaxed),
            bytes: BYTES.load(Ordering::Relaxed),
        }
    }

    /// The requests in flight at most ([`StoreOptions::in_flight`]).
    pub(crate) fn in_flight() -> usize {
        options().in_flight
    }

    fn options() -> StoreOptions {
        OPTIONS
            .get_or_init(|| Mutex::new(StoreOptions::default()))
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .clone()
    }

    /// Runs `fut` on the client's runtime and waits for it, from any thread (also from a
    /// thread of another tokio runtime, such as the server's).
    fn block_on<T: Send + 'static>(
        fut: impl std::future::Future<Output = T> + Send + 'static,
    ) -> Result<T> {
        let rt = match RUNTIME.get() {
            Some(rt) => rt,
            None => {
                let rt = tokio::runtime::Builder::new_multi_thread()
                    .worker_threads(2)
                    .thread_name("siqaco-s3")
                    .enable_all()
                    .build()
                    .map_err(|e| Error::io("object-store client runtime", e))?;
                let _ = RUNTIME.set(rt);
                RUNTIME.get().expect("runtime set")
            }
        };
        let (tx, rx) = std::sync::mpsc::sync_channel(1);
        rt.spawn(async move {
            let _ = tx.send(fut.await);
        });
        rx.recv()
            .map_err(|_| Error::invalid_argument("object-store request was dropped"))
    }

    /// Whether the host of an `http://` URL is a loopback address.
    fn loopback_host(url: &str) -> bool {
        let rest = url.split_once("://").map_or(url, |(_, r)| r);
        let authority = rest.split(['/', '?', '#']).next().unwrap_or("");
        let host_port = authority.rsplit_once('@').map_or(authority, |(_, h)| h);
        let host = if let Some(v6) = host_port.strip_prefix('[') {
            v6.split(']').next().unwrap_or("")
        } else {
            host_port.split(':').next().unwrap_or("")
        };
        host.eq_ignore_ascii_case("localhost")
            || host
                .parse::<std::net::IpAddr>()
                .is_ok_and(|ip| ip.is_loopback())
    }

    /// Builds the client of `bucket` from the environment and the options.
    fn build(bucket: &str) -> Result<Arc<dyn ObjectStore>> {
        let opts = options();
        let mut b = AmazonS3Builder::from_env().with_bucket_name(bucket);
        // the profile of the shared files, for what the environment does not give
        for (key, value) in super::profile::settings(&|k| std::env::var(k).ok(), opts.anonymous)? {
            b = b.with_config(key, value);
        }
        let endpoint = b.get_config_value(&AmazonS3ConfigKey::Endpoint);
        let http = endpoint.as_deref().is_some_and(|e| {
            e.get(..7)
                .is_some_and(|s| s.eq_ignore_ascii_case("http://"))
        });
        if http {
            let e = endpoint.unwrap_or_default();
            if !loopback_host(&e) {
                return Err(Error::Config {
                    message: format!(
                        "endpoint {e} (AWS_ENDPOINT_URL or the profile's endpoint_url): plain \
                         http:// is accepted only on a loopback address (127.0.0.1, ::1, \
                         localhost); use https://"
                    ),
                    source: None,
                });
            }
        }
        b = b.with_allow_http(http);
        if opts.anonymous {
            b = b.with_skip_signature(true);
        }
        b = b.with_retry(RetryConfig {
            backoff: BackoffConfig {
                init_backoff: Duration::from_millis(100),
                max_backoff: Duration::from_secs(15),
                base: 2.0,
            },
            max_retries: opts.max_retries,
            retry_timeout: opts.retry_timeout,
        });
        let store = b.build().map_err(|e| Error::Config {
            message: format!("object store s3://{bucket}: {e}"),
            source: None,
        })?;
        Ok(Arc::new(LimitStore::new(store, opts.in_flight)))
    }

    /// The client of `bucket` (built on first use, then shared).
    fn store_for(bucket: &str) -> Result<Arc<dyn ObjectStore>> {
        let map = BUCKETS.get_or_init(|| Mutex::new(HashMap::new()));
        let mut map = map.lock().unwrap_or_else(|e| e.into_inner());
        if let Some(s) = map.get(bucket) {
            return Ok(s.clone());
        }
        let s = build(bucket)?;
        map.insert(bucket.to_string(), s.clone());
        Ok(s)
    }

    /// An `object_store` error as a siqaco error about `url` and `request` (`GET`,
    /// `LIST`...): what the store said, after the retries.
    fn store_error(url: &str, request: &str, e: object_store::Error) -> Error {
        let text = e.to_string();
        // the HTTP status the store answered last (object_store keeps it in its message)
        let status = match &e {
            object_store::Error::NotFound { .. } => Some(404),
            _ => text
                .split_once("status code: ")
                .and_then(|(_, rest)| rest.get(..3)?.parse::<u16>().ok()),
        };
        let status = match &e {
            object_store::Error::Precondition { .. } => Some(412),
            _ => status,
        };
        let status = match &e {
            object_store::Error::AlreadyExists { .. } => Some(412),
            _ => status,
        };
        let what = match (&e, status) {
            (object_store::Error::NotFound { .. }, _) | (_, Some(404)) => "no such object",
            (_, Some(412)) if request.starts_with("PUT") => {
                "another writer changed the object since this run read it: not overwritten \
                 (run again: the next run reads its new version)"
            }
            (_, Some(412)) => {
                "the object changed since it was indexed (its ETag is not the catalogue's): \
                 re-index the archive (siqaco index) before reading it through the catalogue"
            }
            (object_store::Error::PermissionDenied { .. }, _) | (_, Some(403)) => {
                "access denied (credential wrong, expired or without permission)"
            }
            (object_store::Error::Unauthenticated { .. }, _) | (_, Some(401)) => {
                "not authenticated (credential missing or expired)"
            }
            (_, Some(503)) => {
                "the store asked to slow down (SlowDown) or is unavailable, after the retries"
            }
            (_, Some(500..=599)) => "server error, after the retries",
            _ => "request failed",
        };
        Error::Http {
            url: url.to_string(),
            status,
            message: format!("{request}: {what}: {text}"),
        }
    }

    /// The siqaco error as an I/O error (for the readers that take paths), keeping the
    /// message.
    fn io_error(e: Error) -> std::io::Error {
        let kind = match &e {
            Error::Http {
                status: Some(404), ..
            } => std::io::ErrorKind::NotFound,
            Error::Http {
                status: Some(401 | 403),
                ..
            } => std::io::ErrorKind::PermissionDenied,
            _ => std::io::ErrorKind::Other,
        };
        std::io::Error::new(kind, e.to_string())
    }

    /// Splits an `s3://bucket/key` path into the bucket's client and the key.
    fn locate(path: &Path) -> Result<(Arc<dyn ObjectStore>, String, ObjPath)> {
        let text = path.to_string_lossy();
        let rest = text.strip_prefix(S3_SCHEME).unwrap_or(&text);
        let (bucket, key) = rest.split_once('/').unwrap_or((rest, ""));
        let store = store_for(bucket)?;
        let key = ObjPath::parse(key)
            .map_err(|e| Error::invalid_argument(format!("{text}: not a valid object key: {e}")))?;
        Ok((store, text.into_owned(), key))
    }

    /// The whole object at `path` (`s3://bucket/key`), one GET; `None` when `path` is not
    /// an object URL.
    pub(crate) fn read_object(path: &Path) -> Option<std::io::Result<Vec<u8>>> {
        if !super::is_object_url(path) {
            return None;
        }
        Some(get(path, None, None).map_err(io_error))
    }

    /// `len` bytes of the object at `path` from `offset`, one ranged GET; `None` when
    /// `path` is not an object URL. An object shorter than `offset + len` is an
    /// `UnexpectedEof` error, as for a file.
    pub(crate) fn read_object_range(
        path: &Path,
        offset: u64,
        len: usize,
        etag: Option<&str>,
    ) -> Option<std::io::Result<Vec<u8>>> {
        if !super::is_object_url(path) {
            return None;
        }
        Some(
            get(path, Some((offset, len)), etag)
                .map_err(io_error)
                .and_then(|b| {
                    if b.len() < len {
                        Err(std::io::Error::new(
                            std::io::ErrorKind::UnexpectedEof,
                            format!(
                        "{}: the object ends before byte {} (got {} of {len} bytes from {offset})",
                        path.display(),
                        offset + len as u64,
                        b.len()
                    ),
                        ))
                    } else {
                        Ok(b)
                    }
                }),
        )
    }

    /// One GET of the object at `path`: whole, or the byte `range` (offset, length); with
    /// `If-Match: etag` when `etag` is given. A whole object without a condition is read as
    /// it arrives ([`ObjectReader`]), its chunks copied once into a buffer of its size.
    fn get(path: &Path, range: Option<(u64, usize)>, etag: Option<&str>) -> Result<Vec<u8>> {
        if range.is_none() && etag.is_none() {
            let mut reader = ObjectReader::open(path)?;
            let mut out = Vec::with_capacity(reader.size);
            while let Some(chunk) = reader.next_chunk().map_err(|e| Error::Http {
                url: reader.url.clone(),
                status: None,
                message: format!("GET: {e}"),
            })? {
                out.extend_from_slice(&chunk);
            }
            return Ok(out);
        }
        let (store, url, key) = locate(path)?;
        let options = object_store::GetOptions {
            if_match: etag.map(str::to_string),
            range: range.map(|(o, l)| (o..o + l as u64).into()),
            ..Default::default()
        };
        block_on(async move {
            let (r, request) = send_get(&store, &url, &key, options).await?;
            body(r, &url, &request).await
        })?
        .map(Vec::from)
    }

    /// The text of a GET with `options` in errors and the log: `GET`, `GET bytes A-B`,
    /// with ` If-Match ETAG` when it asks for a version.
    fn get_text(options: &object_store::GetOptions) -> String {
        let mut request = match &options.range {
            Some(object_store::GetRange::Bounded(r)) => {
                format!("GET bytes {}-{}", r.start, r.end.saturating_sub(1))
            }
            _ => "GET".to_string(),
        };
        if let Some(e) = &options.if_match {
            request.push_str(&format!(" If-Match {e}"));
        }
        request
    }

    /// One GET of `key` (the object `url`) with `options`, the one request helper of the
    /// readers ([`get`], [`ObjectReader`], [`read_versioned`]): counted (a ranged GET in
    /// [`RequestCounts::range_gets`], else in [`RequestCounts::gets`]) and waited for until
    /// the response's headers. Returns the response and the request's text ([`get_text`]).
    ///
    /// # Errors
    /// The store's answer as [`store_error`] maps it (404: [`Error::Http`] with status 404).
    async fn send_get(
        store: &Arc<dyn ObjectStore>,
        url: &str,
        key: &ObjPath,
        options: object_store::GetOptions,
    ) -> Result<(object_store::GetResult, String)> {
        let request = get_text(&options);
        if options.range.is_some() {
            RANGE_GETS.fetch_add(1, Ordering::Relaxed);
        } else {
            GETS.fetch_add(1, Ordering::Relaxed);
        }
        match store.get_opts(key, options).await {
            Ok(r) => Ok((r, request)),
            Err(e) => Err(store_error(url, &request, e)),
        }
    }

    /// The whole body of the response `r` of [`send_get`] to `url` (its bytes counted in
    /// [`RequestCounts::bytes`], the `request` logged).
    ///
    /// # Errors
    /// The store's, when the body is cut.
    async fn body(r: object_store::GetResult, url: &str, request: &str) -> Result<bytes::Bytes> {
        let bytes = r.bytes().await.map_err(|e| store_error(url, request, e))?;
        BYTES.fetch_add(bytes.len() as u64, Ordering::Relaxed);
        tracing::debug!(object = %url, bytes = bytes.len(), "{request}");
        Ok(bytes)
    }

    /// The whole object at `path` (`s3://bucket/key`) as it arrives: one GET whose body is
    /// read chunk by chunk while the store sends it (the caller parses the first bytes
    /// while the rest is on the way; no copy of the whole object is held); `None` when
    /// `path` is not an object URL. An error of the GET (404, 403... after the retries) is
    /// the result's; one in the middle of the body is the reader's.
    pub(crate) fn open_object(path: &Path) -> Option<std::io::Result<ObjectReader>> {
        if !super::is_object_url(path) {
            return None;
        }
        Some(ObjectReader::open(path).map_err(io_error))
    }

    /// The body of one GET, read as the store sends it ([`open_object`]): a
    /// [`std::io::Read`] over the chunks a task of the client's runtime receives.
    pub(crate) struct ObjectReader {
        url: String,
        /// The object's size in bytes (from the response).
        size: usize,
        chunks: std::sync::mpsc::Receiver<std::result::Result<bytes::Bytes, String>>,
        chunk: bytes::Bytes,
    }

    impl ObjectReader {
        /// Sends the GET of `path` and waits for the response's headers.
        fn open(path: &Path) -> Result<ObjectReader> {
            use futures::StreamExt;
            let (store, url, key) = locate(path)?;
            let u = url.clone();
            // unbounded: at most one object ahead of its reader, as a whole GET holds
            let (tx, rx) = std::sync::mpsc::channel();
            let size = block_on(async move {
                let (r, _) = send_get(&store, &u, &key, Default::default()).await?;
                let size = r.meta.size;
                let mut body = r.into_stream();
                tokio::spawn(async move {
                    while let Some(c) = body.next().await {
                        let c = c.map_err(|e| e.to_string());
                        if let Ok(b) = &c {
                            BYTES.fetch_add(b.len() as u64, Ordering::Relaxed);
                        }
                        if tx.send(c).is_err() {
                            break; // the reader was dropped
                        }
                    }
                });
                Ok::<u64, Error>(size)
            })??;
            tracing::debug!(object = %url, bytes = size, "GET");
            Ok(ObjectReader {
                url,
                size: usize::try_from(size).unwrap_or(0),
                chunks: rx,
                chunk: bytes::Bytes::new(),
            })
        }

        /// The next chunk of the body as received; `None` at its end.
        fn next_chunk(&mut self) -> std::io::Result<Option<bytes::Bytes>> {
            if !self.chunk.is_empty() {
                return Ok(Some(std::mem::take(&mut self.chunk)));
            }
            match self.chunks.recv() {
                Ok(Ok(b)) => Ok(Some(b)),
                Ok(Err(e)) => Err(std::io::Error::other(format!(
                    "{}: GET: the body was cut: {e}",
                    self.url
                ))),
                Err(_) => Ok(None),
            }
        }
    }

    impl std::io::Read for ObjectReader {
        fn read(&mut self, out: &mut [u8]) -> std::io::Result<usize> {
            while self.chunk.is_empty() {
                match self.next_chunk()? {
                    Some(b) => self.chunk = b,
                    None => return Ok(0),
                }
            }
            let n = out.len().min(self.chunk.len());
            out[..n].copy_from_slice(&self.chunk.split_to(n));
            Ok(n)
        }
    }

    /// The whole object at `path` (`s3://bucket/key`) and its ETag, one GET; `None` when
    /// there is no such object.
    ///
    /// # Errors
    /// The store's answer ([`Error::Http`]) other than 404.
    pub(crate) fn read_versioned(path: &Path) -> Result<Option<(Vec<u8>, Option<String>)>> {
        let (store, url, key) = locate(path)?;
        let got = block_on(async move {
            let (r, request) = send_get(&store, &url, &key, Default::default()).await?;
            let etag = r.meta.e_tag.clone();
            Ok::<_, Error>((body(r, &url, &request).await?, etag))
        })?;
        match got {
            Ok((bytes, etag)) => Ok(Some((bytes.to_vec(), etag))),
            Err(Error::Http {
                status: Some(404), ..
            }) => Ok(None),
            Err(e) => Err(e),
        }
    }

    /// The ETag of the object at `path` (one HEAD); `None` when there is no such object.
    ///
    /// # Errors
    /// The store's answer ([`Error::Http`]) other than 404.
    #[cfg(feature = "update")]
    pub(crate) fn head_etag(path: &Path) -> Result<Option<String>> {
        let (store, url, key) = locate(path)?;
        match block_on(async move { store.head(&key).await })? {
            Ok(meta) => Ok(Some(meta.e_tag.unwrap_or_default())),
            Err(object_store::Error::NotFound { .. }) => Ok(None),
            Err(e) => Err(store_error(&url, "HEAD", e)),
        }
    }

    /// Writes the whole object at `path` with one PUT, atomic by S3's semantics (readers
    /// see the old or the new object): only if its current ETag is `expected`
    /// (`If-Match`), or with `expected` `None` only if there is no object (`If-None-Match:
    /// *`), so that a concurrent writer is detected instead of overwritten. `bytes` `None`
    /// deletes the object (a DELETE, unconditional: S3 has no conditional delete).
    /// Returns the new object's ETag.
    ///
    /// # Errors
    /// [`Error::Http`] with status 412 when another writer changed (or created) the object;
    /// the store's answer otherwise.
    #[cfg(feature = "update")]
    pub(crate) fn write_object(
        path: &Path,
        bytes: Option<Vec<u8>>,
        expected: Option<&str>,
    ) -> Result<Option<String>> {
        use object_store::{PutMode, PutOptions, UpdateVersion};
        let (store, url, key) = locate(path)?;
        let Some(bytes) = bytes else {
            block_on(async move { store.delete(&key).await })?
                .map_err(|e| store_error(&url, "DELETE", e))?;
            tracing::debug!(object = %url, "DELETE");
            return Ok(None);
        };
        let mode = match expected {
            Some(e) => PutMode::Update(UpdateVersion {
                e_tag: Some(e.to_string()),
                version: None,
            }),
            None => PutMode::Create,
        };
        let request = match expected {
            Some(e) => format!("PUT If-Match {e}"),
            None => "PUT If-None-Match *".to_string(),
        };
        let n = bytes.len();
        let put = block_on(async move {
            store
                .put_opts(&key, bytes.into(), PutOptions::from(mode))
                .await
        })?
        .map_err(|e| store_error(&url, &request, e))?;
        tracing::debug!(object = %url, bytes = n, "{request}");
        Ok(put.e_tag)
    }

    /// One entry of a LIST: a name under the listed prefix.
    struct Listed {
        name: String,
        size: u64,
        mtime_ns: i64,
        etag: Option<String>,
    }

    /// The sub-prefixes (names without `/`) and the objects directly under `prefix` (one
    /// LIST with the `/` delimiter).
    async fn list_dir(
        store: Arc<dyn ObjectStore>,
        url: String,
        prefix: String,
    ) -> Result<(Vec<String>, Vec<Listed>)> {
        LISTS.fetch_add(1, Ordering::Relaxed);
        let p = (!prefix.is_empty()).then(|| ObjPath::from_iter(prefix.split('/')));
        let r = store
            .list_with_delimiter(p.as_ref())
            .await
            .map_err(|e| store_error(&url, "LIST", e))?;
        let dirs = r
            .common_prefixes
            .iter()
            .filter_map(|p| p.filename().map(str::to_string))
            .collect();
        let files = r
            .objects
            .iter()
            .filter_map(|o| {
                Some(Listed {
                    name: o.location.filename()?.to_string(),
                    size: o.size,
                    mtime_ns: o.last_modified.timestamp_nanos_opt().unwrap_or(0),
                    etag: o.e_tag.clone(),
                })
            })
            .collect();
        tracing::debug!(prefix = %url, "LIST");
        Ok((dirs, files))
    }

    /// Every object under `prefix`, recursively (one LIST without delimiter, paged by the
    /// store), as (path relative to the prefix, size, mtime).
    async fn list_all(
        store: Arc<dyn ObjectStore>,
        url: String,
        prefix: String,
    ) -> Result<Vec<(String, Listed)>> {
        use futures::TryStreamExt;
        LISTS.fetch_add(1, Ordering::Relaxed);
        let p = (!prefix.is_empty()).then(|| ObjPath::from_iter(prefix.split('/')));
        let objects: Vec<object_store::ObjectMeta> = store
            .list(p.as_ref())
            .try_collect()
            .await
            .map_err(|e| store_error(&url, "LIST", e))?;
        let skip = if prefix.is_empty() {
            0
        } else {
            prefix.len() + 1
        };
        Ok(objects
            .into_iter()
            .filter_map(|o| {
                let key = o.location.as_ref();
                let rel = key.get(skip..)?.to_string();
                let name = o.location.filename()?.to_string();
                Some((
                    rel,
                    Listed {
                        name,
                        size: o.size,
                        mtime_ns: o.last_modified.timestamp_nanos_opt().unwrap_or(0),
                        etag: o.e_tag,
                    },
                ))
            })
            .filter(|(rel, _)| !rel.split('/').any(|c| c.starts_with('.')))
            .collect())
    }

    /// [`Archive`]'s walk for a bucket prefix: one LIST per prefix that can still match
    /// (all prefixes of one template depth at once, at most `in_flight` in flight), names
    /// matched and pruned as [`Walker`] does for directories. Results in key order.
    pub(in crate::archive) fn find<T: Send>(
        archive: &Archive,
        selection: &[NslcGlob],
        window: Option<(i64, i64)>,
        emit: &Emit<'_, T>,
    ) -> Result<Vec<T>> {
        let url: ObjectUrl = archive.root().to_string_lossy().parse()?;
        let store = store_for(&url.bucket)?;
        let Some(t) = &archive.template else {
            let (s, u, p) = (store.clone(), url.to_string(), url.prefix.clone());
            let mut all = block_on(list_all(s, u, p))??;
            all.sort_by(|a, b| a.0.cmp(&b.0));
            let vals = crate::archive::no_values();
            return Ok(all
                .into_iter()
                .filter_map(|(rel, l)| {
                    emit(Found {
                        path: archive.root().join(&rel),
                        rel_path: rel,
                        vals: &vals,
                        meta: None,
                        sized: Some((l.size, l.mtime_ns, l.etag)),
                    })
                })
                .collect());
        };
        let walker = Walker {
            t,
            selection,
            window,
            stat: true,
        };
        let depth_n = t.components().len();
        // (relative prefix, values bound so far)
        let mut level: Vec<(String, crate::archive::Values)> =
            vec![(String::new(), crate::archive::no_values())];
        let mut found: Vec<(String, crate::archive::Values, Listed)> = Vec::new();
        for depth in 0..depth_n {
            let last = depth + 1 == depth_n;
            let comp = &t.components()[depth];
            // A literal component needs no LIST: its only name is the literal.
            if !last {
                if let Some(lit) = literal(comp) {
                    level = level
                        .into_iter()
                        .filter_map(|(rel, mut v)| {
                            (t.match_component(depth, &lit, &mut v) && walker.keep(&v))
                                .then(|| (crate::archive::join_rel(&rel, &lit), v))
                        })
                        .collect();
                    continue;
                }
            }
            let jobs: Vec<_> = level
                .iter()
                .map(|(rel, _)| {
                    let (s, u) = (store.clone(), url.object(&url.key(rel)));
                    list_dir(s, u, url.key(rel))
                })
                .collect();
            let listed = block_on(futures::future::join_all(jobs))?;
            let mut next = Vec::new();
            for ((rel, vals), r) in level.iter().zip(listed) {
                let (dirs, files) = r?;
                if last {
                    for f in files {
                        let mut v = vals.clone();
                        if !f.name.starts_with('.')
                            && t.match_component(depth, &f.name, &mut v)
                            && walker.keep(&v)
                        {
                            found.push((crate::archive::join_rel(rel, &f.name), v, f));
                        }
                    }
                } else {
                    for d in dirs {
                        let mut v = vals.clone();
                        if !d.starts_with('.')
                            && t.match_component(depth, &d, &mut v)
                            && walker.keep(&v)
                        {
                            next.push((crate::archive::join_rel(rel, &d), v));
                        }
                    }
                }
            }
            level = next;
            if level.is_empty() {
                break;
            }
        }
        found.sort_by(|a, b| a.0.cmp(&b.0));
        Ok(found
            .into_iter()
            .filter_map(|(rel, v, l)| {
                emit(Found {
                    path: archive.root().join(&rel),
                    rel_path: rel,
                    vals: &v,
                    meta: None,
                    sized: Some((l.size, l.mtime_ns, l.etag)),
                })
            })
            .collect())
    }

    /// The text of a component made of literal text only.
    fn literal(comp: &[crate::archive::template::Item]) -> Option<String> {
        comp.iter()
            .map(|i| match i {
                crate::archive::template::Item::Literal(l) => Some(l.as_str()),
                _ => None,
            })
            .collect::<Option<String>>()
    }

    #[cfg(test)]
    mod tests {
        use super::loopback_host;

        #[test]
        fn only_loopback_hosts_are_loopback() {
            for ok in [
                "http://127.0.0.1:9000",
                "http://127.1.2.3/",
                "http://localhost:5000",
                "http://[::1]:9000/x",
                "http://user:pw@127.0.0.1:1",
            ] {
                assert!(loopback_host(ok), "{ok}");
            }
            for bad in [
                "http://10.0.0.1:9000",
                "http://example.org",
                "http://127.0.0.1.example.org",
                "http://[::2]:9000",
                "http://localhost.example.org",
            ] {
                assert!(!loopback_host(bad), "{bad}");
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn roots_parse_as_local_paths_or_bucket_prefixes() {
        assert_eq!(
            ArchiveRoot::parse("s3://scedc-pds/continuous_waveforms/").unwrap(),
            ArchiveRoot::Object(ObjectUrl {
                bucket: "scedc-pds".into(),
                prefix: "continuous_waveforms".into()
            })
        );
        assert_eq!(
            ArchiveRoot::parse("s3://ncedc-pds").unwrap().to_path(),
            PathBuf::from("s3://ncedc-pds")
        );
        assert_eq!(
            ArchiveRoot::parse("file:///data/sds").unwrap(),
            ArchiveRoot::Local(PathBuf::from("/data/sds"))
        );
        assert_eq!(
            ArchiveRoot::parse("data/sds").unwrap(),
            ArchiveRoot::Local(PathBuf::from("data/sds"))
        );
        for bad in [
            "s3://",
            "s3://A_b/x",
            "s3://ab",
            "s3://bucket/a//b",
            "s3://bucket/../x",
            "gs://b/x",
        ] {
            assert!(ArchiveRoot::parse(bad).is_err(), "{bad}");
        }
        let u: ObjectUrl = "s3://bucket/a/b".parse().unwrap();
        assert_eq!(u.key("2024/x"), "a/b/2024/x");
        assert_eq!(u.object(&u.key("y")), "s3://bucket/a/b/y");
        assert!(is_object_url(Path::new("s3://bucket/a")));
        assert!(!is_object_url(Path::new("/s3://bucket")));
    }
}
