//! The whole signal path of one plugin instance:
//! input stage → [pre tap] → main gain, dim, mute → crossfeed → [post tap] → ear guard → main out,
//! and four cues fed from the taps. The plugin's `process()` only hands it slices.

use crate::crossfeed::{Crossfeed, CrossfeedSetting};
use crate::cue::{CueSettings, CueStage, CueTaps, CUE_COUNT};
use crate::input::{InputLayout, InputSettings, InputStage};
use crate::output::{GainRamp, OutputSettings, OutputStage};

/// Samples the engine works on at once; host blocks of any length are cut into these, so
/// the scratch memory is fixed at construction and the result never depends on the host's
/// block size.
pub const CHUNK_FRAMES: usize = 256;

/// Every user setting the engine acts on.
#[derive(Clone, Copy, Debug, PartialEq, Default)]
pub struct EngineSettings {
    /// Decoding, mode, trim and polarity.
    pub input: InputSettings,
    /// The main output's gain stage and ear guard.
    pub main: OutputSettings,
    /// Headphone crossfeed on the main output.
    pub crossfeed: CrossfeedSetting,
    /// The four cue outputs.
    pub cues: [CueSettings; CUE_COUNT],
    /// Host bypass: the main input passes to the main output unchanged.
    pub bypass: bool,
}

/// A cue output buffer pair handed over by the host, or `None` when the host gave no usable
/// buffer (port absent, switched off, or null channel pointers).
pub type CueOut<'a> = Option<(&'a mut [f32], &'a mut [f32])>;

/// Cuewire's engine for one instance at one sample rate and input layout.
pub struct Engine {
    layout: InputLayout,
    settings: EngineSettings,
    input: InputStage,
    main: OutputStage,
    crossfeed: Crossfeed,
    cues: [CueStage; CUE_COUNT],
    /// 1.0 = fully processed, 0.0 = fully bypassed.
    wet: GainRamp,
    dry: [Vec<f32>; 2],
    cm: [Vec<f32>; 2],
    pre: [Vec<f32>; 2],
    post: [Vec<f32>; 2],
    balanced_active: bool,
}

impl Engine {
    /// An engine for `layout` at `sample_rate_hz`, resting at `settings` from the first sample.
    pub fn new(sample_rate_hz: f32, layout: InputLayout, settings: &EngineSettings) -> Self {
        let mut input = InputStage::new(sample_rate_hz);
        input.set_settings(&settings.input);
        let scratch = || [vec![0.0; CHUNK_FRAMES], vec![0.0; CHUNK_FRAMES]];
        let mut engine = Self {
            layout,
            settings: *settings,
            input,
            main: OutputStage::new(sample_rate_hz, &settings.main),
            crossfeed: Crossfeed::new(sample_rate_hz, settings.crossfeed),
            cues: settings.cues.map(|cue| CueStage::new(sample_rate_hz, &cue)),
            wet: GainRamp::new(sample_rate_hz, if settings.bypass { 0.0 } else { 1.0 }),
            dry: scratch(),
            cm: scratch(),
            pre: scratch(),
            post: scratch(),
            balanced_active: false,
        };
        engine.reset();
        engine
    }

    /// The input layout this engine decodes.
    pub fn layout(&self) -> InputLayout {
        self.layout
    }

    /// The settings in force (targets of any running ramps).
    pub fn settings(&self) -> &EngineSettings {
        &self.settings
    }

    /// New settings, effective from the next sample (gains and routing ramp there).
    pub fn set_settings(&mut self, settings: &EngineSettings) {
        if settings.input != self.settings.input {
            self.input.set_settings(&settings.input);
        }
        self.main.set_settings(&settings.main);
        self.crossfeed.set(settings.crossfeed);
        for (cue, cue_settings) in self.cues.iter_mut().zip(&settings.cues) {
            cue.set_settings(cue_settings);
        }
        self.wet.set_target(if settings.bypass { 0.0 } else { 1.0 });
        self.settings = *settings;
    }

    /// Clears all signal state; every ramp jumps to its target, so after activation the
    /// settings act from the first sample.
    pub fn reset(&mut self) {
        self.input.reset();
        self.crossfeed.reset();
        self.snap();
        self.reset_meters();
        self.balanced_active = false;
    }

    /// Ends every running ramp at its target (after a state load).
    pub fn snap(&mut self) {
        self.input.snap();
        self.main.snap();
        self.crossfeed.snap();
        for cue in &mut self.cues {
            cue.snap();
        }
        self.wet.snap();
    }

    /// Clears every latched meter value and counter.
    pub fn reset_meters(&mut self) {
        self.main.reset_counters();
        for cue in &mut self.cues {
            cue.reset_counters();
        }
    }

    /// The input stage (for the Auto fix decision).
    pub fn input(&self) -> &InputStage {
        &self.input
    }

    /// The main output stage (for the ear guard's counters).
    pub fn main(&self) -> &OutputStage {
        &self.main
    }

    /// The cue stages.
    pub fn cues(&self) -> &[CueStage; CUE_COUNT] {
        &self.cues
    }

    /// True when the last chunk was decoded as a balanced pair (common mode is meaningful).
    pub fn balanced_active(&self) -> bool {
        self.balanced_active
    }

    /// Processes one host block in place. `l`, `r`: the main buffer (Stereo: L, R; Mono: the
    /// input in `l`; BalancedPairs: Hot L, Cold L); `aux`: Hot R, Cold R for BalancedPairs.
    /// On return `l`, `r` hold the main output and each connected cue its output.
    /// Mismatched lengths process the shortest; a cue buffer of another length is left alone.
    pub fn process(
        &mut self,
        l: &mut [f32],
        r: &mut [f32],
        aux: Option<(&[f32], &[f32])>,
        cue_outs: &mut [CueOut<'_>; CUE_COUNT],
    ) {
        let mut n = l.len().min(r.len());
        if let Some((a, b)) = aux {
            n = n.min(a.len()).min(b.len());
        }
        for out in cue_outs.iter_mut() {
            if out
                .as_ref()
                .is_some_and(|(a, b)| a.len() < n || b.len() < n)
            {
                *out = None;
            }
        }
        let mut start = 0;
        while start < n {
            let end = (start + CHUNK_FRAMES).min(n);
            let chunk_aux = aux.map(|(a, b)| (&a[start..end], &b[start..end]));
            self.process_chunk(
                &mut l[start..end],
                &mut r[start..end],
                chunk_aux,
                cue_outs,
                start..end,
            );
            start = end;
        }
    }

    /// Processes one block with no cue outputs connected.
    pub fn process_main(&mut self, l: &mut [f32], r: &mut [f32], aux: Option<(&[f32], &[f32])>) {
        self.process(l, r, aux, &mut [None, None, None, None]);
    }

    fn process_chunk(
        &mut self,
        l: &mut [f32],
        r: &mut [f32],
        aux: Option<(&[f32], &[f32])>,
        cue_outs: &mut [CueOut<'_>; CUE_COUNT],
        range: std::ops::Range<usize>,
    ) {
        let n = l.len();
        let bypass_involved = self.wet.is_ramping() || self.wet.current_lin() != 1.0;
        if bypass_involved {
            self.dry[0][..n].copy_from_slice(l);
            // Bypassing a mono → stereo insert still feeds both ears.
            let dry_r = if self.layout == InputLayout::Mono {
                &*l
            } else {
                &*r
            };
            self.dry[1][..n].copy_from_slice(dry_r);
        }

        let [cm_l, cm_r] = &mut self.cm;
        self.balanced_active =
            self.input
                .process(self.layout, l, r, aux, &mut cm_l[..n], &mut cm_r[..n]);

        let cues_active = self
            .cues
            .iter()
            .zip(cue_outs.iter())
            .any(|(cue, out)| out.is_some() && !cue.is_idle());
        if cues_active {
            self.pre[0][..n].copy_from_slice(l);
            self.pre[1][..n].copy_from_slice(r);
        }

        self.main.apply_gain(l, r);
        self.crossfeed.process(l, r);

        if cues_active {
            self.post[0][..n].copy_from_slice(l);
            self.post[1][..n].copy_from_slice(r);
            let taps = CueTaps {
                pre: (&self.pre[0][..n], &self.pre[1][..n]),
                post: (&self.post[0][..n], &self.post[1][..n]),
            };
            for (cue, out) in self.cues.iter_mut().zip(cue_outs.iter_mut()) {
                if let Some((a, b)) = out {
                    if !cue.is_idle() {
                        cue.process(taps, &mut a[range.clone()], &mut b[range.clone()]);
                    }
                }
            }
        }

        self.main.apply_guard(l, r);

        if bypass_involved {
            self.mix_dry(l, r);
        }
    }

    /// Crossfades the processed signal with the dry input by the bypass ramp.
    fn mix_dry(&mut self, l: &mut [f32], r: &mut [f32]) {
        let n = l.len();
        let [dry_l, dry_r] = &self.dry;
        if !self.wet.is_ramping() {
            // Fully bypassed: the input passes bit for bit.
            l.copy_from_slice(&dry_l[..n]);
            r.copy_from_slice(&dry_r[..n]);
            return;
        }
        for i in 0..n {
            let wet = self.wet.next_lin();
            l[i] = wet * l[i] + (1.0 - wet) * dry_l[i];
            r[i] = wet * r[i] + (1.0 - wet) * dry_r[i];
        }
    }
}
