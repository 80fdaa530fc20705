//! `tts chat` against a scripted chat-completions server: streamed tokens with chosen delays,
//! events split across reads, keep-alive comments, CRLF, a thinking field, errors.

use std::io::{BufRead, BufReader, Read, Write};
use std::net::{TcpListener, TcpStream};
use std::path::Path;
use std::process::{Command, Stdio};
use std::sync::mpsc::{self, Receiver, Sender};
use std::sync::{Arc, Mutex};
use std::thread;
use std::time::Duration;

use serde_json::Value;

use crate::common::{Capture, interrupt, non_silent, tts, wav_seconds};

/// What the server does on one connection.
enum Step {
    /// Write these bytes as they are (one read's worth, or part of one event).
    Raw(String),
    /// Pause.
    Sleep(Duration),
    /// Hold the rest of the stream until the test says so (or a long limit passes).
    Gate,
}

/// One connection's script: a status and body, or an event stream.
enum Reply {
    Error(u16, &'static str),
    Stream(Vec<Step>),
}

/// A scripted server of `POST /v1/chat/completions`, a reply per connection in order.
struct ChatServer {
    port: u16,
    /// The request bodies received, in order.
    requests: Arc<Mutex<Vec<Value>>>,
    /// The `Authorization` headers received.
    auth: Arc<Mutex<Vec<String>>>,
    gate: Sender<()>,
    /// Whether a gate gave way to its time limit instead of the test.
    gate_timed_out: Arc<Mutex<bool>>,
}

impl ChatServer {
    fn start(replies: Vec<Reply>) -> Self {
        let listener = TcpListener::bind("127.0.0.1:0").expect("bind");
        let port = listener.local_addr().expect("addr").port();
        let requests = Arc::new(Mutex::new(Vec::new()));
        let auth = Arc::new(Mutex::new(Vec::new()));
        let gate_timed_out = Arc::new(Mutex::new(false));
        let (gate, gate_rx) = mpsc::channel();
        let (r, a, g) = (requests.clone(), auth.clone(), gate_timed_out.clone());
        thread::spawn(move || {
            let mut replies = replies.into_iter();
            for stream in listener.incoming() {
                let Ok(stream) = stream else { return };
                let Some(reply) = replies.next() else { return };
                serve(stream, reply, &r, &a, &gate_rx, &g);
            }
        });
        Self {
            port,
            requests,
            auth,
            gate,
            gate_timed_out,
        }
    }

    fn endpoint(&self) -> String {
        format!("http://127.0.0.1:{}/v1", self.port)
    }

    fn open_gate(&self) {
        let _ = self.gate.send(());
    }

    fn requests(&self) -> Vec<Value> {
        self.requests.lock().expect("lock").clone()
    }
}

fn serve(
    mut stream: TcpStream,
    reply: Reply,
    requests: &Mutex<Vec<Value>>,
    auth: &Mutex<Vec<String>>,
    gate: &Receiver<()>,
    gate_timed_out: &Mutex<bool>,
) {
    let mut reader = BufReader::new(stream.try_clone().expect("clone"));
    let mut length = 0;
    let mut request_line = String::new();
    reader.read_line(&mut request_line).expect("request line");
    assert!(
        request_line.starts_with("POST /v1/chat/completions "),
        "{request_line}"
    );
    loop {
        let mut line = String::new();
        reader.read_line(&mut line).expect("header");
        let line = line.trim_end();
        if line.is_empty() {
            break;
        }
        let (name, value) = line.split_once(':').expect("header line");
        match name.to_ascii_lowercase().as_str() {
            "content-length" => length = value.trim().parse().expect("length"),
            "authorization" => auth.lock().expect("lock").push(value.trim().to_owned()),
            _ => {}
        }
    }
    let mut body = vec![0; length];
    reader.read_exact(&mut body).expect("body");
    requests
        .lock()
        .expect("lock")
        .push(serde_json::from_slice(&body).expect("JSON body"));
    match reply {
        Reply::Error(status, body) => {
            let _ = write!(
                stream,
                "HTTP/1.1 {status} Error\r\nContent-Type: application/json\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
                body.len()
            );
        }
        Reply::Stream(steps) => {
            let _ = stream.write_all(
                b"HTTP/1.1 200 OK\r\nContent-Type: text/event-stream\r\nConnection: close\r\n\r\n",
            );
            for step in steps {
                match step {
                    Step::Raw(bytes) => {
                        if stream.write_all(bytes.as_bytes()).is_err() {
                            return;
                        }
                        let _ = stream.flush();
                    }
                    Step::Sleep(d) => thread::sleep(d),
                    Step::Gate => {
                        if gate.recv_timeout(Duration::from_secs(20)).is_err() {
                            *gate_timed_out.lock().expect("lock") = true;
                        }
                    }
                }
            }
        }
    }
}

/// An event carrying `content`.
fn token(content: &str) -> Step {
    Step::Raw(format!(
        "data: {}\n\n",
        serde_json::json!({"choices": [{"index": 0, "delta": {"content": content}}]})
    ))
}

fn thinking(text: &str) -> Step {
    Step::Raw(format!(
        "data: {}\r\n\r\n",
        serde_json::json!({"choices": [{"index": 0, "delta": {"reasoning_content": text}}]})
    ))
}

fn done() -> Vec<Step> {
    vec![
        Step::Raw(format!(
            "data: {}\n\n",
            serde_json::json!({"choices": [], "usage": {"prompt_tokens": 12, "completion_tokens": 34}})
        )),
        Step::Raw("data: [DONE]\n\n".into()),
    ]
}

/// The tokens of the answer used below: Markdown, a code block, a sentence after it.
const TOKENS: [&str; 9] = [
    "Hello ",
    "**there**. ",
    "Second sentence with `code`.\n\n",
    "```rust\n",
    "let x = 1;\n",
    "```\n",
    "See [the docs](https://example.com)",
    " for more",
    ".",
];

/// The answer's first sentence, then a split event, a keep-alive and a thinking field; the
/// rest is held at the gate when `gated`.
fn answer_script(gated: bool) -> Vec<Step> {
    let mut steps = vec![
        Step::Raw(": keep-alive\n\n".into()),
        thinking("The user greets me."),
        token(TOKENS[0]),
    ];
    // One event split across two writes, mid-character of its JSON.
    let Step::Raw(split) = token(TOKENS[1]) else {
        unreachable!()
    };
    let (a, b) = split.split_at(17);
    steps.push(Step::Raw(a.into()));
    steps.push(Step::Sleep(Duration::from_millis(50)));
    steps.push(Step::Raw(b.into()));
    // The next token begins a new sentence: the first is complete.
    steps.push(token(&TOKENS[2][..7]));
    if gated {
        steps.push(Step::Gate);
    }
    steps.push(token(&TOKENS[2][7..]));
    for t in &TOKENS[3..] {
        steps.push(Step::Sleep(Duration::from_millis(20)));
        steps.push(token(t));
    }
    steps.extend(done());
    steps
}

fn chat(home: &Path, server: &ChatServer, args: &[&str]) -> Command {
    let mut command = tts(home);
    command
        .args(["chat", "-q", "-e", "local", "--llm-endpoint"])
        .arg(server.endpoint())
        .args(["--llm-key", "sk-test-secret-1234"])
        .args(args)
        .env_remove("OPENAI_API_KEY");
    command
}

#[test]
fn the_first_sentence_is_heard_before_the_answer_ends_and_the_text_is_printed_whole() {
    let home = tempfile::tempdir().expect("tempdir");
    let server = ChatServer::start(vec![Reply::Stream(answer_script(true))]);
    let mut child = chat(home.path(), &server, &["-o", "-", "Say hello"])
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("spawn");
    let mut stdout = child.stdout.take().expect("stdout");
    // A WAV header, then the first sentence's samples: all while the server holds the rest.
    let mut audio = vec![0; 44 + 4800];
    stdout.read_exact(&mut audio).expect("audio before the end");
    assert!(
        audio[44..].iter().any(|&b| b != 0),
        "the first audio is sound"
    );
    server.open_gate();
    stdout.read_to_end(&mut audio).expect("the rest");
    let output = child.wait_with_output().expect("wait");
    assert!(output.status.success(), "{output:?}");
    assert!(
        !*server.gate_timed_out.lock().expect("lock"),
        "audio came only after the whole answer"
    );
    // Audio on stdout: the answer is printed on stderr, exactly as streamed.
    let printed = String::from_utf8(output.stderr).expect("UTF-8");
    assert_eq!(printed, format!("{}\n", TOKENS.concat()));
    let requests = server.requests();
    assert_eq!(requests.len(), 1);
    assert_eq!(requests[0]["stream"], true);
    assert_eq!(requests[0]["stream_options"]["include_usage"], true);
    assert_eq!(requests[0]["model"], "qwen3.5-flash");
    assert_eq!(
        requests[0]["messages"],
        serde_json::json!([{"role": "user", "content": "Say hello"}])
    );
    assert_eq!(
        server.auth.lock().expect("lock").as_slice(),
        ["Bearer sk-test-secret-1234"]
    );
}

#[test]
fn the_spoken_text_is_the_answer_without_markdown_and_code() {
    let home = tempfile::tempdir().expect("tempdir");
    let server = ChatServer::start(vec![Reply::Stream(answer_script(false))]);
    let wav = home.path().join("a.wav");
    let output = chat(
        home.path(),
        &server,
        &[
            "--echo",
            "--show-thinking",
            "--system",
            "Be brief.",
            "--llm-model",
            "m1",
            "-o",
        ],
    )
    .arg(&wav)
    .arg("Say hello")
    .output()
    .expect("run");
    assert!(output.status.success(), "{output:?}");
    let printed = String::from_utf8(output.stdout).expect("UTF-8");
    // The thinking is printed (not dimmed: stdout is not a terminal), then the answer.
    assert_eq!(
        printed,
        format!("The user greets me.\n{}\n", TOKENS.concat())
    );
    let spoken: Vec<String> = String::from_utf8(output.stderr)
        .expect("UTF-8")
        .lines()
        .map(str::to_owned)
        .collect();
    assert_eq!(
        spoken.join(" "),
        "Hello there. Second sentence with code. Code block omitted. See the docs for more."
    );
    assert!(wav_seconds(&wav).1 > 1.0);
    let requests = server.requests();
    assert_eq!(requests[0]["model"], "m1");
    assert_eq!(
        requests[0]["messages"],
        serde_json::json!([
            {"role": "system", "content": "Be brief."},
            {"role": "user", "content": "Say hello"}
        ])
    );
}

#[test]
fn timing_reports_tokens_and_first_delays() {
    let home = tempfile::tempdir().expect("tempdir");
    let server = ChatServer::start(vec![Reply::Stream(answer_script(false))]);
    // Played on the real ALSA device, captured: the first audio is the device's.
    let capture = Capture::new();
    let mut command = chat(home.path(), &server, &["--timing"]);
    capture.apply(&mut command);
    let output = command.arg("hi").output().expect("run");
    assert!(output.status.success(), "{output:?}");
    let stderr = String::from_utf8(output.stderr).expect("UTF-8");
    let line = stderr
        .lines()
        .find(|l| l.starts_with("tts: chat timing:"))
        .expect("a chat timing line");
    assert!(line.contains("tokens in 12, out 34"), "{line}");
    assert!(line.contains("first token"), "{line}");
    assert!(line.contains("first audio"), "{line}");
    let (_, samples) = capture.read();
    assert!(!non_silent(&samples).is_empty(), "the answer was played");
}

#[test]
fn refusals_are_one_line_with_the_providers_message() {
    let home = tempfile::tempdir().expect("tempdir");
    let run = |reply: Reply, args: &[&str]| {
        let server = ChatServer::start(vec![reply]);
        let output = chat(home.path(), &server, args)
            .arg("-o")
            .arg(home.path().join("e.wav"))
            .arg("hi")
            .output()
            .expect("run");
        let stderr = String::from_utf8(output.stderr).expect("UTF-8");
        assert_eq!(stderr.lines().count(), 1, "{stderr}");
        assert!(!stderr.contains("sk-test-secret-1234"), "{stderr}");
        (output.status.code(), stderr)
    };
    let (code, stderr) = run(
        Reply::Error(
            401,
            r#"{"error":{"message":"Incorrect API key provided.","type":"invalid_request_error","code":"invalid_api_key"}}"#,
        ),
        &[],
    );
    assert_eq!(code, Some(3));
    assert!(stderr.contains("--llm-key"), "{stderr}");
    assert!(stderr.contains("Incorrect API key provided."), "{stderr}");
    let (code, stderr) = run(
        Reply::Error(
            404,
            r#"{"error":{"message":"The model `nope` does not exist","code":"model_not_found"}}"#,
        ),
        &["--llm-model", "nope"],
    );
    assert_eq!(code, Some(3));
    assert!(stderr.contains("model nope"), "{stderr}");
    assert!(stderr.contains("does not exist"), "{stderr}");
    // A stream with nothing in it.
    let (code, stderr) = run(Reply::Stream(done()), &[]);
    assert_eq!(code, Some(3));
    assert!(stderr.contains("empty answer"), "{stderr}");
}

#[test]
fn a_rate_limit_is_retried() {
    let home = tempfile::tempdir().expect("tempdir");
    let mut steps = vec![token("Fine, thanks.")];
    steps.extend(done());
    let server = ChatServer::start(vec![
        Reply::Error(
            429,
            r#"{"error":{"message":"Rate limit reached","code":"rate_limit"}}"#,
        ),
        Reply::Stream(steps),
    ]);
    let wav = home.path().join("a.wav");
    let output = chat(home.path(), &server, &["-o"])
        .arg(&wav)
        .arg("hi")
        .output()
        .expect("run");
    assert!(output.status.success(), "{output:?}");
    assert_eq!(output.stdout, b"Fine, thanks.\n");
    assert_eq!(server.requests().len(), 2);
}

#[test]
fn a_stalled_stream_ends_with_one_line_and_the_spoken_part_kept() {
    let home = tempfile::tempdir().expect("tempdir");
    let server = ChatServer::start(vec![Reply::Stream(vec![
        token("This part is spoken. "),
        token("And this"),
        Step::Sleep(Duration::from_secs(5)),
    ])]);
    let wav = home.path().join("a.wav");
    let output = chat(home.path(), &server, &["--stall-timeout", "0.5", "-o"])
        .arg(&wav)
        .arg("hi")
        .output()
        .expect("run");
    assert_eq!(output.status.code(), Some(4), "{output:?}");
    let stderr = String::from_utf8(output.stderr).expect("UTF-8");
    assert_eq!(stderr.lines().count(), 1, "{stderr}");
    assert!(stderr.contains("stalled"), "{stderr}");
    assert_eq!(output.stdout, b"This part is spoken. And this\n");
    assert!(wav_seconds(&wav).1 > 0.5);
}

#[test]
fn ctrl_c_mid_answer_exits_130_with_a_valid_file() {
    let home = tempfile::tempdir().expect("tempdir");
    let server = ChatServer::start(vec![Reply::Stream(answer_script(true))]);
    let wav = home.path().join("a.wav");
    let mut child = chat(home.path(), &server, &["-o"])
        .arg(&wav)
        .arg("hi")
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("spawn");
    let mut stdout = BufReader::new(child.stdout.take().expect("stdout"));
    let mut first = vec![0; "Hello **there**. Second".len()];
    stdout.read_exact(&mut first).expect("the first tokens");
    // The first sentence is being spoken while the server holds the rest.
    thread::sleep(Duration::from_millis(700));
    interrupt(&child);
    let status = child.wait().expect("wait");
    assert_eq!(status.code(), Some(130));
    let (_, seconds) = wav_seconds(&wav);
    assert!(seconds > 0.0, "the file keeps what was spoken");
    server.open_gate();
}

#[test]
fn a_conversation_on_a_terminal_sends_the_history_with_each_turn() {
    let home = tempfile::tempdir().expect("tempdir");
    let answer = |text: &str| {
        let mut steps = vec![token(text)];
        steps.extend(done());
        Reply::Stream(steps)
    };
    let server = ChatServer::start(vec![
        answer("Paris is the capital."),
        answer("About two million people."),
    ]);
    let mut command = chat(home.path(), &server, &["-o"]);
    command.arg(home.path().join("a.wav"));
    let program = command.get_program().to_owned();
    let args: Vec<_> = command.get_args().map(ToOwned::to_owned).collect();
    let script = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/chat/converse.py");
    let mut python = Command::new("python3");
    python.arg(script).arg(program).args(args);
    for (key, value) in command.get_envs() {
        match value {
            Some(value) => python.env(key, value),
            None => python.env_remove(key),
        };
    }
    let mut child = python
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .spawn()
        .expect("python3");
    child
        .stdin
        .take()
        .expect("stdin")
        .write_all(b"What is the capital of France?\nHow many live there?\n")
        .expect("turns");
    let output = child.wait_with_output().expect("wait");
    let screen = String::from_utf8_lossy(&output.stdout);
    assert!(output.status.success(), "{screen}");
    assert!(screen.contains("Paris is the capital."), "{screen}");
    assert!(screen.contains("About two million people."), "{screen}");
    let requests = server.requests();
    assert_eq!(requests.len(), 2, "{screen}");
    assert_eq!(
        requests[1]["messages"],
        serde_json::json!([
            {"role": "user", "content": "What is the capital of France?"},
            {"role": "assistant", "content": "Paris is the capital."},
            {"role": "user", "content": "How many live there?"}
        ])
    );
}

#[test]
fn the_model_and_endpoint_come_from_the_config_file_and_profiles() {
    let home = tempfile::tempdir().expect("tempdir");
    let reply = || {
        let mut steps = vec![token("Yes.")];
        steps.extend(done());
        Reply::Stream(steps)
    };
    let server = ChatServer::start(vec![reply(), reply()]);
    let config = home.path().join(".config/tts");
    std::fs::create_dir_all(&config).expect("mkdir");
    std::fs::write(
        config.join("config.toml"),
        format!(
            "[chat]\nllm_model = \"from-file\"\nllm_endpoint = \"{}\"\nsystem = \"Be brief.\"\n\n[profile.big.chat]\nllm_model = \"from-profile\"\n",
            server.endpoint()
        ),
    )
    .expect("config");
    for profile in [None, Some("big")] {
        let mut command = tts(home.path());
        command
            .args(["chat", "-q", "-e", "local", "--llm-key", "k", "-o"])
            .arg(home.path().join("a.wav"));
        if let Some(profile) = profile {
            command.args(["-p", profile]);
        }
        let output = command.arg("hi").output().expect("run");
        assert!(output.status.success(), "{output:?}");
    }
    let requests = server.requests();
    assert_eq!(requests[0]["model"], "from-file");
    assert_eq!(requests[1]["model"], "from-profile");
    assert_eq!(requests[1]["messages"][0]["content"], "Be brief.");
}
