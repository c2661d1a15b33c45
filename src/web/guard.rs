//! What protects every request: security headers on each response, the origin check on every
//! POST, and the per-address limit on tries at login and set-up links.

use std::collections::HashMap;
use std::net::IpAddr;
use std::sync::Mutex;
use std::time::{Duration, Instant};

use axum::extract::Request;
use axum::http::{HeaderMap, HeaderValue, Method, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};

use super::WebError;
use crate::texts::web as texts;

/// No inline script, nothing from another origin, no framing by another site, and no
/// `Referer` to another origin (a login link's token is in its path). (`no-referrer` would make
/// browsers send `Origin: null` on the console's own forms.)
const CSP: &str = "default-src 'self'; img-src 'self' data:; style-src 'self'; script-src 'self'; \
    form-action 'self'; frame-ancestors 'self'; base-uri 'none'; object-src 'none'";

/// The workbench page's policy inside DingTalk: [`CSP`] with DingTalk's JSAPI script itself
/// (`dingtalk.open.js`, that one file of the shared CDN, not the whole host) added: allowed on
/// that page alone, and only when DingTalk opened it.
pub const DINGTALK_PAGE_CSP: &str = "default-src 'self'; img-src 'self' data:; style-src 'self'; \
    script-src 'self' https://g.alicdn.com/dingding/dingtalk-jsapi/3.1.0/dingtalk.open.js; \
    form-action 'self'; frame-ancestors 'self'; base-uri 'none'; object-src 'none'";

/// Marks a response that carries its own policy (the workbench page inside DingTalk, the one
/// page allowed another origin's script); every other response gets [`CSP`], whatever it set.
#[derive(Debug, Clone, Copy)]
pub struct OwnPolicy;

pub async fn security_headers(mut response: Response) -> Response {
    let own = response.extensions_mut().remove::<OwnPolicy>().is_some();
    let h = response.headers_mut();
    if !own || !h.contains_key(header::CONTENT_SECURITY_POLICY) {
        h.insert(header::CONTENT_SECURITY_POLICY, HeaderValue::from_static(CSP));
    }
    h.insert(header::X_CONTENT_TYPE_OPTIONS, HeaderValue::from_static("nosniff"));
    h.insert(header::X_FRAME_OPTIONS, HeaderValue::from_static("SAMEORIGIN"));
    h.insert(header::REFERRER_POLICY, HeaderValue::from_static("same-origin"));
    if !h.contains_key(header::CACHE_CONTROL) {
        h.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    }
    response
}

/// Refuses a POST (any method that may change something) that a page of another origin sent.
pub async fn same_origin_posts(request: Request, next: Next) -> Response {
    if matches!(*request.method(), Method::GET | Method::HEAD | Method::OPTIONS)
        || same_origin(request.headers())
    {
        return next.run(request).await;
    }
    tracing::warn!(path = %request.uri().path(), "cross-origin request refused");
    WebError::forbidden(texts::CROSS_ORIGIN.to_owned()).into_response()
}

/// True when the browser says the request came from this origin: `Sec-Fetch-Site` is
/// `same-origin` (or `none`, typed by the person), and `Origin`, if sent, is this host's (or
/// `null`, which a privacy setting may send, when `Sec-Fetch-Site` vouches for it). A request
/// with neither header did not come from a browser page and is refused too.
pub fn same_origin(headers: &HeaderMap) -> bool {
    let fetch_site = headers.get("sec-fetch-site").and_then(|v| v.to_str().ok());
    if fetch_site.is_some_and(|s| s != "same-origin" && s != "none") {
        return false;
    }
    let host = headers.get(header::HOST).and_then(|v| v.to_str().ok());
    match headers.get(header::ORIGIN).and_then(|v| v.to_str().ok()) {
        Some("null") => fetch_site == Some("same-origin"),
        Some(origin) => {
            let authority = origin.strip_prefix("https://").or_else(|| origin.strip_prefix("http://"));
            authority.is_some() && authority == host
        }
        None => fetch_site.is_some(),
    }
}

/// At most [`Limiter::TRIES`] tries at links from one address in [`Limiter::WINDOW`].
#[derive(Debug, Default)]
pub struct Limiter {
    tries: Mutex<HashMap<IpAddr, (Instant, u32)>>,
}

impl Limiter {
    pub const TRIES: u32 = 30;
    pub const WINDOW: Duration = Duration::from_secs(600);

    /// Counts a try from `ip`; false when it is one too many.
    pub fn allow(&self, ip: IpAddr) -> bool {
        let now = Instant::now();
        let mut tries = self.tries.lock().unwrap_or_else(|p| p.into_inner());
        if tries.len() > 10_000 {
            tries.retain(|_, (since, _)| now.duration_since(*since) < Self::WINDOW);
        }
        let entry = tries.entry(ip).or_insert((now, 0));
        if now.duration_since(entry.0) >= Self::WINDOW {
            *entry = (now, 0);
        }
        entry.1 += 1;
        entry.1 <= Self::TRIES
    }
}

/// The address a request came from (the proxy's, behind one), for the limiter.
pub struct ClientIp(pub IpAddr);

impl<S: Send + Sync> axum::extract::FromRequestParts<S> for ClientIp {
    type Rejection = std::convert::Infallible;

    async fn from_request_parts(
        parts: &mut axum::http::request::Parts,
        _: &S,
    ) -> Result<ClientIp, Self::Rejection> {
        let ip = parts
            .extensions
            .get::<axum::extract::ConnectInfo<std::net::SocketAddr>>()
            .map_or(IpAddr::from([127, 0, 0, 1]), |c| c.0.ip());
        Ok(ClientIp(ip))
    }
}

/// Counts a try at a link from `ip`: a 429 page when there were too many.
pub fn count_try(limiter: &Limiter, ip: IpAddr) -> Result<(), WebError> {
    if limiter.allow(ip) {
        Ok(())
    } else {
        tracing::warn!(%ip, "too many tries at console links");
        Err(WebError::new(axum::http::StatusCode::TOO_MANY_REQUESTS, texts::TOO_MANY_TRIES.to_owned()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn headers(pairs: &[(&'static str, &str)]) -> HeaderMap {
        let mut h = HeaderMap::new();
        for (k, v) in pairs {
            h.insert(*k, HeaderValue::from_str(v).unwrap());
        }
        h
    }

    #[test]
    fn a_post_from_the_consoles_own_page_is_same_origin() {
        let h = headers(&[
            ("host", "127.0.0.1:8080"),
            ("origin", "http://127.0.0.1:8080"),
            ("sec-fetch-site", "same-origin"),
        ]);
        assert!(same_origin(&h));
    }

    #[test]
    fn a_post_from_another_site_is_refused_whatever_it_claims() {
        assert!(!same_origin(&headers(&[("host", "127.0.0.1:8080"), ("origin", "http://evil.example")])));
        assert!(!same_origin(&headers(&[("host", "127.0.0.1:8080"), ("sec-fetch-site", "cross-site")])));
        assert!(!same_origin(&headers(&[
            ("host", "127.0.0.1:8080"),
            ("origin", "http://127.0.0.1:8080"),
            ("sec-fetch-site", "same-site")
        ])));
        assert!(!same_origin(&headers(&[("host", "127.0.0.1:8080"), ("origin", "null")])));
    }

    #[test]
    fn a_null_origin_counts_only_when_fetch_metadata_says_same_origin() {
        assert!(same_origin(&headers(&[
            ("host", "h:1"),
            ("origin", "null"),
            ("sec-fetch-site", "same-origin")
        ])));
        assert!(!same_origin(&headers(&[
            ("host", "h:1"),
            ("origin", "null"),
            ("sec-fetch-site", "cross-site")
        ])));
    }

    #[test]
    fn a_post_with_neither_origin_nor_fetch_metadata_is_refused() {
        assert!(!same_origin(&headers(&[("host", "127.0.0.1:8080")])));
    }

    #[test]
    fn the_workbench_pages_policy_is_the_consoles_with_dingtalks_script_host_alone_added() {
        let jsapi = crate::web::views::workbench::JSAPI;
        assert_eq!(DINGTALK_PAGE_CSP.replace(&format!(" {jsapi}"), ""), CSP);
    }

    #[test]
    fn the_limiter_counts_tries_per_address() {
        let limiter = Limiter::default();
        let (a, b): (IpAddr, IpAddr) = ("10.0.0.1".parse().unwrap(), "10.0.0.2".parse().unwrap());
        for _ in 0..Limiter::TRIES {
            assert!(limiter.allow(a));
        }
        assert!(!limiter.allow(a));
        assert!(limiter.allow(b));
    }
}
