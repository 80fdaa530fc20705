//! Service addresses: one base address (`--endpoint`, `DASHSCOPE_WEBSOCKET_BASE_URL`) from which
//! each engine derives its WebSocket path, and the HTTP API base beside it.
//!
//! A bare `ws://HOST:PORT` or `wss://HOST` (no path) gets the engine's path; a URL ending in one
//! engine's path (the SDK's `DASHSCOPE_WEBSOCKET_BASE_URL` names the CosyVoice one) gets the other
//! engine's path in its place; any other path is used as it is.

/// The CosyVoice duplex protocol's path.
pub const INFERENCE_PATH: &str = "/api-ws/v1/inference";
/// The Qwen-TTS-Realtime path (the model goes in the query).
pub const REALTIME_PATH: &str = "/api-ws/v1/realtime";
/// The HTTP API's path.
pub const HTTP_API_PATH: &str = "/api/v1";

/// Split `scheme://authority/rest` into (`scheme://authority`, `/rest`); `None` without `://`.
fn split(url: &str) -> Option<(&str, &str)> {
    let after = url.find("://")? + 3;
    let end = url[after..]
        .find(['/', '?', '#'])
        .map_or(url.len(), |i| after + i);
    Some((&url[..end], &url[end..]))
}

/// The URL to open for the service at `path`, given the configured `base`.
pub fn websocket_url(base: &str, path: &str) -> String {
    let Some((origin, rest)) = split(base) else {
        return base.to_owned();
    };
    let bare = rest.is_empty() || rest == "/";
    let other_engine = [INFERENCE_PATH, REALTIME_PATH]
        .iter()
        .any(|p| rest.trim_end_matches('/') == *p);
    if bare || other_engine {
        format!("{origin}{path}")
    } else {
        base.to_owned()
    }
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

/// The HTTP API base (`https://HOST/api/v1`) beside a WebSocket base: `ws` becomes `http`,
/// `wss` becomes `https`, and the path becomes `/api/v1`.
pub fn http_base(websocket: &str) -> Option<String> {
    let (origin, _) = split(websocket)?;
    let (scheme, authority) = origin.split_once("://")?;
    let scheme = match scheme.to_ascii_lowercase().as_str() {
        "ws" | "http" => "http",
        "wss" | "https" => "https",
        _ => return None,
    };
    Some(format!("{scheme}://{authority}{HTTP_API_PATH}"))
}

#[cfg(test)]
mod tests {
    use super::*;

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
            http_base("ws://127.0.0.1:8765").as_deref(),
            Some("http://127.0.0.1:8765/api/v1")
        );
        assert_eq!(
            http_base("wss://dashscope-intl.aliyuncs.com/api-ws/v1/inference").as_deref(),
            Some("https://dashscope-intl.aliyuncs.com/api/v1")
        );
        assert_eq!(http_base("nonsense"), None);
    }
}
