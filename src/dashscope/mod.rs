//! DashScope service clients: addresses (`endpoints.rs`) and the Qwen-TTS-Realtime client
//! (`qwen/`). The CosyVoice client lives in `crate::protocol` and `crate::session`.

pub mod endpoints;
pub mod qwen;
