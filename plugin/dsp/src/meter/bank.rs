//! Every meter of one engine and the batching that feeds them: the engine hands over each
//! chunk's metered signals (decoded input, common mode, each active cue's output, the main
//! output), the bank gathers them and runs the meters once per [`METER_BATCH_FRAMES`] batch
//! or at a read, whatever the host block.
//!
//! Outputs are numbered as in [`EarSettings`]: the ear meters cover main (0) and each cue
//! (1 + cue); the loudness meters also cover the input.

use super::{
    lin_to_db, plr_lu, CommonModeMeter, EarLevelMeter, GroupMember, LoudnessMeter, LoudnessReading,
    OutputMeter, OutputReading, SharedLanes, StereoMeter,
};
use crate::cue::CUE_COUNT;
use crate::engine::{
    meter_bits, CueOut, EarSettings, EngineReadings, CHUNK_FRAMES, METER_BATCH_FRAMES,
};

/// Frames a meter batch can hold: it runs once it holds [`METER_BATCH_FRAMES`], and a chunk
/// of up to [`CHUNK_FRAMES`] may arrive one frame short of that. The engine's chunking is left
/// as it is (cue fades end on chunk boundaries, which the cue meters see).
const METER_BATCH_CAPACITY: usize = METER_BATCH_FRAMES + CHUNK_FRAMES;

/// Outputs with a loudness meter: input, main, then each cue.
pub const LOUDNESS_OUTPUTS: usize = 2 + CUE_COUNT;

/// Outputs with an ear-level meter: main, then each cue.
pub const EAR_OUTPUTS: usize = 1 + CUE_COUNT;

/// Lanes of the shared K- and A-weighting: the two channels of each loudness output (input,
/// main, each cue; the ear outputs are the same minus the input), padded to whole vectors
/// (one of sixteen f32 lanes with AVX-512; the spare lanes filter silence).
const WEIGHTED_LANES: usize = (2 * LOUDNESS_OUTPUTS).next_multiple_of(16);

/// One stereo signal's frames waiting for its meters.
type BatchPair = [[f32; METER_BATCH_CAPACITY]; 2];

/// A stereo signal's two channels, of equal length.
type Pair<'a> = (&'a [f32], &'a [f32]);

/// Copies a chunk of `l`, `r` into `pair` from frame `at` on.
fn gather(pair: &mut BatchPair, at: usize, l: &[f32], r: &[f32]) {
    let [dst_l, dst_r] = pair;
    dst_l[at..at + l.len()].copy_from_slice(l);
    dst_r[at..at + r.len()].copy_from_slice(r);
}

/// The first `n` frames of a batch pair.
fn batch_pair(pair: &BatchPair, n: usize) -> Pair<'_> {
    let [l, r] = pair;
    (&l[..n], &r[..n])
}

/// The metered signals of the frames processed since the meters last ran: the meters run over
/// a whole batch at once (see [`METER_BATCH_FRAMES`]). Every frame in it had the same set of
/// metered signals (balanced decode, active cues); a change of that set runs the meters first.
struct MeterBatch {
    /// Frames gathered (less than [`METER_BATCH_FRAMES`] between chunks).
    frames: usize,
    /// Whether the gathered frames were decoded as a balanced pair (common mode gathered).
    balanced: bool,
    /// Which cues' outputs were gathered.
    cue_active: [bool; CUE_COUNT],
    /// The decoded input before any gain (also the common-mode meters' reference).
    input: BatchPair,
    /// The common mode per ear (balanced decode only).
    common_mode: BatchPair,
    /// The main output after the guard and the bypass mix.
    main: BatchPair,
    /// Each active cue's output.
    cues: [BatchPair; CUE_COUNT],
}

impl MeterBatch {
    /// An empty batch (about 28 KiB, on the heap).
    fn new() -> Box<Self> {
        let silent = || [[0.0; METER_BATCH_CAPACITY]; 2];
        Box::new(Self {
            frames: 0,
            balanced: false,
            cue_active: [false; CUE_COUNT],
            input: silent(),
            common_mode: silent(),
            main: silent(),
            cues: std::array::from_fn(|_| silent()),
        })
    }
}

/// Where a chunk's metered signals go.
#[derive(Clone, Copy)]
enum MeterRoute {
    /// Nowhere: metering is off.
    Off,
    /// Straight into the meters once the outputs are final: the chunk is a whole batch and
    /// none is waiting, so only the input (changed in place by the gain) is kept in the batch.
    Direct,
    /// Into the meter batch from this frame on.
    Batch(usize),
}

/// The meters themselves, apart from the batch that feeds them.
struct Meters {
    input: OutputMeter,
    main: OutputMeter,
    stereo: StereoMeter,
    common_mode: [CommonModeMeter; 2],
    cues: [OutputMeter; CUE_COUNT],
    /// Loudness of the input, the main output and each cue (in that order).
    loudness: [LoudnessMeter; LOUDNESS_OUTPUTS],
    /// Ear level of the main output and each cue (see [`EAR_OUTPUTS`]).
    ear: [EarLevelMeter; EAR_OUTPUTS],
    /// The K- and A-weighting of every loudness output, feeding both meter families.
    weighting: SharedLanes<WEIGHTED_LANES>,
}

impl Meters {
    /// Meters one span of every metered signal: the decoded input, the common mode when
    /// decoding a balanced pair (its meters take the input as reference), each active cue's
    /// output (`None`: not metered) and the main output. The level meters run as one group,
    /// so an output that carries the same samples as another (the main output of a transparent
    /// insert and its input, a cue fed the same mix, a mono cue's two sides) reuses its
    /// true-peak interpolation instead of computing it again (same readings).
    fn process(
        &mut self,
        (in_l, in_r): Pair<'_>,
        common_mode: Option<Pair<'_>>,
        cues: [Option<Pair<'_>>; CUE_COUNT],
        (l, r): Pair<'_>,
    ) {
        if let Some((cm_l, cm_r)) = common_mode {
            self.common_mode[0].process(cm_l, in_l);
            self.common_mode[1].process(cm_r, in_r);
        }
        let [c0, c1, c2, c3] = &mut self.cues;
        let mut group: [Option<GroupMember<'_>>; 2 + CUE_COUNT] = [
            Some((&mut self.input, in_l, in_r)),
            Some((&mut self.main, l, r)),
            None,
            None,
            None,
            None,
        ];
        for ((slot, meter), cue) in group[2..].iter_mut().zip([c0, c1, c2, c3]).zip(cues) {
            *slot = cue.map(|(a, b)| (meter, a, b));
        }
        OutputMeter::process_group(&mut group);
        self.stereo.process(l, r);
        // Cues that carry no signal play silence: their loudness and their ears get it too.
        let outputs = [
            Some((in_l, in_r)),
            Some((l, r)),
            cues[0],
            cues[1],
            cues[2],
            cues[3],
        ];
        let lanes = std::array::from_fn(|j| {
            let (a, b) = outputs.get(j / 2).copied().flatten()?;
            Some(if j % 2 == 0 { a } else { b })
        });
        let (loudness, ear) = (&mut self.loudness, &mut self.ear);
        self.weighting.process(
            lanes,
            l.len(),
            |sums| {
                for (k, meter) in loudness.iter_mut().enumerate() {
                    meter.end_step([sums[2 * k], sums[2 * k + 1]]);
                }
            },
            // Lanes 2 and 3 hold the main output, the first ear output.
            |sums| {
                for (i, meter) in ear.iter_mut().enumerate() {
                    meter.end_hop([sums[2 * i + 2], sums[2 * i + 3]]);
                }
            },
        );
    }

    /// The level meters of the input, main and each cue.
    fn level_meters(&mut self) -> impl Iterator<Item = &mut OutputMeter> {
        [&mut self.input, &mut self.main]
            .into_iter()
            .chain(self.cues.iter_mut())
    }
}

/// Every meter of one engine, with the batch that feeds them (see the module documentation).
pub struct MeterBank {
    meters: Meters,
    /// Metered signals waiting for the meters.
    batch: Box<MeterBatch>,
    /// Where the chunk being processed goes.
    route: MeterRoute,
    /// Which cues carried signal in the last chunk.
    cue_active: [bool; CUE_COUNT],
    /// False only in benchmarks of the signal path alone.
    enabled: bool,
    ear_settings: EarSettings,
}

impl MeterBank {
    /// Meters for an engine at `sample_rate_hz` (Hz) whose outputs play at `ear` (allocates).
    pub fn new(sample_rate_hz: f32, ear: &EarSettings) -> Self {
        let mut bank = Self {
            meters: Meters {
                input: OutputMeter::new(sample_rate_hz),
                main: OutputMeter::new(sample_rate_hz),
                stereo: StereoMeter::new(sample_rate_hz),
                common_mode: [
                    CommonModeMeter::new(sample_rate_hz),
                    CommonModeMeter::new(sample_rate_hz),
                ],
                cues: std::array::from_fn(|_| OutputMeter::new(sample_rate_hz)),
                loudness: std::array::from_fn(|_| LoudnessMeter::new(sample_rate_hz)),
                ear: ear
                    .spl_at_0dbfs_db
                    .map(|spl| EarLevelMeter::new(sample_rate_hz, spl)),
                weighting: SharedLanes::new(sample_rate_hz),
            },
            batch: MeterBatch::new(),
            route: MeterRoute::Off,
            cue_active: [false; CUE_COUNT],
            enabled: true,
            ear_settings: *ear,
        };
        bank.apply_ear_settings();
        bank
    }

    /// Starts a new stream at `sample_rate_hz` (Hz): forgets the waiting frames and every
    /// meter's signal history and readings. The listener's exposure is kept: the ears heard
    /// it whatever happens to the stream (only a reset through the meter masks clears it).
    pub fn restart(&mut self, sample_rate_hz: f32) {
        self.batch.frames = 0;
        let exposure: [f64; EAR_OUTPUTS] = std::array::from_fn(|i| self.exposure_pa2h(i));
        self.reset_masked(meter_bits::ALL);
        // The level meters also forget their filter history and RMS window (arrays, no
        // allocation), or the first true peaks after it would interpolate across the old audio
        // and report its level.
        for meter in self.meters.level_meters() {
            meter.set_sample_rate(sample_rate_hz);
        }
        for meter in &mut self.meters.loudness {
            meter.set_sample_rate(sample_rate_hz);
        }
        self.meters.weighting.restart(sample_rate_hz);
        for (ear, pa2h) in self.meters.ear.iter_mut().zip(exposure) {
            ear.set_sample_rate(sample_rate_hz);
            ear.set_exposure_pa2h(pa2h);
        }
    }

    /// Headroom ceilings (dB) of the input, the main output and each cue. Only reads use
    /// them, so the waiting frames need no flush.
    pub fn set_ceilings_db(&mut self, input_db: f32, main_db: f32, cues_db: [f32; CUE_COUNT]) {
        self.meters.input.set_ceiling_db(input_db);
        self.meters.main.set_ceiling_db(main_db);
        for (meter, db) in self.meters.cues.iter_mut().zip(cues_db) {
            meter.set_ceiling_db(db);
        }
    }

    /// Peak hold (ms) and clip run length (samples) of every level meter.
    pub fn set_options(&mut self, hold_ms: f32, clip_run_samples: u32) {
        // Both act per sample (hold countdown, clip runs): the waiting frames keep the old ones.
        self.flush();
        for meter in self.meters.level_meters() {
            meter.set_hold_ms(hold_ms);
            meter.set_clip_run_samples(clip_run_samples);
        }
    }

    /// New calibration and allowance for the ear meters, from the next frame on.
    pub fn set_ear_settings(&mut self, ear: &EarSettings) {
        if *ear != self.ear_settings {
            // A hop converts with the calibration in force at its end: the waiting frames
            // were played with the old one.
            self.flush();
            self.ear_settings = *ear;
            self.apply_ear_settings();
        }
    }

    fn apply_ear_settings(&mut self) {
        let ear = self.ear_settings;
        for (meter, spl) in self.meters.ear.iter_mut().zip(ear.spl_at_0dbfs_db) {
            meter.set_spl_at_0dbfs_db(spl);
            meter.set_allowance(ear.allowance);
        }
    }

    /// Loads a saved exposure (Pa²h) of output `output` (0 = main, 1 + n = cue n); ignored
    /// for other indices.
    pub fn set_exposure_pa2h(&mut self, output: usize, pa2h: f64) {
        self.flush();
        if let Some(meter) = self.meters.ear.get_mut(output) {
            meter.set_exposure_pa2h(pa2h);
        }
    }

    /// Exposure (Pa²h) of output `output` (0 = main, 1 + n = cue n) over every frame so
    /// far; 0 for other indices.
    pub fn exposure_pa2h(&mut self, output: usize) -> f64 {
        self.flush();
        self.meters
            .ear
            .get(output)
            .map_or(0.0, EarLevelMeter::exposure_pa2h)
    }

    /// Clears the latched values of the meters selected by `mask` (see [`meter_bits`]).
    pub fn reset_masked(&mut self, mask: u32) {
        // The waiting frames were processed before the reset.
        self.flush();
        let m = &mut self.meters;
        if mask & meter_bits::INPUT != 0 {
            m.input.reset();
            m.loudness[0].reset();
        }
        if mask & meter_bits::MAIN != 0 {
            m.main.reset();
            m.stereo.reset();
            for cm in &mut m.common_mode {
                cm.reset();
            }
            m.loudness[1].reset();
            m.ear[0].reset();
        }
        for i in 0..CUE_COUNT {
            if mask & (meter_bits::CUE_0 << i) != 0 {
                m.cues[i].reset();
                m.loudness[2 + i].reset();
                m.ear[1 + i].reset();
            }
        }
    }

    /// Turns metering on or off (off: only the signal path runs, readings stand still).
    pub fn set_enabled(&mut self, on: bool) {
        self.flush();
        self.enabled = on;
    }

    /// Which cues carried signal in the last chunk.
    pub fn cue_active(&self) -> [bool; CUE_COUNT] {
        self.cue_active
    }

    /// Takes a chunk's decoded input `l`, `r` (and the common mode when decoding a balanced
    /// pair), whose cues `cue_active` carry signal. A chunk whose set of metered signals
    /// differs from the waiting frames' runs the meters first.
    pub fn start_chunk(
        &mut self,
        l: &[f32],
        r: &[f32],
        common_mode: Option<Pair<'_>>,
        cue_active: [bool; CUE_COUNT],
    ) {
        self.cue_active = cue_active;
        if !self.enabled {
            self.route = MeterRoute::Off;
            return;
        }
        let balanced = common_mode.is_some();
        if self.batch.balanced != balanced || self.batch.cue_active != cue_active {
            self.flush();
        }
        let n = l.len();
        let batch = &mut *self.batch;
        batch.balanced = balanced;
        batch.cue_active = cue_active;
        let at = batch.frames;
        gather(&mut batch.input, at, l, r);
        if let Some((cm_l, cm_r)) = common_mode {
            gather(&mut batch.common_mode, at, cm_l, cm_r);
        }
        self.route = if at == 0 && n >= METER_BATCH_FRAMES {
            MeterRoute::Direct
        } else {
            MeterRoute::Batch(at)
        };
    }

    /// The decoded input of the `n`-frame chunk [`Self::start_chunk`] took, as kept in the
    /// batch (the cues' pre tap can read it there instead of copying it again); `None` while
    /// metering is off.
    pub fn chunk_input(&self, n: usize) -> Option<Pair<'_>> {
        let at = match self.route {
            MeterRoute::Off => return None,
            MeterRoute::Direct => 0,
            MeterRoute::Batch(at) => at,
        };
        let [l, r] = &self.batch.input;
        Some((l.get(at..at + n)?, r.get(at..at + n)?))
    }

    /// Takes cue `cue`'s final output of the chunk (only called for active cues).
    pub fn take_cue(&mut self, cue: usize, a: &[f32], b: &[f32]) {
        if let (MeterRoute::Batch(at), Some(pair)) = (self.route, self.batch.cues.get_mut(cue)) {
            gather(pair, at, a, b);
        }
    }

    /// Takes the chunk's final main output `l`, `r`; `cue_outs[range]` hold the active cues'
    /// outputs. Runs the meters when a batch is complete.
    pub fn finish_chunk(
        &mut self,
        l: &[f32],
        r: &[f32],
        cue_outs: &[CueOut<'_>; CUE_COUNT],
        range: std::ops::Range<usize>,
    ) {
        let n = l.len();
        match self.route {
            MeterRoute::Off => {}
            MeterRoute::Direct => {
                let cues = std::array::from_fn(|i| match &cue_outs[i] {
                    Some((a, b)) if self.cue_active[i] => {
                        Some((&a[range.clone()], &b[range.clone()]))
                    }
                    _ => None,
                });
                let batch = &*self.batch;
                self.meters.process(
                    batch_pair(&batch.input, n),
                    batch.balanced.then(|| batch_pair(&batch.common_mode, n)),
                    cues,
                    (l, r),
                );
            }
            MeterRoute::Batch(at) => {
                gather(&mut self.batch.main, at, l, r);
                self.batch.frames = at + n;
                if self.batch.frames >= METER_BATCH_FRAMES {
                    self.flush();
                }
            }
        }
    }

    /// Runs the meters over the frames waiting in the batch (they cover every metered signal
    /// of every frame processed before), so readings and resets see every frame so far.
    pub fn flush(&mut self) {
        let batch = &*self.batch;
        let n = batch.frames;
        if n > 0 {
            self.meters.process(
                batch_pair(&batch.input, n),
                batch.balanced.then(|| batch_pair(&batch.common_mode, n)),
                std::array::from_fn(|i| batch.cue_active[i].then(|| batch_pair(&batch.cues[i], n))),
                batch_pair(&batch.main, n),
            );
            self.batch.frames = 0;
        }
    }

    /// Takes every reading (after metering the waiting frames); the since-last-read peaks
    /// start over. `balanced_active` and `non_finite_count` come from the signal path.
    pub fn read(&mut self, balanced_active: bool, non_finite_count: u64) -> EngineReadings {
        self.flush();
        let m = &mut self.meters;
        let input = m.input.read();
        let main = m.main.read();
        let cues: [OutputReading; CUE_COUNT] = std::array::from_fn(|i| m.cues[i].read());
        let loudness = |m: &mut Meters, i: usize, level: &OutputReading| {
            let reading = m.loudness[i].read();
            let peak = level.max_true_peak_lin[0].max(level.max_true_peak_lin[1]);
            OutputLoudness {
                reading,
                plr_lu: plr_lu(lin_to_db(peak), &reading),
            }
        };
        EngineReadings {
            input_loudness: loudness(m, 0, &input),
            main_loudness: loudness(m, 1, &main),
            cue_loudness: std::array::from_fn(|i| loudness(m, 2 + i, &cues[i])),
            main_ear: m.ear[0].read(),
            cue_ear: std::array::from_fn(|i| m.ear[1 + i].read()),
            input,
            main,
            stereo: m.stereo.read(),
            common_mode: [m.common_mode[0].read(), m.common_mode[1].read()],
            cues,
            cue_active: self.cue_active,
            balanced_active,
            non_finite_count,
        }
    }
}

/// Loudness of one output with its peak-to-loudness ratio.
#[derive(Clone, Copy, Debug, Default, PartialEq)]
pub struct OutputLoudness {
    /// Momentary, short-term, integrated loudness (LUFS), range (LU) and maxima.
    pub reading: LoudnessReading,
    /// Highest true peak since reset (dBTP) minus integrated loudness (LUFS), in LU; `None`
    /// until both are measured.
    pub plr_lu: Option<f32>,
}
