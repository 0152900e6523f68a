//! Input stage: turns the host's input bus (stereo, mono or two balanced pairs) into the
//! stereo signal the rest of the engine monitors: decode → cold-leg trim → polarity → input
//! mode (with Auto fix).
//!
//! Every routing change (mode, Auto fix decision, polarity) is a linear crossfade and every
//! trim change a linear ramp, both advanced per sample from counters, so the output is
//! bit-identical whatever the host's block size. Nothing here looks ahead: zero latency.
//! Apart from the detector (which sanitises its input), no state is derived from the audio,
//! so non-finite input affects only the samples that carry it.

use crate::autofix::{AutoFixDecision, AutoFixDetector};
use crate::ramp::Ramp;
use crate::sanitise::sanitise_rate_hz;
use crate::units::db_to_lin;

/// Length of the crossfade between two routings (mode, Auto fix decision or polarity change), ms.
pub const CROSSFADE_MS: f32 = 10.0;
/// Length of the linear ramp that follows a cold-leg trim change, ms.
pub const TRIM_RAMP_MS: f32 = 10.0;
/// Largest cold-leg trim either way, dB (settings outside ±this are clamped).
pub const COLD_TRIM_MAX_DB: f32 = 3.0;

/// Channel layout of the host's input bus.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum InputLayout {
    /// One channel, copied to both before the mode.
    Mono,
    /// Two channels: stereo or dual mono.
    Stereo,
    /// Four channels: Hot L, Cold L, Hot R, Cold R.
    BalancedPairs,
}

/// What the input stage does with its two channels.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Default)]
pub enum InputMode {
    /// L → left ear, R → right ear (bit-transparent without inversion).
    #[default]
    Stereo,
    /// Stereo unless the detector finds a one-ear or anti-phase fault, which it then fixes.
    AutoFix,
    /// L → both ears.
    LeftToBoth,
    /// R → both ears.
    RightToBoth,
    /// (L + R)/2 → both ears.
    MonoSum,
    /// L → right ear, R → left ear.
    Swap,
    /// Ch 1 hot, ch 2 cold: (L − g·R)/2 → both ears.
    BalancedPair,
}

impl InputMode {
    /// The mode that acts in `layout`. Balanced pair needs one pair's two legs on channels 1
    /// and 2, which only the Stereo layout delivers: a 4-channel input is already decoded (a
    /// second decode would subtract the right ear from the left) and a mono input has no cold leg
    /// (it would cancel to silence), so there it acts as Stereo.
    pub fn effective_in(self, layout: InputLayout) -> Self {
        match (self, layout) {
            (InputMode::BalancedPair, InputLayout::Mono | InputLayout::BalancedPairs) => {
                InputMode::Stereo
            }
            _ => self,
        }
    }
}

/// User settings of the input stage.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct InputSettings {
    /// Input mode.
    pub mode: InputMode,
    /// Cold-leg trim per pair (index 0: pair L / the Balanced pair mode's pair, 1: pair R), dB, −3..+3.
    pub cold_trim_db: [f32; 2],
    /// Polarity inversion of channel 1 and channel 2 (after 4-ch decoding: of the decoded L and R).
    pub invert: [bool; 2],
}

impl Default for InputSettings {
    fn default() -> Self {
        Self {
            mode: InputMode::Stereo,
            cold_trim_db: [0.0; 2],
            invert: [false; 2],
        }
    }
}

impl InputSettings {
    /// The same settings with trims made finite and clamped to ±[`COLD_TRIM_MAX_DB`].
    pub fn sanitised(&self) -> Self {
        let trim = |db: f32| {
            if db.is_finite() {
                db.clamp(-COLD_TRIM_MAX_DB, COLD_TRIM_MAX_DB)
            } else {
                0.0
            }
        };
        Self {
            mode: self.mode,
            cold_trim_db: self.cold_trim_db.map(trim),
            invert: self.invert,
        }
    }
}

/// The routing the mode stage applies to the decoded L/R.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Kind {
    Stereo,
    LeftToBoth,
    RightToBoth,
    MonoSum,
    Swap,
    Balanced,
}

impl Kind {
    fn of(mode: InputMode, decision: AutoFixDecision) -> Self {
        match mode {
            InputMode::Stereo => Kind::Stereo,
            InputMode::AutoFix => match decision {
                AutoFixDecision::NoFault => Kind::Stereo,
                AutoFixDecision::LeftOnly => Kind::LeftToBoth,
                AutoFixDecision::RightOnly => Kind::RightToBoth,
                AutoFixDecision::AntiPhase => Kind::Balanced,
            },
            InputMode::LeftToBoth => Kind::LeftToBoth,
            InputMode::RightToBoth => Kind::RightToBoth,
            InputMode::MonoSum => Kind::MonoSum,
            InputMode::Swap => Kind::Swap,
            InputMode::BalancedPair => Kind::Balanced,
        }
    }
}

/// A routing and the polarity of its two inputs: what a crossfade goes between.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
struct Route {
    kind: Kind,
    invert: [bool; 2],
}

/// 2×2 gains `[l←L, l←R, r←L, r←R]`.
type Mat = [f32; 4];

/// A routing as gains, split into a constant part and a part proportional to the pair-L trim
/// g0, so a crossfade between any two routings (or from a half-finished crossfade) is a
/// plain per-coefficient interpolation while the trim keeps ramping underneath.
#[derive(Clone, Copy, Debug, PartialEq)]
struct Mix {
    /// Audio from the decoded L/R.
    audio_c: Mat,
    audio_g: Mat,
    /// Common mode (Stereo/Mono layouts) from the L/R legs: non-zero only for a balanced decode.
    cm_legs_c: Mat,
    cm_legs_g: Mat,
    /// Common mode (4-ch layout) from the two pairs' common modes: weighted like the audio,
    /// as magnitudes, so it tells what hum each ear's feed carried before decoding.
    cm_pairs_c: Mat,
    cm_pairs_g: Mat,
}

fn lerp_mat(to: &Mat, from: &Mat, f: f32) -> Mat {
    [
        to[0] + (from[0] - to[0]) * f,
        to[1] + (from[1] - to[1]) * f,
        to[2] + (from[2] - to[2]) * f,
        to[3] + (from[3] - to[3]) * f,
    ]
}

impl Mix {
    fn of(route: Route) -> Self {
        let s0 = if route.invert[0] { -1.0 } else { 1.0 };
        let s1 = if route.invert[1] { -1.0 } else { 1.0 };
        let signs: Mat = [s0, s1, s0, s1];
        let zero: Mat = [0.0; 4];
        let (c, g): (Mat, Mat) = match route.kind {
            Kind::Stereo => ([1.0, 0.0, 0.0, 1.0], zero),
            Kind::LeftToBoth => ([1.0, 0.0, 1.0, 0.0], zero),
            Kind::RightToBoth => ([0.0, 1.0, 0.0, 1.0], zero),
            Kind::MonoSum => ([0.5; 4], zero),
            Kind::Swap => ([0.0, 1.0, 1.0, 0.0], zero),
            Kind::Balanced => ([0.5, 0.0, 0.5, 0.0], [0.0, -0.5, 0.0, -0.5]),
        };
        let signed = |m: Mat| {
            [
                m[0] * signs[0],
                m[1] * signs[1],
                m[2] * signs[2],
                m[3] * signs[3],
            ]
        };
        let (cm_legs_c, cm_legs_g) = if route.kind == Kind::Balanced {
            (signed([0.5, 0.0, 0.5, 0.0]), signed([0.0, 0.5, 0.0, 0.5]))
        } else {
            (zero, zero)
        };
        Self {
            audio_c: signed(c),
            audio_g: signed(g),
            cm_legs_c,
            cm_legs_g,
            cm_pairs_c: c.map(f32::abs),
            cm_pairs_g: g.map(f32::abs),
        }
    }

    /// `to` at f = 0, `from` at f = 1.
    fn lerp(to: &Self, from: &Self, f: f32) -> Self {
        Self {
            audio_c: lerp_mat(&to.audio_c, &from.audio_c, f),
            audio_g: lerp_mat(&to.audio_g, &from.audio_g, f),
            cm_legs_c: lerp_mat(&to.cm_legs_c, &from.cm_legs_c, f),
            cm_legs_g: lerp_mat(&to.cm_legs_g, &from.cm_legs_g, f),
            cm_pairs_c: lerp_mat(&to.cm_pairs_c, &from.cm_pairs_c, f),
            cm_pairs_g: lerp_mat(&to.cm_pairs_g, &from.cm_pairs_g, f),
        }
    }

    fn has_leg_cm(&self) -> bool {
        self.cm_legs_c
            .iter()
            .chain(&self.cm_legs_g)
            .any(|&x| x != 0.0)
    }
}

/// Sign flip that keeps every other bit (NaN payloads, −0.0) intact.
#[inline]
fn pol(x: f32, invert: bool) -> f32 {
    if invert {
        -x
    } else {
        x
    }
}

/// The input stage: decode, trim, polarity, input mode and Auto fix.
#[derive(Clone, Debug)]
pub struct InputStage {
    settings: InputSettings,
    detector: AutoFixDetector,
    /// The routing in force, or being faded to.
    route: Route,
    /// Where the running crossfade started (meaningful while `fade` is ramping).
    fade_from: Mix,
    /// The crossfade's weight of `fade_from`: 1 at a change, ramping to 0 over [`CROSSFADE_MS`].
    fade: Ramp,
    /// Whether the last `process` only copied, negated or zeroed samples.
    copied_only: bool,
    /// Cold-leg gains of pair L and pair R, linear.
    trim_lin: [Ramp; 2],
}

impl InputStage {
    /// A stage for `sample_rate_hz` with default settings (Stereo, 0 dB trims, no inversion).
    pub fn new(sample_rate_hz: f32) -> Self {
        let rate = sanitise_rate_hz(sample_rate_hz);
        let settings = InputSettings::default();
        let route = Route {
            kind: Kind::Stereo,
            invert: settings.invert,
        };
        Self {
            settings,
            detector: AutoFixDetector::new(rate),
            route,
            fade_from: Mix::of(route),
            fade: Ramp::for_ms(rate, CROSSFADE_MS, 0.0),
            copied_only: true,
            trim_lin: settings
                .cold_trim_db
                .map(|db| Ramp::for_ms(rate, TRIM_RAMP_MS, db_to_lin(db))),
        }
    }

    /// Clears all state (detector, crossfades, smoothers jump to their targets).
    pub fn reset(&mut self) {
        self.detector.reset();
        self.snap();
    }

    /// Ends trim ramps and crossfades at their targets, keeping the detector's memory
    /// (after a state load the settings act from the first sample).
    pub fn snap(&mut self) {
        for ramp in &mut self.trim_lin {
            ramp.snap();
        }
        self.route = self.target_route();
        self.fade.snap();
    }

    /// New settings, effective from the next processed sample (routing changes crossfade, trim is smoothed).
    pub fn set_settings(&mut self, settings: &InputSettings) {
        let settings = settings.sanitised();
        for (ramp, &db) in self.trim_lin.iter_mut().zip(&settings.cold_trim_db) {
            let target = db_to_lin(db);
            ramp.set_target(target);
        }
        let entering_autofix =
            settings.mode == InputMode::AutoFix && self.settings.mode != InputMode::AutoFix;
        self.settings = settings;
        if entering_autofix {
            self.detector.reset();
        }
        self.update_route();
    }

    /// The settings in force (trims sanitised).
    pub fn settings(&self) -> &InputSettings {
        &self.settings
    }

    /// Auto fix's current decision (for the GUI lamp); `AutoFixDecision::NoFault` outside Auto fix mode.
    pub fn decision(&self) -> AutoFixDecision {
        if self.settings.mode == InputMode::AutoFix {
            self.detector.decision()
        } else {
            AutoFixDecision::NoFault
        }
    }

    /// The Auto fix detector (levels, correlation, condition), for display and tests.
    pub fn detector(&self) -> &AutoFixDetector {
        &self.detector
    }

    /// True while a routing crossfade is running.
    pub fn is_crossfading(&self) -> bool {
        self.fade.is_ramping()
    }

    /// Frames after which whether a balanced decode is active can change without a new
    /// setting (a crossfade's end, Auto fix's next decision); `None` when it cannot.
    pub fn frames_to_decode_change(&self) -> Option<usize> {
        let fade = self.fade.is_ramping().then(|| self.fade.remaining());
        let decision =
            (self.settings.mode == InputMode::AutoFix).then(|| self.detector.samples_to_hop_end());
        fade.into_iter().chain(decision).filter(|&f| f > 0).min()
    }

    /// True when the last [`InputStage::process`] only copied, negated or zeroed samples (no
    /// decode, sum or crossfade arithmetic): input free of subnormals then stayed free of them.
    pub fn last_block_copied_only(&self) -> bool {
        self.copied_only
    }

    /// True when [`InputStage::process`] in `layout` would only hand L and R through as they
    /// are (Stereo layout and mode, no inversion, no crossfade): its work on the audio is then
    /// nothing and [`InputStage::pass_through`] may stand in for it.
    pub fn passes_through(&self, layout: InputLayout) -> bool {
        layout == InputLayout::Stereo
            && self.settings.mode == InputMode::Stereo
            && self.settings.invert == [false, false]
            && !self.fade.is_ramping()
    }

    /// Advances the stage's clocks by `frames` exactly as a `process` of that many frames would
    /// when [`InputStage::passes_through`], without touching audio; the common mode (zeros
    /// then) is not written, and no balanced decode is active.
    pub fn pass_through(&mut self, frames: usize) {
        debug_assert!(!self.fade.is_ramping() && self.settings.mode == InputMode::Stereo);
        self.copied_only = true;
        for ramp in &mut self.trim_lin {
            ramp.advance(frames);
        }
    }

    /// Processes one block in place.
    /// Stereo: `l`,`r` = ch 1, ch 2. Mono: `l` = the mono input, `r`'s content is ignored (overwritten).
    /// BalancedPairs: `l` = Hot L, `r` = Cold L, `aux` = Some((hot_r, cold_r)) (None reads as silence).
    /// On return `l`,`r` hold the decoded, routed stereo signal.
    /// `cm_l`, `cm_r` receive the common-mode signal (hot + g·cold)/2 of the pair feeding each ear when
    /// a balanced decode is active (BalancedPairs layout always; Stereo layout in BalancedPair mode or
    /// Auto fix's anti-phase decision, where both get the same), zeros otherwise.
    /// Only the shortest of the given slices' lengths is processed; the rest is left alone.
    /// Returns true when a balanced decode is active in this block (the common-mode signal is meaningful).
    pub fn process(
        &mut self,
        layout: InputLayout,
        l: &mut [f32],
        r: &mut [f32],
        aux: Option<(&[f32], &[f32])>,
        cm_l: &mut [f32],
        cm_r: &mut [f32],
    ) -> bool {
        let aux = if layout == InputLayout::BalancedPairs {
            aux
        } else {
            None
        };
        let mut n = l.len().min(r.len()).min(cm_l.len()).min(cm_r.len());
        if let Some((hot_r, cold_r)) = aux {
            n = n.min(hot_r.len()).min(cold_r.len());
        }
        let mut balanced = layout == InputLayout::BalancedPairs || self.leg_decode_active();
        self.copied_only = layout != InputLayout::BalancedPairs;
        let mut pos = 0;
        while pos < n {
            let autofix = self.settings.mode == InputMode::AutoFix;
            let mut seg = n - pos;
            if autofix {
                // A decision can only change at a hop end; ending the segment there lets the new
                // routing start on the very next sample, whatever the block size.
                seg = seg.min(self.detector.samples_to_hop_end());
            }
            if self.fade.is_ramping() {
                seg = seg.min(self.fade.remaining());
            }
            let end = pos + seg;
            let (l, r) = (&mut l[pos..end], &mut r[pos..end]);
            let (cm_l, cm_r) = (&mut cm_l[pos..end], &mut cm_r[pos..end]);
            let aux = aux.map(|(h, c)| (&h[pos..end], &c[pos..end]));

            balanced |= self.leg_decode_active();
            self.decode(layout, l, r, aux, cm_l, cm_r);
            if autofix {
                self.detector
                    .process_with_polarity(l, r, self.settings.invert);
            }
            if self.fade.is_ramping() {
                self.copied_only = false;
                self.route_fading(layout, l, r, cm_l, cm_r);
            } else {
                self.copied_only &= !matches!(self.route.kind, Kind::MonoSum | Kind::Balanced);
                self.route_static(layout, l, r, cm_l, cm_r);
            }

            for ramp in &mut self.trim_lin {
                ramp.advance(seg);
            }
            self.fade.advance(seg);
            if autofix {
                self.update_route();
            }
            pos = end;
        }
        balanced
    }

    /// True when the Stereo/Mono layout's mode stage decodes a balanced pair (or fades to/from one).
    fn leg_decode_active(&self) -> bool {
        if self.fade.is_ramping() {
            self.fade_from.has_leg_cm() || self.route.kind == Kind::Balanced
        } else {
            self.route.kind == Kind::Balanced
        }
    }

    fn target_route(&self) -> Route {
        Route {
            kind: Kind::of(self.settings.mode, self.decision()),
            invert: self.settings.invert,
        }
    }

    fn update_route(&mut self) {
        let target = self.target_route();
        if target == self.route {
            return;
        }
        // Start from exactly what the last sample used, so a change in mid-fade is continuous too.
        let current = Mix::of(self.route);
        self.fade_from = if self.fade.is_ramping() {
            Mix::lerp(&current, &self.fade_from, self.fade.current())
        } else {
            current
        };
        self.route = target;
        self.fade.restart_from(1.0);
    }

    fn decode(
        &self,
        layout: InputLayout,
        l: &mut [f32],
        r: &mut [f32],
        aux: Option<(&[f32], &[f32])>,
        cm_l: &mut [f32],
        cm_r: &mut [f32],
    ) {
        match layout {
            InputLayout::Stereo => {}
            InputLayout::Mono => {
                for (o, &x) in r.iter_mut().zip(l.iter()) {
                    *o = x;
                }
            }
            InputLayout::BalancedPairs => {
                let [trim0, trim1] = self.trim_lin;
                for (k, ((hot, &cold), cm)) in l.iter_mut().zip(r.iter()).zip(cm_l).enumerate() {
                    let g = trim0.value_at(k);
                    let h = *hot;
                    *hot = (h - g * cold) * 0.5;
                    *cm = (h + g * cold) * 0.5;
                }
                match aux {
                    Some((hot_r, cold_r)) => {
                        let legs = hot_r.iter().zip(cold_r);
                        for (k, ((out, cm), (&h, &c))) in
                            r.iter_mut().zip(cm_r).zip(legs).enumerate()
                        {
                            let g = trim1.value_at(k);
                            *out = (h - g * c) * 0.5;
                            *cm = (h + g * c) * 0.5;
                        }
                    }
                    None => {
                        r.fill(0.0);
                        cm_r.fill(0.0);
                    }
                }
            }
        }
    }

    /// Routing with no crossfade running: each mode's own exact formula.
    fn route_static(
        &self,
        layout: InputLayout,
        l: &mut [f32],
        r: &mut [f32],
        cm_l: &mut [f32],
        cm_r: &mut [f32],
    ) {
        let [inv0, inv1] = self.route.invert;
        let trim0 = self.trim_lin[0];
        let pairs = layout == InputLayout::BalancedPairs;
        let both = l.iter_mut().zip(r.iter_mut());
        match self.route.kind {
            Kind::Stereo => {
                // The transparent path: samples not inverted are not even read.
                if inv0 {
                    l.iter_mut().for_each(|x| *x = -*x);
                }
                if inv1 {
                    r.iter_mut().for_each(|x| *x = -*x);
                }
            }
            Kind::LeftToBoth => both.for_each(|(a, b)| {
                let x = pol(*a, inv0);
                *a = x;
                *b = x;
            }),
            Kind::RightToBoth => both.for_each(|(a, b)| {
                let y = pol(*b, inv1);
                *a = y;
                *b = y;
            }),
            Kind::MonoSum => both.for_each(|(a, b)| {
                let m = (pol(*a, inv0) + pol(*b, inv1)) * 0.5;
                *a = m;
                *b = m;
            }),
            Kind::Swap => both.for_each(|(a, b)| {
                let (x, y) = (pol(*a, inv0), pol(*b, inv1));
                *a = y;
                *b = x;
            }),
            Kind::Balanced => {
                let cms = cm_l.iter_mut().zip(cm_r.iter_mut());
                for (k, ((a, b), (ml, mr))) in both.zip(cms).enumerate() {
                    let g = trim0.value_at(k);
                    let (hot, cold) = (pol(*a, inv0), pol(*b, inv1));
                    let out = (hot - g * cold) * 0.5;
                    *a = out;
                    *b = out;
                    if !pairs {
                        let cm = (hot + g * cold) * 0.5;
                        *ml = cm;
                        *mr = cm;
                    }
                }
            }
        }

        if pairs {
            let cms = cm_l.iter_mut().zip(cm_r.iter_mut());
            match self.route.kind {
                Kind::Stereo => {}
                Kind::LeftToBoth => cms.for_each(|(a, b)| *b = *a),
                Kind::RightToBoth => cms.for_each(|(a, b)| *a = *b),
                Kind::MonoSum => cms.for_each(|(a, b)| {
                    let m = (*a + *b) * 0.5;
                    *a = m;
                    *b = m;
                }),
                Kind::Swap => cms.for_each(|(a, b)| std::mem::swap(a, b)),
                Kind::Balanced => {
                    for (k, (a, b)) in cms.enumerate() {
                        let m = (*a + trim0.value_at(k) * *b) * 0.5;
                        *a = m;
                        *b = m;
                    }
                }
            }
        } else if self.route.kind != Kind::Balanced {
            cm_l.fill(0.0);
            cm_r.fill(0.0);
        }
    }

    /// Routing during a crossfade: the gains slide linearly, per sample, from `fade_from` to the
    /// new routing. The segment never runs past the fade's end.
    fn route_fading(
        &self,
        layout: InputLayout,
        l: &mut [f32],
        r: &mut [f32],
        cm_l: &mut [f32],
        cm_r: &mut [f32],
    ) {
        let to = Mix::of(self.route);
        let from = self.fade_from;
        let trim0 = self.trim_lin[0];
        let pairs = layout == InputLayout::BalancedPairs;
        // Keep the common-mode outputs exact zeros (not 0·NaN) when neither end decodes a pair.
        let legs_cm = !pairs && (from.has_leg_cm() || to.has_leg_cm());
        let both = l.iter_mut().zip(r.iter_mut());
        let cms = cm_l.iter_mut().zip(cm_r.iter_mut());
        for (k, ((a, b), (ml, mr))) in both.zip(cms).enumerate() {
            let f = self.fade.value_at(k);
            let g = trim0.value_at(k);
            let mix = Mix::lerp(&to, &from, f);
            let (x, y) = (*a, *b);
            let m = mix.audio_c;
            let mg = mix.audio_g;
            *a = (m[0] + g * mg[0]) * x + (m[1] + g * mg[1]) * y;
            *b = (m[2] + g * mg[2]) * x + (m[3] + g * mg[3]) * y;
            let (c, cg, u, v) = if pairs {
                (mix.cm_pairs_c, mix.cm_pairs_g, *ml, *mr)
            } else if legs_cm {
                (mix.cm_legs_c, mix.cm_legs_g, x, y)
            } else {
                *ml = 0.0;
                *mr = 0.0;
                continue;
            };
            *ml = (c[0] + g * cg[0]) * u + (c[1] + g * cg[1]) * v;
            *mr = (c[2] + g * cg[2]) * u + (c[3] + g * cg[3]) * v;
        }
    }
}
