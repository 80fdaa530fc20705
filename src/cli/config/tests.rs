//! Validation of every flag, the engine choice, settings and profiles, without spawning.
use clap::Parser;

use super::*;

fn say(argv: &[&str]) -> Result<SayConfig, ConfigError> {
    let mut full = vec!["tts", "say"];
    full.extend_from_slice(argv);
    let args = Args::try_parse_from(full).expect("parses");
    match Config::new(args, &Environment::default())?.command {
        CommandConfig::Say(say) => Ok(say),
        _ => panic!("say expected"),
    }
}

fn local(config: &SayConfig) -> (f32, f32, u8) {
    match &config.engine {
        EngineConfig::Local(p) => (p.rate, p.pitch, p.volume),
        EngineConfig::CosyVoice(_) => panic!("the offline engine was expected"),
    }
}

fn message(argv: &[&str]) -> String {
    say(argv).expect_err("must be refused").to_string()
}

#[test]
fn cli_definition_is_consistent() {
    use clap::CommandFactory;
    Args::command().debug_assert();
}

#[test]
fn defaults_are_normal_speech_on_the_default_device() {
    let config = say(&["hello", "world"]).expect("valid");
    assert_eq!(config.inputs, [Input::Text("hello world".into())]);
    assert!(matches!(&config.engine, EngineConfig::Local(p) if *p == LocalParams::default()));
    assert!(matches!(
        config.sink,
        SinkConfig::Device(PlayerOptions { device: None, .. })
    ));
    assert!(
        !config.notices.is_empty(),
        "auto without a key says it falls back"
    );
}

#[test]
fn no_text_means_stdin() {
    assert_eq!(say(&[]).expect("valid").inputs, [Input::Stdin]);
    assert_eq!(say(&["-f", "-"]).expect("valid").inputs, [Input::Stdin]);
}

#[test]
fn out_of_range_values_name_flag_value_and_range() {
    assert_eq!(
        message(&["-r", "3", "x"]),
        "--rate 3 is out of range: use a value from 0.5 to 2.0 (1.0 is normal speed)"
    );
    assert!(
        message(&["--pitch", "0.1", "x"])
            .starts_with("--pitch 0.1 is out of range: use a value from 0.5 to 2.0")
    );
    assert!(
        message(&["--volume", "101", "x"])
            .starts_with("--volume 101 is out of range: use a whole number from 0 to 100")
    );
    assert!(message(&["--volume", "-1", "x"]).starts_with("--volume -1 is out of range"));
    assert!(
        message(&["--sample-rate", "12345", "-o", "a.wav", "x"]).contains("use one of 8000, 16000")
    );
}

#[test]
fn edge_values_are_accepted() {
    let config = say(&["-r", "0.5", "--pitch", "2", "--volume", "0", "x"]).expect("valid");
    assert_eq!(local(&config), (0.5, 2.0, 0));
}

#[test]
fn format_comes_from_the_extension_and_conflicts_are_refused() {
    let config = say(&["-o", "a.pcm", "--sample-rate", "8000", "x"]).expect("valid");
    let SinkConfig::File(file) = config.sink else {
        panic!("file sink expected")
    };
    assert_eq!(
        (file.format, file.sample_rate.map(SampleRate::get)),
        (AudioFormat::Pcm, Some(8000))
    );
    assert!(
        message(&["-o", "a.wav", "--format", "pcm", "x"]).contains("does not match the extension")
    );
    assert!(message(&["-o", "a.xyz", "x"]).contains("add --format wav"));
}

#[test]
fn stdout_defaults_to_wav() {
    let SinkConfig::File(file) = say(&["-o", "-", "x"]).expect("valid").sink else {
        panic!("file sink")
    };
    assert_eq!(
        (file.target, file.format),
        (Target::Stdout, AudioFormat::Wav)
    );
}

#[test]
fn append_takes_the_files_rate_and_refuses_another_before_connecting() {
    let dir = tempfile::tempdir().expect("dir");
    let path = dir.path().join("book.mp3");
    let mut enc = crate::audio::encode::encoder(
        AudioFormat::Mp3,
        SampleRate::new(16_000).expect("rate"),
        None,
    )
    .expect("encoder");
    let mut bytes = Vec::new();
    enc.encode(&[0; 16_000], &mut bytes).expect("encode");
    enc.finish(&mut bytes).expect("finish");
    std::fs::write(&path, bytes).expect("write");
    let target = path.to_str().expect("utf-8");
    let config = say(&["--append", "-o", target, "x"]).expect("valid");
    assert!(matches!(
        config.sink,
        SinkConfig::File(FileOptions { sample_rate: Some(r), .. }) if r.get() == 16_000
    ));
    let remote = remote(&["--append", "-o", target, "x"]).expect("valid");
    assert_eq!(
        remote.session.parameters.sample_rate, 16_000,
        "asked of the service"
    );
    let err = message(&["--append", "-o", target, "--sample-rate", "22050", "x"]);
    assert!(
        err.contains("holds mp3 at 16000 Hz") && err.contains("use 16000"),
        "{err}"
    );
    let err = message(&["--append", "-o", target, "--subtitles", "srt", "x"]);
    assert!(err.contains("cannot be combined with --append"), "{err}");
    let err = message(&["--append", "-o", target, "--format", "opus", "x"]);
    assert!(err.contains("does not match the extension"), "{err}");
    let wav = dir.path().join("book.wav");
    std::fs::copy(&path, &wav).expect("copy");
    let err = message(&["--append", "-o", wav.to_str().expect("utf-8"), "x"]);
    assert!(err.contains("no WAV header"), "{err}");
}

#[test]
fn append_needs_a_real_file() {
    assert!(message(&["--append", "x"]).contains("add -o FILE"));
    assert!(message(&["--append", "-o", "-", "x"]).contains("standard output"));
    assert!(message(&["--sample-rate", "8000", "x"]).contains("add -o FILE"));
}

#[test]
fn missing_input_files_fail_before_synthesis() {
    assert_eq!(
        message(&["-f", "/nonexistent/chapter.txt"]),
        "cannot read input file /nonexistent/chapter.txt: entity not found"
    );
    assert_eq!(message(&[""]), "nothing to say: TEXT is empty");
}

#[test]
fn engine_choice() {
    assert!(
        say(&["-e", "local", "x"])
            .expect("valid")
            .notices
            .is_empty()
    );
    assert!(message(&["-e", "cosyvoice", "x"]).contains("--engine local"));
}

fn remote(argv: &[&str]) -> Result<RemoteConfig, ConfigError> {
    let mut full = vec!["tts", "say"];
    full.extend_from_slice(argv);
    let args = Args::try_parse_from(full).expect("parses");
    let env = Environment {
        api_key: Some("sk-test".into()),
        ..Environment::default()
    };
    let CommandConfig::Say(say) = Config::new(args, &env)?.command else {
        panic!("say expected");
    };
    assert!(
        say.notices.iter().all(|n| n.contains("not in the catalog")),
        "no engine notice when the key is there"
    );
    match say.engine {
        EngineConfig::CosyVoice(remote) => Ok(*remote),
        EngineConfig::Local(_) => panic!("cosyvoice expected"),
    }
}

fn remote_message(argv: &[&str]) -> String {
    remote(argv).expect_err("must be refused").to_string()
}

#[test]
fn a_key_makes_auto_choose_cosyvoice_with_the_documented_defaults() {
    let config = remote(&["hello"]).expect("valid");
    let session = &config.session;
    assert_eq!(session.model, "cosyvoice-v3-flash");
    assert_eq!(
        session.url,
        "wss://dashscope-intl.aliyuncs.com/api-ws/v1/inference"
    );
    let p = &session.parameters;
    assert_eq!(
        (
            p.voice.as_str(),
            p.format.as_str(),
            p.volume,
            p.rate,
            p.pitch
        ),
        ("longanyang", "pcm", 50, 1.0, 1.0)
    );
    assert_eq!((p.seed, p.bit_rate, p.enable_ssml), (0, None, None));
}

#[test]
fn file_formats_and_rates_go_on_the_wire() {
    let p = remote(&["-o", "a.mp3", "x"])
        .expect("valid")
        .session
        .parameters;
    assert_eq!(
        (p.format.as_str(), p.sample_rate, p.bit_rate),
        ("mp3", 22050, None)
    );
    let p = remote(&["-o", "a.opus", "--bit-rate", "64", "x"])
        .expect("valid")
        .session
        .parameters;
    assert_eq!(
        (p.format.as_str(), p.sample_rate, p.bit_rate),
        ("opus", 24000, Some(64))
    );
    let p = remote(&["-o", "a.wav", "--sample-rate", "8000", "x"])
        .expect("valid")
        .session
        .parameters;
    assert_eq!((p.format.as_str(), p.sample_rate), ("wav", 8000));
}

#[test]
fn every_remote_value_is_checked_before_connecting() {
    assert!(remote_message(&["--seed", "70000", "x"]).starts_with("--seed 70000 is out of range"));
    assert!(remote_message(&["--language", "xx", "x"]).contains("use one of zh, en"));
    assert!(
        remote_message(&["--instruction", &"a".repeat(101), "x"]).contains("101 characters long")
    );
    assert!(
        remote_message(&["--bit-rate", "32", "-o", "a.mp3", "x"]).contains("applies to opus only")
    );
    assert!(remote_message(&["-o", "a.opus", "--bit-rate", "600", "x"]).contains("6 to 510"));
    assert!(
        remote_message(&["-o", "a.opus", "--sample-rate", "22050", "x"])
            .contains("8000, 16000, 24000 or 48000")
    );
    assert!(remote_message(&["--ssml"]).contains("not on stdin"));
    assert!(
        remote_message(&["--endpoint", "ws://10.1.2.3/x", "x"])
            .contains("only allowed on this machine")
    );
    assert!(
        remote_message(&["--connect-timeout", "0", "x"])
            .contains("--connect-timeout 0 is out of range")
    );
    assert!(
        remote_message(&["--hot-fix", "/nonexistent.json", "x"])
            .starts_with("cannot use --hot-fix")
    );
}

#[test]
fn region_and_endpoint_choose_the_url() {
    assert_eq!(
        remote(&["--region", "cn", "x"]).expect("valid").session.url,
        "wss://dashscope.aliyuncs.com/api-ws/v1/inference"
    );
    let local = "ws://127.0.0.1:9/api-ws/v1/inference";
    assert_eq!(
        remote(&["--endpoint", local, "x"])
            .expect("valid")
            .session
            .url,
        local
    );
}

#[test]
fn ssml_and_cosyvoice_go_together() {
    assert!(
        message(&["--ssml", "-e", "local", "<speak>x</speak>"])
            .contains("needs the cosyvoice engine")
    );
    assert!(message(&["-e", "cosyvoice", "x"]).contains("no DashScope API key"));
    let config = remote(&["--ssml", "<speak>你好</speak>"]).expect("valid");
    assert!(config.ssml);
    assert_eq!(config.session.parameters.enable_ssml, Some(true));
}

fn serve(argv: &[&str]) -> Result<ServeOptions, ConfigError> {
    let mut full = vec!["tts", "serve"];
    full.extend_from_slice(argv);
    let args = Args::try_parse_from(full).expect("parses");
    match Config::new(args, &Environment::default())?.command {
        CommandConfig::Serve(options) => Ok(options),
        _ => panic!("serve expected"),
    }
}

#[test]
fn serve_listens_on_loopback_by_default_and_refuses_an_open_keyless_server() {
    let options = serve(&[]).expect("valid");
    assert_eq!(options.listen.to_string(), "127.0.0.1:8765");
    assert!(options.api_key.is_none());
    let refused = serve(&["--listen", "0.0.0.0:8765"])
        .expect_err("refused")
        .to_string();
    assert!(
        refused.starts_with("refusing to serve on 0.0.0.0:8765 without a key"),
        "{refused}"
    );
    assert!(serve(&["--listen", "0.0.0.0:8765", "--api-key", "k"]).is_ok());
    assert!(
        serve(&["--listen", "nowhere"])
            .expect_err("refused")
            .to_string()
            .contains("use ADDR:PORT")
    );
}

/// `tts say` with a config file holding `config` and these `TTS_*` variables.
fn say_with(config: &str, vars: &[(&str, &str)], argv: &[&str]) -> Result<SayConfig, ConfigError> {
    let dir = tempfile::tempdir().expect("tempdir");
    let path = dir.path().join("config.toml");
    std::fs::write(&path, config).expect("write");
    let env = Environment {
        config_file: Some(path),
        tts_vars: vars
            .iter()
            .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
            .collect(),
        ..Environment::default()
    };
    let mut full = vec!["tts", "say"];
    full.extend_from_slice(argv);
    match Config::new(Args::try_parse_from(full).expect("parses"), &env)?.command {
        CommandConfig::Say(say) => Ok(say),
        _ => panic!("say expected"),
    }
}

fn local_voice(config: &SayConfig) -> Option<String> {
    match &config.engine {
        EngineConfig::Local(p) => p.voice.clone(),
        EngineConfig::CosyVoice(_) => None,
    }
}

#[test]
fn flags_beat_environment_beat_profile_beat_file_beat_defaults() {
    let file = "engine = \"local\"\nvoice = \"de\"\nrate = 1.5\n[profile.brit]\nvoice = \"en-gb\"\npitch = 0.8\n";
    let config = say_with(file, &[], &["x"]).expect("valid");
    assert_eq!(
        (local_voice(&config).as_deref(), local(&config).0),
        (Some("de"), 1.5),
        "the file"
    );
    let config = say_with(file, &[], &["-p", "brit", "x"]).expect("valid");
    assert_eq!(
        (local_voice(&config).as_deref(), local(&config).1),
        (Some("en-gb"), 0.8),
        "the profile"
    );
    let config = say_with(file, &[("TTS_VOICE", "fr")], &["-p", "brit", "x"]).expect("valid");
    assert_eq!(
        local_voice(&config).as_deref(),
        Some("fr"),
        "the environment"
    );
    let config = say_with(
        file,
        &[("TTS_VOICE", "fr")],
        &["-p", "brit", "-v", "cmn", "x"],
    )
    .expect("valid");
    assert_eq!(local_voice(&config).as_deref(), Some("cmn"), "the flag");
    let config = say_with("", &[], &["-e", "local", "x"]).expect("valid");
    assert_eq!(
        (local_voice(&config), local(&config).0),
        (None, 1.0),
        "built-in defaults"
    );
}

#[test]
fn bad_settings_are_named() {
    let err = say_with("", &[], &["-p", "nope", "x"])
        .expect_err("refused")
        .to_string();
    assert_eq!(
        err,
        "no profile 'nope' in the config file (none are defined); see tts config show"
    );
    let err = say_with("voize = \"x\"\n", &[], &["x"])
        .expect_err("refused")
        .to_string();
    assert!(err.contains("unknown field `voize`"), "{err}");
    let err = say_with("engine = \"fast\"\n", &[], &["x"])
        .expect_err("refused")
        .to_string();
    assert!(err.starts_with("the setting engine = 'fast'"), "{err}");
    let config = say_with("", &[("TTS_RATE", "9")], &["-e", "local", "x"]);
    assert!(
        config
            .expect_err("refused")
            .to_string()
            .starts_with("--rate 9 is out of range")
    );
}

#[test]
fn a_key_in_a_file_others_can_read_draws_a_warning_and_show_hides_it() {
    use std::os::unix::fs::PermissionsExt;
    let dir = tempfile::tempdir().expect("tempdir");
    let path = dir.path().join("config.toml");
    std::fs::write(&path, "api_key = \"sk-secret\"\nvoice = \"longanyang\"\n").expect("write");
    std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o644)).expect("chmod");
    let env = Environment {
        config_file: Some(path.clone()),
        ..Environment::default()
    };
    let args = Args::try_parse_from(["tts", "say", "-o", "a.wav", "x"]).expect("parses");
    let CommandConfig::Say(say) = Config::new(args, &env).expect("valid").command else {
        panic!("say")
    };
    assert!(
        say.notices.iter().any(|n| n.contains("chmod 600")),
        "{:?}",
        say.notices
    );
    let args = Args::try_parse_from(["tts", "config", "show"]).expect("parses");
    let CommandConfig::ShowConfig(text) = Config::new(args, &env).expect("valid").command else {
        panic!("show")
    };
    assert!(
        text.contains("api_key = \"<hidden>\"") && text.contains("voice = \"longanyang\""),
        "{text}"
    );
    assert!(!text.contains("sk-secret"));
}

#[test]
fn an_unknown_service_voice_is_sent_with_close_matches() {
    let args = Args::try_parse_from(["tts", "say", "-v", "longanyng", "x"]).expect("parses");
    let env = Environment {
        api_key: Some("sk".into()),
        ..Environment::default()
    };
    let CommandConfig::Say(say) = Config::new(args, &env).expect("valid").command else {
        panic!("say")
    };
    let EngineConfig::CosyVoice(remote) = &say.engine else {
        panic!("cosyvoice")
    };
    assert_eq!(
        remote.session.parameters.voice, "longanyng",
        "sent as given"
    );
    assert!(
        say.notices
            .iter()
            .any(|n| n.contains("did you mean longanyang")),
        "{:?}",
        say.notices
    );
}

/// A data directory with a fake runtime file and one voice whose `.onnx.json` is real Piper
/// shape (the model is never loaded by configuration).
fn neural_env(dir: &std::path::Path, with_runtime: bool) -> Environment {
    let voices = dir.join("voices").join("en_US-test-medium");
    std::fs::create_dir_all(&voices).expect("mkdir");
    std::fs::write(voices.join("en_US-test-medium.onnx"), b"model").expect("write");
    std::fs::write(
        voices.join("en_US-test-medium.onnx.json"),
        r#"{"audio": {"sample_rate": 16000, "quality": "medium"}, "espeak": {"voice": "en-us"},
            "phoneme_id_map": {"_": [0], "^": [1], "$": [2]}, "num_speakers": 2,
            "speaker_id_map": {"amy": 0, "bob": 1}, "language": {"code": "en_US"}}"#,
    )
    .expect("write");
    if with_runtime {
        std::fs::create_dir_all(dir.join("onnxruntime")).expect("mkdir");
        std::fs::write(dir.join("onnxruntime/libonnxruntime.so.1.32.0"), b"lib").expect("write");
    }
    Environment {
        neural: SearchPaths {
            data_dir: Some(dir.to_owned()),
            ..SearchPaths::default()
        },
        ..Environment::default()
    }
}

fn say_in(env: &Environment, argv: &[&str]) -> Result<SayConfig, ConfigError> {
    let mut full = vec!["tts", "say"];
    full.extend_from_slice(argv);
    let args = Args::try_parse_from(full).expect("parses");
    match Config::new(args, env)?.command {
        CommandConfig::Say(say) => Ok(say),
        _ => panic!("say expected"),
    }
}

fn neural_of(config: &SayConfig) -> Option<&NeuralParams> {
    match &config.engine {
        EngineConfig::Local(p) => p.neural.as_deref(),
        EngineConfig::CosyVoice(_) => None,
    }
}

#[test]
fn an_installed_neural_voice_speaks_by_default_and_espeak_on_request() {
    let dir = tempfile::tempdir().expect("tempdir");
    let env = neural_env(dir.path(), true);
    let config = say_in(&env, &["hello"]).expect("valid");
    let neural = neural_of(&config).expect("the neural voice is chosen");
    assert_eq!(neural.voice.name, "en_US-test-medium");
    assert!(!neural.pinned && neural.speaker.is_none());
    assert!(config.notices[0].contains("offline voice en_US-test-medium"));
    assert!(neural_of(&say_in(&env, &["-e", "espeak", "hello"]).expect("valid")).is_none());
    // An espeak-ng voice by name is espeak-ng's.
    assert!(neural_of(&say_in(&env, &["-v", "en-gb", "hello"]).expect("valid")).is_none());
    let named = say_in(&env, &["-v", "en_US-test-medium:bob", "hello"]).expect("valid");
    let neural = neural_of(&named).expect("named");
    assert_eq!((neural.pinned, neural.speaker), (true, Some(1)));
    assert_eq!(
        say_in(&env, &["-v", "en_US-test-medium:carol", "hi"])
            .err()
            .map(|e| e.to_string())
            .as_deref(),
        Some("voice en_US-test-medium has no speaker 'carol'; it has amy, bob")
    );
}

#[test]
fn pitch_is_refused_for_a_neural_voice() {
    let dir = tempfile::tempdir().expect("tempdir");
    let env = neural_env(dir.path(), true);
    assert_eq!(
        say_in(&env, &["--pitch", "1.5", "hi"])
            .err()
            .map(|e| e.to_string())
            .as_deref(),
        Some(
            "--pitch cannot change the neural voice en_US-test-medium (the model has no pitch control); drop --pitch, or use -e espeak"
        )
    );
    assert!(say_in(&env, &["-e", "espeak", "--pitch", "1.5", "hi"]).is_ok());
}

#[test]
fn without_a_runtime_local_falls_back_and_neural_is_refused() {
    let dir = tempfile::tempdir().expect("tempdir");
    let env = neural_env(dir.path(), false);
    let config = say_in(&env, &["hello"]).expect("valid");
    assert!(neural_of(&config).is_none());
    assert_eq!(config.notices.len(), 1);
    assert!(
        config.notices[0].contains("ONNX Runtime is not installed; speaking with espeak-ng"),
        "{}",
        config.notices[0]
    );
    // -e local is the user's choice of the offline engine: no notice.
    assert!(
        say_in(&env, &["-e", "local", "hello"])
            .expect("valid")
            .notices
            .is_empty()
    );
    assert!(matches!(
        say_in(&env, &["-e", "neural", "hello"]),
        Err(ConfigError::NeuralUnavailable { .. })
    ));
}
