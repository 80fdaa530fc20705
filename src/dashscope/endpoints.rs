//! Where the service lives: one base address (`--endpoint`, the region flags,
//! `DASHSCOPE_WEBSOCKET_BASE_URL`, `DASHSCOPE_HTTP_BASE_URL`) from which each engine derives its
//! WebSocket URL and the HTTP API its base ending in `/api/v1`.
//!
//! A bare `ws://HOST:PORT` or `http://HOST:PORT` (as for `tts serve`) is enough. For WebSockets a
//! bare address gets the engine's path; a URL ending in one engine's path (the SDK's
//! `DASHSCOPE_WEBSOCKET_BASE_URL` names the CosyVoice one) gets the other engine's path in its
//! place; any other path is used as it is. The HTTP base `/api/v1` is derived from a bare address
//! or from any WebSocket URL such as `wss://HOST/api-ws/v1/inference`.

/// The CosyVoice duplex protocol's path.
pub const INFERENCE_PATH: &str = "/api-ws/v1/inference";
/// The Qwen-TTS-Realtime path (the model goes in the query).
pub const REALTIME_PATH: &str = "/api-ws/v1/realtime";
/// The HTTP API's path.
pub const HTTP_API_PATH: &str = "/api/v1";

/// The one parser of a base address: `scheme://authority/rest` into (`scheme`, `authority`,
/// `rest`), where `rest` is empty or starts with `/`, `?` or `#`; `None` without `://`.
fn parts(url: &str) -> Option<(&str, &str, &str)> {
    let (scheme, after) = url.split_once("://")?;
    let end = after.find(['/', '?', '#']).unwrap_or(after.len());
    Some((scheme, &after[..end], &after[end..]))
}

/// The URL to open for the service at `path`, given the configured `base`.
pub fn websocket_url(base: &str, path: &str) -> String {
    let Some((scheme, authority, rest)) = parts(base) else {
        return base.to_owned();
    };
    let bare = rest.is_empty() || rest == "/";
    let other_engine = [INFERENCE_PATH, REALTIME_PATH]
        .iter()
        .any(|p| rest.trim_end_matches('/') == *p);
    if bare || other_engine {
        format!("{scheme}://{authority}{path}")
    } else {
        base.to_owned()
    }
}

/// Whether both engines' URLs can be derived from `base`: a bare address, or one ending in
/// either engine's path, with no query.
pub fn serves_both_engines(base: &str) -> bool {
    let Some((_, _, rest)) = parts(base) else {
        return false;
    };
    let path = rest.trim_end_matches('/');
    path.is_empty() || [INFERENCE_PATH, REALTIME_PATH].contains(&path)
}

/// The Qwen-TTS-Realtime URL for `model`: the realtime path and `?model=` (as both SDKs add it).
pub fn realtime_url(base: &str, model: &str) -> String {
    let url = websocket_url(base, REALTIME_PATH);
    if url.contains("model=") {
        return url;
    }
    let separator = if url.contains('?') { '&' } else { '?' };
    format!("{url}{separator}model={model}")
}

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
pub fn region_of(url: &str) -> Option<Region> {
    let host = host_port(parts(url)?.1).0;
    match host {
        "dashscope-intl.aliyuncs.com" => Some(Region::Intl),
        "dashscope.aliyuncs.com" => Some(Region::Cn),
        h if h.ends_with(".ap-southeast-1.maas.aliyuncs.com") => Some(Region::Intl),
        h if h.ends_with(".cn-beijing.maas.aliyuncs.com") => Some(Region::Cn),
        _ => None,
    }
}

/// `HOST[:PORT]` of an authority (userinfo refused by the caller), and its port part.
fn host_port(authority: &str) -> (&str, Option<&str>) {
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
    let (scheme, authority, rest) = parts(given.trim()).ok_or_else(|| {
        bad("not a URL: use https://HOST or, for tts serve, http://127.0.0.1:PORT")
    })?;
    let secure = match scheme.to_ascii_lowercase().as_str() {
        "https" | "wss" => true,
        "http" | "ws" => false,
        _ => return Err(bad("use an https:// (or wss://) URL")),
    };
    if authority.is_empty() {
        return Err(bad("it names no host"));
    }
    if authority.contains('@') {
        return Err(bad(
            "credentials in the URL are not accepted; use DASHSCOPE_API_KEY",
        ));
    }
    let (host, port) = host_port(authority);
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
    let path = rest.trim_end_matches('/');
    let http_scheme = if secure { "https" } else { "http" };
    // A WebSocket address names the socket's path; the HTTP API sits beside it at /api/v1.
    let path = if path.is_empty() || scheme.starts_with("ws") {
        HTTP_API_PATH
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

    #[test]
    fn both_engines_derive_from_a_bare_address_or_an_engine_path_only() {
        for base in [
            "wss://dashscope.aliyuncs.com",
            "ws://127.0.0.1:8765/",
            "wss://h/api-ws/v1/inference",
            "wss://h/api-ws/v1/realtime/",
        ] {
            assert!(serves_both_engines(base), "{base}");
        }
        for base in [
            "wss://proxy/tts",
            "wss://h/api-ws/v1/inference?model=x",
            "not a url",
        ] {
            assert!(!serves_both_engines(base), "{base}");
        }
    }

    #[test]
    fn a_bare_address_gets_each_engines_path() {
        assert_eq!(
            websocket_url("ws://127.0.0.1:8765", INFERENCE_PATH),
            "ws://127.0.0.1:8765/api-ws/v1/inference"
        );
        assert_eq!(
            realtime_url("ws://127.0.0.1:8765/", "qwen3-tts-flash-realtime"),
            "ws://127.0.0.1:8765/api-ws/v1/realtime?model=qwen3-tts-flash-realtime"
        );
        assert_eq!(
            realtime_url("wss://dashscope-intl.aliyuncs.com", "m"),
            "wss://dashscope-intl.aliyuncs.com/api-ws/v1/realtime?model=m"
        );
    }

    #[test]
    fn the_other_engines_path_is_replaced_and_others_kept() {
        assert_eq!(
            realtime_url("wss://dashscope.aliyuncs.com/api-ws/v1/inference", "m"),
            "wss://dashscope.aliyuncs.com/api-ws/v1/realtime?model=m"
        );
        assert_eq!(
            websocket_url("wss://h/api-ws/v1/realtime", INFERENCE_PATH),
            "wss://h/api-ws/v1/inference"
        );
        assert_eq!(
            websocket_url("wss://proxy.example/tts/ws", INFERENCE_PATH),
            "wss://proxy.example/tts/ws"
        );
        assert_eq!(
            realtime_url("wss://h/custom?model=x", "m"),
            "wss://h/custom?model=x"
        );
    }

    #[test]
    fn the_http_base_sits_beside_the_websocket_one() {
        assert_eq!(
            base("ws://127.0.0.1:8765").as_deref(),
            Ok("http://127.0.0.1:8765/api/v1")
        );
        assert_eq!(
            base("wss://dashscope-intl.aliyuncs.com/api-ws/v1/realtime").as_deref(),
            Ok("https://dashscope-intl.aliyuncs.com/api/v1")
        );
        assert_eq!(websocket_url("nonsense", INFERENCE_PATH), "nonsense");
    }

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
