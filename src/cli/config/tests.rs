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
        EngineConfig::CosyVoice(_) | EngineConfig::Qwen(_) => {
            panic!("the offline engine was expected")
        }
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
        EngineConfig::Local(_) | EngineConfig::Qwen(_) => panic!("cosyvoice expected"),
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
        EngineConfig::CosyVoice(_) | EngineConfig::Qwen(_) => None,
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
        EngineConfig::CosyVoice(_) | EngineConfig::Qwen(_) => None,
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

#[test]
fn a_top_level_voice_goes_to_the_engine_it_names_and_others_are_skipped_with_a_notice() {
    // The README's own example: a CosyVoice voice, then a run without a key.
    let file = "voice = \"longanyang\"\nmodel = \"cosyvoice-v2\"\nrate = 1.1\n";
    let config = say_with(file, &[], &["-e", "local", "x"]).expect("valid offline");
    assert_eq!(
        local_voice(&config),
        None,
        "the offline engine picks its own"
    );
    assert!(
        (local(&config).0 - 1.1).abs() < 1e-6,
        "rate fits every engine"
    );
    let notice = config
        .notices
        .iter()
        .find(|n| n.starts_with("skipping"))
        .expect("a notice");
    assert!(
        notice.contains("model, voice") && notice.contains("offline engine"),
        "{notice}"
    );
    let twice = "model = \"cosyvoice-v2\"\nseed = 1\n[profile.p]\nmodel = \"cosyvoice-v2\"\n";
    let config = say_with(twice, &[], &["-e", "local", "-p", "p", "x"]).expect("valid");
    assert!(
        config
            .notices
            .iter()
            .any(|n| n.starts_with("skipping model, seed (")),
        "each key named once: {:?}",
        config.notices
    );
    let config = say_with("", &[("TTS_SEED", "7")], &["-e", "local", "x"]).expect("valid");
    assert!(
        config.notices.iter().any(|n| n.contains("TTS_SEED")),
        "{:?}",
        config.notices
    );
    // An espeak-ng voice at the top level is the offline engine's, and only its.
    let config = say_with("voice = \"en-gb+f3\"\n", &[], &["-e", "local", "x"]).expect("valid");
    assert_eq!(local_voice(&config).as_deref(), Some("en-gb+f3"));
    let env_file = "api_key = \"sk-test\"\nvoice = \"en-gb\"\n";
    let config = say_with(env_file, &[], &["x"]).expect("valid");
    let EngineConfig::CosyVoice(remote) = &config.engine else {
        panic!("cosyvoice expected")
    };
    assert_eq!(remote.session.parameters.voice, "longanyang");
    assert!(config.notices.iter().any(|n| n.contains("skipping voice")));
}

#[test]
fn engine_sections_apply_to_their_engine_also_in_profiles() {
    let file = "api_key_command = \"echo sk-test\"\n\
                [cosyvoice]\nvoice = \"longxiaochun_v2\"\nmodel = \"cosyvoice-v2\"\n\
                [local]\nvoice = \"en-gb\"\n\
                [profile.story.local]\nvoice = \"de\"\n\
                [profile.story.cosyvoice]\nvoice = \"longanhuan\"\nmodel = \"cosyvoice-v3-flash\"\n";
    let config = say_with(file, &[], &["-e", "local", "x"]).expect("valid");
    assert_eq!(local_voice(&config).as_deref(), Some("en-gb"));
    assert!(
        config.notices.iter().all(|n| !n.starts_with("skipping")),
        "a section is no surprise: {:?}",
        config.notices
    );
    let config = say_with(file, &[], &["-e", "local", "-p", "story", "x"]).expect("valid");
    assert_eq!(local_voice(&config).as_deref(), Some("de"));
    let config = say_with(file, &[], &["x"]).expect("valid");
    let EngineConfig::CosyVoice(remote) = &config.engine else {
        panic!("the key makes auto choose cosyvoice")
    };
    assert_eq!(
        (
            remote.session.parameters.voice.as_str(),
            remote.session.model.as_str()
        ),
        ("longxiaochun_v2", "cosyvoice-v2")
    );
    let config = say_with(file, &[], &["-p", "story", "x"]).expect("valid");
    let EngineConfig::CosyVoice(remote) = &config.engine else {
        panic!("cosyvoice expected")
    };
    assert_eq!(remote.session.parameters.voice, "longanhuan");
    // [qwen] is kept for its engine and never applied to another.
    let config =
        say_with("[qwen]\nvoice = \"Cherry\"\n", &[], &["-e", "local", "x"]).expect("valid");
    assert_eq!(local_voice(&config), None);
    let err = say_with("[local]\nmodel = \"cosyvoice-v2\"\n", &[], &["x"])
        .expect_err("refused")
        .to_string();
    assert!(
        err.contains("[local] sets model, which the local engine does not use"),
        "{err}"
    );
}

#[test]
fn file_settings_apply_to_files_only_and_only_where_they_fit() {
    let file = "sample_rate = 16000\nformat = \"wav\"\nbit_rate = 64\n";
    // Playing: none of them applies.
    let config = say_with(file, &[], &["-e", "local", "x"]).expect("playback is not refused");
    assert!(matches!(config.sink, SinkConfig::Device(_)));
    // A named file: its extension wins over format; the rate applies; MP3 takes the bit rate.
    let config = say_with(file, &[], &["-e", "local", "-o", "a.mp3", "x"]).expect("valid");
    let SinkConfig::File(options) = config.sink else {
        panic!("file")
    };
    assert_eq!(
        (
            options.format,
            options.sample_rate.map(SampleRate::get),
            options.bit_rate
        ),
        (AudioFormat::Mp3, Some(16000), Some(64))
    );
    // stdout: the format setting applies.
    let config =
        say_with("format = \"mp3\"\n", &[], &["-e", "local", "-o", "-", "x"]).expect("valid");
    assert!(matches!(
        config.sink,
        SinkConfig::File(FileOptions {
            format: AudioFormat::Mp3,
            ..
        })
    ));
    // The service's Opus has its own rates: the setting is skipped, with a notice.
    let file = "api_key = \"sk-test\"\nsample_rate = 22050\n";
    let config = say_with(file, &[], &["-o", "a.opus", "x"]).expect("valid");
    let EngineConfig::CosyVoice(remote) = &config.engine else {
        panic!("cosyvoice")
    };
    assert_eq!(remote.session.parameters.sample_rate, 24000);
    assert!(
        config
            .notices
            .iter()
            .any(|n| n.contains("sample_rate = 22050"))
    );
    // A flag is still refused.
    assert!(
        say_with(file, &[], &["-o", "a.opus", "--sample-rate", "22050", "x"])
            .expect_err("refused")
            .to_string()
            .contains("8000, 16000, 24000 or 48000")
    );
}

#[test]
fn flags_the_offline_engine_would_ignore_are_refused_naming_the_engine() {
    for flags in [
        &["--seed", "1"][..],
        &["--instruction", "calm"],
        &["--aigc-tag"],
        &["--aigc-propagator", "p"],
        &["--aigc-propagate-id", "i"],
        &["--word-timestamps"],
        &["--phoneme-timestamps"],
        &["--hot-fix", "h.json"],
        &["--language", "en"],
        &["-m", "cosyvoice-v2"],
        &["--region", "cn"],
        &["--endpoint", "ws://127.0.0.1:9/x"],
        &["--idle-timeout", "5"],
        &["--force-voice"],
    ] {
        for engine in [&["-e", "local"][..], &[]] {
            let mut argv = engine.to_vec();
            argv.extend_from_slice(flags);
            argv.extend_from_slice(&["-o", "a.wav", "x"]);
            let err = message(&argv);
            assert!(
                err.starts_with(&format!(
                    "{} is honoured by the cosyvoice engine only",
                    flags[0].replace("-m", "--model")
                )),
                "{argv:?}: {err}"
            );
        }
    }
}

#[test]
fn the_offline_engine_encodes_at_the_bit_rate_asked_for() {
    assert!(
        message(&["-e", "local", "--format", "mp3", "x"])
            .starts_with("--format mp3 applies to files with the offline engine")
    );
    let qwen = say_with(
        "api_key = \"sk-test\"\n",
        &[],
        &["-m", "qwen3-tts-flash-realtime", "--format", "mp3", "x"],
    )
    .expect_err("a format while playing Qwen")
    .to_string();
    assert!(
        qwen.starts_with("--format mp3 applies to files with the qwen engine"),
        "{qwen}"
    );
    let options = |argv: &[&str]| match say(argv).expect("valid").sink {
        SinkConfig::File(options) => options.bit_rate,
        SinkConfig::Device(_) => panic!("file"),
    };
    assert_eq!(
        options(&["-e", "local", "-o", "a.mp3", "--bit-rate", "32", "x"]),
        Some(32)
    );
    assert_eq!(
        options(&["-e", "local", "-o", "a.ogg", "--bit-rate", "16", "x"]),
        Some(16)
    );
    assert!(
        message(&["-e", "local", "-o", "a.mp3", "--bit-rate", "50", "x"])
            .contains("not an MP3 bit rate")
    );
    assert!(message(&["-e", "local", "-o", "a.opus", "--bit-rate", "5", "x"]).contains("6 to 510"));
    assert!(
        message(&["-e", "local", "-o", "a.wav", "--bit-rate", "64", "x"])
            .contains("opus and mp3 files")
    );
    assert!(message(&["-e", "local", "--bit-rate", "64", "x"]).contains("opus and mp3 files"));
}

#[test]
fn a_catalog_voice_is_refused_with_a_model_it_does_not_serve() {
    let err = remote_message(&["-m", "cosyvoice-v3-plus", "-v", "longxiaochun_v2", "x"]);
    assert_eq!(
        err,
        "voice longxiaochun_v2 does not serve the model cosyvoice-v3-plus: it takes cosyvoice-v2; use -m cosyvoice-v2, or --force-voice to send it anyway"
    );
    let forced = remote(&[
        "-m",
        "cosyvoice-v3-plus",
        "-v",
        "longxiaochun_v2",
        "--force-voice",
        "x",
    ])
    .expect("sent anyway");
    assert_eq!(forced.session.parameters.voice, "longxiaochun_v2");
    assert!(remote(&["-m", "cosyvoice-v2", "-v", "longxiaochun_v2", "x"]).is_ok());
    // A model newer than the catalog is not judged.
    assert!(remote(&["-m", "cosyvoice-v9", "-v", "longxiaochun_v2", "x"]).is_ok());
}

#[test]
fn idle_timeout_stays_below_the_services_limit() {
    assert!(remote(&["--idle-timeout", "22.5", "x"]).is_ok());
    for bad in ["23", "30", "0"] {
        let err = remote_message(&["--idle-timeout", bad, "x"]);
        assert!(
            err.starts_with(&format!("--idle-timeout {bad} is out of range"))
                && err.contains("below 23"),
            "{err}"
        );
    }
}

#[test]
fn devices_and_fifos_are_written_as_wav() {
    let SinkConfig::File(options) = say(&["-o", "/dev/null", "x"]).expect("valid").sink else {
        panic!("file")
    };
    assert_eq!(options.format, AudioFormat::Wav);
    assert!(message(&["-o", "/nonexistent-dir/speech", "x"]).contains("add --format"));
}

#[test]
fn config_show_prints_sections_and_profiles() {
    let dir = tempfile::tempdir().expect("tempdir");
    let path = dir.path().join("config.toml");
    std::fs::write(
        &path,
        "rate = 1.1\n[local]\nvoice = \"en-gb\"\n[profile.story.cosyvoice]\nmodel = \"cosyvoice-v2\"\n",
    )
    .expect("write");
    let env = Environment {
        config_file: Some(path),
        ..Environment::default()
    };
    let args = Args::try_parse_from(["tts", "config", "show"]).expect("parses");
    let CommandConfig::ShowConfig(text) = Config::new(args, &env).expect("valid").command else {
        panic!("show")
    };
    for part in [
        "rate = 1.1",
        "[local]\nvoice = \"en-gb\"",
        "[profile.story.cosyvoice]\nmodel = \"cosyvoice-v2\"",
    ] {
        assert!(text.contains(part), "{part} in:\n{text}");
    }
    assert!(
        !text.contains("[profile.story]\n"),
        "no empty table:\n{text}"
    );
}

#[test]
fn voice_question_mark_lists_the_voices_of_the_engine_asked_for() {
    let list = |argv: &[&str], env: &Environment| {
        let mut full = vec!["tts", "say"];
        full.extend_from_slice(argv);
        match Config::new(Args::try_parse_from(full).expect("parses"), env)
            .expect("valid")
            .command
        {
            CommandConfig::Voices(options) => options.local,
            _ => panic!("voices expected"),
        }
    };
    let keyless = Environment::default();
    assert!(list(&["-v", "?"], &keyless));
    assert!(!list(&["-e", "cosyvoice", "-v", "?"], &keyless));
    let keyed = Environment {
        api_key: Some("sk-test".into()),
        ..Environment::default()
    };
    assert!(!list(&["-v", "?"], &keyed));
    assert!(list(&["-e", "local", "-v", "?"], &keyed));
}

#[test]
fn a_top_level_neural_voice_is_the_offline_engines_and_a_settings_pitch_is_skipped_for_it() {
    let dir = tempfile::tempdir().expect("tempdir");
    let mut env = neural_env(dir.path(), true);
    let config_path = dir.path().join("config.toml");
    std::fs::write(
        &config_path,
        "voice = \"en_US-test-medium\"\n[local]\npitch = 1.5\n",
    )
    .expect("write");
    env.config_file = Some(config_path);
    let config = say_in(&env, &["-e", "local", "hi"]).expect("valid");
    let EngineConfig::Local(params) = &config.engine else {
        panic!("offline engine expected")
    };
    assert_eq!(
        params.neural.as_ref().map(|n| n.voice.name.as_str()),
        Some("en_US-test-medium"),
        "the top-level voice names the neural voice"
    );
    assert!((params.pitch - 1.0).abs() < 1e-6, "pitch skipped");
    assert!(
        config
            .notices
            .iter()
            .any(|n| n.starts_with("skipping pitch")),
        "{:?}",
        config.notices
    );
    // The same pitch speaks with espeak-ng, and a flag is still refused for the neural voice.
    let config = say_in(&env, &["-e", "espeak", "-v", "en-gb", "hi"]).expect("valid");
    assert!((local(&config).1 - 1.5).abs() < 1e-6);
    let config = say_in(&env, &["-e", "local", "-v", "en-gb", "hi"]).expect("valid");
    let EngineConfig::Local(params) = &config.engine else {
        panic!("offline engine expected")
    };
    assert_eq!(
        params.voice.as_deref(),
        Some("en-gb"),
        "espeak-ng's voice by name"
    );
    assert!(params.neural.is_none());
    assert!(matches!(
        say_in(&env, &["-e", "local", "--pitch", "1.5", "hi"]),
        Err(ConfigError::NeuralPitch { .. })
    ));
}
