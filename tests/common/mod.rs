//! The test harness shared by the integration binaries: a scrubbed `tts` command, real ALSA
//! playback captured to a WAV file (see shared/testing/PLAYBACK.md), and signal measurements.
#![allow(
    dead_code,
    reason = "each test binary uses a different part of the harness"
)]

use std::path::{Path, PathBuf};
use std::process::Command;

use tempfile::TempDir;

/// A `tts` command with a clean environment: no API key, no user config, no audio server.
pub(crate) fn tts(home: &Path) -> Command {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_tts"));
    for (key, _) in std::env::vars_os() {
        let key = key.to_string_lossy().into_owned();
        if key.starts_with("TTS_") || key.starts_with("DASHSCOPE_") || key.starts_with("ALSA_") {
            cmd.env_remove(&key);
        }
    }
    cmd.env("HOME", home)
        .env("XDG_CONFIG_HOME", home.join(".config"))
        .env("XDG_RUNTIME_DIR", "/nonexistent")
        .env("PULSE_SERVER", "unix:/nonexistent");
    cmd
}

/// Where ALSA's `default` device writes everything played, as a 48 kHz stereo WAV.
pub(crate) struct Capture {
    dir: TempDir,
}

impl Capture {
    pub(crate) fn new() -> Self {
        let dir = tempfile::tempdir().expect("tempdir");
        let wav = dir.path().join("capture.wav");
        let conf = format!(
            "pcm.!default {{\n    type plug\n    slave {{ pcm \"capfile\"; format S16_LE; rate 48000; channels 2 }}\n}}\n\
             pcm.capfile {{\n    type file\n    slave.pcm \"null\"\n    file \"{}\"\n    format \"wav\"\n}}\n",
            wav.display()
        );
        std::fs::write(dir.path().join("asound.conf"), conf).expect("write asound.conf");
        Self { dir }
    }

    /// The value for `ALSA_CONFIG_PATH`: the stock config first, then ours.
    pub(crate) fn alsa_config_path(&self) -> String {
        format!(
            "/usr/share/alsa/alsa.conf:{}",
            self.dir.path().join("asound.conf").display()
        )
    }

    /// Route a command's playback into this capture.
    pub(crate) fn apply<'a>(&self, cmd: &'a mut Command) -> &'a mut Command {
        cmd.env("ALSA_CONFIG_PATH", self.alsa_config_path())
    }

    pub(crate) fn path(&self) -> PathBuf {
        self.dir.path().join("capture.wav")
    }

    /// The left channel of what was played, and the device rate.
    pub(crate) fn read(&self) -> (u32, Vec<i16>) {
        let mut reader = hound::WavReader::open(self.path()).expect("the capture is a valid WAV");
        let spec = reader.spec();
        assert_eq!(spec.channels, 2, "the capture device is stereo");
        let samples: Vec<i16> = reader
            .samples::<i16>()
            .map(|s| s.expect("sample"))
            .collect();
        let left = samples.chunks_exact(2).map(|frame| frame[0]).collect();
        (spec.sample_rate, left)
    }
}

/// The null device is not paced, so a slower producer leaves runs of exact zeros between
/// chunks: drop runs of 16 or more to keep only what was really played.
pub(crate) fn non_silent(samples: &[i16]) -> Vec<i16> {
    let mut out = Vec::with_capacity(samples.len());
    let mut zeros = 0usize;
    for &s in samples {
        if s == 0 {
            zeros += 1;
            continue;
        }
        if zeros > 0 && zeros < 16 {
            out.extend(std::iter::repeat_n(0, zeros));
        }
        zeros = 0;
        out.push(s);
    }
    if zeros > 0 && zeros < 16 {
        out.extend(std::iter::repeat_n(0, zeros));
    }
    out
}

pub(crate) fn rms(samples: &[i16]) -> f64 {
    if samples.is_empty() {
        return 0.0;
    }
    let sum: f64 = samples.iter().map(|&s| f64::from(s) * f64::from(s)).sum();
    (sum / samples.len() as f64).sqrt()
}

/// The frequency of a clean tone, from its rising zero crossings.
pub(crate) fn frequency(samples: &[i16], rate: u32) -> f64 {
    let crossings = samples.windows(2).filter(|w| w[0] < 0 && w[1] >= 0).count();
    crossings as f64 * f64::from(rate) / samples.len() as f64
}

/// Duration of a WAV file in seconds, after checking its header agrees with its size.
pub(crate) fn wav_seconds(path: &Path) -> (u32, f64) {
    let reader = hound::WavReader::open(path).expect("a valid WAV");
    let spec = reader.spec();
    assert_eq!(
        (spec.channels, spec.bits_per_sample),
        (1, 16),
        "mono 16-bit"
    );
    let frames = reader.len();
    let size = std::fs::metadata(path).expect("metadata").len();
    assert_eq!(
        size,
        44 + u64::from(frames) * 2,
        "the header's length agrees with the file size"
    );
    let read = reader.into_samples::<i16>().count();
    assert_eq!(
        read, frames as usize,
        "every sample the header counts is readable"
    );
    (
        spec.sample_rate,
        f64::from(frames) / f64::from(spec.sample_rate),
    )
}

/// A `tts serve` on a free port of 127.0.0.1, its log kept (drained, so it never blocks).
pub(crate) struct ServeProcess {
    child: std::process::Child,
    /// `ws://127.0.0.1:PORT/api-ws/v1/inference`.
    pub(crate) url: String,
    /// `http://127.0.0.1:PORT/api/v1`: custom voices, uploads, tokens.
    pub(crate) http: String,
    /// A home directory for the clients of this server.
    pub(crate) home: TempDir,
    log: std::sync::Arc<std::sync::Mutex<String>>,
}

impl ServeProcess {
    pub(crate) fn start(extra: &[&str]) -> Self {
        use std::io::BufRead;
        let home = tempfile::tempdir().expect("tempdir");
        let mut child = tts(home.path())
            .args(["serve", "--listen", "127.0.0.1:0"])
            .args(extra)
            .stderr(std::process::Stdio::piped())
            .spawn()
            .expect("tts serve starts");
        let stderr = child.stderr.take().expect("stderr");
        let (tx, rx) = std::sync::mpsc::channel();
        let log = std::sync::Arc::new(std::sync::Mutex::new(String::new()));
        let shared = std::sync::Arc::clone(&log);
        std::thread::spawn(move || {
            for line in std::io::BufReader::new(stderr)
                .lines()
                .map_while(Result::ok)
            {
                if let Some(url) = line.strip_prefix("tts: serving the CosyVoice protocol on ") {
                    let _ = tx.send(url.to_owned());
                }
                if let Some(url) =
                    line.strip_prefix("tts: serving custom voices, uploads and tokens on ")
                {
                    let _ = tx.send(url.to_owned());
                }
                let mut log = shared.lock().expect("lock");
                log.push_str(&line);
                log.push('\n');
            }
        });
        let url = rx
            .recv_timeout(std::time::Duration::from_secs(20))
            .expect("the server says where it listens");
        let http = rx
            .recv_timeout(std::time::Duration::from_secs(20))
            .expect("the server says where its HTTP API listens");
        Self {
            child,
            url,
            http,
            home,
            log,
        }
    }

    /// How many log lines contain `needle`.
    pub(crate) fn count(&self, needle: &str) -> usize {
        self.log.lock().expect("lock").matches(needle).count()
    }

    /// The whole log so far.
    pub(crate) fn log(&self) -> String {
        self.log.lock().expect("lock").clone()
    }

    /// `tts say --engine cosyvoice` against this server with `key`.
    pub(crate) fn say(&self, key: &str, args: &[&str]) -> std::process::Output {
        tts(self.home.path())
            .env("DASHSCOPE_API_KEY", key)
            .args(["say", "-e", "cosyvoice", "--endpoint", &self.url])
            .args(args)
            .output()
            .expect("tts say runs")
    }

    /// Whether the server process is still running.
    pub(crate) fn alive(&mut self) -> bool {
        matches!(self.child.try_wait(), Ok(None))
    }

    /// The server's process id.
    pub(crate) fn pid(&self) -> u32 {
        self.child.id()
    }

    /// `host:port` of the server.
    pub(crate) fn authority(&self) -> String {
        self.url
            .trim_start_matches("ws://")
            .split('/')
            .next()
            .unwrap_or_default()
            .to_owned()
    }

    /// A path in the clients' home directory.
    pub(crate) fn path(&self, name: &str) -> String {
        self.home
            .path()
            .join(name)
            .to_str()
            .expect("utf-8")
            .to_owned()
    }
}

impl Drop for ServeProcess {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// Ctrl-C, as a terminal sends it.
pub(crate) fn interrupt(child: &std::process::Child) {
    let status = Command::new("kill")
        .args(["-INT", &child.id().to_string()])
        .status()
        .expect("kill runs");
    assert!(status.success(), "kill -INT failed");
}

/// Decode an audio file with ffmpeg into (rate, mono samples). Any error ffmpeg prints about the
/// stream (a damaged frame, a bad page) fails the test: a valid file decodes silently.
pub(crate) fn ffmpeg_decode(path: &Path) -> (u32, Vec<i16>) {
    let wav = path.with_extension("ffmpeg.wav");
    let output = Command::new("ffmpeg")
        .args(["-nostdin", "-v", "error", "-y", "-i"])
        .arg(path)
        .args(["-ac", "1", "-f", "wav"])
        .arg(&wav)
        .output()
        .expect("ffmpeg (Debian package ffmpeg) is installed for the tests");
    let err = String::from_utf8_lossy(&output.stderr);
    assert!(
        output.status.success() && err.trim().is_empty(),
        "ffmpeg decodes {} cleanly: {err}",
        path.display()
    );
    let mut reader = hound::WavReader::open(&wav).expect("ffmpeg wrote a WAV");
    let rate = reader.spec().sample_rate;
    let samples = reader
        .samples::<i16>()
        .collect::<Result<_, _>>()
        .expect("samples");
    (rate, samples)
}

/// Decode an audio file with tts's own streaming decoder (symphonia) into (rate, samples).
pub(crate) fn symphonia_decode(path: &Path, format: tts::audio::AudioFormat) -> (u32, Vec<i16>) {
    let file = std::fs::File::open(path).expect("file");
    let mut rate = 0;
    let mut samples = Vec::new();
    let summary = tts::audio::decode::decode(file, format, |block| {
        rate = block.rate;
        samples.extend_from_slice(&block.samples);
        true
    })
    .expect("symphonia decodes it");
    assert_eq!(
        summary.skipped,
        0,
        "nothing in {} is damaged",
        path.display()
    );
    (rate, samples)
}

/// The input rate an Ogg Opus file declares in its OpusHead.
pub(crate) fn opus_head_rate(path: &Path) -> u32 {
    let bytes = std::fs::read(path).expect("file");
    let at = bytes
        .windows(8)
        .position(|w| w == b"OpusHead")
        .expect("an OpusHead");
    u32::from_le_bytes([
        bytes[at + 12],
        bytes[at + 13],
        bytes[at + 14],
        bytes[at + 15],
    ])
}

/// The (start, end) seconds of each cue of an SRT file.
pub(crate) fn srt_cues(srt: &str) -> Vec<(f64, f64)> {
    let seconds = |t: &str| {
        let (hms, ms) = t.trim().split_once(',').expect("h:m:s,ms");
        let parts: Vec<f64> = hms.split(':').map(|p| p.parse().expect("number")).collect();
        parts[0] * 3600.0 + parts[1] * 60.0 + parts[2] + ms.parse::<f64>().expect("ms") / 1000.0
    };
    srt.lines()
        .filter_map(|line| line.split_once(" --> "))
        .map(|(a, b)| (seconds(a), seconds(b)))
        .collect()
}

/// A PulseAudio server of our own whose default sink is a null sink: a device paced in real
/// time, like a sound card (recipe B of shared/testing/PLAYBACK.md). ALSA's `default` reaches it
/// through Debian's pulse hook. Killed when dropped.
pub(crate) struct Pulse {
    daemon: std::process::Child,
    dir: TempDir,
}

impl Pulse {
    pub(crate) fn start() -> Self {
        use std::os::unix::fs::PermissionsExt;
        let dir = tempfile::tempdir().expect("tempdir");
        std::fs::set_permissions(dir.path(), std::fs::Permissions::from_mode(0o700))
            .expect("chmod");
        let daemon = Command::new("pulseaudio")
            .args([
                "-n",
                "--daemonize=no",
                "--exit-idle-time=-1",
                "--load=module-native-protocol-unix auth-anonymous=1",
                "--load=module-null-sink sink_name=cap rate=48000 channels=2",
            ])
            .env("XDG_RUNTIME_DIR", dir.path())
            .env("HOME", dir.path())
            .stdout(std::process::Stdio::null())
            .stderr(std::process::Stdio::null())
            .spawn()
            .expect(
                "pulseaudio runs (Debian packages pulseaudio pulseaudio-utils \
                 libasound2-plugins; scripts/setup --test installs them)",
            );
        let pulse = Self { daemon, dir };
        let deadline = std::time::Instant::now() + std::time::Duration::from_secs(20);
        loop {
            let ready = pulse
                .command("pactl")
                .args(["set-default-sink", "cap"])
                .stderr(std::process::Stdio::null())
                .status()
                .is_ok_and(|s| s.success());
            if ready {
                break;
            }
            assert!(
                std::time::Instant::now() < deadline,
                "the PulseAudio server did not start"
            );
            std::thread::sleep(std::time::Duration::from_millis(50));
        }
        pulse
    }

    /// A command that talks to this server.
    pub(crate) fn command(&self, program: &str) -> Command {
        let mut cmd = Command::new(program);
        self.apply(&mut cmd);
        cmd
    }

    /// Route a command's playback (ALSA `default`) to this server.
    pub(crate) fn apply<'a>(&self, cmd: &'a mut Command) -> &'a mut Command {
        cmd.env("XDG_RUNTIME_DIR", self.dir.path())
            .env_remove("PULSE_SERVER")
            .env_remove("ALSA_CONFIG_PATH")
    }

    /// Start recording what the null sink plays.
    pub(crate) fn record(&self) -> Recording {
        let path = self.dir.path().join(format!(
            "recording-{}.raw",
            std::time::SystemTime::now()
                .duration_since(std::time::UNIX_EPOCH)
                .map_or(0, |d| d.as_nanos())
        ));
        let file = std::fs::File::create(&path).expect("create the recording");
        let parec = self
            .command("parec")
            .args([
                "-d",
                "cap.monitor",
                "--format=s16le",
                "--rate=48000",
                "--channels=2",
                "--latency-msec=200",
            ])
            .stdout(file)
            .spawn()
            .expect("parec runs (Debian package pulseaudio-utils)");
        // parec misses what plays before its stream is connected.
        std::thread::sleep(std::time::Duration::from_millis(300));
        Recording { parec, path }
    }
}

impl Drop for Pulse {
    fn drop(&mut self) {
        let _ = self.daemon.kill();
        let _ = self.daemon.wait();
    }
}

/// parec writing the null sink's monitor to a file, 48 kHz stereo S16_LE.
pub(crate) struct Recording {
    parec: std::process::Child,
    path: PathBuf,
}

impl Recording {
    /// The left channel recorded so far.
    pub(crate) fn left(&self) -> Vec<i16> {
        let bytes = std::fs::read(&self.path).expect("read the recording");
        bytes
            .chunks_exact(4)
            .map(|frame| i16::from_le_bytes([frame[0], frame[1]]))
            .collect()
    }

    /// Seconds of sound (not silence) recorded so far.
    pub(crate) fn sound_seconds(&self) -> f64 {
        non_silent(&self.left()).len() as f64 / 48_000.0
    }

    /// Stop recording; the left channel of all of it.
    pub(crate) fn stop(mut self) -> Vec<i16> {
        // What the sink played last is still on its way to parec (in 200 ms fragments).
        std::thread::sleep(std::time::Duration::from_millis(700));
        interrupt(&self.parec);
        let _ = self.parec.wait();
        self.left()
    }
}

impl Drop for Recording {
    fn drop(&mut self) {
        let _ = self.parec.kill();
        let _ = self.parec.wait();
    }
}

/// Seconds of sound (runs of 16+ exact zeros dropped) in a mono 16-bit WAV file.
pub(crate) fn wav_sound_seconds(path: &Path) -> f64 {
    let mut reader = hound::WavReader::open(path).expect("a valid WAV");
    let rate = reader.spec().sample_rate;
    let samples: Vec<i16> = reader
        .samples::<i16>()
        .collect::<Result<_, _>>()
        .expect("samples");
    non_silent(&samples).len() as f64 / f64::from(rate)
}
