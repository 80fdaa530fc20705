//! Custom voices end to end: `tts voice` and `tts token` against `tts serve` (clone through the
//! upload flow, design with a preview, list, show, delete, update, persistence, tokens), the
//! local checks of bad samples (nothing sent), service errors as one line with their code,
//! and the official SDK's clients against the server.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use serde_json::Value;

use crate::common::{ServeProcess, ffmpeg_decode, tts};

const KEY: &str = "sk-voices";

/// A voiced sound at `f0` Hz with a syllable rhythm; silent where `quiet` says.
fn voice(rate: u32, seconds: f64, f0: f64, quiet: &[(f64, f64)]) -> Vec<f32> {
    let n = (f64::from(rate) * seconds) as usize;
    (0..n)
        .map(|i| {
            let t = i as f64 / f64::from(rate);
            if quiet.iter().any(|(a, b)| (*a..*b).contains(&t)) {
                return 0.0;
            }
            let envelope = 0.6 + 0.4 * (t * 4.0 * std::f64::consts::TAU).sin();
            let tone: f64 = (1..=4)
                .map(|h| (t * f0 * f64::from(h) * std::f64::consts::TAU).sin() / f64::from(h))
                .sum();
            (0.2 * envelope * tone) as f32
        })
        .collect()
}

/// Write `channels` (each a list of samples) as a WAV of `bits` (16, 24 or 32 for float).
fn wav(path: &Path, rate: u32, bits: u16, channels: &[Vec<f32>]) {
    let spec = hound::WavSpec {
        channels: channels.len() as u16,
        sample_rate: rate,
        bits_per_sample: bits,
        sample_format: if bits == 32 {
            hound::SampleFormat::Float
        } else {
            hound::SampleFormat::Int
        },
    };
    let mut writer = hound::WavWriter::create(path, spec).expect("create wav");
    for i in 0..channels[0].len() {
        for channel in channels {
            let s = channel[i];
            match bits {
                32 => writer.write_sample(s).expect("sample"),
                24 => writer
                    .write_sample((s * 8_388_607.0) as i32)
                    .expect("sample"),
                _ => writer.write_sample((s * 32_767.0) as i16).expect("sample"),
            }
        }
    }
    writer.finalize().expect("finalize");
}

fn good_sample(dir: &Path, name: &str, f0: f64) -> PathBuf {
    let path = dir.join(name);
    wav(&path, 24_000, 16, &[voice(24_000, 12.0, f0, &[])]);
    path
}

fn voice_cmd(server: &ServeProcess, key: &str, args: &[&str]) -> Output {
    tts(server.home.path())
        .env("DASHSCOPE_API_KEY", key)
        .arg("voice")
        .args(args)
        .args(["--endpoint", &server.http])
        .output()
        .expect("tts voice runs")
}

fn stdout(output: &Output) -> String {
    String::from_utf8_lossy(&output.stdout).into_owned()
}

fn stderr(output: &Output) -> String {
    String::from_utf8_lossy(&output.stderr).into_owned()
}

fn ok(output: &Output, what: &str) -> String {
    assert!(
        output.status.success(),
        "{what}: {}{}",
        stdout(output),
        stderr(output)
    );
    stdout(output)
}

/// Median pitch of an audio file's speech (decoded by ffmpeg).
fn pitch_of(path: &Path) -> f32 {
    let (rate, samples) = ffmpeg_decode(path);
    let samples: Vec<f32> = samples.iter().map(|s| f32::from(*s) / 32_768.0).collect();
    assert!(samples.iter().any(|s| s.abs() > 0.05), "there is sound");
    tts::voice::sample::pitch(&samples, rate).expect("a pitch")
}

#[test]
fn clone_design_list_show_say_and_delete_against_tts_serve() {
    let server = ServeProcess::start(&[]);
    let home = server.home.path();
    let sample = good_sample(home, "me.wav", 120.0);

    // Clone through the upload flow.
    let out = ok(
        &voice_cmd(
            &server,
            KEY,
            &["clone", sample.to_str().expect("utf-8"), "--name", "mine"],
        ),
        "clone",
    );
    let clone_id = out.lines().next().expect("an id").to_owned();
    assert!(clone_id.starts_with("cosyvoice-v3-plus-mine-"), "{out}");
    assert!(
        out.contains(&format!("tts say -m cosyvoice-v3-plus -v {clone_id} ")),
        "{out}"
    );
    assert_eq!(server.count("upload received"), 1, "{}", server.log());

    // Design, with the preview written to a file.
    let preview = home.join("preview.wav");
    let out = ok(
        &voice_cmd(
            &server,
            KEY,
            &[
                "design",
                "A lively young girl with a bright, high voice",
                "--name",
                "girl",
                "-o",
                preview.to_str().expect("utf-8"),
            ],
        ),
        "design",
    );
    let design_id = out.lines().next().expect("an id").to_owned();
    assert!(design_id.starts_with("cosyvoice-v3-plus-vd-girl-"), "{out}");
    let reader = hound::WavReader::open(&preview).expect("the preview is a WAV");
    assert_eq!(reader.spec().sample_rate, 24_000);
    assert!(reader.duration() > 24_000, "over a second of preview");

    // A Qwen clone goes inline: no upload.
    let out = ok(
        &voice_cmd(
            &server,
            KEY,
            &[
                "clone",
                sample.to_str().expect("utf-8"),
                "--name",
                "my_qwen",
                "-m",
                "qwen3-tts-vc-realtime-2026-01-15",
                "--json",
            ],
        ),
        "qwen clone",
    );
    let json: Value = serde_json::from_str(&out).expect("json");
    let qwen_id = json["voice"].as_str().expect("voice").to_owned();
    assert!(qwen_id.starts_with("qwen-tts-vc-my_qwen-voice-"), "{out}");
    assert_eq!(server.count("upload received"), 1);

    // Both families listed together with target models and status.
    let list = ok(&voice_cmd(&server, KEY, &["list"]), "list");
    for (id, model) in [
        (&clone_id, "cosyvoice-v3-plus"),
        (&design_id, "cosyvoice-v3-plus"),
        (&qwen_id, "qwen3-tts-vc-realtime-2026-01-15"),
    ] {
        let line = list
            .lines()
            .find(|l| l.starts_with(id.as_str()))
            .unwrap_or_else(|| panic!("{id} listed: {list}"));
        assert!(line.contains(model), "{line}");
    }
    assert!(
        list.lines().filter(|l| l.contains(" OK ")).count() >= 2,
        "{list}"
    );
    let json: Value = serde_json::from_str(&ok(
        &voice_cmd(
            &server,
            KEY,
            &["list", "-m", "qwen3-tts-vc-realtime-2026-01-15", "--json"],
        ),
        "list --json",
    ))
    .expect("json");
    assert_eq!(json.as_array().map(Vec::len), Some(1), "{json}");

    let show = ok(&voice_cmd(&server, KEY, &["show", &design_id]), "show");
    assert!(show.contains("status:") && show.contains("OK"), "{show}");
    assert!(show.contains("A lively young girl"), "{show}");

    // Speak with each new voice; the designed girl is higher than the 120 Hz clone.
    let mut pitches = Vec::new();
    for id in [&clone_id, &design_id] {
        let file = server.path(&format!("{id}.wav"));
        let said = server.say(
            KEY,
            &[
                "-m",
                "cosyvoice-v3-plus",
                "-v",
                id,
                "-o",
                &file,
                "Hello there, how are you today?",
            ],
        );
        ok(&said, "say");
        pitches.push(pitch_of(Path::new(&file)));
    }
    assert!(pitches[1] > pitches[0] * 1.3, "{pitches:?}");
    assert!(
        (90.0..170.0).contains(&pitches[0]),
        "the clone is low: {pitches:?}"
    );

    // The wrong model is refused before connecting, naming the right one.
    let before = server.count("connection opened");
    let said = server.say(
        KEY,
        &[
            "-m",
            "cosyvoice-v3-flash",
            "-v",
            &clone_id,
            "-o",
            &server.path("x.wav"),
            "Hi",
        ],
    );
    assert_eq!(said.status.code(), Some(2), "{}", stderr(&said));
    assert!(
        stderr(&said).contains("add -m cosyvoice-v3-plus"),
        "{}",
        stderr(&said)
    );
    let said = server.say(
        KEY,
        &[
            "-m",
            "cosyvoice-v3-flash",
            "-v",
            &qwen_id,
            "-o",
            &server.path("x.wav"),
            "Hi",
        ],
    );
    assert_eq!(said.status.code(), Some(2));
    assert!(
        stderr(&said).contains("tts voice show"),
        "{}",
        stderr(&said)
    );
    assert_eq!(
        server.count("connection opened"),
        before,
        "no connection was made"
    );

    // Update a CosyVoice clone, then delete voices (no question: not a terminal).
    let higher = good_sample(home, "higher.wav", 230.0);
    ok(
        &voice_cmd(
            &server,
            KEY,
            &["update", &clone_id, higher.to_str().expect("utf-8")],
        ),
        "update",
    );
    assert_eq!(server.count("upload received"), 2);
    for id in [&clone_id, &qwen_id] {
        let out = ok(&voice_cmd(&server, KEY, &["delete", id]), "delete");
        assert_eq!(out, format!("deleted {id}\n"));
    }
    let list = ok(&voice_cmd(&server, KEY, &["list"]), "list");
    assert!(
        !list.contains(&clone_id) && !list.contains(&qwen_id) && list.contains(&design_id),
        "{list}"
    );
}

#[test]
fn voices_persist_across_restarts_and_tokens_work_where_keys_do() {
    let state = tempfile::tempdir().expect("tempdir");
    let dir = state.path().to_str().expect("utf-8");
    let id = {
        let server = ServeProcess::start(&["--state-dir", dir, "--api-key", KEY]);
        let sample = good_sample(server.home.path(), "me.wav", 120.0);
        let out = ok(
            &voice_cmd(
                &server,
                KEY,
                &["clone", sample.to_str().expect("utf-8"), "--name", "kept"],
            ),
            "clone",
        );
        out.lines().next().expect("id").to_owned()
    };
    let server = ServeProcess::start(&["--state-dir", dir, "--api-key", KEY]);
    let show = ok(
        &voice_cmd(&server, KEY, &["show", &id]),
        "show after a restart",
    );
    assert!(show.contains(&id) && show.contains("OK"), "{show}");

    // A token from tts token works as the key for tts voice and tts say; a wrong key does not.
    let token = tts(server.home.path())
        .env("DASHSCOPE_API_KEY", KEY)
        .args(["token", "--ttl", "120", "--endpoint", &server.http])
        .output()
        .expect("tts token runs");
    let token = ok(&token, "token").trim().to_owned();
    assert!(token.starts_with("st-"), "{token}");
    ok(&voice_cmd(&server, &token, &["list"]), "list with a token");
    let file = server.path("t.wav");
    ok(
        &server.say(
            &token,
            &[
                "-m",
                "cosyvoice-v3-plus",
                "-v",
                &id,
                "-o",
                &file,
                "Spoken with a token.",
            ],
        ),
        "say with a token",
    );
    let refused = voice_cmd(&server, "sk-wrong", &["list"]);
    assert_eq!(refused.status.code(), Some(3));
    let err = stderr(&refused);
    assert_eq!(err.lines().count(), 1, "{err}");
    assert!(err.contains("InvalidApiKey") && !err.contains(KEY), "{err}");
    let bad_ttl = tts(server.home.path())
        .env("DASHSCOPE_API_KEY", KEY)
        .args(["token", "--ttl", "0", "--endpoint", &server.http])
        .output()
        .expect("runs");
    assert_eq!(bad_ttl.status.code(), Some(2));
}

#[test]
fn bad_samples_are_refused_locally_with_exit_2_and_nothing_is_sent() {
    let server = ServeProcess::start(&[]);
    let dir = server.home.path();
    let path = |name: &str| dir.join(name);
    let r = 24_000;
    wav(&path("short.wav"), r, 16, &[voice(r, 3.0, 120.0, &[])]);
    wav(&path("long.wav"), r, 16, &[voice(r, 65.0, 120.0, &[])]);
    wav(&path("8k.wav"), 8000, 16, &[voice(8000, 12.0, 120.0, &[])]);
    wav(
        &path("16k.wav"),
        16_000,
        16,
        &[voice(16_000, 12.0, 120.0, &[])],
    );
    wav(&path("silent.wav"), r, 16, &[vec![0.0; 12 * r as usize]]);
    wav(
        &path("pause.wav"),
        r,
        16,
        &[voice(r, 14.0, 120.0, &[(4.0, 7.0)])],
    );
    let bursts: Vec<(f64, f64)> = (0..10)
        .map(|i| (f64::from(i) * 2.5 + 1.5, f64::from(i) * 2.5 + 2.5))
        .collect();
    wav(
        &path("choppy.wav"),
        r,
        16,
        &[voice(r, 15.0, 120.0, &bursts)],
    );
    wav(
        &path("stereo.wav"),
        r,
        16,
        &[vec![0.0; 12 * r as usize], voice(r, 12.0, 120.0, &[])],
    );
    wav(&path("24bit.wav"), r, 24, &[voice(r, 12.0, 120.0, &[])]);
    wav(&path("float.wav"), r, 32, &[voice(r, 12.0, 120.0, &[])]);
    std::fs::write(path("text.wav"), "this is not audio, just a note\n").expect("write");
    std::fs::write(path("empty.mp3"), "").expect("write");
    let mut big = std::fs::read(path("long.wav")).expect("read");
    big.resize(11 * 1024 * 1024, 0);
    std::fs::write(path("big.wav"), big).expect("write");
    let good = good_sample(dir, "good.wav", 120.0);
    let good = good.to_str().expect("utf-8");

    let p = |name: &str| path(name).to_str().expect("utf-8").to_owned();
    let cases: Vec<(Vec<String>, &str)> = vec![
        (vec![p("short.wav")], "is 3.0 s long; it needs at least 5 s"),
        (
            vec![p("long.wav")],
            "is 65.0 s long; the service takes 60 s at most",
        ),
        (
            vec![p("8k.wav")],
            "recorded at 8000 Hz; this model needs at least 16000 Hz",
        ),
        (vec![p("silent.wav")], "is silent"),
        (
            vec![p("pause.wav")],
            "has a pause of 3.0 s from 0:04.0 to 0:07.0",
        ),
        (
            vec![p("choppy.wav")],
            "longest stretch of continuous speech",
        ),
        (vec![p("stereo.wav")], "first channel of the sample"),
        (
            vec![p("24bit.wav")],
            "is a 24-bit WAV; the service takes 16-bit WAV",
        ),
        (vec![p("float.wav")], "is a 32-bit float WAV"),
        (
            vec![p("text.wav")],
            "is not WAV, MP3 or M4A audio (by its content: text)",
        ),
        (vec![p("empty.mp3")], "(by its content: an empty file)"),
        (
            vec![p("big.wav")],
            "is 11.0 MB; the service takes 10 MB at most",
        ),
        (vec![p("missing.wav")], "cannot read the sample"),
        (
            vec![
                p("16k.wav"),
                "-m".into(),
                "qwen3-tts-vc-realtime-2026-01-15".into(),
            ],
            "this model needs at least 24000 Hz",
        ),
        (
            vec![good.into(), "--name".into(), "My-Voice".into()],
            "1 to 10 lowercase letters and digits",
        ),
        (
            vec![good.into(), "-m".into(), "cosyvoice-v1".into()],
            "-m cosyvoice-v1 takes no cloned voices",
        ),
        (
            vec![good.into(), "--text".into(), "hello".into()],
            "--text (a transcript) is for Qwen models",
        ),
        (
            vec![good.into(), "--language".into(), "xx".into()],
            "--language xx is not offered",
        ),
    ];
    assert!(cases.len() >= 12);
    for (args, message) in &cases {
        let mut full = vec!["clone".to_owned()];
        full.extend(args.iter().cloned());
        if !args.iter().any(|a| a == "--name") {
            full.extend(["--name".to_owned(), "bad".to_owned()]);
        }
        let refs: Vec<&str> = full.iter().map(String::as_str).collect();
        let out = voice_cmd(&server, KEY, &refs);
        let err = stderr(&out);
        assert_eq!(out.status.code(), Some(2), "{args:?}: {err}");
        assert!(err.contains(message), "{args:?}: {err}");
        assert_eq!(err.lines().count(), 1, "{args:?}: one line: {err}");
    }
    // The international region keeps no uploads: said before anything is sent.
    let out = tts(dir)
        .env("DASHSCOPE_API_KEY", KEY)
        .args(["voice", "clone", good, "--name", "ok", "--region", "intl"])
        .output()
        .expect("runs");
    assert_eq!(out.status.code(), Some(2));
    assert!(stderr(&out).contains("Beijing"), "{}", stderr(&out));
    // Designs: language and length.
    for (description, message) in [
        ("Тёплый мужской голос", "must be in Chinese or English"),
        (
            &"a calm voice ".repeat(40)[..],
            "characters; cosyvoice-v3-plus takes 500 at most",
        ),
    ] {
        let out = voice_cmd(
            &server,
            KEY,
            &["design", description, "--name", "d", "-o", &p("d.wav")],
        );
        assert_eq!(out.status.code(), Some(2), "{}", stderr(&out));
        assert!(stderr(&out).contains(message), "{}", stderr(&out));
    }
    assert_eq!(server.count("upload received"), 0, "{}", server.log());
    assert_eq!(server.count("voice created"), 0, "{}", server.log());
    assert_eq!(server.count("upload policy"), 0);
}

#[test]
fn service_errors_reach_the_user_as_one_line_with_the_code() {
    let server = ServeProcess::start(&["--voice-quota", "1"]);
    let check = |out: &Output, code: &str| {
        let err = stderr(out);
        assert_eq!(out.status.code(), Some(3), "{err}");
        assert_eq!(err.lines().count(), 1, "{err}");
        assert!(
            err.starts_with("tts: the service refused: ") && err.contains(code),
            "{err}"
        );
    };
    check(
        &voice_cmd(&server, KEY, &["show", "cosyvoice-v3-plus-nobody-00000000"]),
        "BadRequest.VoiceNotFound",
    );
    check(
        &voice_cmd(
            &server,
            KEY,
            &["delete", "qwen-tts-vd-nobody-voice-1-ab12", "--yes"],
        ),
        "BadRequest.VoiceNotFound",
    );
    let sample = good_sample(server.home.path(), "me.wav", 120.0);
    let sample = sample.to_str().expect("utf-8");
    ok(
        &voice_cmd(&server, KEY, &["clone", sample, "--name", "one"]),
        "first clone",
    );
    check(
        &voice_cmd(&server, KEY, &["clone", sample, "--name", "two"]),
        "Throttling.AllocationQuota",
    );

    // A prefix the service refuses for its own reasons: a scripted server answers.
    let body = r#"{"request_id":"r-1","code":"BadRequest.InvalidPrefix","message":"The prefix 'admin' is reserved."}"#;
    let (addr, fake) = scripted(vec![(400, body.to_owned())]);
    let out = tts(server.home.path())
        .env("DASHSCOPE_API_KEY", KEY)
        .args([
            "voice",
            "design",
            "A calm male voice",
            "--name",
            "admin",
            "-m",
            "qwen3-tts-vd-realtime-2026-01-15",
            "-o",
            &server.path("p.wav"),
            "--endpoint",
            &format!("http://{addr}"),
        ])
        .output()
        .expect("runs");
    check(
        &out,
        "BadRequest.InvalidPrefix: The prefix 'admin' is reserved.",
    );
    let requests = fake.join().expect("fake server");
    assert!(
        requests[0].starts_with("POST /api/v1/services/audio/tts/customization"),
        "{requests:?}"
    );
    assert!(!stderr(&out).contains(KEY));
}

fn sdk_voices(server: &ServeProcess, args: &[&str]) -> Value {
    let script = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/sdk/voices.py");
    let output = Command::new(crate::sdk::python("2.0.2"))
        .arg(script)
        .args(args)
        .env("DASHSCOPE_HTTP_BASE_URL", &server.http)
        .env("DASHSCOPE_WEBSOCKET_BASE_URL", &server.url)
        .env_remove("DASHSCOPE_API_KEY")
        .output()
        .expect("python runs");
    assert!(output.status.success(), "{args:?}: {}", stderr(&output));
    let out = stdout(&output);
    serde_json::from_str(out.lines().last().unwrap_or_default())
        .unwrap_or_else(|e| panic!("{e}: {out}"))
}

#[test]
fn the_official_sdk_enrolls_queries_updates_deletes_and_speaks_with_a_voice() {
    let server = ServeProcess::start(&[]);
    let sample = good_sample(server.home.path(), "sdk.wav", 120.0);
    let out = server.home.path().to_str().expect("utf-8");
    let report = sdk_voices(&server, &["enroll", sample.to_str().expect("utf-8"), out]);
    let id = report["voice_id"].as_str().expect("voice_id");
    assert!(
        report["url"].as_str().expect("url").starts_with("oss://"),
        "{report}"
    );
    assert!(id.starts_with("cosyvoice-v3-plus-sdkvoice-"), "{report}");
    assert_eq!(
        report["statuses"],
        serde_json::json!(["DEPLOYING", "OK"]),
        "{report}"
    );
    assert_eq!(report["listed"], serde_json::json!([id]));
    assert_eq!(report["query_target"], "cosyvoice-v3-plus");
    assert_eq!(
        report["after_update"],
        serde_json::json!(["DEPLOYING", "OK"]),
        "{report}"
    );
    assert_eq!(report["after_delete"], "BadRequest.VoiceNotFound");
    assert_eq!(report["listed_after_delete"], serde_json::json!([]));
    assert_eq!(server.count("upload received"), 2);
    let pitch = pitch_of(&server.home.path().join("sdk_clone.wav"));
    assert!((90.0..170.0).contains(&pitch), "{pitch}");

    let report = sdk_voices(&server, &["design", out]);
    let voice = report["voice"].as_str().expect("voice");
    assert!(
        voice.starts_with("qwen-tts-vd-sdk_design-voice-"),
        "{report}"
    );
    assert_eq!(report["listed"], serde_json::json!([voice]));
    assert_eq!(report["get_target"], "qwen3-tts-vd-realtime-2026-01-15");
    assert_eq!(report["listed_after_delete"], serde_json::json!([]));
    let preview =
        hound::WavReader::open(server.home.path().join("sdk_preview.wav")).expect("a WAV");
    assert_eq!(preview.spec().sample_rate, 24_000);
    assert!(preview.duration() > 12_000);
}

#[test]
fn mp3_m4a_and_stereo_samples_are_accepted_with_notes() {
    let server = ServeProcess::start(&[]);
    let dir = server.home.path();
    let good = good_sample(dir, "good.wav", 120.0);
    let mut samples = Vec::new();
    for (name, codec) in [("good.mp3", "libmp3lame"), ("good.m4a", "aac")] {
        let made = Command::new("ffmpeg")
            .args(["-nostdin", "-v", "error", "-y", "-i"])
            .arg(&good)
            .args(["-c:a", codec])
            .arg(dir.join(name))
            .status()
            .expect("ffmpeg runs");
        assert!(made.success(), "{name}");
        samples.push((dir.join(name), None));
    }
    // Named .wav but MP3 inside: told by content, not by name.
    std::fs::copy(dir.join("good.mp3"), dir.join("really-mp3.wav")).expect("copy");
    samples.push((dir.join("really-mp3.wav"), None));
    let r = 24_000;
    wav(
        &dir.join("stereo.wav"),
        r,
        16,
        &[voice(r, 12.0, 120.0, &[]), voice(r, 12.0, 120.0, &[])],
    );
    samples.push((
        dir.join("stereo.wav"),
        Some("has 2 channels; the service uses only the first"),
    ));
    wav(&dir.join("eight.wav"), r, 16, &[voice(r, 8.0, 120.0, &[])]);
    samples.push((
        dir.join("eight.wav"),
        Some("is 8.0 s long; 10 to 20 s of speech clones best"),
    ));
    for (i, (path, note)) in samples.iter().enumerate() {
        let name = format!("ok{i}");
        let out = voice_cmd(
            &server,
            KEY,
            &["clone", path.to_str().expect("utf-8"), "--name", &name],
        );
        ok(&out, &path.display().to_string());
        if let Some(note) = note {
            assert!(stderr(&out).contains(note), "{}", stderr(&out));
        }
    }
    assert_eq!(server.count("voice created"), samples.len());
}

/// A scripted HTTP server: each connection gets the next (status, JSON body), then is closed;
/// the requests' heads come back from the thread.
fn scripted(
    answers: Vec<(u16, String)>,
) -> (std::net::SocketAddr, std::thread::JoinHandle<Vec<String>>) {
    use std::io::{Read, Write};
    let listener = std::net::TcpListener::bind("127.0.0.1:0").expect("bind");
    let addr = listener.local_addr().expect("addr");
    let thread = std::thread::spawn(move || {
        let mut requests = Vec::new();
        for (status, body) in answers {
            let (mut stream, _) = listener.accept().expect("accept");
            let mut request = Vec::new();
            let mut buf = [0; 4096];
            while !request.windows(4).any(|w| w == b"\r\n\r\n") {
                let n = stream.read(&mut buf).expect("read");
                if n == 0 {
                    break;
                }
                request.extend_from_slice(&buf[..n]);
            }
            write!(
                stream,
                "HTTP/1.1 {status} X\r\nContent-Type: application/json\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
                body.len()
            )
            .expect("write");
            requests.push(String::from_utf8_lossy(&request).into_owned());
        }
        requests
    });
    (addr, thread)
}

#[test]
fn busy_answers_are_retried_and_an_undeployed_voice_is_a_failure() {
    let home = tempfile::tempdir().expect("tempdir");
    let busy = r#"{"code":"ServiceUnavailable","message":"busy"}"#.to_owned();
    let (addr, fake) = scripted(vec![
        (503, busy.clone()),
        (
            429,
            r#"{"code":"Throttling.RateQuota","message":"slow down"}"#.to_owned(),
        ),
        (
            200,
            r#"{"token":"st-after-retries","expires_at":1}"#.to_owned(),
        ),
    ]);
    let out = tts(home.path())
        .env("DASHSCOPE_API_KEY", KEY)
        .args(["token", "--endpoint", &format!("http://{addr}")])
        .output()
        .expect("runs");
    assert_eq!(ok(&out, "token"), "st-after-retries\n");
    let requests = fake.join().expect("fake");
    assert_eq!(requests.len(), 3);
    assert!(
        requests
            .iter()
            .all(|r| r.starts_with("POST /api/v1/tokens?expire_in_seconds=60 ")),
        "{requests:?}"
    );

    // Four busy answers: the last one is reported.
    let (addr, fake) = scripted(vec![(503, busy); 4]);
    let out = tts(home.path())
        .env("DASHSCOPE_API_KEY", KEY)
        .args(["voice", "list", "--endpoint", &format!("http://{addr}")])
        .output()
        .expect("runs");
    assert_eq!(out.status.code(), Some(3));
    assert!(
        stderr(&out).contains("ServiceUnavailable: busy (HTTP 503"),
        "{}",
        stderr(&out)
    );
    assert_eq!(fake.join().expect("fake").len(), 4);

    // Nothing listening: a network error, exit 4.
    let closed = std::net::TcpListener::bind("127.0.0.1:0").expect("bind");
    let port = closed.local_addr().expect("addr").port();
    drop(closed);
    let out = tts(home.path())
        .env("DASHSCOPE_API_KEY", KEY)
        .args([
            "voice",
            "list",
            "--endpoint",
            &format!("http://127.0.0.1:{port}"),
        ])
        .output()
        .expect("runs");
    assert_eq!(out.status.code(), Some(4), "{}", stderr(&out));
    assert!(
        stderr(&out).starts_with("tts: cannot reach http://127.0.0.1:"),
        "{}",
        stderr(&out)
    );

    // The service accepts the recording, then gives up on it.
    let (addr, fake) = scripted(vec![
        (
            200,
            r#"{"output":{"voice_id":"cosyvoice-v3-plus-late-00000000"},"usage":{"count":1}}"#
                .to_owned(),
        ),
        (
            200,
            r#"{"output":{"voice_id":"cosyvoice-v3-plus-late-00000000","status":"DEPLOYING"}}"#
                .to_owned(),
        ),
        (
            200,
            r#"{"output":{"voice_id":"cosyvoice-v3-plus-late-00000000","status":"UNDEPLOYED"}}"#
                .to_owned(),
        ),
    ]);
    let out = tts(home.path())
        .env("DASHSCOPE_API_KEY", KEY)
        .args([
            "voice",
            "clone",
            "--url",
            "https://example.com/me.wav",
            "--name",
            "late",
            "--endpoint",
            &format!("http://{addr}"),
        ])
        .output()
        .expect("runs");
    assert_eq!(out.status.code(), Some(3));
    assert!(
        stderr(&out).contains(
            "could not make voice cosyvoice-v3-plus-late-00000000 from the recording (status UNDEPLOYED)"
        ),
        "{}",
        stderr(&out)
    );
    assert_eq!(fake.join().expect("fake").len(), 3);
}

#[test]
fn a_designed_voice_preview_is_played_on_the_device() {
    let server = ServeProcess::start(&[]);
    let capture = crate::common::Capture::new();
    let mut cmd = tts(server.home.path());
    capture.apply(&mut cmd);
    let out = cmd
        .env("DASHSCOPE_API_KEY", KEY)
        .args([
            "voice",
            "design",
            "一位沉稳的中年男性播音员，声音低沉",
            "--name",
            "anchor",
            "--endpoint",
            &server.http,
        ])
        .output()
        .expect("runs");
    let printed = ok(&out, "design, played");
    assert!(
        printed.starts_with("cosyvoice-v3-plus-vd-anchor-"),
        "{printed}"
    );
    let (rate, left) = capture.read();
    let played = crate::common::non_silent(&left);
    assert!(
        played.len() as f64 / f64::from(rate) > 1.0,
        "over a second of preview was played: {} samples at {rate}",
        played.len()
    );
    assert!(crate::common::rms(&played) > 500.0);
}

#[test]
fn list_reads_every_page_of_every_family() {
    let home = tempfile::tempdir().expect("tempdir");
    let item = |i: usize| {
        format!(
            r#"{{"voice_id":"cosyvoice-v2-p{i}-0000abcd","status":"OK","gmt_create":"2025-01-01 00:00:00"}}"#
        )
    };
    let page0: Vec<String> = (0..100).map(item).collect();
    let (addr, fake) = scripted(vec![
        (200, format!(r#"{{"output":{{"voice_list":[{}]}}}}"#, page0.join(","))),
        (200, format!(r#"{{"output":{{"voice_list":[{}]}}}}"#, item(100))),
        (
            200,
            r#"{"output":{"page_index":0,"page_size":100,"total_count":1,"voice_list":[{"voice":"qwen-tts-vc-q-voice-1-ab12","target_model":"qwen3-tts-vc-realtime-2026-01-15"}]}}"#.to_owned(),
        ),
        (
            200,
            r#"{"output":{"page_index":0,"page_size":100,"total_count":0,"voice_list":[]}}"#.to_owned(),
        ),
    ]);
    let out = tts(home.path())
        .env("DASHSCOPE_API_KEY", KEY)
        .args([
            "voice",
            "list",
            "--json",
            "--endpoint",
            &format!("http://{addr}"),
        ])
        .output()
        .expect("runs");
    let json: Value = serde_json::from_str(&ok(&out, "list")).expect("json");
    let voices = json.as_array().expect("array");
    assert_eq!(voices.len(), 102);
    assert_eq!(voices[100]["id"], "cosyvoice-v2-p100-0000abcd");
    assert_eq!(voices[100]["target_model"], "cosyvoice-v2");
    assert_eq!(voices[101]["family"], "qwen-clone");
    let requests = fake.join().expect("fake");
    assert_eq!(requests.len(), 4);
}
