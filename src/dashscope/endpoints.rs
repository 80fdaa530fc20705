//! Where the service's HTTP API lives: `--endpoint`, the region flags and
//! `DASHSCOPE_HTTP_BASE_URL` turned into one base address ending in `/api/v1`.
//!
//! A bare `http://HOST:PORT` or `ws://HOST:PORT` (as for `tts serve`) is enough: the HTTP base
//! `/api/v1` is derived from it, as is the base from a WebSocket URL such as
//! `wss://HOST/api-ws/v1/inference`.

/// The international (Singapore) HTTP base.
pub const INTL_HTTP: &str = "https://dashscope-intl.aliyuncs.com/api/v1";
/// The mainland China (Beijing) HTTP base.
pub const CN_HTTP: &str = "https://dashscope.aliyuncs.com/api/v1";

/// A service region.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Region {
    /// Singapore: dashscope-intl.aliyuncs.com.
    Intl,
    /// Beijing: dashscope.aliyuncs.com.
    Cn,
}

/// A base address that cannot be used.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("cannot use the endpoint {url}: {reason}")]
pub struct EndpointError {
    /// The address given.
    pub url: String,
    /// Why, and what to give instead.
    pub reason: &'static str,
}

/// The HTTP API's base (no trailing slash), and the region it belongs to when it is one of the
/// service's own hosts.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HttpBase {
    /// `https://HOST/api/v1`, or whatever path a full HTTP URL gave.
    pub url: String,
    /// `Some` for the service's own hosts; `None` for any other (a local server, a proxy).
    pub region: Option<Region>,
}

/// `--endpoint` first, then a region flag, then `DASHSCOPE_HTTP_BASE_URL`, then the
/// international host (the same order as the WebSocket endpoint).
pub fn http_base(
    endpoint: Option<&str>,
    region: Option<Region>,
    env_http: Option<&str>,
) -> Result<HttpBase, EndpointError> {
    let url = match (endpoint, region, env_http) {
        (Some(url), _, _) => derive(url)?,
        (None, Some(Region::Cn), _) => CN_HTTP.to_owned(),
        (None, Some(Region::Intl), _) => INTL_HTTP.to_owned(),
        (None, None, Some(url)) => derive(url)?,
        (None, None, None) => INTL_HTTP.to_owned(),
    };
    let region = region_of(&url);
    Ok(HttpBase { url, region })
}

/// The region of a base on one of the service's hosts.
fn region_of(url: &str) -> Option<Region> {
    let host = host_port(url.split_once("://")?.1).0;
    match host {
        "dashscope-intl.aliyuncs.com" => Some(Region::Intl),
        "dashscope.aliyuncs.com" => Some(Region::Cn),
        h if h.ends_with(".ap-southeast-1.maas.aliyuncs.com") => Some(Region::Intl),
        h if h.ends_with(".cn-beijing.maas.aliyuncs.com") => Some(Region::Cn),
        _ => None,
    }
}

/// `HOST[:PORT]` of an authority (userinfo refused by the caller), and its port part.
fn host_port(rest: &str) -> (&str, Option<&str>) {
    let authority = rest.split(['/', '?', '#']).next().unwrap_or("");
    if let Some(v6) = authority.strip_prefix('[') {
        let (host, after) = v6.split_once(']').unwrap_or((v6, ""));
        return (host, after.strip_prefix(':'));
    }
    match authority.rsplit_once(':') {
        Some((host, port)) => (host, Some(port)),
        None => (authority, None),
    }
}

/// The HTTP base for one address given by the user.
fn derive(given: &str) -> Result<String, EndpointError> {
    let bad = |reason| EndpointError {
        url: given.to_owned(),
        reason,
    };
    let given_trimmed = given.trim();
    let (scheme, rest) = given_trimmed.split_once("://").ok_or_else(|| {
        bad("not a URL: use https://HOST or, for tts serve, http://127.0.0.1:PORT")
    })?;
    let secure = match scheme.to_ascii_lowercase().as_str() {
        "https" | "wss" => true,
        "http" | "ws" => false,
        _ => return Err(bad("use an https:// (or wss://) URL")),
    };
    let authority = rest.split(['/', '?', '#']).next().unwrap_or("");
    if authority.is_empty() {
        return Err(bad("it names no host"));
    }
    if authority.contains('@') {
        return Err(bad(
            "credentials in the URL are not accepted; use DASHSCOPE_API_KEY",
        ));
    }
    let (host, port) = host_port(rest);
    if port.is_some_and(|p| p.parse::<u16>().is_err()) {
        return Err(bad("its port is not a number"));
    }
    if !secure && !is_loopback(host) {
        return Err(bad(
            "plain http:// or ws:// is only allowed on this machine (127.0.0.1, localhost, ::1); use https://",
        ));
    }
    if rest.contains(['?', '#']) {
        return Err(bad("give the base address without a query"));
    }
    let path = rest[authority.len()..].trim_end_matches('/');
    let http_scheme = if secure { "https" } else { "http" };
    // A WebSocket address names the socket's path; the HTTP API sits beside it at /api/v1.
    let path = if path.is_empty() || scheme.starts_with("ws") {
        "/api/v1"
    } else {
        path
    };
    Ok(format!("{http_scheme}://{authority}{path}"))
}

fn is_loopback(host: &str) -> bool {
    host.eq_ignore_ascii_case("localhost")
        || host
            .parse::<std::net::IpAddr>()
            .is_ok_and(|ip| ip.is_loopback())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn base(endpoint: &str) -> Result<String, EndpointError> {
        http_base(Some(endpoint), None, None).map(|b| b.url)
    }

    #[test]
    fn a_bare_address_or_a_socket_url_gives_the_api_base() {
        for (given, want) in [
            ("http://127.0.0.1:8765", "http://127.0.0.1:8765/api/v1"),
            ("http://127.0.0.1:8765/", "http://127.0.0.1:8765/api/v1"),
            ("ws://127.0.0.1:8765", "http://127.0.0.1:8765/api/v1"),
            (
                "ws://localhost:9/api-ws/v1/inference",
                "http://localhost:9/api/v1",
            ),
            ("ws://[::1]:9", "http://[::1]:9/api/v1"),
            (
                "wss://dashscope.aliyuncs.com/api-ws/v1/inference",
                "https://dashscope.aliyuncs.com/api/v1",
            ),
            (
                "https://proxy.example/dash/api/v1/",
                "https://proxy.example/dash/api/v1",
            ),
        ] {
            assert_eq!(base(given).as_deref(), Ok(want), "{given}");
        }
    }

    #[test]
    fn plain_http_only_on_loopback_and_no_credentials() {
        assert!(base("http://10.0.0.1:80").is_err());
        assert!(base("ftp://127.0.0.1").is_err());
        assert!(base("https://user:pw@example.com").is_err());
        assert!(base("nonsense").is_err());
        assert!(base("http://127.0.0.1:99999").is_err());
    }

    #[test]
    fn the_order_is_endpoint_region_environment_default() {
        let env = Some("http://127.0.0.1:1");
        assert_eq!(
            http_base(None, None, env).map(|b| b.url).as_deref(),
            Ok("http://127.0.0.1:1/api/v1")
        );
        let cn = http_base(None, Some(Region::Cn), env).expect("ok");
        assert_eq!((cn.url.as_str(), cn.region), (CN_HTTP, Some(Region::Cn)));
        let default = http_base(None, None, None).expect("ok");
        assert_eq!(default.region, Some(Region::Intl));
        assert_eq!(
            http_base(Some("http://127.0.0.1:2"), Some(Region::Cn), env)
                .expect("ok")
                .region,
            None
        );
    }
}
