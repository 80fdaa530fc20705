//! A scripted CosyVoice server on 127.0.0.1:0: it answers as the documentation describes (or
//! misbehaves as a test asks) and records every handshake, frame and audio byte it sent.

use std::net::SocketAddr;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use futures_util::{SinkExt, StreamExt};
use serde_json::{Value, json};
use tokio::net::TcpListener;
use tokio_tungstenite::tungstenite::Message;
use tokio_tungstenite::tungstenite::handshake::server::{ErrorResponse, Request, Response};
use tokio_tungstenite::tungstenite::protocol::CloseFrame;
use tokio_tungstenite::tungstenite::protocol::frame::coding::CloseCode;

/// How the server behaves.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Script {
    /// As the documentation describes.
    Happy,
    /// task-failed in answer to this action (`run-task`, `continue-task`, `finish-task`).
    FailOn(&'static str),
    /// Close with 1011 instead of task-finished.
    CloseOnFinish,
    /// Never send task-started.
    NeverStart,
    /// Refuse the upgrade with this HTTP status.
    Reject(u16),
    /// Close the connection after each task-finished (as a server may close an idle one).
    CloseAfterTask,
    /// Drop the connection, without a word, on the first run-task the server ever gets.
    DropFirstTask,
    /// Refuse the first upgrade with this HTTP status and a JSON body, accept the later ones.
    RejectFirst(u16),
    /// task-failed with this code in answer to the first finish-task, then as `Happy`.
    FailFirstFinish(&'static str),
    /// A binary frame of junk before each task-started.
    AudioBeforeStart,
    /// A binary frame of junk after each task-finished.
    AudioAfterFinish,
    /// Events of another task (finished, failed, a sentence) before each of the real ones.
    StrangersEvents,
    /// Every field that does not matter sent as `null`, a number or a negative count.
    OddFields,
    /// No answer to continue-task until finish-task comes (a server that speaks only then).
    SpeakOnFinish,
    /// A 50 MB binary frame after task-started.
    HugeFrame,
    /// No audio; the first task-finished is held until [`FakeServer::release`].
    HoldFirstFinish,
}

/// The body of a refused upgrade, as DashScope's HTTP errors are shaped.
pub(crate) const REFUSAL_BODY: &str = r#"{"code":"Throttling.RateQuota","message":"Requests rate limit exceeded, please try again later.","request_id":"r-1"}"#;
/// What the junk frames hold.
pub(crate) const JUNK: &[u8] = b"JUNK-NOT-AUDIO";
/// The task id of events about a task that is not the client's.
pub(crate) const STRANGER: &str = "00000000000000000000000000000000";

/// What the server saw and sent.
#[derive(Debug, Default, Clone)]
pub(crate) struct Record {
    /// Connections accepted (including refused upgrades).
    pub(crate) connections: usize,
    /// Each connection's upgrade headers (lower-case names).
    pub(crate) handshakes: Vec<Vec<(String, String)>>,
    /// Every client text frame: when it arrived, its connection, its JSON.
    pub(crate) frames: Vec<(Duration, usize, Value)>,
    /// Every audio byte sent, in order.
    pub(crate) audio: Vec<u8>,
}

impl Record {
    /// The text of every continue-task that carries text (flushes carry none).
    pub(crate) fn texts(&self) -> Vec<String> {
        self.actions("continue-task")
            .iter()
            .filter_map(|f| f["payload"]["input"]["text"].as_str().map(str::to_owned))
            .collect()
    }

    /// Client frames of one action.
    pub(crate) fn actions(&self, action: &str) -> Vec<&Value> {
        self.frames
            .iter()
            .map(|(_, _, f)| f)
            .filter(|f| f["header"]["action"] == action)
            .collect()
    }
}

pub(crate) struct FakeServer {
    addr: SocketAddr,
    record: Arc<Mutex<Record>>,
    epoch: Instant,
    released: Arc<tokio::sync::Notify>,
}

impl FakeServer {
    pub(crate) fn start(script: Script) -> Self {
        let record = Arc::new(Mutex::new(Record::default()));
        let (tx, rx) = std::sync::mpsc::channel();
        let shared = Arc::clone(&record);
        let epoch = Instant::now();
        let released = Arc::new(tokio::sync::Notify::new());
        let release = Arc::clone(&released);
        std::thread::spawn(move || {
            let runtime = tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()
                .expect("runtime");
            runtime.block_on(async move {
                let listener = TcpListener::bind("127.0.0.1:0").await.expect("bind");
                tx.send(listener.local_addr().expect("addr"))
                    .expect("send addr");
                let epoch = Instant::now();
                loop {
                    let Ok((stream, _)) = listener.accept().await else {
                        return;
                    };
                    let conn = {
                        let mut record = shared.lock().expect("lock");
                        record.connections += 1;
                        record.connections
                    };
                    tokio::spawn(serve(
                        stream,
                        conn,
                        script,
                        Arc::clone(&shared),
                        epoch,
                        Arc::clone(&release),
                    ));
                }
            });
        });
        let addr = rx.recv().expect("the server starts");
        Self {
            addr,
            record,
            epoch,
            released,
        }
    }

    /// Let a held task-finished go ([`Script::HoldFirstFinish`]).
    pub(crate) fn release(&self) {
        self.released.notify_one();
    }

    /// The clock of the frames' arrival times.
    pub(crate) fn now(&self) -> Duration {
        self.epoch.elapsed()
    }

    pub(crate) fn url(&self) -> String {
        format!("ws://{}/api-ws/v1/inference", self.addr)
    }

    pub(crate) fn record(&self) -> Record {
        self.record.lock().expect("lock").clone()
    }
}

async fn serve(
    stream: tokio::net::TcpStream,
    conn: usize,
    script: Script,
    record: Arc<Mutex<Record>>,
    epoch: Instant,
    released: Arc<tokio::sync::Notify>,
) {
    let shared = Arc::clone(&record);
    // The signature is tungstenite's Callback trait; its error type is not ours to shrink.
    #[allow(clippy::result_large_err)]
    let callback = move |request: &Request,
                         response: Response|
          -> Result<Response, ErrorResponse> {
        let headers = request
            .headers()
            .iter()
            .map(|(k, v)| {
                (
                    k.as_str().to_lowercase(),
                    v.to_str().unwrap_or("").to_owned(),
                )
            })
            .collect();
        shared.lock().expect("lock").handshakes.push(headers);
        let refuse = match script {
            Script::Reject(status) => Some(status),
            Script::RejectFirst(status) if conn == 1 => Some(status),
            _ => None,
        };
        if let Some(status) = refuse {
            let mut refusal = ErrorResponse::new(Some(REFUSAL_BODY.into()));
            *refusal.status_mut() =
                tokio_tungstenite::tungstenite::http::StatusCode::from_u16(status).expect("status");
            return Err(refusal);
        }
        Ok(response)
    };
    let Ok(mut ws) = tokio_tungstenite::accept_hdr_async(stream, callback).await else {
        return;
    };
    let mut task = Task::default();
    // SpeakOnFinish: the continue-tasks not yet answered.
    let mut held: Vec<Value> = Vec::new();
    while let Some(Ok(message)) = ws.next().await {
        let Message::Text(text) = message else {
            continue;
        };
        let frame: Value = serde_json::from_str(text.as_str()).expect("the client sends JSON");
        record
            .lock()
            .expect("lock")
            .frames
            .push((epoch.elapsed(), conn, frame.clone()));
        let action = frame["header"]["action"].as_str().unwrap_or("").to_owned();
        let task_id = frame["header"]["task_id"].as_str().unwrap_or("").to_owned();
        let first_finish = action == "finish-task"
            && record.lock().expect("lock").actions("finish-task").len() == 1;
        let fail_with = match script {
            Script::FailOn(on) if on == leak(&action) => Some("InvalidParameter"),
            Script::FailFirstFinish(code) if first_finish => Some(code),
            _ => None,
        };
        if let Some(code) = fail_with {
            let mut failed = event(&task_id, "task-failed", json!({}));
            failed["header"]["error_code"] = json!(code);
            failed["header"]["error_message"] = json!(if code == "InvalidParameter" {
                "[tts:]Engine return error code: 418"
            } else {
                "an internal error occurred"
            });
            let _ = ws.send(Message::text(failed.to_string())).await;
            continue;
        }
        match action.as_str() {
            "run-task" => {
                if script == Script::DropFirstTask
                    && record.lock().expect("lock").actions("run-task").len() == 1
                {
                    return;
                }
                let parameters = &frame["payload"]["parameters"];
                task = Task {
                    format: parameters["format"].as_str().unwrap_or("mp3").to_owned(),
                    words: parameters["word_timestamp_enabled"] == json!(true),
                    sample_rate: parameters["sample_rate"].as_u64().unwrap_or(22050) as u32,
                    ..Task::default()
                };
                match script {
                    Script::AudioBeforeStart => {
                        let _ = ws.send(Message::binary(JUNK.to_vec())).await;
                    }
                    Script::StrangersEvents => {
                        for name in ["task-finished", "task-failed"] {
                            send(&mut ws, event(STRANGER, name, json!({}))).await;
                        }
                    }
                    _ => {}
                }
                if script != Script::NeverStart {
                    let mut started = event(&task_id, "task-started", json!({}));
                    if script == Script::OddFields {
                        started = json!({"header": {"task_id": null, "event": "task-started",
                            "attributes": null, "error_code": 0}, "payload": null});
                    }
                    send(&mut ws, started).await;
                }
                if script == Script::HugeFrame {
                    let _ = ws.send(Message::binary(vec![0u8; 50_000_000])).await;
                }
            }
            "continue-task" if script == Script::SpeakOnFinish => held.push(frame),
            "continue-task" => {
                answer_text(&mut ws, &record, &mut task, &task_id, &frame, script).await;
            }
            "finish-task" => {
                for frame in std::mem::take(&mut held) {
                    answer_text(&mut ws, &record, &mut task, &task_id, &frame, script).await;
                }
                if script == Script::CloseOnFinish {
                    let _ = ws
                        .send(Message::Close(Some(CloseFrame {
                            code: CloseCode::Error,
                            reason: "boom".into(),
                        })))
                        .await;
                    return;
                }
                if script == Script::HoldFirstFinish && first_finish {
                    released.notified().await;
                }
                let tail = task.tail();
                send_audio(&mut ws, &record, &tail).await;
                let mut payload = json!({"output": {}, "usage": {"characters": task.characters}});
                if script == Script::OddFields {
                    payload["output"] = Value::Null;
                }
                let mut finished = event(&task_id, "task-finished", payload);
                if script == Script::OddFields {
                    finished["header"]["attributes"] = Value::Null;
                    finished["header"]["error_message"] = Value::Null;
                }
                send(&mut ws, finished).await;
                match script {
                    Script::CloseAfterTask => {
                        let _ = ws.close(None).await;
                        return;
                    }
                    Script::AudioAfterFinish => {
                        let _ = ws.send(Message::binary(JUNK.to_vec())).await;
                    }
                    Script::StrangersEvents => {
                        // The finished task's events again: stale, to be ignored.
                        send(&mut ws, event(&task_id, "task-finished", json!({}))).await;
                        let mut failed = event(&task_id, "task-failed", json!({}));
                        failed["header"]["error_code"] = json!("InvalidParameter");
                        send(&mut ws, failed).await;
                    }
                    _ => {}
                }
            }
            _ => {}
        }
    }
}

async fn send(ws: &mut tokio_tungstenite::WebSocketStream<tokio::net::TcpStream>, value: Value) {
    let _ = ws.send(Message::text(value.to_string())).await;
}

/// A continue-task's answer: its sentence events around its audio.
async fn answer_text(
    ws: &mut tokio_tungstenite::WebSocketStream<tokio::net::TcpStream>,
    record: &Mutex<Record>,
    task: &mut Task,
    task_id: &str,
    frame: &Value,
    script: Script,
) {
    let Some(text) = frame["payload"]["input"]["text"].as_str() else {
        return;
    };
    task.characters += tts::text::count::billed(text);
    if script == Script::HoldFirstFinish {
        return; // no audio: the test is about memory
    }
    let index = task.sentences;
    task.sentences += 1;
    let output = |kind: &str| json!({"output": {"type": kind, "sentence": {"index": index, "words": []}, "original_text": text}});
    if script == Script::StrangersEvents {
        let mut stranger = output("sentence-begin");
        stranger["output"]["original_text"] = json!("A STRANGER'S SENTENCE");
        send(ws, event(STRANGER, "result-generated", stranger)).await;
        send(ws, event(STRANGER, "task-finished", json!({}))).await;
    }
    send(
        ws,
        event(task_id, "result-generated", output("sentence-begin")),
    )
    .await;
    let mut synthesis = event(task_id, "result-generated", output("sentence-synthesis"));
    if script == Script::OddFields {
        synthesis["header"]["attributes"] = Value::Null;
        synthesis["payload"]["usage"] = json!({"characters": -1, "novel": [1, 2]});
        synthesis["payload"]["output"]["sentence"]["index"] = json!(-1);
    }
    send(ws, synthesis).await;
    let audio = task.audio(index);
    send_audio(ws, record, &audio).await;
    let mut end = output("sentence-end");
    if task.words {
        end["output"]["sentence"]["words"] = word_times(text, index);
    }
    end["usage"] = json!({"characters": task.characters});
    send(ws, event(task_id, "result-generated", end)).await;
}

/// Send audio as a network delivers it: in small uneven binary frames.
async fn send_audio(
    ws: &mut tokio_tungstenite::WebSocketStream<tokio::net::TcpStream>,
    record: &Mutex<Record>,
    audio: &[u8],
) {
    record.lock().expect("lock").audio.extend_from_slice(audio);
    let sizes = [1, 7, 300, 2, 4096, 13, 777, 64];
    let mut rest = audio;
    for size in sizes.iter().cycle() {
        if rest.is_empty() {
            break;
        }
        let n = (*size).min(rest.len());
        let _ = ws.send(Message::binary(rest[..n].to_vec())).await;
        rest = &rest[n..];
    }
}

/// Word times for sentence `index` (300 ms each, tasks counted from 0): word k of n begins at
/// 300 * (k/n)^2 ms into the sentence, so they are not spread evenly by length.
fn word_times(text: &str, index: u32) -> Value {
    let starts: Vec<usize> = text
        .char_indices()
        .filter(|&(i, c)| c != ' ' && (i == 0 || text[..i].ends_with(' ')))
        .map(|(i, _)| text[..i].chars().count())
        .collect();
    let n = starts.len().max(1) as f64;
    let base = u64::from(index) * SENTENCE_MS;
    Value::Array(
        starts
            .iter()
            .enumerate()
            .map(|(k, &at)| {
                let begin = base + (SENTENCE_MS as f64 * (k as f64 / n).powi(2)) as u64;
                json!({"text": "", "begin_index": at, "end_index": at + 1,
                       "begin_time": begin, "end_time": begin + 1})
            })
            .collect(),
    )
}

fn leak(action: &str) -> &'static str {
    match action {
        "run-task" => "run-task",
        "continue-task" => "continue-task",
        "finish-task" => "finish-task",
        _ => "",
    }
}

fn event(task_id: &str, name: &str, payload: Value) -> Value {
    json!({"header": {"task_id": task_id, "event": name, "attributes": {}}, "payload": payload})
}

/// One task's state on the server.
#[derive(Default)]
struct Task {
    /// Mp3, Opus and WAV are encoded by tts's own encoders, streaming.
    encoder: Option<Box<dyn tts::audio::encode::Encoder>>,
    format: String,
    sample_rate: u32,
    characters: usize,
    sentences: u32,
    /// Word timestamps were asked for.
    words: bool,
    samples_sent: u64,
}

/// Tone frequency of the PCM the server sends.
pub(crate) const TONE_HZ: f64 = 440.0;
/// Milliseconds of PCM per sentence.
pub(crate) const SENTENCE_MS: u64 = 300;

impl Task {
    /// PCM: a continuous 440 Hz tone, 300 ms a sentence. Other formats: recognisable bytes.
    fn audio(&mut self, _index: u32) -> Vec<u8> {
        let frames = u64::from(self.sample_rate) * SENTENCE_MS / 1000;
        let start = self.samples_sent;
        self.samples_sent += frames;
        let samples: Vec<i16> = (start..start + frames)
            .map(|i| {
                let t = i as f64 / f64::from(self.sample_rate);
                (0.5 * 32767.0 * (2.0 * std::f64::consts::PI * TONE_HZ * t).sin()) as i16
            })
            .collect();
        let Some(format) = tts::audio::AudioFormat::from_name(&self.format)
            .filter(|f| *f != tts::audio::AudioFormat::Pcm)
        else {
            return samples.iter().flat_map(|s| s.to_le_bytes()).collect();
        };
        let rate = std::num::NonZeroU32::new(self.sample_rate).expect("a rate");
        let encoder = self.encoder.get_or_insert_with(|| {
            tts::audio::encode::encoder(format, rate, None).expect("an encoder")
        });
        let mut out = Vec::new();
        encoder.encode(&samples, &mut out).expect("encodes");
        out
    }

    /// What the encoder still holds at the end of the task.
    fn tail(&mut self) -> Vec<u8> {
        let mut out = Vec::new();
        if let Some(encoder) = self.encoder.as_mut() {
            encoder.finish(&mut out).expect("encodes");
        }
        out
    }
}
