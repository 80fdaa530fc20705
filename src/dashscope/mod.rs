//! DashScope service clients: where the service lives ([`endpoints`]: WebSocket and HTTP
//! addresses), the one HTTP client that talks to it ([`http`]), its temporary file storage
//! ([`upload`]), the custom-voice API ([`customization`]) and the Qwen-TTS-Realtime client
//! ([`qwen`]). The CosyVoice client lives in `crate::protocol` and `crate::session`.

pub mod customization;
pub mod endpoints;
pub mod http;
pub mod qwen;
pub mod upload;
