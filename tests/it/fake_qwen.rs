//! A scripted Qwen-TTS-Realtime server, for what `tts serve` never does (error events, early
//! closes, refused keys) and to know byte for byte what a client was served.

use std::sync::{Arc, Mutex};

use base64::Engine as _;
use futures_util::{SinkExt, StreamExt};
use serde_json::{Value, json};
use tokio_tungstenite::tungstenite::Message;

/// How the scripted server misbehaves.
#[derive(Clone, Copy, PartialEq)]
pub(crate) enum Script {
    /// Answers as documented; records every client event.
    Happy,
    /// An `error` event in answer to `session.update` (the older, richer shape).
    ErrorOnUpdate,
    /// Closes the connection after `session.finish` without `session.finished`.
    CloseOnFinish,
    /// Refuses the upgrade with 401.
    Reject,
    /// Never sends `session.updated`.
    Silent,
    /// Refuses the first upgrade with 503, then answers as documented.
    BusyFirst,
}

/// What the server saw and served: each client event and each audio delta, with its connection.
#[derive(Default)]
struct Record {
    /// TCP connections accepted, refused upgrades included.
    connections: usize,
    events: Vec<(usize, Value)>,
    audio: Vec<(usize, Vec<u8>)>,
}

/// A scripted Qwen-TTS-Realtime server on 127.0.0.1:0.
pub(crate) struct Scripted {
    /// `ws://127.0.0.1:PORT`.
    pub(crate) url: String,
    record: Arc<Mutex<Record>>,
}

impl Scripted {
    /// Each response's audio is four samples.
    pub(crate) fn start(script: Script) -> Self {
        Self::with_samples(script, 4)
    }

    /// Each response's audio is `samples` 16-bit samples of a tone, different per response.
    pub(crate) fn with_samples(script: Script, samples: usize) -> Self {
        let listener = std::net::TcpListener::bind("127.0.0.1:0").expect("bind");
        let url = format!("ws://{}", listener.local_addr().expect("addr"));
        let record = Arc::new(Mutex::new(Record::default()));
        let shared = Arc::clone(&record);
        std::thread::spawn(move || {
            let runtime = tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()
                .expect("runtime");
            runtime.block_on(async move {
                listener.set_nonblocking(true).expect("nonblocking");
                let listener = tokio::net::TcpListener::from_std(listener).expect("listener");
                let mut conn = 0;
                while let Ok((stream, _)) = listener.accept().await {
                    conn += 1;
                    shared.lock().expect("lock").connections = conn;
                    let shared = Arc::clone(&shared);
                    tokio::spawn(serve(stream, script, samples, conn, shared));
                }
            });
        });
        Self { url, record }
    }

    /// Every client event, with the connection (from 1) it came on.
    pub(crate) fn events(&self) -> Vec<(usize, Value)> {
        self.record.lock().expect("lock").events.clone()
    }

    /// Connections made, refused ones included.
    pub(crate) fn connections(&self) -> usize {
        self.record.lock().expect("lock").connections
    }

    /// The audio served on connection `conn`, all its deltas in order.
    pub(crate) fn audio(&self, conn: usize) -> Vec<u8> {
        let record = self.record.lock().expect("lock");
        record
            .audio
            .iter()
            .filter(|(c, _)| *c == conn)
            .flat_map(|(_, bytes)| bytes.clone())
            .collect()
    }
}

/// `samples` of a tone whose pitch and level differ with `response`: the first response of
/// four samples is 0, 1, 2, 3 (as the tests of file lengths expect).
fn tone(response: usize, samples: usize) -> Vec<u8> {
    (0..samples)
        .flat_map(|i| {
            let value = if samples <= 4 {
                i as i16 + (response as i16 - 1) * 4
            } else {
                let phase = i as f64 * (220.0 + 110.0 * response as f64) / 24_000.0;
                ((phase * std::f64::consts::TAU).sin() * 8000.0) as i16
            };
            value.to_le_bytes()
        })
        .collect()
}

async fn serve(
    stream: tokio::net::TcpStream,
    script: Script,
    samples: usize,
    conn: usize,
    record: Arc<Mutex<Record>>,
) {
    use tokio_tungstenite::tungstenite::handshake::server::{ErrorResponse, Request, Response};
    #[allow(clippy::result_large_err)]
    let check = move |_: &Request, response: Response| -> Result<Response, ErrorResponse> {
        use tokio_tungstenite::tungstenite::http::StatusCode;
        let refusal = match script {
            Script::Reject => Some((StatusCode::UNAUTHORIZED, "Invalid API-key provided.")),
            Script::BusyFirst if conn == 1 => {
                Some((StatusCode::SERVICE_UNAVAILABLE, "Service is busy."))
            }
            _ => None,
        };
        if let Some((status, message)) = refusal {
            let mut refusal = ErrorResponse::new(Some(message.into()));
            *refusal.status_mut() = status;
            return Err(refusal);
        }
        Ok(response)
    };
    let Ok(mut ws) = tokio_tungstenite::accept_hdr_async(stream, check).await else {
        return;
    };
    let send = |event: Value| Message::text(event.to_string());
    let _ = ws.send(send(json!({"event_id": "event_s", "type": "session.created", "session": {"id": format!("sess_{conn}")}}))).await;
    let mut responses = 0;
    while let Some(Ok(Message::Text(text))) = ws.next().await {
        let event: Value = serde_json::from_str(text.as_str()).expect("json");
        record
            .lock()
            .expect("lock")
            .events
            .push((conn, event.clone()));
        let reply: Vec<Value> = match (script, event["type"].as_str().unwrap_or("")) {
            (Script::ErrorOnUpdate, "session.update") => {
                vec![json!({"event_id": "event_e", "type": "error",
                "error": {"type": "invalid_request_error", "code": "invalid_value",
                          "message": "Invalid value for voice.", "param": "session.voice", "event_id": event["event_id"]}})]
            }
            (Script::Silent, _) => vec![],
            (_, "session.update") => {
                vec![json!({"type": "session.updated", "session": {"id": format!("sess_{conn}")}})]
            }
            (_, "input_text_buffer.commit") => {
                responses += 1;
                let id = format!("resp_{conn}_{responses}");
                let audio = tone(responses, samples);
                let delta = base64::engine::general_purpose::STANDARD.encode(&audio);
                record.lock().expect("lock").audio.push((conn, audio));
                vec![
                    json!({"type": "input_text_buffer.committed", "item_id": ""}),
                    json!({"type": "response.created", "response": {"id": id}}),
                    json!({"type": "response.audio.delta", "response_id": id, "delta": delta}),
                    json!({"type": "response.done", "response": {"id": id, "status": "completed", "usage": {"characters": 3}}}),
                ]
            }
            (Script::CloseOnFinish, "session.finish") => {
                let _ = ws.close(None).await;
                return;
            }
            (_, "session.finish") => vec![json!({"type": "session.finished"})],
            _ => vec![],
        };
        for event in reply {
            if ws.send(send(event)).await.is_err() {
                return;
            }
        }
    }
}
