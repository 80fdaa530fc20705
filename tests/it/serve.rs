//! `tts serve` with our own client and with a raw WebSocket client for the protocol's edges.

use std::process::{Child, Command, Stdio};
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

// ---- Hardening (issue 12): every refusal is a task-failed, every limit holds, nothing crashes.

impl Raw {
    /// Connect with `Authorization: Bearer sk-raw`, or get the HTTP refusal's status.
    async fn try_connect(url: &str) -> Result<Self, u16> {
        let mut request = url.into_client_request().expect("request");
        request
            .headers_mut()
            .insert("Authorization", "Bearer sk-raw".parse().expect("header"));
        match tokio_tungstenite::connect_async(request).await {
            Ok((ws, _)) => Ok(Self { ws }),
            Err(tokio_tungstenite::tungstenite::Error::Http(response)) => {
                Err(response.status().as_u16())
            }
            Err(error) => panic!("connect: {error}"),
        }
    }

    /// Every text event until the task ends (task-finished or task-failed), audio bytes counted.
    async fn task_events(&mut self) -> (Vec<Value>, usize) {
        let mut events = Vec::new();
        let mut audio = 0;
        loop {
            let next = tokio::time::timeout(Duration::from_secs(30), self.ws.next())
                .await
                .expect("the server answers");
            match next {
                Some(Ok(Message::Text(text))) => {
                    let event: Value = serde_json::from_str(text.as_str()).expect("json");
                    let name = event["header"]["event"].as_str().unwrap_or("").to_owned();
                    events.push(event);
                    if name == "task-finished" || name == "task-failed" {
                        return (events, audio);
                    }
                }
                Some(Ok(Message::Binary(bytes))) => audio += bytes.len(),
                other => panic!("the connection ended inside a task: {other:?}"),
            }
        }
    }

    /// Run one whole task: run-task, one text, finish; its events and audio bytes.
    async fn task(&mut self, id: &str, parameters: Value, text: &str) -> (Vec<Value>, usize) {
        self.send(run_task(id, parameters)).await;
        let started = self.until("task-started").await;
        if started["header"]["event"] == "task-failed" {
            return (vec![started], 0);
        }
        self.send(continue_task(id, json!({"text": text}))).await;
        self.send(finish_task(id, json!({}))).await;
        self.task_events().await
    }

    /// The next frame, of any kind, within `secs`; `None` when the stream ended.
    async fn frame(&mut self, secs: u64) -> Option<Message> {
        tokio::time::timeout(Duration::from_secs(secs), self.ws.next())
            .await
            .expect("the server acts in time")
            .and_then(Result::ok)
    }
}

fn original_texts(events: &[Value], kind: &str) -> Vec<String> {
    events
        .iter()
        .filter(|e| e["payload"]["output"]["type"] == kind)
        .filter_map(|e| e["payload"]["output"]["original_text"].as_str())
        .map(str::to_owned)
        .collect()
}

fn failed_message(event: &Value) -> String {
    assert_eq!(event["header"]["event"], "task-failed", "{event}");
    event["header"]["error_message"]
        .as_str()
        .expect("error_message")
        .to_owned()
}

/// A small deterministic generator (xorshift) for fuzzed strings.
struct Fuzz(u64);

impl Fuzz {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0
    }

    fn string(&mut self) -> String {
        const PARTS: [&str; 24] = [
            "!",
            "v",
            "/",
            "m1",
            "..",
            "\\",
            "+",
            "%s",
            "%n",
            "\0",
            "\u{202e}",
            "<",
            ">",
            "&",
            ";",
            "'",
            "\"",
            "en",
            "-us",
            "~",
            "\u{1F600}",
            "\u{FFFD}",
            " ",
            "espeak-ng-data",
        ];
        let len = 1 + self.next() % 12;
        (0..len)
            .map(|_| PARTS[(self.next() % PARTS.len() as u64) as usize])
            .collect()
    }
}

#[test]
fn hostile_values_in_every_field_fail_the_task_and_never_the_server() {
    let mut server = Server::start(&[]);
    let long = "x".repeat(100_000);
    let voices: Vec<Value> = [
        "!v/m1",
        "!v/m1/../../en",
        "/etc/passwd",
        "../../../../../../etc/passwd",
        "/usr/lib/x86_64-linux-gnu/espeak-ng-data/voices/!v/m1",
        "en-us+../../../etc/passwd",
        "en-us+!v/m1",
        "gmw/en",
        "mb/mb-en1",
        "en-us\u{0}",
        "%s%s%s%n",
        long.as_str(),
    ]
    .iter()
    .map(|v| json!(v))
    .chain([
        json!(42),
        json!(null),
        json!(["en-us"]),
        json!({"path": "/etc"}),
    ])
    .collect();
    let mut cases: Vec<Value> = voices
        .into_iter()
        .map(|voice| json!({"voice": voice, "format": "pcm"}))
        .collect();
    for (field, values) in [
        (
            "format",
            vec![
                json!("../../etc/passwd"),
                json!("mp3\u{0}"),
                json!("MP3 "),
                json!(7),
                json!({}),
            ],
        ),
        (
            "sample_rate",
            vec![
                json!(-1),
                json!(4_294_983_296_u64),
                json!(1e300),
                json!("48000"),
                json!(22050.5),
            ],
        ),
        (
            "rate",
            vec![json!(-0.0), json!(1e300), json!("fast"), json!(0.1)],
        ),
        ("pitch", vec![json!(99), json!(-1), json!([1])]),
        (
            "volume",
            vec![json!(-1), json!(101), json!(1e20), json!("100")],
        ),
        ("bit_rate", vec![json!(0), json!(100_000)]),
        ("enable_ssml", vec![json!("yes"), json!(1)]),
        ("word_timestamp_enabled", vec![json!("true")]),
    ] {
        for value in values {
            let mut parameters =
                json!({"voice": "longanyang", "format": "opus", "sample_rate": 24000});
            parameters[field] = value;
            cases.push(parameters);
        }
    }
    runtime().block_on(async {
        let mut raw = Raw::connect(&server.url).await;
        for (i, parameters) in cases.iter().enumerate() {
            let id = format!("hostile-{i}");
            raw.send(run_task(&id, parameters.clone())).await;
            let answer = raw.until("task-started").await;
            assert_eq!(answer["header"]["event"], "task-failed", "{parameters}: {answer}");
            assert_eq!(answer["header"]["task_id"], id.as_str());
        }
        for (i, model) in ["../cosyvoice-v1", "cosyvoice-v3-flash\u{0}", ""].iter().enumerate() {
            let mut frame = run_task(&format!("model-{i}"), json!({"voice": "longanyang"}));
            frame["payload"]["model"] = json!(model);
            raw.send(frame).await;
            failed_message(&raw.until("task-started").await);
        }
        // Fields the local engine does not use are accepted and never reach it.
        let (events, audio) = raw
            .task(
                "ignored",
                json!({"voice": "longanyang", "format": "pcm",
                       "hot_fix": {"pronunciation": [{"/etc/passwd": "../x"}], "replace": [{"a": "\u{0}"}]},
                       "language_hints": ["../../x", "!v/m1"], "instruction": long}),
                "Still spoken.",
            )
            .await;
        assert_eq!(events.last().expect("end")["header"]["event"], "task-finished");
        assert!(audio > 0);
        // SSML from hostile documents: refused or spoken, never a crash or a file read.
        let deep = format!("<speak>{}deep{}</speak>", "<p>".repeat(5000), "</p>".repeat(5000));
        for (i, text) in [
            "<speak><!DOCTYPE x [<!ENTITY e SYSTEM \"file:///etc/passwd\">]>&e;</speak>",
            "<!DOCTYPE speak [<!ENTITY a \"aaaaaaaa\"><!ENTITY b \"&a;&a;&a;&a;&a;&a;\">]><speak>&b;</speak>",
            "<speak><audio src=\"/etc/passwd\">fallback</audio></speak>",
            "<speak><phoneme alphabet=\"x-espeak\" ph=\"[[!v/m1]]\">word</phoneme></speak>",
            "<speak><prosody rate=\"NaN\" pitch=\"1e999\" volume=\"-inf\">odd</prosody></speak>",
            "<speak><break time=\"-5s\"/><break time=\"99999999999s\"/>end</speak>",
            "<speak>unclosed",
            deep.as_str(),
        ]
        .iter()
        .enumerate()
        {
            let (events, _) = raw
                .task(&format!("ssml-{i}"), json!({"voice": "longanyang", "format": "pcm", "enable_ssml": true}), text)
                .await;
            let end = events.last().expect("end");
            assert!(
                end["header"]["event"] == "task-finished" || end["header"]["event"] == "task-failed",
                "{text}: {end}"
            );
        }
    });
    // Generated voices, formats and models: each refused, none crashes the server.
    runtime().block_on(async {
        let mut fuzz = Fuzz(0x9E37_79B9_7F4A_7C15);
        let mut raw = Raw::connect(&server.url).await;
        for i in 0..300 {
            let value = fuzz.string();
            let mut parameters = json!({"voice": "longanyang", "format": "pcm"});
            let field = ["voice", "format", "model"][i % 3];
            let mut frame = if field == "model" {
                let mut frame = run_task(&format!("f{i}"), parameters);
                frame["payload"]["model"] = json!(value);
                frame
            } else {
                parameters[field] = json!(value);
                run_task(&format!("f{i}"), parameters)
            };
            frame["header"]["streaming"] = json!("duplex");
            raw.send(frame).await;
            let answer = raw.until("task-started").await;
            assert_eq!(
                answer["header"]["event"], "task-failed",
                "{field} {value:?}"
            );
        }
    });
    assert!(server.alive(), "{}", server.log());
    assert!(
        server
            .say("sk-any", &["-o", &server.path("after.pcm"), "Still here."])
            .status
            .success()
    );
    assert_eq!(server.count("panicked"), 0, "{}", server.log());
}

/// A raw TCP client, for what no WebSocket library sends.
fn tcp(server: &Server) -> std::net::TcpStream {
    let stream = std::net::TcpStream::connect(server.authority()).expect("connects");
    stream
        .set_read_timeout(Some(Duration::from_secs(20)))
        .expect("timeout");
    stream
}

/// Send one HTTP request; the response's status and the whole response.
fn http(server: &Server, request: &str) -> (u16, String) {
    use std::io::{Read, Write};
    let mut stream = tcp(server);
    stream.write_all(request.as_bytes()).expect("write");
    let mut response = Vec::new();
    let mut buf = [0u8; 4096];
    while let Ok(n) = stream.read(&mut buf) {
        if n == 0 {
            break;
        }
        response.extend_from_slice(&buf[..n]);
        if response.windows(4).any(|w| w == b"\r\n\r\n")
            && !request.contains("Connection: keep-alive")
        {
            // The head is in; the bodies here are short and arrive with it.
            std::thread::sleep(Duration::from_millis(100));
            if let Ok(n) = stream.read(&mut buf) {
                response.extend_from_slice(&buf[..n]);
            }
            break;
        }
    }
    let text = String::from_utf8_lossy(&response).into_owned();
    let status = text
        .split_whitespace()
        .nth(1)
        .and_then(|s| s.parse().ok())
        .unwrap_or(0);
    (status, text)
}

/// Whether the server closes `stream` (EOF or reset) within `secs`, reading whatever comes.
fn closed_within(stream: &mut std::net::TcpStream, secs: u64) -> bool {
    use std::io::Read;
    stream
        .set_read_timeout(Some(Duration::from_secs(secs)))
        .expect("timeout");
    let mut buf = [0u8; 1024];
    loop {
        match stream.read(&mut buf) {
            Ok(0) => return true,
            Ok(_) => {}
            Err(e)
                if e.kind() == std::io::ErrorKind::WouldBlock
                    || e.kind() == std::io::ErrorKind::TimedOut =>
            {
                return false;
            }
            Err(_) => return true,
        }
    }
}

#[test]
fn plain_http_gets_answers_and_the_logs_never_carry_the_key() {
    let server = Server::start(&["--api-key", "sk-secret-1234567"]);
    let host = server.authority();
    let (status, response) = http(
        &server,
        &format!(
            "GET /api-ws/v1/inference HTTP/1.1\r\nHost: {host}\r\nAuthorization: Bearer sk-secret-1234567\r\nConnection: close\r\n\r\n"
        ),
    );
    assert_eq!(status, 426, "{response}");
    assert!(
        response.to_lowercase().contains("upgrade: websocket"),
        "{response}"
    );
    let (status, response) = http(
        &server,
        &format!("GET /health HTTP/1.1\r\nHost: {host}\r\nConnection: close\r\n\r\n"),
    );
    assert_eq!(status, 200, "{response}");
    assert!(response.contains("\"status\":\"ok\""), "{response}");
    let (status, _) = http(
        &server,
        &format!(
            "GET /api-ws/v1/inference HTTP/1.1\r\nHost: {host}\r\nAuthorization: Bearer sk-wrong-7654321\r\nConnection: close\r\n\r\n"
        ),
    );
    assert_eq!(status, 401);
    let (status, _) = http(
        &server,
        &format!(
            "GET /nowhere?api_key=sk-secret-1234567 HTTP/1.1\r\nHost: {host}\r\nConnection: close\r\n\r\n"
        ),
    );
    assert_eq!(status, 404);
    // A trailing slash on the path is the same endpoint.
    let url = format!("{}/", server.url);
    let out = server.path("slash.pcm");
    let said = tts(server.home.path())
        .env("DASHSCOPE_API_KEY", "sk-secret-1234567")
        .args([
            "say",
            "-e",
            "cosyvoice",
            "--endpoint",
            &url,
            "-o",
            &out,
            "Trailing slash.",
        ])
        .output()
        .expect("runs");
    assert!(
        said.status.success(),
        "{}",
        String::from_utf8_lossy(&said.stderr)
    );
    let log = server.log();
    assert!(
        log.contains("status=426") && log.contains("status=401"),
        "{log}"
    );
    assert!(
        !log.contains("sk-secret-1234567") && !log.contains("sk-wrong-7654321"),
        "{log}"
    );
}

#[test]
fn slow_silent_and_surplus_connections_are_cut_off_while_others_are_served() {
    use std::io::Write;
    let server = Server::start(&["--max-connections", "4", "--idle-timeout", "1"]);
    // A silent socket and a slowloris handshake are closed (the handshake limit is 5 s).
    let mut silent = tcp(&server);
    let mut slow = tcp(&server);
    slow.write_all(b"GET /api-ws/v1/inference HTTP/1.1\r\n")
        .expect("write");
    let dripper = {
        let mut slow = slow.try_clone().expect("clone");
        std::thread::spawn(move || {
            for _ in 0..30 {
                if slow.write_all(b"X").is_err() {
                    return;
                }
                std::thread::sleep(Duration::from_millis(500));
            }
        })
    };
    assert!(closed_within(&mut silent, 12), "a silent socket is closed");
    assert!(closed_within(&mut slow, 12), "a slow handshake is closed");
    dripper.join().expect("dripper");
    runtime().block_on(async {
        // A WebSocket with no task is closed after the idle limit, with a Close frame.
        let mut idle = Raw::connect(&server.url).await;
        match idle.frame(10).await {
            Some(Message::Close(Some(frame))) => assert_eq!(u16::from(frame.code), 1000),
            other => panic!("an idle connection is closed: {other:?}"),
        }
        // Up to the cap, connections are served; one more gets 503.
        let mut held = Vec::new();
        for _ in 0..4 {
            held.push(Raw::try_connect(&server.url).await.expect("under the cap"));
        }
        assert_eq!(
            Raw::try_connect(&server.url).await.err(),
            Some(503),
            "{}",
            server.log()
        );
        // Those held are still served while the surplus is refused.
        let (events, audio) = held[0]
            .task(
                "held",
                json!({"voice": "longanyang", "format": "pcm"}),
                "Served under the cap.",
            )
            .await;
        assert_eq!(
            events.last().expect("end")["header"]["event"],
            "task-finished"
        );
        assert!(audio > 0);
        drop(held);
        // Once they are gone, there is room again.
        tokio::time::sleep(Duration::from_millis(500)).await;
        Raw::try_connect(&server.url).await.expect("room again");
    });
    assert!(
        server.count("too many connections") >= 1,
        "{}",
        server.log()
    );
}

/// A WebSocket made by hand over TCP, for frames no library sends (bad UTF-8, huge lengths).
struct Wire {
    stream: std::net::TcpStream,
}

impl Wire {
    fn connect(server: &Server) -> Self {
        use std::io::{Read, Write};
        let mut stream = tcp(server);
        let request = format!(
            "GET /api-ws/v1/inference HTTP/1.1\r\nHost: {}\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n\
             Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\nAuthorization: Bearer sk-wire\r\n\r\n",
            server.authority()
        );
        stream.write_all(request.as_bytes()).expect("write");
        let mut head = Vec::new();
        let mut byte = [0u8; 1];
        while !head.ends_with(b"\r\n\r\n") {
            stream.read_exact(&mut byte).expect("read head");
            head.push(byte[0]);
        }
        let head = String::from_utf8_lossy(&head);
        assert!(head.starts_with("HTTP/1.1 101"), "{head}");
        assert!(head.contains("s3pPLMBiTxaQ9kYGzzhZRbK+xOo="), "{head}");
        Self { stream }
    }

    /// A masked client frame with a zero mask, `declared` overriding the payload length.
    fn send(&mut self, opcode: u8, payload: &[u8], declared: Option<u64>) {
        use std::io::Write;
        let len = declared.unwrap_or(payload.len() as u64);
        let mut frame = vec![0x80 | opcode];
        if len < 126 {
            frame.push(0x80 | len as u8);
        } else if len < 65_536 {
            frame.push(0x80 | 126);
            frame.extend_from_slice(&(len as u16).to_be_bytes());
        } else {
            frame.push(0x80 | 127);
            frame.extend_from_slice(&len.to_be_bytes());
        }
        frame.extend_from_slice(&[0, 0, 0, 0]);
        frame.extend_from_slice(payload);
        let _ = self.stream.write_all(&frame);
    }

    fn text(&mut self, frame: &Value) {
        self.send(1, frame.to_string().as_bytes(), None);
    }

    /// The next server frame: (opcode, payload); `None` at the end of the stream.
    fn recv(&mut self) -> Option<(u8, Vec<u8>)> {
        use std::io::Read;
        let mut head = [0u8; 2];
        self.stream.read_exact(&mut head).ok()?;
        let mut len = u64::from(head[1] & 0x7f);
        if len == 126 {
            let mut ext = [0u8; 2];
            self.stream.read_exact(&mut ext).ok()?;
            len = u64::from(u16::from_be_bytes(ext));
        } else if len == 127 {
            let mut ext = [0u8; 8];
            self.stream.read_exact(&mut ext).ok()?;
            len = u64::from_be_bytes(ext);
        }
        let mut payload = vec![0u8; usize::try_from(len).expect("size")];
        self.stream.read_exact(&mut payload).ok()?;
        Some((head[0] & 0x0f, payload))
    }

    /// Text events until a close frame: (events, close code).
    fn until_close(&mut self) -> (Vec<Value>, Option<u16>) {
        let mut events = Vec::new();
        while let Some((opcode, payload)) = self.recv() {
            match opcode {
                1 => events.push(serde_json::from_slice(&payload).expect("json")),
                8 => {
                    let code =
                        (payload.len() >= 2).then(|| u16::from_be_bytes([payload[0], payload[1]]));
                    return (events, code);
                }
                _ => {}
            }
        }
        (events, None)
    }

    fn start_task(&mut self, id: &str) {
        self.text(&run_task(
            id,
            json!({"voice": "longanyang", "format": "pcm"}),
        ));
        let (opcode, payload) = self.recv().expect("task-started");
        assert_eq!(opcode, 1);
        let event: Value = serde_json::from_slice(&payload).expect("json");
        assert_eq!(event["header"]["event"], "task-started");
    }
}

#[test]
fn unreadable_frames_in_a_task_fail_it_then_close_with_the_rfc_code() {
    let server = Server::start(&[]);
    // Invalid UTF-8 in a text frame: task-failed, then close 1007.
    let mut wire = Wire::connect(&server);
    wire.start_task("utf8");
    wire.send(1, &[b'{', 0xff, 0xfe, b'}'], None);
    let (events, code) = wire.until_close();
    assert_eq!(code, Some(1007));
    assert_eq!(events.len(), 1, "{events:?}");
    assert_eq!(events[0]["header"]["task_id"], "utf8");
    assert!(failed_message(&events[0]).contains("UTF-8"));
    // A message over 1 MiB: task-failed, then close 1009.
    let mut wire = Wire::connect(&server);
    wire.start_task("big");
    wire.send(1, b"{\"header\":", Some(2 << 20));
    let (events, code) = wire.until_close();
    assert_eq!(code, Some(1009));
    assert_eq!(events[0]["header"]["task_id"], "big");
    assert!(failed_message(&events[0]).contains("1 MiB"));
    // A lone surrogate (Python's surrogateescape) is not JSON: task-failed, then close 1007.
    let mut wire = Wire::connect(&server);
    wire.start_task("surrogate");
    wire.send(
        1,
        br#"{"header":{"action":"continue-task","task_id":"surrogate","streaming":"duplex"},"payload":{"input":{"text":"bad \udc80 text"}}}"#,
        None,
    );
    let (events, code) = wire.until_close();
    assert_eq!(code, Some(1007));
    assert_eq!(events[0]["header"]["task_id"], "surrogate");
    assert!(failed_message(&events[0]).contains("not valid JSON"));
    // The client's own Close frame is answered with a Close frame.
    let mut wire = Wire::connect(&server);
    wire.start_task("bye");
    wire.send(8, &1000u16.to_be_bytes(), None);
    let (_, code) = wire.until_close();
    assert_eq!(code, Some(1000), "the close handshake is answered");
    assert!(
        server
            .say("sk-any", &["-o", &server.path("after.pcm"), "Still here."])
            .status
            .success()
    );
}

#[test]
fn a_task_fails_once_and_a_stray_run_task_fails_only_itself() {
    let server = Server::start(&[]);
    runtime().block_on(async {
        let mut raw = Raw::connect(&server.url).await;
        raw.send(run_task("a", json!({"voice": "longanyang", "format": "pcm"}))).await;
        raw.until("task-started").await;
        raw.send(continue_task("a", json!({"text": "字".repeat(10_001)}))).await;
        raw.send(continue_task("a", json!({"text": "More."}))).await;
        raw.send(finish_task("a", json!({}))).await;
        let failed = raw.until("task-finished").await;
        assert!(failed_message(&failed).contains("20000"));
        // Nothing more about "a": the next event is the next task's.
        raw.send(run_task("b", json!({"voice": "longanyang", "format": "pcm"}))).await;
        let next = raw.event().await.expect("event");
        assert_eq!(next["header"]["task_id"], "b", "{next}");
        assert_eq!(next["header"]["event"], "task-started");
        raw.send(continue_task("b", json!({"text": "A first sentence that takes a while to speak. And a second one after it."}))).await;
        // A stray run-task while "b" runs fails "c" only.
        raw.send(run_task("c", json!({"voice": "longanyang", "format": "pcm"}))).await;
        raw.send(finish_task("b", json!({}))).await;
        let (events, audio) = raw.task_events().await;
        let failed: Vec<&Value> = events.iter().filter(|e| e["header"]["event"] == "task-failed").collect();
        let (events_b, audio_b) = if failed.is_empty() {
            // "c"'s failure can only come before b's end; it did not, so it is still to come.
            panic!("the stray run-task drew no task-failed: {events:?}");
        } else {
            assert_eq!(failed.len(), 1);
            assert_eq!(failed[0]["header"]["task_id"], "c");
            assert!(failed_message(failed[0]).contains("already running"));
            if events.last().expect("end")["header"]["event"] == "task-failed" {
                raw.task_events().await
            } else {
                (events.clone(), audio)
            }
        };
        let _ = audio_b;
        let end = events_b.last().expect("end");
        assert_eq!(end["header"]["event"], "task-finished", "{events_b:?}");
        assert_eq!(end["header"]["task_id"], "b");
        let spoken = [events.clone(), events_b.clone()].concat();
        assert_eq!(
            original_texts(&spoken, "sentence-end").len(),
            2,
            "both sentences of b were spoken"
        );
    });
}

#[test]
fn ssml_is_parsed_and_plain_text_with_angle_brackets_is_spoken_whole() {
    let server = Server::start(&[]);
    runtime().block_on(async {
        let mut raw = Raw::connect(&server.url).await;
        let ssml = json!({"voice": "longanyang", "format": "pcm", "sample_rate": 16000, "enable_ssml": true});
        let (events, _) = raw.task("lt", ssml.clone(), "If five < seven and nine > three, say so.").await;
        assert_eq!(original_texts(&events, "sentence-end"), ["If five < seven and nine > three, say so."]);
        let (events, plain) = raw
            .task("doc", ssml.clone(), "<speak>Tom &amp; Jerry <sub alias=\"and friends\">etc</sub>.</speak>")
            .await;
        assert_eq!(original_texts(&events, "sentence-end"), ["Tom & Jerry and friends."]);
        let (_, paused) = raw
            .task(
                "pause",
                ssml.clone(),
                "<speak>Tom &amp; Jerry <sub alias=\"and friends\">etc</sub>.<break time=\"2s\"/></speak>",
            )
            .await;
        let two_seconds = 2 * 16000 * 2;
        assert!(
            paused.abs_diff(plain + two_seconds) < 16000 / 5,
            "a 2 s break adds 2 s of audio: {plain} then {paused} bytes"
        );
        let (_, fast) = raw
            .task(
                "fast",
                ssml.clone(),
                "<speak><prosody rate=\"x-fast\">Tom &amp; Jerry and friends.</prosody></speak>",
            )
            .await;
        assert!((fast as f64) < 0.7 * plain as f64, "x-fast is faster: {fast} vs {plain}");
        let (events, _) = raw.task("bad", ssml, "<speak>unclosed <p>tag</speak>").await;
        assert!(failed_message(events.last().expect("end")).contains("SSML"));
    });
}

#[test]
fn word_times_are_sent_once_per_word() {
    let server = Server::start(&[]);
    let text = "The quick brown fox jumps over the lazy dog, again and again. ".repeat(8);
    runtime().block_on(async {
        let mut raw = Raw::connect(&server.url).await;
        let volume = |events: &[Value]| events.iter().map(|e| e.to_string().len()).sum::<usize>();
        let (without, _) = raw
            .task(
                "plain",
                json!({"voice": "longanyang", "format": "pcm"}),
                &text,
            )
            .await;
        let (with, _) = raw
            .task(
                "words",
                json!({"voice": "longanyang", "format": "pcm", "word_timestamp_enabled": true}),
                &text,
            )
            .await;
        let words: usize = with
            .iter()
            .filter_map(|e| e["payload"]["output"]["sentence"]["words"].as_array())
            .map(Vec::len)
            .sum();
        let spoken = text.split_whitespace().count();
        assert!(
            words >= spoken / 2 && words <= spoken + spoken / 4,
            "{words} word entries for {spoken} words"
        );
        assert!(
            volume(&with) < volume(&without) + words * 160,
            "{} bytes of JSON with words, {} without",
            volume(&with),
            volume(&without)
        );
    });
}

#[test]
fn control_characters_empty_text_and_missing_task_ids_are_named() {
    let server = Server::start(&[]);
    runtime().block_on(async {
        let mut raw = Raw::connect(&server.url).await;
        let (events, _) = raw
            .task(
                "nul",
                json!({"voice": "longanyang", "format": "pcm"}),
                "Hello\u{0}world",
            )
            .await;
        let message = failed_message(events.last().expect("end"));
        assert!(
            message.contains("U+0000") && message.contains("text"),
            "{message}"
        );
        let (events, _) = raw
            .task("empty", json!({"voice": "longanyang", "format": "pcm"}), "")
            .await;
        assert_eq!(
            failed_message(events.last().expect("end")),
            "Please ensure input text is valid."
        );
        for id in [Value::Null, json!(42), json!("")] {
            let mut frame = run_task("x", json!({"voice": "longanyang"}));
            frame["header"]["task_id"] = id.clone();
            raw.send(frame).await;
            let failed = raw.event().await.expect("event");
            assert!(
                failed_message(&failed).contains("header.task_id"),
                "{failed}"
            );
            assert!(failed["header"].get("task_id").is_none(), "{failed}");
        }
        let mut frame = run_task("x", json!({"voice": "longanyang"}));
        frame["header"]
            .as_object_mut()
            .expect("header")
            .remove("task_id");
        raw.send(frame).await;
        assert!(failed_message(&raw.event().await.expect("event")).contains("header.task_id"));
    });
}

#[test]
fn the_markdown_filter_speaks_the_text_without_its_symbols() {
    let server = Server::start(&[]);
    runtime().block_on(async {
        let mut raw = Raw::connect(&server.url).await;
        let (events, _) = raw
            .task(
                "md",
                json!({"voice": "longanyang", "format": "pcm", "enable_markdown_filter": true}),
                "# A title\n\nSome **bold** and `code` words.\n- a [link](http://x.y) item\n",
            )
            .await;
        let spoken = original_texts(&events, "sentence-end").join(" ");
        assert!(
            spoken.contains("A title") && spoken.contains("Some bold and code words."),
            "{spoken}"
        );
        assert!(spoken.contains("a link item"), "{spoken}");
        assert!(!spoken.contains(['#', '*', '`', '(', '[']), "{spoken}");
    });
}

/// CPU seconds (user + system) the process has used, from /proc/PID/stat.
fn cpu_seconds(pid: u32) -> f64 {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).expect("stat");
    let fields: Vec<&str> = stat
        .rsplit_once(')')
        .expect("comm")
        .1
        .split_whitespace()
        .collect();
    // utime and stime are fields 14 and 15; after the comm, indexes 11 and 12.
    let ticks: f64 =
        fields[11].parse::<f64>().expect("utime") + fields[12].parse::<f64>().expect("stime");
    ticks / 100.0
}

#[test]
fn out_of_descriptors_the_server_backs_off_and_recovers() {
    let server = Server::start(&[]);
    let limited = Command::new("prlimit")
        .args(["--pid", &server.pid().to_string(), "--nofile=48:48"])
        .status()
        .expect("prlimit (util-linux) runs");
    assert!(limited.success());
    // More connections than descriptors: accept fails with EMFILE while they are held.
    let held: Vec<std::net::TcpStream> = (0..80).map(|_| tcp(&server)).collect();
    std::thread::sleep(Duration::from_millis(500));
    let before = cpu_seconds(server.pid());
    std::thread::sleep(Duration::from_secs(2));
    let used = cpu_seconds(server.pid()) - before;
    assert!(
        used < 0.5,
        "{used:.2} CPU seconds in 2 s: the accept loop spins"
    );
    let warnings = server.count("cannot accept a connection");
    assert!(
        (1..40).contains(&warnings),
        "{warnings} accept errors logged: backing off between them"
    );
    drop(held);
    // The handshake limit frees the descriptors; then clients are served again.
    std::thread::sleep(Duration::from_secs(6));
    let said = server.say("sk-any", &["-o", &server.path("after.pcm"), "Back again."]);
    assert!(
        said.status.success(),
        "{}",
        String::from_utf8_lossy(&said.stderr)
    );
}

#[test]
fn a_client_that_stops_reading_is_dropped_and_frees_its_place() {
    use std::io::Write;
    let server = Server::start(&["--max-connections", "1"]);
    // Frames by hand, never read: a long task's audio fills every buffer on the way.
    let mut wire = Wire::connect(&server);
    wire.start_task("stuck");
    let text = "A sentence that takes a while to say, and then some more words. ".repeat(300);
    wire.text(&continue_task("stuck", json!({"text": text})));
    wire.text(&finish_task("stuck", json!({})));
    wire.stream.flush().expect("flush");
    let deadline = std::time::Instant::now() + Duration::from_secs(60);
    while server.count("connection closed") == 0 {
        assert!(
            std::time::Instant::now() < deadline,
            "a client that never reads still holds its connection:\n{}",
            server.log()
        );
        std::thread::sleep(Duration::from_millis(200));
    }
    // Its place under the cap of one is free again.
    let said = server.say("sk-any", &["-o", &server.path("after.pcm"), "Next client."]);
    assert!(
        said.status.success(),
        "{}",
        String::from_utf8_lossy(&said.stderr)
    );
    drop(wire);
}

#[test]
fn a_task_that_takes_long_to_finish_does_not_leave_its_connection_idle() {
    // The idle limit counts from the end of the last task: finishing a long text takes longer
    // than the limit here, and the next task on the same connection must still start.
    let server = Server::start(&["--idle-timeout", "0.5"]);
    runtime().block_on(async {
        let mut raw = Raw::connect(&server.url).await;
        let paragraph = "The quick brown fox jumps over the lazy dog, again and again, while the \
                         long task goes on and the server keeps speaking every word of it. ";
        let text = paragraph.repeat(30);
        let parameters = json!({"voice": "longanyang", "format": "mp3", "sample_rate": 22050});
        let (events, audio) = raw.task("long-1", parameters.clone(), &text).await;
        assert_eq!(
            events.last().expect("events")["header"]["event"],
            "task-finished"
        );
        assert!(audio > 0, "the long task was spoken");
        let (events, _) = raw.task("next-2", parameters, "Still here.").await;
        assert_eq!(
            events.last().expect("events")["header"]["event"],
            "task-finished",
            "the next task runs on the same connection: {events:?}"
        );
    });
}
