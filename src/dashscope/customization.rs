//! The customization endpoint (`POST {base}/services/audio/tts/customization`) for the three
//! families of custom voices: CosyVoice `voice-enrollment` (cloned and designed voices),
//! Qwen `qwen-voice-enrollment` (cloned) and Qwen `qwen-voice-design`; and the temporary-token
//! endpoint (`POST {base}/tokens`). Field names differ per family; this module hides that.

use base64::Engine as _;
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value, json};

use super::http::{Client, HttpError};

/// The endpoint's path under the base.
pub const PATH: &str = "services/audio/tts/customization";
/// List pages asked for at most, so a broken server cannot keep a listing going forever.
const MAX_PAGES: u32 = 200;
/// Voices per list page.
const PAGE_SIZE: u32 = 100;

/// Which API a custom voice belongs to.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Family {
    /// `voice-enrollment`: CosyVoice (and Qwen-Audio) cloned and designed voices.
    CosyVoice,
    /// `qwen-voice-enrollment`: Qwen-TTS cloned voices.
    QwenClone,
    /// `qwen-voice-design`: Qwen-TTS designed voices.
    QwenDesign,
}

impl Family {
    /// Every family, in listing order.
    pub const ALL: [Self; 3] = [Self::CosyVoice, Self::QwenClone, Self::QwenDesign];

    /// The request's `model`.
    pub fn model(self) -> &'static str {
        match self {
            Self::CosyVoice => "voice-enrollment",
            Self::QwenClone => "qwen-voice-enrollment",
            Self::QwenDesign => "qwen-voice-design",
        }
    }

    /// The field that names a voice in requests and answers.
    fn id_field(self) -> &'static str {
        match self {
            Self::CosyVoice => "voice_id",
            Self::QwenClone | Self::QwenDesign => "voice",
        }
    }

    fn action(self, action: Action) -> &'static str {
        match (self, action) {
            (Self::CosyVoice, Action::Create) => "create_voice",
            (Self::CosyVoice, Action::List) => "list_voice",
            (Self::CosyVoice, Action::Query) => "query_voice",
            (Self::CosyVoice, Action::Update) => "update_voice",
            (Self::CosyVoice, Action::Delete) => "delete_voice",
            (_, Action::Create) => "create",
            (_, Action::List) => "list",
            (_, Action::Query) => "query",
            (_, Action::Update) => "update",
            (_, Action::Delete) => "delete",
        }
    }

    /// The family of a voice id, from the shapes the service gives them
    /// (`cosyvoice-v3-plus-myvoice-…`, `qwen-tts-vc-name-voice-…`, `qwen-tts-vd-…`).
    pub fn of_voice(id: &str) -> Option<Self> {
        if id.starts_with("qwen-tts-vc-") || id.starts_with("qwen-omni-vc-") {
            Some(Self::QwenClone)
        } else if id.starts_with("qwen-tts-vd-") {
            Some(Self::QwenDesign)
        } else if id.starts_with("cosyvoice-") || id.starts_with("qwen-audio-") {
            Some(Self::CosyVoice)
        } else {
            None
        }
    }

    /// The family that makes voices for `target_model`, and whether it clones or designs
    /// (Qwen's two are separate APIs; CosyVoice's one API does both).
    pub fn of_target(target_model: &str) -> Option<Self> {
        if target_model.starts_with("qwen3-tts-vc") {
            Some(Self::QwenClone)
        } else if target_model.starts_with("qwen3-tts-vd") {
            Some(Self::QwenDesign)
        } else if target_model.starts_with("cosyvoice-") || target_model.starts_with("qwen-audio-")
        {
            Some(Self::CosyVoice)
        } else {
            None
        }
    }
}

impl std::fmt::Display for Family {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            Self::CosyVoice => "CosyVoice",
            Self::QwenClone => "Qwen clone",
            Self::QwenDesign => "Qwen design",
        })
    }
}

#[derive(Debug, Clone, Copy)]
enum Action {
    Create,
    List,
    Query,
    Update,
    Delete,
}

/// A custom voice as the service describes it; fields it did not send are `None`.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Voice {
    /// The id to synthesize with.
    pub id: String,
    /// Its API.
    pub family: Family,
    /// The model it speaks with.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub target_model: Option<String>,
    /// `DEPLOYING`, `OK` or `UNDEPLOYED` (CosyVoice only).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub status: Option<String>,
    /// `gmt_create`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub created: Option<String>,
    /// `gmt_modified`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub modified: Option<String>,
    /// Its language.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub language: Option<String>,
    /// The description a designed voice was made from.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub voice_prompt: Option<String>,
    /// A designed voice's preview text.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub preview_text: Option<String>,
    /// The recording a cloned voice was made from.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub resource_link: Option<String>,
}

impl Voice {
    fn from_json(family: Family, item: &Value) -> Option<Self> {
        let text = |name: &str| match item.get(name) {
            Some(Value::String(s)) if !s.is_empty() => Some(s.clone()),
            Some(Value::Array(a)) => a.first().and_then(Value::as_str).map(str::to_owned),
            _ => None,
        };
        Some(Self {
            id: text(family.id_field())?,
            family,
            target_model: text("target_model"),
            status: text("status"),
            created: text("gmt_create"),
            modified: text("gmt_modified"),
            language: text("language").or_else(|| text("language_hints")),
            voice_prompt: text("voice_prompt"),
            preview_text: text("preview_text"),
            resource_link: text("resource_link"),
        })
    }
}

/// Where a clone's recording is.
#[derive(Debug, Clone)]
pub enum Recording {
    /// A URL the service fetches; `oss` when it is in the service's temporary storage.
    Url {
        /// `https://…` or `oss://…`.
        url: String,
        /// Send `X-DashScope-OssResourceResolve: enable`.
        oss: bool,
    },
    /// The audio itself, sent inline as a data URL (Qwen).
    Inline {
        /// `audio/wav`, `audio/mpeg` or `audio/mp4`.
        mime: &'static str,
        /// The file's bytes.
        bytes: Vec<u8>,
    },
}

/// A clone to make.
#[derive(Debug, Clone)]
pub struct CloneRequest {
    /// The model that will speak with it.
    pub target_model: String,
    /// The prefix (CosyVoice) or preferred name (Qwen).
    pub name: String,
    /// The recording.
    pub recording: Recording,
    /// Its language.
    pub language: Option<String>,
    /// Its transcript (Qwen).
    pub text: Option<String>,
}

/// A voice to design.
#[derive(Debug, Clone)]
pub struct DesignRequest {
    /// The model that will speak with it.
    pub target_model: String,
    /// The prefix (CosyVoice) or preferred name (Qwen).
    pub name: String,
    /// The description.
    pub voice_prompt: String,
    /// What the preview says.
    pub preview_text: String,
    /// `zh` or `en`.
    pub language: Option<String>,
    /// The preview's container: `wav`, `mp3` or `pcm`.
    pub response_format: &'static str,
    /// The preview's rate.
    pub sample_rate: u32,
}

/// A designed voice's preview.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Preview {
    /// The decoded audio bytes.
    pub audio: Vec<u8>,
    /// `wav`, `mp3`, `pcm`.
    pub format: String,
    /// Its rate.
    pub sample_rate: u32,
}

/// A temporary token.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Token {
    /// `st-…`, used like an API key.
    pub token: String,
    /// Unix seconds at which it stops working.
    pub expires_at: i64,
}

/// The customization API over one client.
#[derive(Debug, Clone)]
pub struct Customization {
    client: Client,
}

impl Customization {
    /// Use `client`.
    pub fn new(client: Client) -> Self {
        Self { client }
    }

    async fn call(
        &self,
        family: Family,
        action: Action,
        mut input: Map<String, Value>,
        parameters: Option<Value>,
        oss: bool,
    ) -> Result<Value, HttpError> {
        input.insert("action".into(), family.action(action).into());
        let mut body = json!({ "model": family.model(), "input": input });
        if let Some(parameters) = parameters {
            body["parameters"] = parameters;
        }
        let answer = self.client.post_json(PATH, &body, oss).await?;
        Ok(answer.get("output").cloned().unwrap_or(Value::Null))
    }

    fn bad(&self, reason: impl Into<String>) -> HttpError {
        HttpError::BadResponse {
            url: format!("{}/{PATH}", self.client.base()),
            reason: reason.into(),
        }
    }

    /// Clone a voice; its id.
    pub async fn create_clone(&self, request: &CloneRequest) -> Result<String, HttpError> {
        let family = Family::of_target(&request.target_model)
            .filter(|f| *f != Family::QwenDesign)
            .ok_or_else(|| self.bad(format!("{} makes no cloned voices", request.target_model)))?;
        let mut input = Map::new();
        input.insert("target_model".into(), request.target_model.clone().into());
        let mut oss = false;
        let audio = match &request.recording {
            Recording::Url { url, oss: o } => {
                oss = *o;
                url.clone()
            }
            Recording::Inline { mime, bytes } => format!(
                "data:{mime};base64,{}",
                base64::engine::general_purpose::STANDARD.encode(bytes)
            ),
        };
        if family == Family::CosyVoice {
            input.insert("prefix".into(), request.name.clone().into());
            input.insert("url".into(), audio.into());
            if let Some(language) = &request.language {
                input.insert("language_hints".into(), json!([language]));
            }
        } else {
            input.insert("preferred_name".into(), request.name.clone().into());
            input.insert("audio".into(), json!({ "data": audio }));
            if let Some(language) = &request.language {
                input.insert("language".into(), language.clone().into());
            }
            if let Some(text) = &request.text {
                input.insert("text".into(), text.clone().into());
            }
        }
        let output = self.call(family, Action::Create, input, None, oss).await?;
        output
            .get(family.id_field())
            .and_then(Value::as_str)
            .map(str::to_owned)
            .ok_or_else(|| self.bad(format!("the answer names no {}", family.id_field())))
    }

    /// Design a voice; its id and preview.
    pub async fn create_design(
        &self,
        request: &DesignRequest,
    ) -> Result<(String, Option<Preview>), HttpError> {
        let family = Family::of_target(&request.target_model)
            .filter(|f| *f != Family::QwenClone)
            .ok_or_else(|| {
                self.bad(format!("{} makes no designed voices", request.target_model))
            })?;
        let mut input = Map::new();
        input.insert("target_model".into(), request.target_model.clone().into());
        input.insert("voice_prompt".into(), request.voice_prompt.clone().into());
        input.insert("preview_text".into(), request.preview_text.clone().into());
        if family == Family::CosyVoice {
            input.insert("prefix".into(), request.name.clone().into());
            if let Some(language) = &request.language {
                input.insert("language_hints".into(), json!([language]));
            }
        } else {
            input.insert("preferred_name".into(), request.name.clone().into());
            if let Some(language) = &request.language {
                input.insert("language".into(), language.clone().into());
            }
        }
        let parameters = json!({
            "sample_rate": request.sample_rate,
            "response_format": request.response_format,
        });
        let output = self
            .call(family, Action::Create, input, Some(parameters), false)
            .await?;
        let id = output
            .get(family.id_field())
            .and_then(Value::as_str)
            .map(str::to_owned)
            .ok_or_else(|| self.bad(format!("the answer names no {}", family.id_field())))?;
        let preview = match output.get("preview_audio") {
            Some(preview) => {
                let data = preview.get("data").and_then(Value::as_str).unwrap_or("");
                let audio = base64::engine::general_purpose::STANDARD
                    .decode(data.trim())
                    .map_err(|e| self.bad(format!("the preview is not base64 ({e})")))?;
                Some(Preview {
                    audio,
                    format: preview
                        .get("response_format")
                        .and_then(Value::as_str)
                        .unwrap_or(request.response_format)
                        .to_owned(),
                    sample_rate: preview
                        .get("sample_rate")
                        .and_then(Value::as_u64)
                        .and_then(|r| u32::try_from(r).ok())
                        .unwrap_or(request.sample_rate),
                })
            }
            None => None,
        };
        Ok((id, preview))
    }

    /// Every voice of `family`, page after page.
    pub async fn list(&self, family: Family) -> Result<Vec<Voice>, HttpError> {
        let mut voices = Vec::new();
        for page in 0..MAX_PAGES {
            let mut input = Map::new();
            input.insert("page_index".into(), page.into());
            input.insert("page_size".into(), PAGE_SIZE.into());
            let output = self.call(family, Action::List, input, None, false).await?;
            let items = output
                .get("voice_list")
                .and_then(Value::as_array)
                .cloned()
                .unwrap_or_default();
            let count = items.len();
            voices.extend(
                items
                    .iter()
                    .filter_map(|item| Voice::from_json(family, item)),
            );
            let total = output.get("total_count").and_then(Value::as_u64);
            let done = match total {
                Some(total) => voices.len() as u64 >= total,
                None => count < PAGE_SIZE as usize,
            };
            if done || count == 0 {
                break;
            }
        }
        Ok(voices)
    }

    /// One voice's details. Qwen clones have no query action: the list is searched.
    pub async fn query(&self, id: &str) -> Result<Voice, HttpError> {
        let family = Family::of_voice(id).unwrap_or(Family::CosyVoice);
        if family == Family::QwenClone {
            return self
                .list(family)
                .await?
                .into_iter()
                .find(|v| v.id == id)
                .ok_or_else(|| HttpError::Service {
                    status: 400,
                    code: "BadRequest.VoiceNotFound".into(),
                    message: format!("Voice '{id}' not found."),
                    request_id: None,
                });
        }
        let mut input = Map::new();
        input.insert(family.id_field().into(), id.into());
        let output = self.call(family, Action::Query, input, None, false).await?;
        let mut voice = Voice::from_json(family, &output).unwrap_or(Voice {
            id: id.to_owned(),
            family,
            target_model: None,
            status: None,
            created: None,
            modified: None,
            language: None,
            voice_prompt: None,
            preview_text: None,
            resource_link: None,
        });
        voice.id = id.to_owned();
        Ok(voice)
    }

    /// Make a CosyVoice clone again from another recording.
    pub async fn update(&self, id: &str, url: &str, oss: bool) -> Result<(), HttpError> {
        let mut input = Map::new();
        input.insert("voice_id".into(), id.into());
        input.insert("url".into(), url.into());
        self.call(Family::CosyVoice, Action::Update, input, None, oss)
            .await
            .map(drop)
    }

    /// Delete a voice.
    pub async fn delete(&self, id: &str) -> Result<(), HttpError> {
        let family = Family::of_voice(id).unwrap_or(Family::CosyVoice);
        let mut input = Map::new();
        input.insert(family.id_field().into(), id.into());
        self.call(family, Action::Delete, input, None, false)
            .await
            .map(drop)
    }

    /// A temporary token valid for `ttl_seconds` (1 to 1800).
    pub async fn token(&self, ttl_seconds: u32) -> Result<Token, HttpError> {
        let ttl = ttl_seconds.to_string();
        let answer = self
            .client
            .post_query("tokens", &[("expire_in_seconds", ttl.as_str())])
            .await?;
        let token = answer
            .get("token")
            .and_then(Value::as_str)
            .filter(|t| !t.is_empty())
            .ok_or_else(|| self.bad("the token answer has no token"))?;
        Ok(Token {
            token: token.to_owned(),
            expires_at: answer
                .get("expires_at")
                .and_then(Value::as_i64)
                .unwrap_or(0),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn families_from_ids_and_models() {
        assert_eq!(
            Family::of_voice("cosyvoice-v3-plus-myvoice-0a1b2c3d"),
            Some(Family::CosyVoice)
        );
        assert_eq!(
            Family::of_voice("qwen-tts-vc-guanyu-voice-20250812105009984-838b"),
            Some(Family::QwenClone)
        );
        assert_eq!(
            Family::of_voice("qwen-tts-vd-a-voice-1-ab12"),
            Some(Family::QwenDesign)
        );
        assert_eq!(Family::of_voice("longanyang"), None);
        assert_eq!(
            Family::of_target("qwen3-tts-vd-realtime-2026-01-15"),
            Some(Family::QwenDesign)
        );
        assert_eq!(Family::QwenClone.action(Action::Create), "create");
        assert_eq!(Family::CosyVoice.action(Action::List), "list_voice");
    }

    #[test]
    fn a_list_item_of_each_family_is_read() {
        let cosy = json!({"voice_id":"cosyvoice-v2-a-1","gmt_create":"2025-01-01 00:00:00","gmt_modified":"x","status":"OK"});
        let voice = Voice::from_json(Family::CosyVoice, &cosy).expect("voice");
        assert_eq!(
            (voice.id.as_str(), voice.status.as_deref()),
            ("cosyvoice-v2-a-1", Some("OK"))
        );
        let qwen = json!({"voice":"qwen-tts-vc-a-voice-1-ab12","target_model":"qwen3-tts-vc-realtime-2026-01-15","language":"zh"});
        let voice = Voice::from_json(Family::QwenClone, &qwen).expect("voice");
        assert_eq!(
            voice.target_model.as_deref(),
            Some("qwen3-tts-vc-realtime-2026-01-15")
        );
        assert!(Voice::from_json(Family::QwenClone, &cosy).is_none());
    }
}
