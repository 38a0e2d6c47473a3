//! HTTP digest authentication for `queryauth` and the operator's pages (RFC 7616 with MD5,
//! `qop=auth`, as RFC 2617 clients send it: FDSN `queryauth` clients such as ObsPy's
//! `Client(user=, password=)`, which uses requests' `HTTPDigestAuth`).
//!
//! - Credentials: an htdigest file ([`ServeSettings::credentials`]), `user:realm:HA1`
//!   lines where HA1 = MD5(`user:realm:password`) in lower-case hex (Apache's `htdigest`);
//!   only the lines of the server's realm ([`ServeSettings::realm`]) count.
//! - Nonces carry their own proof ([`Digest::nonce`]): the time they were made and an MD5
//!   of that time with a random secret made when the server starts, so no nonce is stored;
//!   a nonce older than [`NONCE_LIFETIME_S`] is answered with `stale=true` (the client
//!   retries with the new nonce without asking the user again). Nonce counts are not
//!   tracked, so a response can be replayed within the nonce's lifetime (use HTTPS behind
//!   a reverse proxy when that matters, docs/serve.md).
//! - Responses and nonce proofs are compared in constant time.
//!
//! [`middleware`] guards every path [`needs_auth`] names: without valid credentials, 401
//! with the challenge (`WWW-Authenticate: Digest ...`) and an FDSN error document; with
//! them, the request continues with an [`Authenticated`] extension (also put on the
//! response, for the access log).

use crate::error::FdsnError;
use crate::state::AppState;
use crate::ServeSettings;
use axum::extract::{Request, State};
use axum::http::{header, HeaderValue, StatusCode};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use md5::{Digest as _, Md5};
use siqaco::ops::fdsnws::Access;
use std::collections::HashMap;
use std::sync::Arc;
use std::time::{SystemTime, UNIX_EPOCH};
use subtle::ConstantTimeEq;

/// How long a nonce is accepted, seconds; an older one gets `stale=true`.
pub const NONCE_LIFETIME_S: u64 = 300;

/// The user a request was authenticated as (a request and response extension).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Authenticated {
    /// The user name of the htdigest file.
    pub user: String,
}

/// Who may see which streams: the settings' restricted streams, and whether the request
/// is authenticated (the handler of `queryauth` or of an operator page passes `true`; of
/// every other path, `false`). Every service filters its answer with it.
pub fn access(state: &AppState, authenticated: bool) -> Access {
    Access {
        restricted: state.settings().restricted.clone(),
        authenticated,
    }
}

/// Whether `path` is served only to authenticated users: every path ending in
/// `/queryauth` (the FDSN services' authenticated queries) and everything under
/// `/operator` (the status page's actions).
pub fn needs_auth(path: &str) -> bool {
    path.ends_with("/queryauth") || path == "/operator" || path.starts_with("/operator/")
}

/// The verifier: the realm, the users' HA1 and the per-process nonce secret.
#[derive(Debug)]
pub struct Digest {
    realm: String,
    /// User name → HA1 (32 lower-case hex digits); `None` when no credentials file is
    /// configured.
    users: Option<HashMap<String, String>>,
    secret: [u8; 16],
}

/// What [`Digest::verify`] found.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Verdict {
    /// Valid credentials of this user.
    User(String),
    /// A valid response to an expired nonce: ask again with `stale=true`.
    Stale,
    /// Refused, and why (for the error document; never names the password).
    Denied(String),
}

fn md5_hex(text: &str) -> String {
    hex(&Md5::digest(text.as_bytes()))
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// `N` random bytes from the operating system (`getrandom`); should it fail, the keys of
/// the standard library's `RandomState`, which it seeds from the same source. The one
/// source of the server's per-process secrets: the nonces here, the status page's CSRF
/// tokens.
pub(crate) fn random_secret<const N: usize>() -> [u8; N] {
    let mut secret = [0u8; N];
    if getrandom::getrandom(&mut secret).is_err() {
        use std::hash::{BuildHasher, Hasher};
        for (i, half) in secret.chunks_mut(8).enumerate() {
            let mut h = std::collections::hash_map::RandomState::new().build_hasher();
            h.write_usize(i);
            half.copy_from_slice(&h.finish().to_le_bytes());
        }
    }
    secret
}

fn now_s() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_secs())
}

impl Digest {
    /// The verifier of `settings`: reads its credentials file, if any.
    ///
    /// # Errors
    /// [`siqaco::Error::Io`] when the file cannot be read; [`siqaco::Error::InvalidField`]
    /// (`credentials`) naming the file and line of a line that is not `user:realm:HA1`
    /// with a 32-digit hex HA1.
    pub fn load(settings: &ServeSettings) -> siqaco::Result<Digest> {
        let users = match &settings.credentials {
            None => None,
            Some(path) => {
                let text = std::fs::read_to_string(path).map_err(|e| siqaco::Error::io(path, e))?;
                Some(parse_htdigest(&text, &settings.realm).map_err(|(line, m)| {
                    siqaco::Error::field(
                        "credentials",
                        format!("{} line {line}: {m}", path.display()),
                    )
                })?)
            }
        };
        Ok(Digest {
            users,
            ..Digest::refusing(&settings.realm)
        })
    }

    /// A verifier of `realm` without credentials: it refuses every request.
    pub fn refusing(realm: &str) -> Digest {
        Digest {
            realm: realm.to_string(),
            users: None,
            secret: random_secret(),
        }
    }

    /// Whether a credentials file is configured.
    pub fn configured(&self) -> bool {
        self.users.is_some()
    }

    fn proof(&self, time_hex: &str) -> String {
        md5_hex(&format!("{time_hex}:{}", hex(&self.secret)))
    }

    /// A nonce made at `now` (seconds since 1970): 16 hex digits of the time, then the
    /// 32-digit proof MD5(`time:secret`).
    pub fn nonce(&self, now: u64) -> String {
        let t = format!("{now:016x}");
        let p = self.proof(&t);
        format!("{t}{p}")
    }

    /// Whether `nonce` is one of ours (`Some(true)` still fresh at `now`, `Some(false)`
    /// expired), `None` when forged or malformed.
    fn nonce_fresh(&self, nonce: &str, now: u64) -> Option<bool> {
        if nonce.len() != 48 || !nonce.is_ascii() {
            return None;
        }
        let (t, p) = nonce.split_at(16);
        if !bool::from(self.proof(t).as_bytes().ct_eq(p.as_bytes())) {
            return None;
        }
        let made = u64::from_str_radix(t, 16).ok()?;
        Some(made <= now && now - made <= NONCE_LIFETIME_S)
    }

    /// The `WWW-Authenticate` value: a new nonce, `qop="auth"`, MD5, and `stale=true` when
    /// asked.
    pub fn challenge(&self, stale: bool, now: u64) -> String {
        format!(
            "Digest realm=\"{}\", qop=\"auth\", algorithm=MD5, nonce=\"{}\"{}",
            self.realm,
            self.nonce(now),
            if stale { ", stale=true" } else { "" }
        )
    }

    /// Checks an `Authorization` header of a request with `method` and `uri` (its path
    /// and query as received) at `now`: the user's HA1, our realm and nonce, MD5, `qop=auth`,
    /// the same `uri`, and `response` = MD5(`HA1:nonce:nc:cnonce:auth:MD5(method:uri)`).
    pub fn verify(&self, method: &str, uri: &str, authorization: &str, now: u64) -> Verdict {
        let Some(users) = &self.users else {
            return Verdict::Denied("no credentials are configured on this server".into());
        };
        let denied = |m: &str| Verdict::Denied(m.to_string());
        let Some(rest) = authorization.trim().strip_prefix("Digest ") else {
            return denied("digest authentication is required");
        };
        let Ok(h) = digest_auth::AuthorizationHeader::parse(rest) else {
            return denied("malformed Authorization header");
        };
        if h.realm != self.realm {
            return denied("wrong realm");
        }
        if h.algorithm.algo != digest_auth::AlgorithmType::MD5 || h.algorithm.sess {
            return denied("only algorithm MD5 is supported");
        }
        if h.qop != Some(digest_auth::Qop::AUTH) {
            return denied("only qop=auth is supported");
        }
        if h.uri != uri {
            return denied("the digest uri is not the request's");
        }
        let Some(fresh) = self.nonce_fresh(&h.nonce, now) else {
            return denied("unknown nonce");
        };
        let Some(ha1) = users.get(&h.username) else {
            return denied("wrong user name or password");
        };
        let ha2 = md5_hex(&format!("{method}:{uri}"));
        let expected = md5_hex(&format!(
            "{ha1}:{}:{:08x}:{}:auth:{ha2}",
            h.nonce,
            h.nc,
            h.cnonce.as_deref().unwrap_or("")
        ));
        if !bool::from(expected.as_bytes().ct_eq(h.response.as_bytes())) {
            return denied("wrong user name or password");
        }
        if fresh {
            Verdict::User(h.username)
        } else {
            Verdict::Stale
        }
    }
}

/// The users of `realm` in an htdigest file's text: `user:realm:HA1` lines (blank lines and
/// `#` comments skipped; lines of other realms ignored).
///
/// # Errors
/// The 1-based line number and what is wrong.
fn parse_htdigest(text: &str, realm: &str) -> Result<HashMap<String, String>, (usize, String)> {
    let mut users = HashMap::new();
    for (i, line) in text.lines().enumerate() {
        let line = line.trim();
        if line.is_empty() || line.starts_with('#') {
            continue;
        }
        let fields: Vec<&str> = line.split(':').collect();
        let [user, r, ha1] = fields[..] else {
            return Err((i + 1, "expected user:realm:HA1".into()));
        };
        if user.is_empty() {
            return Err((i + 1, "empty user name".into()));
        }
        if ha1.len() != 32 || !ha1.bytes().all(|b| b.is_ascii_hexdigit()) {
            return Err((
                i + 1,
                "HA1 is not 32 hex digits (MD5 of user:realm:password)".into(),
            ));
        }
        if r == realm {
            users.insert(user.to_string(), ha1.to_ascii_lowercase());
        }
    }
    Ok(users)
}

/// The 401 answer: the challenge (with `stale` when asked) and an FDSN error document.
fn unauthorized(digest: &Digest, req: &Request, stale: bool, detail: String) -> Response {
    let mut r = FdsnError::new(StatusCode::UNAUTHORIZED, detail)
        .for_request(req.uri())
        .into_response();
    if let Ok(v) = HeaderValue::from_str(&digest.challenge(stale, now_s())) {
        r.headers_mut().insert(header::WWW_AUTHENTICATE, v);
    }
    r
}

/// The middleware: requests to a path [`needs_auth`] names go on only with valid
/// credentials (an [`Authenticated`] extension added) or an [`Authenticated`] extension
/// already there (put by an outer layer of the same process: an embedding application's
/// own authentication, a test); others pass untouched.
pub async fn middleware(
    State(digest): State<Arc<Digest>>,
    mut req: Request,
    next: Next,
) -> Response {
    if !needs_auth(req.uri().path()) {
        return next.run(req).await;
    }
    if let Some(who) = req.extensions().get::<Authenticated>().cloned() {
        // Authenticated already, in this process: by an application that embeds the
        // router behind its own authentication, or a test (a request from the network
        // cannot carry an extension).
        let mut response = next.run(req).await;
        response.extensions_mut().insert(who);
        return response;
    }
    let uri = req
        .uri()
        .path_and_query()
        .map_or_else(|| req.uri().path().to_string(), |p| p.as_str().to_string());
    let verdict = match req.headers().get(header::AUTHORIZATION) {
        None if !digest.configured() => {
            Verdict::Denied("no credentials are configured on this server".into())
        }
        None => Verdict::Denied("authentication required (HTTP digest)".into()),
        Some(v) => match v.to_str() {
            Ok(v) => digest.verify(req.method().as_str(), &uri, v, now_s()),
            Err(_) => Verdict::Denied("malformed Authorization header".into()),
        },
    };
    match verdict {
        Verdict::User(user) => {
            let who = Authenticated { user };
            req.extensions_mut().insert(who.clone());
            let mut response = next.run(req).await;
            response.extensions_mut().insert(who);
            response
        }
        Verdict::Stale => unauthorized(&digest, &req, true, "the nonce has expired".into()),
        Verdict::Denied(why) => unauthorized(&digest, &req, false, why),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use axum::body::Body;
    use axum::routing::get;
    use axum::{Extension, Router};
    use tower::ServiceExt;

    fn settings(dir: &std::path::Path, lines: &str) -> ServeSettings {
        let file = dir.join("htdigest");
        std::fs::write(&file, lines).unwrap();
        let mut s = ServeSettings::new("x.sqlite");
        s.credentials = Some(file);
        s
    }

    fn alice_line(realm: &str, password: &str) -> String {
        format!(
            "alice:{realm}:{}\n",
            md5_hex(&format!("alice:{realm}:{password}"))
        )
    }

    /// The `Authorization` value the `digest_auth` client computes for `challenge`.
    fn client(challenge: &str, password: &str, uri: &str, method: &str) -> String {
        let mut www = digest_auth::parse(challenge).unwrap();
        let ctx = digest_auth::AuthContext::new_with_method(
            "alice",
            password,
            uri,
            Option::<&[u8]>::None,
            digest_auth::HttpMethod::from(method.to_string()),
        );
        www.respond(&ctx).unwrap().to_header_string()
    }

    #[test]
    fn verifies_what_the_digest_auth_client_computes() {
        let dir = tempfile::tempdir().unwrap();
        let d = Digest::load(&settings(
            dir.path(),
            &format!(
                "# users\n{}bob:other:{}\n",
                alice_line("FDSN", "s3cret"),
                "0".repeat(32)
            ),
        ))
        .unwrap();
        let now = 1_700_000_000;
        let uri = "/fdsnws/dataselect/1/queryauth?net=IU&sta=ANMO";
        let ok = client(&d.challenge(false, now), "s3cret", uri, "GET");
        assert_eq!(
            d.verify("GET", uri, &ok, now + 10),
            Verdict::User("alice".into())
        );
        // The same response for another method or URI, a wrong password, another realm's
        // user, a forged or expired nonce.
        assert!(matches!(
            d.verify("POST", uri, &ok, now),
            Verdict::Denied(_)
        ));
        assert!(matches!(
            d.verify("GET", "/fdsnws/dataselect/1/queryauth", &ok, now),
            Verdict::Denied(_)
        ));
        let wrong = client(&d.challenge(false, now), "guess", uri, "GET");
        assert!(matches!(
            d.verify("GET", uri, &wrong, now),
            Verdict::Denied(_)
        ));
        let forged = ok.replace(&d.nonce(now)[16..], &"0".repeat(32));
        assert!(matches!(
            d.verify("GET", uri, &forged, now),
            Verdict::Denied(_)
        ));
        assert_eq!(
            d.verify("GET", uri, &ok, now + NONCE_LIFETIME_S + 1),
            Verdict::Stale
        );
        // Another process (another secret) does not accept our nonces.
        let other = Digest::load(&settings(dir.path(), &alice_line("FDSN", "s3cret"))).unwrap();
        assert!(matches!(
            other.verify("GET", uri, &ok, now),
            Verdict::Denied(_)
        ));
        // POST responses hash the POST method.
        let post = client(&d.challenge(false, now), "s3cret", uri, "POST");
        assert_eq!(
            d.verify("POST", uri, &post, now),
            Verdict::User("alice".into())
        );
    }

    #[test]
    fn htdigest_lines_are_checked() {
        let dir = tempfile::tempdir().unwrap();
        for bad in [
            "alice:FDSN\n",
            "alice:FDSN:xyz\n",
            ":FDSN:00000000000000000000000000000000\n",
        ] {
            let e = Digest::load(&settings(dir.path(), &format!("\n{bad}"))).unwrap_err();
            assert_eq!(e.field_name(), Some("credentials"), "{bad}: {e}");
            assert!(e.to_string().contains("line 2"), "{e}");
        }
        let mut s = settings(dir.path(), "");
        s.credentials = Some(dir.path().join("missing"));
        assert!(matches!(Digest::load(&s), Err(siqaco::Error::Io { .. })));
    }

    async fn call(app: &Router, uri: &str, auth: Option<String>) -> Response {
        let mut req = Request::builder().uri(uri);
        if let Some(a) = auth {
            req = req.header(header::AUTHORIZATION, a);
        }
        app.clone()
            .oneshot(req.body(Body::empty()).unwrap())
            .await
            .unwrap()
    }

    fn router(d: Digest) -> Router {
        Router::new()
            .route(
                "/fdsnws/station/1/queryauth",
                get(|Extension(a): Extension<Authenticated>| async move { a.user }),
            )
            .route("/fdsnws/station/1/query", get(|| async { "open" }))
            .layer(axum::middleware::from_fn_with_state(
                Arc::new(d),
                middleware,
            ))
    }

    /// The 401 answer to `uri` without credentials, and its challenge.
    async fn challenged(app: &Router, uri: &str) -> (Response, String) {
        let r = call(app, uri, None).await;
        assert_eq!(r.status(), StatusCode::UNAUTHORIZED);
        let challenge = r.headers()[header::WWW_AUTHENTICATE]
            .to_str()
            .unwrap()
            .to_string();
        (r, challenge)
    }

    async fn text(r: Response) -> String {
        let b = axum::body::to_bytes(r.into_body(), 1 << 20).await.unwrap();
        String::from_utf8(b.to_vec()).unwrap()
    }

    #[tokio::test]
    async fn middleware_challenges_then_admits() {
        let dir = tempfile::tempdir().unwrap();
        let app = router(Digest::load(&settings(dir.path(), &alice_line("FDSN", "pw"))).unwrap());
        let uri = "/fdsnws/station/1/queryauth?level=network";
        let (r, challenge) = challenged(&app, uri).await;
        assert!(challenge.starts_with("Digest realm=\"FDSN\", qop=\"auth\""));
        assert!(text(r).await.starts_with("Error 401: Unauthorized"));
        let r = call(&app, uri, Some(client(&challenge, "pw", uri, "GET"))).await;
        assert_eq!(r.status(), StatusCode::OK);
        assert_eq!(
            r.extensions().get::<Authenticated>(),
            Some(&Authenticated {
                user: "alice".into()
            })
        );
        assert_eq!(text(r).await, "alice");
        let r = call(&app, uri, Some(client(&challenge, "no", uri, "GET"))).await;
        assert_eq!(r.status(), StatusCode::UNAUTHORIZED);
        // A request authenticated in the process already passes as that user.
        let mut req = Request::builder().uri(uri).body(Body::empty()).unwrap();
        req.extensions_mut().insert(Authenticated {
            user: "embedded".into(),
        });
        let r = app.clone().oneshot(req).await.unwrap();
        assert_eq!(text(r).await, "embedded");
        // Paths that do not end in /queryauth pass untouched.
        let r = call(&app, "/fdsnws/station/1/query", None).await;
        assert_eq!(r.status(), StatusCode::OK);
    }

    #[tokio::test]
    async fn without_credentials_every_guarded_path_is_refused() {
        let app = router(Digest::load(&ServeSettings::new("x.sqlite")).unwrap());
        let uri = "/fdsnws/station/1/queryauth";
        let (r, challenge) = challenged(&app, uri).await;
        assert!(text(r).await.contains("no credentials are configured"));
        let r = call(&app, uri, Some(client(&challenge, "pw", uri, "GET"))).await;
        assert_eq!(r.status(), StatusCode::UNAUTHORIZED);
        assert!(needs_auth("/operator") && needs_auth("/operator/retry"));
        assert!(!needs_auth("/operators") && !needs_auth("/fdsnws/station/1/query"));
    }
}
