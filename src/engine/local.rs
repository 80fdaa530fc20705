//! The offline engine: a neural Piper voice when one is chosen, else libespeak-ng, on a thread
//! of its own, speaking fragments as they come.
//!
//! The thread owns libespeak-ng for the life of the engine (espeak-ng has global state; the
//! neural voice uses it for phonemes). espeak's audio is sent in the chunks it produces (about
//! [`CHUNK_MS`] each); a neural voice speaks a sentence (or a long sentence's clauses) at a time,
//! sent in [`NEURAL_CHUNK_MS`] chunks, so the queue holds a few seconds ahead of the sink.

use std::path::PathBuf;
use std::sync::mpsc::{self, Receiver, SyncSender};
use std::thread;

use super::espeak_ffi::{Espeak, EspeakError, Flow, Output, Param};
use super::piper::PiperVoice;
use super::{EngineError, EngineEvent, EngineStats, Fragment, FragmentSender, Synthesis};
use crate::audio::SampleRate;
use crate::audio::resample::StreamResampler;
use crate::cancel::CancelToken;

/// Length of each audio chunk espeak delivers.
pub const CHUNK_MS: u32 = 20;
/// Length of each audio chunk a neural voice's utterance is sent in.
pub const NEURAL_CHUNK_MS: u32 = 100;
/// The peak level each neural utterance is brought to at volume 50 (of full scale).
const NEURAL_PEAK: f32 = 0.75;
/// A sentence longer than this many phonemes is spoken in pieces cut at clauses...
const UTTERANCE_PHONEMES: usize = 240;
/// ... the first about this long, so its audio starts sooner.
const FIRST_PIECE_PHONEMES: usize = 120;
/// espeak's rate at 1.0x, in words per minute.
const NORMAL_WPM: f32 = 175.0;
/// Audio chunks queued between the engine and the sink (about a second).
const QUEUED_CHUNKS: usize = 50;
/// Voice for Latin-script text (and any script espeak-ng has no voice for) when no voice was
/// asked for.
const DEFAULT_VOICE: &str = "en-us";
/// The voice files of the default voices (espeak-ng 1.49.3 and later); other names are looked up.
const VOICE_FILES: [(&str, &str); 2] = [(DEFAULT_VOICE, "gmw/en-US"), ("cmn", "sit/cmn")];

/// How the offline engine speaks.
#[derive(Debug, Clone, PartialEq)]
pub struct LocalParams {
    /// An espeak-ng voice (`en-us`, `cmn`, `en-gb+f3`); `None` picks one for each fragment by
    /// its language ([`voice_for`]).
    pub voice: Option<String>,
    /// Speaking rate, 0.5 to 2.0.
    pub rate: f32,
    /// Pitch, 0.5 to 2.0.
    pub pitch: f32,
    /// Volume, 0 to 100 (50 normal).
    pub volume: u8,
    /// The neural voice that speaks, if one was chosen (else espeak-ng does).
    pub neural: Option<Box<NeuralParams>>,
}

/// A neural voice chosen for the offline engine.
#[derive(Debug, Clone, PartialEq)]
pub struct NeuralParams {
    /// ONNX Runtime's shared library, loaded at run time.
    pub runtime: PathBuf,
    /// The voice.
    pub voice: PiperVoice,
    /// A speaker of a multi-speaker voice (its default when `None`).
    pub speaker: Option<i64>,
    /// `-v` named the voice, so it speaks all text; otherwise text in another script (Chinese)
    /// is spoken by espeak-ng.
    pub pinned: bool,
}

impl Default for LocalParams {
    fn default() -> Self {
        Self {
            voice: None,
            rate: 1.0,
            pitch: 1.0,
            volume: 50,
            neural: None,
        }
    }
}

impl LocalParams {
    /// espeak's words per minute: linear, so 2.0x really halves the duration.
    fn wpm(&self) -> i32 {
        #[allow(
            clippy::cast_possible_truncation,
            reason = "0.5..=2.0 x 175 fits in i32"
        )]
        let wpm = (NORMAL_WPM * self.rate).round() as i32;
        wpm
    }

    /// espeak's pitch scale is 0..=100 around 50.
    fn espeak_pitch(&self) -> i32 {
        #[allow(clippy::cast_possible_truncation, reason = "clamped to 0..=100")]
        let pitch = (50.0 * self.pitch).round().clamp(0.0, 100.0) as i32;
        pitch
    }

    /// espeak's amplitude is 0..=200 around 100.
    fn espeak_volume(&self) -> i32 {
        i32::from(self.volume) * 2
    }

    /// The neural voice's gain: linear around 1.0 at volume 50, like espeak's amplitude.
    fn gain(&self) -> f32 {
        f32::from(self.volume) / 50.0
    }
}

/// An engine thread that is initialising; [`Starting::ready`] waits for it.
pub struct Starting {
    ready: Receiver<Result<SampleRate, EngineError>>,
    fragments: SyncSender<Fragment>,
    events: Receiver<EngineEvent>,
}

impl Starting {
    /// Wait until espeak is loaded and the voice is known.
    pub fn ready(self) -> Result<Synthesis, EngineError> {
        let sample_rate = self
            .ready
            .recv()
            .map_err(|_| EngineError::Gone("offline"))??;
        Ok(Synthesis {
            fragments: Some(FragmentSender::Local(self.fragments)),
            events: self.events,
            sample_rate,
        })
    }
}

/// Start the engine thread; it loads espeak while the caller does other set-up.
pub fn start(params: LocalParams, cancel: CancelToken) -> Result<Starting, EngineError> {
    let (fragment_tx, fragment_rx) = mpsc::sync_channel::<Fragment>(64);
    let (event_tx, event_rx) = mpsc::sync_channel::<EngineEvent>(QUEUED_CHUNKS);
    let (ready_tx, ready_rx) = mpsc::sync_channel::<Result<SampleRate, EngineError>>(1);
    thread::Builder::new()
        .name("espeak".into())
        .spawn(move || run(&params, &cancel, &fragment_rx, &event_tx, &ready_tx))
        .map_err(|_| EngineError::Gone("offline"))?;
    Ok(Starting {
        ready: ready_rx,
        fragments: fragment_tx,
        events: event_rx,
    })
}

fn run(
    params: &LocalParams,
    cancel: &CancelToken,
    fragments: &Receiver<Fragment>,
    events: &SyncSender<EngineEvent>,
    ready: &SyncSender<Result<SampleRate, EngineError>>,
) {
    let started = std::time::Instant::now();
    // The neural model loads on a thread of its own from the start, beside libespeak-ng's
    // start-up here and the device opening in the caller: it is the longest part of the way
    // to the first audio. The runtime's verdict comes first, so `ready` can still refuse.
    let loading = match params.neural.as_deref().map(Loading::start) {
        Some(None) => {
            let _ = ready.send(Err(EngineError::Gone("neural")));
            return;
        }
        Some(Some(loading)) => Some(loading),
        None => None,
    };
    let prepared = Speaker::new().and_then(|mut speaker| {
        if let (Some(voice), None) = (&params.voice, &params.neural) {
            speaker.select(voice)?;
        }
        let rate = match &loading {
            Some(loading) => loading.runtime_ready()?,
            None => speaker.sample_rate(),
        };
        Ok((speaker, rate))
    });
    let (mut speaker, rate) = match prepared {
        Ok(prepared) => prepared,
        Err(err) => {
            let _ = ready.send(Err(err));
            return;
        }
    };
    let _ = ready.send(Ok(rate));
    // The model may still be loading while the caller opens the device and reads the text.
    let mut voice = match loading.map(Loading::voice).transpose() {
        Ok(voice) => voice,
        Err(err) => {
            let _ = events.send(EngineEvent::Failed(err));
            return;
        }
    };
    let voice_loaded = voice.is_some().then(|| started.elapsed());
    let mut emit = |samples: &[i16]| {
        if cancel.is_cancelled() || events.send(EngineEvent::Pcm(samples.to_vec())).is_err() {
            Flow::Stop
        } else {
            Flow::Continue
        }
    };
    while let Ok(fragment) = fragments.recv() {
        let fragment = match fragment {
            Fragment::Text(text) => text,
            Fragment::EndTask => {
                if events
                    .send(EngineEvent::TaskDone { characters: 0 })
                    .is_err()
                {
                    return;
                }
                continue;
            }
        };
        if cancel.is_cancelled()
            || events
                .send(EngineEvent::Sentence(fragment.clone()))
                .is_err()
        {
            return;
        }
        let spoken = match voice.as_mut().filter(|v| v.speaks(&fragment)) {
            Some(voice) => voice.speak(&mut speaker, params, &fragment, &mut emit),
            None => speaker.speak_at(params, &fragment, rate, &mut emit),
        };
        if let Err(err) = spoken {
            let _ = events.send(EngineEvent::Failed(err));
            return;
        }
    }
    // espeak is released before Done is told, so the next synthesis in this process (a
    // conversation's next answer) can start at once.
    drop(speaker);
    let _ = events.send(EngineEvent::Done(EngineStats {
        voice_loaded,
        synthesis: voice.map(|v| v.busy),
        ..EngineStats::default()
    }));
}

/// A neural voice loading on a thread of its own: ONNX Runtime first (its verdict decides
/// whether the engine can start), then the model.
struct Loading {
    /// The voice's rate, known from its configuration before it loads.
    rate: Option<SampleRate>,
    runtime: Receiver<Result<(), EngineError>>,
    model: Receiver<Result<NeuralVoice, EngineError>>,
}

impl Loading {
    /// Start loading; `None` if no thread starts.
    fn start(neural: &NeuralParams) -> Option<Self> {
        let (runtime_tx, runtime) = mpsc::sync_channel(1);
        let (model_tx, model) = mpsc::sync_channel(1);
        let rate = SampleRate::new(neural.voice.config.audio.sample_rate);
        let neural = neural.clone();
        thread::Builder::new()
            .name("neural-load".into())
            .spawn(move || {
                let loaded = load_runtime(&neural);
                let failed = loaded.is_err();
                let _ = runtime_tx.send(loaded);
                if !failed {
                    let _ = model_tx.send(NeuralVoice::load(&neural));
                }
            })
            .ok()?;
        Some(Self {
            rate,
            runtime,
            model,
        })
    }

    /// Wait for ONNX Runtime; the voice's rate once it is there.
    fn runtime_ready(&self) -> Result<SampleRate, EngineError> {
        self.runtime
            .recv()
            .map_err(|_| EngineError::Gone("neural"))??;
        self.rate.ok_or(EngineError::Gone("neural"))
    }

    /// Wait for the model.
    fn voice(self) -> Result<NeuralVoice, EngineError> {
        self.model
            .recv()
            .unwrap_or(Err(EngineError::Gone("neural")))
    }
}

#[cfg(feature = "neural")]
fn load_runtime(neural: &NeuralParams) -> Result<(), EngineError> {
    super::neural::runtime(&neural.runtime).map(|_| ())
}

#[cfg(not(feature = "neural"))]
fn load_runtime(_: &NeuralParams) -> Result<(), EngineError> {
    Err(EngineError::Gone("neural (not in this build)"))
}

/// A loaded neural voice with the settings it speaks with.
pub struct NeuralVoice {
    #[cfg(feature = "neural")]
    model: super::neural::NeuralModel,
    params: NeuralParams,
    /// Time spent making audio so far.
    busy: std::time::Duration,
}

impl NeuralVoice {
    /// Load the voice's model (ONNX Runtime loads first, once per process).
    pub fn load(params: &NeuralParams) -> Result<Self, EngineError> {
        #[cfg(feature = "neural")]
        {
            let model = super::neural::NeuralModel::load(&params.runtime, &params.voice)?;
            Ok(Self {
                model,
                params: params.clone(),
                busy: std::time::Duration::ZERO,
            })
        }
        #[cfg(not(feature = "neural"))]
        {
            let _ = params;
            Err(EngineError::Gone("neural (not in this build)"))
        }
    }

    /// The voice's name (`en_US-joe-medium`).
    pub fn name(&self) -> &str {
        &self.params.voice.name
    }

    /// Whether the voice speaks `language` (`en`).
    pub fn speaks_language(&self, language: &str) -> bool {
        self.params.voice.speaks(language)
    }

    /// The voice's rate.
    pub fn sample_rate(&self) -> u32 {
        self.params.voice.config.audio.sample_rate
    }

    /// Whether this voice speaks `text`: all of it when named, else text whose script and
    /// language ([`voice_for`]) are the voice's; the rest goes to espeak-ng's voice for it.
    pub fn speaks(&self, text: &str) -> bool {
        if self.params.pinned {
            return true;
        }
        let language = match voice_for(text) {
            "cmn" => "zh",
            voice => voice.split('-').next().unwrap_or(voice),
        };
        self.params.voice.speaks(language)
    }

    /// Speak `text` an utterance at a time: phonemes from espeak-ng, audio from the model,
    /// handed to `emit` in [`NEURAL_CHUNK_MS`] chunks until it says stop.
    pub fn speak(
        &mut self,
        speaker: &mut Speaker,
        params: &LocalParams,
        text: &str,
        emit: &mut dyn FnMut(&[i16]) -> Flow,
    ) -> Result<(), EngineError> {
        let began = std::time::Instant::now();
        let espeak_voice = self.params.voice.config.espeak.voice.clone();
        let utterances = super::piper::utterances(
            text,
            FIRST_PIECE_PHONEMES,
            UTTERANCE_PHONEMES,
            &mut |piece| speaker.phonemes(&espeak_voice, piece),
        )?;
        let chunk = (self.sample_rate() * NEURAL_CHUNK_MS / 1000) as usize;
        self.busy += began.elapsed();
        let mut samples = Vec::new();
        for utterance in utterances {
            tracing::debug!(phonemes = utterance, "neural utterance");
            let ids = self.params.voice.ids(&utterance);
            // `^`, `_` and `$` alone: nothing to say (a lone mark).
            if ids.len() <= 3 {
                continue;
            }
            let began = std::time::Instant::now();
            let audio = self.synthesize(ids, 1.0 / params.rate)?;
            self.busy += began.elapsed();
            // As Piper does, each utterance is brought to one peak level (the model's own level
            // varies), here espeak-ng's at volume 50, so the two engines sound equally loud.
            let peak = audio.iter().fold(0.01_f32, |peak, s| peak.max(s.abs()));
            let gain = NEURAL_PEAK / peak * params.gain() * f32::from(i16::MAX);
            samples.clear();
            #[allow(
                clippy::cast_possible_truncation,
                reason = "clamped to the i16 range first"
            )]
            samples.extend(
                audio
                    .iter()
                    .map(|s| (s * gain).clamp(f32::from(i16::MIN), f32::from(i16::MAX)) as i16),
            );
            for piece in samples.chunks(chunk.max(1)) {
                if emit(piece) == Flow::Stop {
                    return Ok(());
                }
            }
        }
        Ok(())
    }

    #[cfg(feature = "neural")]
    fn synthesize(&mut self, ids: Vec<i64>, length: f32) -> Result<Vec<f32>, EngineError> {
        self.model.synthesize(ids, length, self.params.speaker)
    }

    #[cfg(not(feature = "neural"))]
    fn synthesize(&mut self, _: Vec<i64>, _: f32) -> Result<Vec<f32>, EngineError> {
        Err(EngineError::Gone("neural (not in this build)"))
    }
}

/// Every voice installed with libespeak-ng.
pub fn installed_voices() -> Result<Vec<super::espeak_ffi::VoiceInfo>, EngineError> {
    Ok(Espeak::init(CHUNK_MS)?.list_voices())
}

/// libespeak-ng with the voice and prosody it is set to, so that each request changes only
/// what differs. Owned by one thread (the library has global state).
pub struct Speaker {
    espeak: Espeak,
    sample_rate: SampleRate,
    voice: Option<String>,
    prosody: Option<(i32, i32, i32)>,
    /// The last voice chosen by the text, for the next fragment's choice.
    detected: Option<Detected>,
}

impl Speaker {
    /// Load libespeak-ng.
    pub fn new() -> Result<Self, EngineError> {
        let espeak = Espeak::init(CHUNK_MS)?;
        let sample_rate =
            SampleRate::new(espeak.sample_rate()).ok_or(EngineError::Gone("offline"))?;
        Ok(Self {
            espeak,
            sample_rate,
            voice: None,
            prosody: None,
            detected: None,
        })
    }

    /// The rate of every chunk.
    pub fn sample_rate(&self) -> SampleRate {
        self.sample_rate
    }

    /// Select a voice (name, language code, `+variant`), failing with suggestions.
    pub fn select(&mut self, voice: &str) -> Result<(), EngineError> {
        if self.voice.as_deref() != Some(voice) {
            select_voice(&mut self.espeak, voice)?;
            self.voice = Some(voice.to_owned());
            // espeak resets some parameters with a voice change.
            self.prosody = None;
        }
        Ok(())
    }

    /// The voice names a client may ask for, as (language codes, `+variant` names): every
    /// installed voice's languages (MBROLA voices need data not installed) and every variant.
    pub fn voice_names(&self) -> (Vec<String>, Vec<String>) {
        let languages = self
            .espeak
            .list_voices()
            .into_iter()
            .filter(|v| !v.identifier.starts_with("mb/"))
            .flat_map(|v| v.languages)
            .collect();
        let variants = std::fs::read_dir(self.espeak.data_path().join("voices").join("!v"))
            .map(|dir| {
                dir.filter_map(Result::ok)
                    .filter(|entry| entry.path().is_file())
                    .filter_map(|entry| entry.file_name().into_string().ok())
                    .collect()
            })
            .unwrap_or_default();
        (languages, variants)
    }

    /// Speak `text` with `params` (a voice of `None` picks one by the text's language).
    pub fn speak(
        &mut self,
        params: &LocalParams,
        text: &str,
        on_output: &mut dyn FnMut(Output<'_>) -> Flow,
    ) -> Result<(), EngineError> {
        match &params.voice {
            Some(voice) => self.select(voice)?,
            None => {
                let detected = detect(text).after(self.detected);
                self.detected = Some(detected);
                let wanted = detected.voice;
                let before = self.voice.clone();
                // A voice missing from this espeak-ng build falls back rather than failing
                // the run: nobody asked for it.
                let voice = match self.select(wanted) {
                    Ok(()) => wanted,
                    Err(error) => {
                        tracing::debug!(%error, "no voice {wanted}");
                        self.select(DEFAULT_VOICE)?;
                        DEFAULT_VOICE
                    }
                };
                if before.as_deref() != Some(voice) {
                    tracing::debug!("offline voice {voice} for {text:?}");
                }
            }
        }
        let prosody = (params.wpm(), params.espeak_pitch(), params.espeak_volume());
        if self.prosody != Some(prosody) {
            self.espeak.set_param(Param::Rate, prosody.0)?;
            self.espeak.set_param(Param::Pitch, prosody.1)?;
            self.espeak.set_param(Param::Volume, prosody.2)?;
            self.prosody = Some(prosody);
        }
        self.espeak.synth(text, on_output)?;
        Ok(())
    }

    /// Speak `text` as [`Self::speak`] does, but hand only audio to `emit`, at `rate` (resampled
    /// when a neural voice set another rate for the stream).
    pub fn speak_at(
        &mut self,
        params: &LocalParams,
        text: &str,
        rate: SampleRate,
        emit: &mut dyn FnMut(&[i16]) -> Flow,
    ) -> Result<(), EngineError> {
        if rate == self.sample_rate {
            return self.speak(params, text, &mut |output| match output {
                Output::Audio(samples) => emit(samples),
                Output::Word(_) => Flow::Continue,
            });
        }
        let mut resampler = StreamResampler::new(self.sample_rate, rate)?;
        let (mut input, mut output, mut samples) = (Vec::new(), Vec::new(), Vec::new());
        let mut failed = None;
        let convert = |output: &mut Vec<f32>, samples: &mut Vec<i16>| {
            samples.clear();
            #[allow(
                clippy::cast_possible_truncation,
                reason = "clamped to the i16 range first"
            )]
            samples.extend(
                output
                    .drain(..)
                    .map(|s| (s * 32768.0).clamp(-32768.0, 32767.0) as i16),
            );
        };
        let mut flow = Flow::Continue;
        self.speak(params, text, &mut |out| {
            let Output::Audio(chunk) = out else {
                return Flow::Continue;
            };
            input.clear();
            input.extend(chunk.iter().map(|&s| f32::from(s) / 32768.0));
            if let Err(err) = resampler.process(&input, &mut output) {
                failed = Some(err);
                return Flow::Stop;
            }
            convert(&mut output, &mut samples);
            flow = if samples.is_empty() {
                Flow::Continue
            } else {
                emit(&samples)
            };
            flow
        })?;
        if let Some(err) = failed {
            return Err(err.into());
        }
        if flow == Flow::Continue {
            resampler.finish(&mut output)?;
            convert(&mut output, &mut samples);
            if !samples.is_empty() {
                emit(&samples);
            }
        }
        Ok(())
    }

    /// The IPA phonemes of `text` in espeak voice `voice`, clause by clause.
    pub fn phonemes(&mut self, voice: &str, text: &str) -> Result<Vec<String>, EngineError> {
        self.select(voice)?;
        Ok(self
            .espeak
            .phonemes(text)?
            .into_iter()
            .map(|clause| clause.trim().to_owned())
            .filter(|clause| !clause.is_empty())
            .collect())
    }
}

/// Whether Han characters outnumber Latin letters: such text goes to the Mandarin voice.
pub fn is_mostly_han(text: &str) -> bool {
    let (mut han, mut latin) = (0usize, 0usize);
    for c in text.chars() {
        if matches!(c, '\u{4E00}'..='\u{9FFF}' | '\u{3400}'..='\u{4DBF}' | '\u{F900}'..='\u{FAFF}')
        {
            han += 1;
        } else if c.is_ascii_alphabetic() {
            latin += 1;
        }
    }
    han > latin
}

/// The espeak-ng voice for `text` when none was asked for: by its script, and within a script
/// that several languages share (Cyrillic, Arabic, Devanagari, Hebrew) by its language when
/// that is clear. Latin-script text gets `en-us`: telling English from French in a
/// short sentence is too unreliable to follow (`-v fr` says it).
pub fn voice_for(text: &str) -> &'static str {
    detect(text).voice
}

/// A voice chosen for a fragment by its text, and how sure the choice is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Detected {
    /// The espeak-ng voice.
    voice: &'static str,
    /// The text's script; `None` when it has no letters.
    script: Option<whatlang::Script>,
    /// Whether the language is clear (a short sentence in a shared script may not say).
    clear: bool,
}

impl Detected {
    /// The choice for this fragment given the one before: text without letters ("42.") and a
    /// sentence too short to tell among its script's languages keep the voice of the text
    /// around them, so a Ukrainian paragraph's "Так." stays Ukrainian.
    fn after(self, last: Option<Self>) -> Self {
        match last {
            Some(last) if self.script.is_none() => last,
            Some(last) if !self.clear && last.script == self.script => last,
            _ => self,
        }
    }
}

fn detect(text: &str) -> Detected {
    use whatlang::Script;
    let Some(script) = whatlang::detect_script(text) else {
        return Detected {
            voice: DEFAULT_VOICE,
            script: None,
            clear: false,
        };
    };
    if script == Script::Latin {
        return Detected {
            voice: DEFAULT_VOICE,
            script: Some(script),
            clear: true,
        };
    }
    let shared = matches!(
        script,
        Script::Cyrillic | Script::Arabic | Script::Devanagari | Script::Hebrew
    );
    let language = whatlang::detect(text)
        .filter(|info| info.is_reliable() || script == Script::Mandarin)
        .and_then(|info| espeak_language(info.lang().code()));
    let voice = language.unwrap_or(match script {
        Script::Arabic => "ar",
        Script::Armenian => "hy",
        Script::Bengali => "bn",
        Script::Cyrillic => "ru",
        Script::Devanagari => "hi",
        Script::Ethiopic => "am",
        Script::Georgian => "ka",
        Script::Greek => "el",
        Script::Gujarati => "gu",
        Script::Gurmukhi => "pa",
        Script::Hangul => "ko",
        Script::Hebrew => "he",
        Script::Hiragana | Script::Katakana => "ja",
        Script::Kannada => "kn",
        Script::Malayalam => "ml",
        Script::Mandarin => "cmn",
        Script::Myanmar => "my",
        Script::Oriya => "or",
        Script::Sinhala => "si",
        Script::Tamil => "ta",
        Script::Telugu => "te",
        Script::Thai => "th",
        // No espeak-ng voice reads Khmer.
        Script::Khmer | Script::Latin => DEFAULT_VOICE,
    });
    Detected {
        voice,
        script: Some(script),
        clear: !shared || language.is_some(),
    }
}

/// The espeak-ng voice of an ISO 639-3 code that [`whatlang`] reports outside the Latin script.
fn espeak_language(code: &str) -> Option<&'static str> {
    Some(match code {
        "rus" => "ru",
        "ukr" => "uk",
        "bel" => "be",
        "bul" => "bg",
        "mkd" => "mk",
        "srp" => "sr",
        "ara" => "ar",
        "pes" => "fa",
        "urd" => "ur",
        "hin" => "hi",
        "mar" => "mr",
        "nep" => "ne",
        "heb" => "he",
        "jpn" => "ja",
        "kor" => "ko",
        "cmn" => "cmn",
        "ell" => "el",
        "tha" => "th",
        _ => return None,
    })
}

/// Select a voice by espeak name or identifier, or else by language code (`en-gb` lives in
/// the voice file `gmw/en`), keeping any `+variant`.
fn select_voice(espeak: &mut Espeak, wanted: &str) -> Result<(), EngineError> {
    let (base, variant) = match wanted.split_once('+') {
        Some((base, variant)) => (base, Some(variant)),
        None => (wanted, None),
    };
    // espeak quietly ignores a variant it does not have; a typo should not pass unnoticed.
    if let Some(variant) = variant {
        let variants = espeak.data_path().join("voices").join("!v");
        if !variants.join(variant).is_file() {
            return Err(EngineError::UnknownVariant {
                variant: variant.to_owned(),
                voice: base.to_owned(),
            });
        }
    }
    // The default voices by their files: espeak loads a file at once, while a language code
    // makes it read every voice file first (several milliseconds before the first sound).
    if let Some((_, file)) = VOICE_FILES
        .iter()
        .find(|(code, _)| code.eq_ignore_ascii_case(base))
    {
        let name = match variant {
            Some(variant) => format!("{file}+{variant}"),
            None => (*file).to_owned(),
        };
        if espeak.set_voice(&name).is_ok() {
            return Ok(());
        }
    }
    match espeak.set_voice(wanted) {
        Err(EspeakError::VoiceNotFound) => {}
        other => return other.map_err(EngineError::from),
    }
    let by_language = espeak
        .list_voices()
        .into_iter()
        // MBROLA voices need separately installed diphone data.
        .filter(|v| !v.identifier.starts_with("mb/"))
        .find(|v| {
            v.languages
                .first()
                .is_some_and(|l| l.eq_ignore_ascii_case(base))
        });
    let unknown = |espeak: &Espeak| EngineError::UnknownVoice {
        voice: wanted.to_owned(),
        suggestions: suggest(espeak, wanted),
    };
    let Some(voice) = by_language else {
        return Err(unknown(espeak));
    };
    let name = match variant {
        Some(variant) => format!("{}+{variant}", voice.identifier),
        None => voice.identifier,
    };
    match espeak.set_voice(&name) {
        Err(EspeakError::VoiceNotFound) => Err(unknown(espeak)),
        other => other.map_err(EngineError::from),
    }
}

/// A few voice names close to `wanted`, or common ones when nothing is close.
fn suggest(espeak: &Espeak, wanted: &str) -> String {
    let base = wanted
        .split('+')
        .next()
        .unwrap_or(wanted)
        .to_ascii_lowercase();
    let prefix: String = base.chars().take(2).collect();
    let mut names: Vec<String> = espeak
        .list_voices()
        .into_iter()
        .filter(|v| !v.identifier.starts_with("mb/"))
        .filter_map(|v| v.languages.into_iter().next())
        .filter(|lang| !prefix.is_empty() && lang.starts_with(&prefix))
        .take(5)
        .collect();
    if names.is_empty() {
        names = ["en-us", "en-gb", "cmn", "de", "fr"]
            .map(String::from)
            .to_vec();
    }
    names.join(", ")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rate_maps_linearly_onto_words_per_minute() {
        let at = |rate| {
            LocalParams {
                rate,
                ..LocalParams::default()
            }
            .wpm()
        };
        assert_eq!(at(1.0), 175);
        assert_eq!(at(2.0), 350);
        assert_eq!(at(0.5), 88);
    }

    #[test]
    fn pitch_and_volume_map_onto_espeak_scales() {
        let p = LocalParams {
            pitch: 2.0,
            volume: 100,
            ..LocalParams::default()
        };
        assert_eq!((p.espeak_pitch(), p.espeak_volume()), (100, 200));
        let p = LocalParams {
            pitch: 0.5,
            volume: 0,
            ..LocalParams::default()
        };
        assert_eq!((p.espeak_pitch(), p.espeak_volume()), (25, 0));
    }

    #[test]
    fn the_voice_follows_the_script_and_language() {
        for (text, voice) in [
            ("你好，世界。", "cmn"),
            ("我喜欢 Rust 语言和编程", "cmn"),
            ("Hello, 世界", "en-us"),
            ("Bonjour tout le monde.", "en-us"),
            ("Привет, как у тебя дела сегодня?", "ru"),
            (
                "Добрий день, як ваші справи? Дякую, все добре, і в мене теж.",
                "uk",
            ),
            ("مرحبا بالعالم، كيف حالك اليوم؟", "ar"),
            ("नमस्ते दुनिया, आप कैसे हैं?", "hi"),
            ("こんにちは、世界。今日はいい天気ですね。", "ja"),
            ("東京は日本の首都です。", "ja"),
            ("안녕하세요, 세계. 오늘 날씨가 좋네요.", "ko"),
            ("Γειά σου κόσμε, τι κάνεις;", "el"),
            ("שלום עולם, מה שלומך היום?", "he"),
            ("สวัสดีชาวโลก วันนี้อากาศดี", "th"),
            ("12345 ...", "en-us"),
        ] {
            assert_eq!(voice_for(text), voice, "{text}");
        }
    }

    #[test]
    fn text_that_cannot_tell_keeps_the_voice_around_it() {
        let mut last = None;
        let mut voices = Vec::new();
        for text in [
            "Добрий день, як ваші справи? Дякую, все добре, і в мене теж.",
            "Так.",
            "42.",
            "Hello there.",
            "7",
        ] {
            let detected = detect(text).after(last);
            last = Some(detected);
            voices.push(detected.voice);
        }
        assert_eq!(voices, ["uk", "uk", "uk", "en-us", "en-us"]);
        assert_eq!(
            detect("Так.").after(None).voice,
            "ru",
            "alone, the script's first"
        );
    }
}
