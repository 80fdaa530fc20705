//! The hand-written binding to libespeak-ng: the only module allowed `unsafe`.
//!
//! libespeak-ng keeps global state, so [`Espeak`] may exist once per process and is not `Send`:
//! the local engine's thread creates it and keeps it. Audio reaches Rust through the synth
//! callback, which finds its per-call context through the `user_data` pointer that espeak copies
//! into every event, so no global mutable state is needed on our side.
#![allow(
    unsafe_code,
    reason = "FFI to libespeak-ng; every unsafe block states its invariant"
)]

use std::ffi::{CStr, CString, c_char, c_int, c_short, c_uint, c_void};
use std::marker::PhantomData;
use std::ptr;
use std::sync::atomic::{AtomicBool, Ordering};

const AUDIO_OUTPUT_SYNCHRONOUS: c_int = 2;
const ESPEAK_INITIALIZE_DONT_EXIT: c_int = 0x8000;
const POS_CHARACTER: c_int = 1;
const ESPEAK_CHARS_UTF8: c_uint = 1;
/// Add the sentence-final pause: fragments are spoken one call at a time and must not run
/// together.
const ESPEAK_ENDPAUSE: c_uint = 0x1000;
const EE_OK: c_int = 0;
const EE_NOT_FOUND: c_int = 2;

/// `espeak_EVENT` from speak_lib.h; only `user_data` is read, the rest keeps the layout.
#[repr(C)]
struct EspeakEvent {
    kind: c_int,
    unique_identifier: c_uint,
    text_position: c_int,
    length: c_int,
    audio_position: c_int,
    sample: c_int,
    user_data: *mut c_void,
    id: [u8; 8],
}

/// `espeak_VOICE` from speak_lib.h.
#[repr(C)]
struct EspeakVoice {
    name: *const c_char,
    languages: *const c_char,
    identifier: *const c_char,
    gender: u8,
    age: u8,
    variant: u8,
    xx1: u8,
    score: c_int,
    spare: *mut c_void,
}

type SynthCallback = extern "C" fn(*mut c_short, c_int, *mut EspeakEvent) -> c_int;

unsafe extern "C" {
    fn espeak_Initialize(
        output: c_int,
        buflength: c_int,
        path: *const c_char,
        options: c_int,
    ) -> c_int;
    fn espeak_SetSynthCallback(callback: SynthCallback);
    fn espeak_SetParameter(parameter: c_int, value: c_int, relative: c_int) -> c_int;
    fn espeak_SetVoiceByName(name: *const c_char) -> c_int;
    fn espeak_ListVoices(spec: *mut EspeakVoice) -> *mut *const EspeakVoice;
    fn espeak_Synth(
        text: *const c_void,
        size: usize,
        position: c_uint,
        position_type: c_int,
        end_position: c_uint,
        flags: c_uint,
        unique_identifier: *mut c_uint,
        user_data: *mut c_void,
    ) -> c_int;
    fn espeak_Info(path_data: *mut *const c_char) -> *const c_char;
    fn espeak_TextToPhonemes(
        textptr: *mut *const c_void,
        textmode: c_int,
        phonememode: c_int,
    ) -> *const c_char;
}

/// `phonememode` for [`Espeak::phonemes`]: IPA as UTF-8.
const PHONEMES_IPA: c_int = 0x02;

/// Set while an [`Espeak`] exists: the library cannot be initialised twice at once.
static IN_USE: AtomicBool = AtomicBool::new(false);
/// The library's output rate, once it was initialised.
static SAMPLE_RATE: std::sync::OnceLock<u32> = std::sync::OnceLock::new();

/// What went wrong inside libespeak-ng.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum EspeakError {
    /// `espeak_Initialize` failed: usually the data files (espeak-ng-data) are missing.
    #[error(
        "libespeak-ng could not start (are its data files installed? apt-get install espeak-ng-data)"
    )]
    Init,
    /// A second instance was requested while one is alive.
    #[error("libespeak-ng is already in use in this process")]
    InUse,
    /// The voice name is not one espeak-ng knows.
    #[error("unknown voice")]
    VoiceNotFound,
    /// A string handed to espeak held a NUL byte.
    #[error("text contains a NUL byte")]
    Nul(#[from] std::ffi::NulError),
    /// espeak returned an error code.
    #[error("libespeak-ng returned error {0}")]
    Code(i32),
}

/// The speech parameters espeak-ng exposes that `tts` sets.
#[derive(Debug, Clone, Copy)]
pub enum Param {
    /// Words per minute, 80 to 450.
    Rate = 1,
    /// Amplitude, 0 to 200 (100 is normal).
    Volume = 2,
    /// Base pitch, 0 to 100 (50 is normal).
    Pitch = 3,
}

/// One voice as espeak-ng lists it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct VoiceInfo {
    /// The name `espeak_SetVoiceByName` accepts (the voice file's identifier, e.g. `gmw/en-US`).
    pub identifier: String,
    /// The display name (e.g. `English_(America)`).
    pub name: String,
    /// The language codes the voice speaks, most preferred first (e.g. `en-us`).
    pub languages: Vec<String>,
}

/// Whether synthesis should go on after a chunk was delivered.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Flow {
    /// Keep synthesizing.
    Continue,
    /// Stop this utterance now.
    Stop,
}

/// A word espeak has reached, for word timestamps.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct WordMark {
    /// Where the word starts in the text, in characters from 0.
    pub char_index: u32,
    /// Its length in characters.
    pub chars: u32,
    /// When it starts, in milliseconds from the start of this synthesis.
    pub ms: u32,
}

/// What a synthesis reports, in order.
#[derive(Debug)]
pub enum Output<'a> {
    /// A word starts (delivered before the audio chunk it starts in).
    Word(WordMark),
    /// Audio.
    Audio(&'a [i16]),
}

/// The per-call context the C callback reaches through `user_data`.
struct CallContext<'a> {
    on_output: &'a mut dyn FnMut(Output<'_>) -> Flow,
}

const EVENT_LIST_TERMINATED: c_int = 0;
const EVENT_WORD: c_int = 1;

extern "C" fn synth_callback(
    wav: *mut c_short,
    numsamples: c_int,
    events: *mut EspeakEvent,
) -> c_int {
    if events.is_null() {
        return 0;
    }
    // SAFETY: espeak passes an event list of at least one element (terminated by
    // LIST_TERMINATED), and every event carries the `user_data` given to `espeak_Synth`, which
    // is a live `&mut CallContext` for the duration of that synchronous call.
    let context = unsafe {
        let user_data = (*events).user_data;
        if user_data.is_null() {
            return 0;
        }
        &mut *user_data.cast::<CallContext<'_>>()
    };
    let mut cursor = events;
    loop {
        // SAFETY: the list is terminated by an event of type LIST_TERMINATED, and the cursor
        // never moves past it.
        let event = unsafe { &*cursor };
        if event.kind == EVENT_LIST_TERMINATED {
            break;
        }
        if event.kind == EVENT_WORD {
            // espeak counts text positions from 1.
            let mark = WordMark {
                char_index: u32::try_from(event.text_position.saturating_sub(1)).unwrap_or(0),
                chars: u32::try_from(event.length).unwrap_or(0),
                ms: u32::try_from(event.audio_position).unwrap_or(0),
            };
            if (context.on_output)(Output::Word(mark)) == Flow::Stop {
                return 1;
            }
        }
        // SAFETY: not past the terminator, checked above.
        cursor = unsafe { cursor.add(1) };
    }
    let samples: &[i16] = match usize::try_from(numsamples) {
        Ok(len) if len > 0 && !wav.is_null() => {
            // SAFETY: espeak guarantees `wav` points at `numsamples` valid 16-bit samples.
            unsafe { std::slice::from_raw_parts(wav.cast_const(), len) }
        }
        _ => &[],
    };
    if samples.is_empty() {
        return 0;
    }
    match (context.on_output)(Output::Audio(samples)) {
        Flow::Continue => 0,
        Flow::Stop => 1,
    }
}

/// The initialised library. Not `Send`: keep it on the thread that made it.
pub struct Espeak {
    sample_rate: u32,
    _not_send: PhantomData<*const ()>,
}

impl Espeak {
    /// Initialise libespeak-ng in synchronous mode, delivering audio every `buffer_ms`.
    pub fn init(buffer_ms: u32) -> Result<Self, EspeakError> {
        if IN_USE.swap(true, Ordering::AcqRel) {
            return Err(EspeakError::InUse);
        }
        // Initialised once per process and never terminated: espeak_Terminate after a
        // second espeak_Initialize deadlocks inside libespeak-ng, and a conversation (or any
        // run that synthesizes twice) needs it again.
        if let Some(&sample_rate) = SAMPLE_RATE.get() {
            return Ok(Self {
                sample_rate,
                _not_send: PhantomData,
            });
        }
        let buffer_ms = c_int::try_from(buffer_ms).unwrap_or(c_int::MAX);
        // SAFETY: plain C call; a null path selects the data directory compiled into the
        // library, and DONT_EXIT keeps espeak from calling exit() on a missing data file.
        let rate = unsafe {
            espeak_Initialize(
                AUDIO_OUTPUT_SYNCHRONOUS,
                buffer_ms,
                ptr::null(),
                ESPEAK_INITIALIZE_DONT_EXIT,
            )
        };
        let Ok(sample_rate) = u32::try_from(rate) else {
            IN_USE.store(false, Ordering::Release);
            return Err(EspeakError::Init);
        };
        if sample_rate == 0 {
            IN_USE.store(false, Ordering::Release);
            return Err(EspeakError::Init);
        }
        // SAFETY: registering a valid `extern "C"` function pointer.
        unsafe { espeak_SetSynthCallback(synth_callback) };
        let _ = SAMPLE_RATE.set(sample_rate);
        Ok(Self {
            sample_rate,
            _not_send: PhantomData,
        })
    }

    /// The sample rate of every chunk, in Hz (22050 for the standard voices).
    pub fn sample_rate(&self) -> u32 {
        self.sample_rate
    }

    /// The espeak-ng-data directory the library reads.
    pub fn data_path(&self) -> std::path::PathBuf {
        let mut path: *const c_char = ptr::null();
        // SAFETY: espeak_Info writes a pointer to its static path string into `path`.
        unsafe {
            espeak_Info(&raw mut path);
            c_string(path).into()
        }
    }

    /// Select a voice by name, identifier or language, with an optional `+variant`.
    pub fn set_voice(&mut self, name: &str) -> Result<(), EspeakError> {
        let name = CString::new(name)?;
        // SAFETY: `name` is a valid NUL-terminated string that outlives the call.
        match unsafe { espeak_SetVoiceByName(name.as_ptr()) } {
            EE_OK => Ok(()),
            EE_NOT_FOUND => Err(EspeakError::VoiceNotFound),
            code => Err(EspeakError::Code(code)),
        }
    }

    /// Set one speech parameter to an absolute value.
    pub fn set_param(&mut self, param: Param, value: i32) -> Result<(), EspeakError> {
        // SAFETY: plain C call with integer arguments.
        match unsafe { espeak_SetParameter(param as c_int, value, 0) } {
            EE_OK => Ok(()),
            code => Err(EspeakError::Code(code)),
        }
    }

    /// Every voice installed with the library.
    pub fn list_voices(&self) -> Vec<VoiceInfo> {
        let mut voices = Vec::new();
        // SAFETY: a null spec lists every voice; the result is a NULL-terminated array of
        // pointers into memory espeak owns until the next ListVoices call, copied out here.
        unsafe {
            let list = espeak_ListVoices(ptr::null_mut());
            if list.is_null() {
                return voices;
            }
            let mut cursor = list;
            while !(*cursor).is_null() {
                let voice = &**cursor;
                voices.push(VoiceInfo {
                    identifier: c_string(voice.identifier),
                    name: c_string(voice.name),
                    languages: languages(voice.languages),
                });
                cursor = cursor.add(1);
            }
        }
        voices
    }

    /// The IPA phonemes of `text` in the selected voice's language, clause by clause as espeak
    /// cuts it (its punctuation is dropped). Shares the synthesizer's state: same thread only.
    pub fn phonemes(&mut self, text: &str) -> Result<Vec<String>, EspeakError> {
        let text = CString::new(text)?;
        let mut clauses = Vec::new();
        let mut cursor: *const c_void = text.as_ptr().cast();
        while !cursor.is_null() {
            // SAFETY: `cursor` points into `text`, NUL-terminated and alive for the loop; espeak
            // advances it past the clause it translated or sets it to null at the end, and
            // returns its own static buffer, copied out before the next call.
            let clause = unsafe {
                let phonemes = espeak_TextToPhonemes(
                    &raw mut cursor,
                    ESPEAK_CHARS_UTF8 as c_int,
                    PHONEMES_IPA,
                );
                c_string(phonemes)
            };
            if !clause.trim().is_empty() {
                clauses.push(clause);
            }
        }
        Ok(clauses)
    }

    /// Synthesize `text` (UTF-8), calling `on_output` with words and audio chunks as espeak
    /// produces them. Returns when the whole text is spoken or `on_output` returned
    /// [`Flow::Stop`].
    pub fn synth(
        &mut self,
        text: &str,
        on_output: &mut dyn FnMut(Output<'_>) -> Flow,
    ) -> Result<(), EspeakError> {
        let text = CString::new(text)?;
        let bytes = text.as_bytes_with_nul();
        let mut context = CallContext { on_output };
        // SAFETY: synchronous mode: espeak_Synth returns only after the last callback, so the
        // text and the context pointer stay valid for every callback it makes.
        let code = unsafe {
            espeak_Synth(
                bytes.as_ptr().cast(),
                bytes.len(),
                0,
                POS_CHARACTER,
                0,
                ESPEAK_CHARS_UTF8 | ESPEAK_ENDPAUSE,
                ptr::null_mut(),
                ptr::from_mut(&mut context).cast(),
            )
        };
        match code {
            EE_OK => Ok(()),
            code => Err(EspeakError::Code(code)),
        }
    }
}

impl Drop for Espeak {
    fn drop(&mut self) {
        // The library stays initialised for the next user (see `init`); only the claim ends.
        IN_USE.store(false, Ordering::Release);
    }
}

/// Copy a C string espeak owns; null becomes empty.
///
/// # Safety
/// `ptr` is null or a valid NUL-terminated string.
unsafe fn c_string(ptr: *const c_char) -> String {
    if ptr.is_null() {
        return String::new();
    }
    // SAFETY: guaranteed by the caller.
    unsafe { CStr::from_ptr(ptr) }
        .to_string_lossy()
        .into_owned()
}

/// Parse espeak's language list: (priority byte, NUL-terminated name)* followed by a NUL.
///
/// # Safety
/// `ptr` is null or points at such a list.
unsafe fn languages(ptr: *const c_char) -> Vec<String> {
    let mut out = Vec::new();
    if ptr.is_null() {
        return out;
    }
    let mut cursor = ptr;
    // SAFETY: guaranteed by the caller: each entry is a priority byte then a C string, and
    // a zero priority byte ends the list.
    unsafe {
        while *cursor != 0 {
            let name = CStr::from_ptr(cursor.add(1));
            out.push(name.to_string_lossy().into_owned());
            cursor = cursor.add(1 + name.to_bytes().len() + 1);
        }
    }
    out
}
