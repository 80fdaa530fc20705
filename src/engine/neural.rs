//! ONNX Runtime, loaded at run time, running Piper models: one runtime environment per
//! process, one session per loaded voice.

use std::path::{Path, PathBuf};
use std::sync::OnceLock;

use ort::session::Session;
use ort::session::builder::GraphOptimizationLevel;
use ort::value::Tensor;

use super::EngineError;
use super::piper::PiperVoice;

/// The process's ONNX Runtime environment: the first library that loaded, or why none did.
static RUNTIME: OnceLock<Result<ort::environment::Environment, (PathBuf, String)>> =
    OnceLock::new();

/// Load ONNX Runtime from `library` (once per process; later calls get the same runtime).
pub fn runtime(library: &Path) -> Result<&'static ort::environment::Environment, EngineError> {
    RUNTIME
        .get_or_init(|| {
            let fail = |reason: String| (library.to_owned(), reason);
            ort::init_from(library)
                .map_err(|e| fail(e.to_string()))?
                .with_name("tts")
                .build()
                .map_err(|e| fail(e.to_string()))
        })
        .as_ref()
        .map_err(|(path, reason)| EngineError::Runtime {
            path: path.clone(),
            reason: reason.clone(),
        })
}

/// A voice's model, loaded and ready to run.
pub struct NeuralModel {
    session: Session,
    voice: PiperVoice,
    /// Whether the graph takes a speaker id (`sid`).
    takes_speaker: bool,
}

impl std::fmt::Debug for NeuralModel {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("NeuralModel")
            .field("voice", &self.voice.name)
            .finish_non_exhaustive()
    }
}

impl NeuralModel {
    /// Load `voice`'s model into the runtime loaded from `library`.
    pub fn load(library: &Path, voice: &PiperVoice) -> Result<Self, EngineError> {
        let environment = runtime(library)?;
        let fail = |reason: String| EngineError::Model {
            path: voice.model.clone(),
            reason: first_line(&reason),
        };
        let threads = std::thread::available_parallelism().map_or(1, std::num::NonZero::get);
        let session = Session::builder(environment)
            .map_err(|e| fail(e.to_string()))?
            // Piper's graph runs no faster optimized (measured: the same CPU time per
            // sentence), while optimizing it costs about 0.7 s of CPU at every load.
            .with_optimization_level(GraphOptimizationLevel::Disable)
            .map_err(|e| fail(e.to_string()))?
            .with_intra_threads(threads)
            .map_err(|e| fail(e.to_string()))?
            .commit_from_file(&voice.model)
            .map_err(|e| fail(e.to_string()))?;
        let names: Vec<&str> = session.inputs().iter().map(|i| i.name()).collect();
        for needed in ["input", "input_lengths", "scales"] {
            if !names.contains(&needed) {
                return Err(fail(format!(
                    "it has no input '{needed}', so it is not a Piper voice"
                )));
            }
        }
        let takes_speaker = names.contains(&"sid");
        Ok(Self {
            session,
            voice: voice.clone(),
            takes_speaker,
        })
    }

    /// The voice this model speaks.
    pub fn voice(&self) -> &PiperVoice {
        &self.voice
    }

    /// Audio for one utterance's phoneme ids, at the voice's rate, as floats around ±1.
    /// `length` multiplies the voice's own length scale (2.0 is half as fast).
    pub fn synthesize(
        &mut self,
        ids: Vec<i64>,
        length: f32,
        speaker: Option<i64>,
    ) -> Result<Vec<f32>, EngineError> {
        let fail = |e: ort::Error| EngineError::Neural {
            reason: first_line(&e.to_string()),
        };
        let inference = self.voice.config.inference;
        let count = i64::try_from(ids.len()).unwrap_or(i64::MAX);
        let input = Tensor::from_array(([1, ids.len()], ids)).map_err(fail)?;
        let lengths = Tensor::from_array(([1], vec![count])).map_err(fail)?;
        let scales = Tensor::from_array((
            [3],
            vec![
                inference.noise_scale,
                inference.length_scale * length,
                inference.noise_w,
            ],
        ))
        .map_err(fail)?;
        let outputs = if self.takes_speaker {
            let sid = Tensor::from_array(([1], vec![speaker.unwrap_or(0)])).map_err(fail)?;
            self.session.run(ort::inputs![
                "input" => input,
                "input_lengths" => lengths,
                "scales" => scales,
                "sid" => sid,
            ])
        } else {
            self.session.run(ort::inputs![
                "input" => input,
                "input_lengths" => lengths,
                "scales" => scales,
            ])
        }
        .map_err(fail)?;
        let (_, audio) = outputs[0].try_extract_tensor::<f32>().map_err(fail)?;
        Ok(audio.to_vec())
    }
}

fn first_line(text: &str) -> String {
    text.lines().next().unwrap_or_default().trim().to_owned()
}
