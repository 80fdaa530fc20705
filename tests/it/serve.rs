//! `tts serve` with our own client and with a raw WebSocket client for the protocol's edges.

use std::process::{Child, Stdio};
use std::time::Duration;

use futures_util::{SinkExt, StreamExt};
use serde_json::{Value, json};
use tokio_tungstenite::tungstenite::Message;
use tokio_tungstenite::tungstenite::client::IntoClientRequest;

use crate::common::{Capture, ServeProcess, ffmpeg_decode, non_silent, rms, tts};

type Server = ServeProcess;

const TEXT: &str = "Our own client talks to our own server. It speaks every format.";

fn decode(path: &str) -> (u32, Vec<i16>) {
    ffmpeg_decode(std::path::Path::new(path))
}

#[test]
fn our_client_writes_every_format_at_every_rate() {
    let server = Server::start(&[]);
    let mut reference = None;
    for format in ["pcm", "wav", "mp3", "opus"] {
        let rates: &[u32] = if format == "opus" {
            &[8000, 16000, 24000, 48000]
        } else {
            &[8000, 16000, 22050, 24000, 44100, 48000]
        };
        for &rate in rates {
            let out = server.path(&format!("out-{rate}.{format}"));
            let output = server.say(
                "sk-any",
                &["-o", &out, "--sample-rate", &rate.to_string(), TEXT],
            );
            assert!(
                output.status.success(),
                "{format} {rate}: {}",
                String::from_utf8_lossy(&output.stderr)
            );
            let seconds = if format == "pcm" {
                std::fs::metadata(&out).expect("file").len() as f64 / 2.0 / f64::from(rate)
            } else {
                let (decoded, samples) = decode(&out);
                if format != "opus" {
                    assert_eq!(decoded, rate, "{format}");
                }
                samples.len() as f64 / f64::from(decoded)
            };
            let reference = *reference.get_or_insert(seconds);
            assert!(
                (seconds - reference).abs() / reference < 0.08,
                "{format} {rate}: {seconds:.3} s vs {reference:.3} s"
            );
        }
    }
}

#[test]
fn our_client_plays_what_our_server_speaks() {
    let server = Server::start(&[]);
    let capture = Capture::new();
    let output = capture
        .apply(&mut tts(server.home.path()))
        .env("DASHSCOPE_API_KEY", "sk-any")
        .args(["say", "-e", "cosyvoice", "--endpoint", &server.url, TEXT])
        .output()
        .expect("runs");
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    let (rate, left) = capture.read();
    let speech = non_silent(&left);
    assert!(
        speech.len() as f64 / f64::from(rate) > 2.0,
        "speech was played"
    );
    assert!(rms(&speech) > 1000.0);
}

#[test]
fn a_key_protected_server_refuses_other_keys() {
    let server = Server::start(&["--api-key", "sk-right"]);
    let out = server.path("a.pcm");
    let refused = server.say("sk-wrong", &["-o", &out, TEXT]);
    assert_eq!(refused.status.code(), Some(3));
    assert!(
        String::from_utf8_lossy(&refused.stderr)
            .contains("refused the API key from DASHSCOPE_API_KEY (HTTP 401)")
    );
    assert!(server.say("sk-right", &["-o", &out, TEXT]).status.success());
}

#[test]
fn a_client_silent_past_the_limit_gets_the_services_timeout() {
    let server = Server::start(&["--client-timeout", "0.5"]);
    let mut child = tts(server.home.path())
        .env("DASHSCOPE_API_KEY", "sk-any")
        .args([
            "say",
            "-e",
            "cosyvoice",
            "--endpoint",
            &server.url,
            "-o",
            &server.path("a.pcm"),
        ])
        .stdin(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("runs");
    let mut stdin = child.stdin.take().expect("stdin");
    std::io::Write::write_all(&mut stdin, b"One line, then the writer goes quiet.\n")
        .expect("write");
    let output = child.wait_with_output().expect("exits");
    drop(stdin);
    assert_eq!(output.status.code(), Some(3));
    let err = String::from_utf8_lossy(&output.stderr);
    assert!(
        err.contains("CLIENT_ERROR: request timeout after 23 seconds.")
            && err.contains("tts sent nothing for 23 s"),
        "{err}"
    );
}

#[test]
fn rate_volume_and_pitch_change_the_audio() {
    let server = Server::start(&[]);
    let render = |args: &[&str]| {
        let out = server.path(&format!("p{}.pcm", args.join("_")));
        let mut all = vec!["-o", out.as_str(), "--sample-rate", "16000"];
        all.extend_from_slice(args);
        all.push(TEXT);
        assert!(server.say("sk-any", &all).status.success());
        let bytes = std::fs::read(&out).expect("file");
        bytes
            .chunks_exact(2)
            .map(|b| i16::from_le_bytes([b[0], b[1]]))
            .collect::<Vec<i16>>()
    };
    let normal = render(&[]);
    let fast = render(&["-r", "2"]);
    assert!(
        (fast.len() as f64 / normal.len() as f64) < 0.6,
        "rate 2 is faster"
    );
    let loud = render(&["--volume", "100"]);
    let quiet = render(&["--volume", "10"]);
    assert!(rms(&loud) > 3.0 * rms(&quiet), "volume");
    let crossings =
        |s: &[i16]| s.windows(2).filter(|w| w[0] < 0 && w[1] >= 0).count() as f64 / s.len() as f64;
    let high = render(&["--pitch", "2"]);
    let low = render(&["--pitch", "0.5"]);
    assert!(crossings(&high) > crossings(&low), "pitch");
}

#[test]
fn many_clients_at_once_all_finish() {
    let server = Server::start(&[]);
    let clients: Vec<Child> = (0..12)
        .map(|i| {
            tts(server.home.path())
                .env("DASHSCOPE_API_KEY", "sk-any")
                .args([
                    "say",
                    "-q",
                    "-e",
                    "cosyvoice",
                    "--endpoint",
                    &server.url,
                    "-o",
                    &server.path(&format!("c{i}.mp3")),
                    TEXT,
                ])
                .spawn()
                .expect("runs")
        })
        .collect();
    for mut client in clients {
        assert!(client.wait().expect("exits").success());
    }
}

/// A raw protocol client, for what our own client never sends.
struct Raw {
    ws: tokio_tungstenite::WebSocketStream<
        tokio_tungstenite::MaybeTlsStream<tokio::net::TcpStream>,
    >,
}

impl Raw {
    async fn connect(url: &str) -> Self {
        let mut request = url.into_client_request().expect("request");
        request
            .headers_mut()
            .insert("Authorization", "Bearer sk-raw".parse().expect("header"));
        let (ws, _) = tokio_tungstenite::connect_async(request)
            .await
            .expect("connects");
        Self { ws }
    }

    async fn send(&mut self, frame: Value) {
        self.ws
            .send(Message::text(frame.to_string()))
            .await
            .expect("send");
    }

    /// The next text event, skipping audio; `None` when the server closed.
    async fn event(&mut self) -> Option<Value> {
        loop {
            let next = tokio::time::timeout(Duration::from_secs(20), self.ws.next())
                .await
                .expect("the server answers");
            match next {
                Some(Ok(Message::Text(text))) => {
                    return Some(serde_json::from_str(text.as_str()).expect("json"));
                }
                Some(Ok(Message::Binary(_))) => {}
                _ => return None,
            }
        }
    }

    async fn until(&mut self, event: &str) -> Value {
        loop {
            let got = self
                .event()
                .await
                .unwrap_or_else(|| panic!("closed before {event}"));
            if got["header"]["event"] == event || got["header"]["event"] == "task-failed" {
                return got;
            }
        }
    }
}

fn run_task(id: &str, parameters: Value) -> Value {
    json!({"header": {"action": "run-task", "task_id": id, "streaming": "duplex"},
           "payload": {"model": "cosyvoice-v3-flash", "task_group": "audio", "task": "tts",
                       "function": "SpeechSynthesizer", "input": {}, "parameters": parameters}})
}

fn continue_task(id: &str, input: Value) -> Value {
    json!({"header": {"action": "continue-task", "task_id": id, "streaming": "duplex"}, "payload": {"input": input}})
}

fn finish_task(id: &str, input: Value) -> Value {
    json!({"header": {"action": "finish-task", "task_id": id, "streaming": "duplex"}, "payload": {"input": input}})
}

fn runtime() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("runtime")
}

#[test]
fn flush_speaks_an_unfinished_sentence_and_cancel_ends_the_task() {
    let server = Server::start(&[]);
    runtime().block_on(async {
        let mut raw = Raw::connect(&server.url).await;
        raw.send(run_task(
            "t1",
            json!({"voice": "longanyang", "format": "pcm", "sample_rate": 16000}),
        ))
        .await;
        assert_eq!(
            raw.until("task-started").await["header"]["event"],
            "task-started"
        );
        raw.send(continue_task("t1", json!({"text": "no punctuation yet"})))
            .await;
        raw.send(continue_task("t1", json!({"flush": true}))).await;
        let begin = raw.until("result-generated").await;
        assert_eq!(
            begin["payload"]["output"]["original_text"],
            "no punctuation yet"
        );
        raw.send(continue_task(
            "t1",
            json!({"text": &"A long sentence that keeps going, ".repeat(12)}),
        ))
        .await;
        raw.send(finish_task("t1", json!({"directive": "cancel"})))
            .await;
        assert_eq!(
            raw.until("task-finished").await["header"]["event"],
            "task-finished"
        );
        // The connection carries another task.
        raw.send(run_task(
            "t2",
            json!({"voice": "longanyang", "format": "mp3"}),
        ))
        .await;
        assert_eq!(raw.until("task-started").await["header"]["task_id"], "t2");
    });
}

#[test]
fn bad_requests_fail_the_task_or_close_never_crash() {
    let server = Server::start(&[]);
    runtime().block_on(async {
        let mut raw = Raw::connect(&server.url).await;
        raw.send(json!({"header": {"action": "dance", "task_id": "x"}, "payload": {}}))
            .await;
        let failed = raw.until("task-failed").await;
        assert_eq!(failed["header"]["error_code"], "InvalidParameter");

        raw.send(run_task(
            "s",
            json!({"voice": "longanyang", "enable_ssml": true}),
        ))
        .await;
        raw.until("task-started").await;
        raw.send(continue_task("s", json!({"text": "<speak>One.</speak>"})))
            .await;
        raw.send(continue_task("s", json!({"text": "<speak>Two.</speak>"})))
            .await;
        let failed = raw.until("task-finished").await;
        assert_eq!(
            failed["header"]["error_message"],
            "Text request limit violated, expected 1."
        );

        raw.send(run_task("b", json!({"voice": "longanyang"})))
            .await;
        raw.until("task-started").await;
        raw.send(continue_task("b", json!({"text": "字".repeat(10_001)})))
            .await;
        let failed = raw.until("task-finished").await;
        assert!(
            failed["header"]["error_message"]
                .as_str()
                .expect("message")
                .contains("20000"),
            "{failed}"
        );

        raw.ws.send(Message::text("{not json")).await.expect("send");
        assert!(
            raw.event().await.is_none(),
            "malformed JSON closes the connection"
        );
    });
    // And the server is still there for the next client.
    assert!(
        server
            .say("sk-any", &["-o", &server.path("after.pcm"), "Still here."])
            .status
            .success()
    );
}
