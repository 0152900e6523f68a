//! A synthetic programme for the standalone build (`CUEWIRE_DEMO=1`), so the meters and the
//! spectrum show signal without an audio interface (the dummy backend's input is silence).
//! Compiled only with the `standalone` feature; it never allocates.

use std::f64::consts::TAU;

use crate::shared::SharedSettings;

/// Tones of the programme: (frequency Hz, amplitude left, amplitude right).
const TONES: [(f64, f32, f32); 5] = [
    (110.0, 0.12, 0.10),
    (220.0, 0.08, 0.09),
    (660.0, 0.05, 0.04),
    (1000.0, 0.04, 0.05),
    (3200.0, 0.015, 0.02),
];
/// Mains hum on both legs of a balanced pair (what the decode rejects): (Hz, amplitude).
const HUM: [(f64, f32); 3] = [(50.0, 0.05), (150.0, 0.02), (250.0, 0.01)];
/// Seconds between the deliberate overs that light the clip LED.
const OVER_PERIOD_S: f64 = 4.0;
/// Length of each over, seconds.
const OVER_LEN_S: f64 = 0.03;
/// Noise amplitude (about −32 dBFS RMS after the one-pole filter).
const NOISE_AMP: f32 = 0.05;

/// The demo signal's running state.
#[derive(Clone, Debug)]
pub struct DemoSignal {
    sample_rate_hz: f64,
    n: u64,
    rng: u32,
    noise_lp: [f32; 2],
}

impl DemoSignal {
    /// The demo if `CUEWIRE_DEMO=1` is set (read once, off the audio thread).
    pub fn from_env(sample_rate_hz: f32) -> Option<Self> {
        (std::env::var("CUEWIRE_DEMO").as_deref() == Ok("1")).then(|| Self {
            sample_rate_hz: f64::from(sample_rate_hz),
            n: 0,
            rng: 0x1234_5678,
            noise_lp: [0.0; 2],
        })
    }

    /// A uniform random value in −1..1 (xorshift32).
    fn noise(&mut self) -> f32 {
        self.rng ^= self.rng << 13;
        self.rng ^= self.rng >> 17;
        self.rng ^= self.rng << 5;
        self.rng as f32 / u32::MAX as f32 * 2.0 - 1.0
    }

    /// Overwrites the inputs with the programme: `l`/`r` carry it as plain stereo, or, when the
    /// right balanced pair `aux` is present, all four legs carry it balanced with hum on both.
    pub fn fill(&mut self, l: &mut [f32], r: &mut [f32], aux: Option<(&mut [f32], &mut [f32])>) {
        let mut aux = aux;
        for i in 0..l.len().min(r.len()) {
            let t = self.n as f64 / self.sample_rate_hz;
            self.n += 1;
            // Slow swell so the bars move like programme, not a test tone.
            let swell = 0.75 + 0.25 * (TAU * 0.3 * t).sin() as f32;
            let mut s = [0.0f32; 2];
            for (hz, a_l, a_r) in TONES {
                let x = (TAU * hz * t).sin() as f32;
                s[0] += a_l * x;
                s[1] += a_r * x;
            }
            for (ch, v) in s.iter_mut().enumerate() {
                let white = self.noise();
                self.noise_lp[ch] += 0.3 * (white - self.noise_lp[ch]);
                *v = *v * swell + NOISE_AMP * self.noise_lp[ch];
            }
            if t % OVER_PERIOD_S < OVER_LEN_S {
                // A hard-clipped burst: runs of full-scale samples, as a real over would give.
                let burst = (1.6 * (TAU * 90.0 * t).sin() as f32).clamp(-1.0, 1.0);
                s = [burst, burst];
            }
            match aux.as_mut() {
                Some((hot_r, cold_r)) if i < hot_r.len() && i < cold_r.len() => {
                    let hum: f32 = HUM
                        .iter()
                        .map(|&(hz, a)| a * (TAU * hz * t).sin() as f32)
                        .sum();
                    // The engine decodes (hot − cold)/2, so ±s on the legs gives back s.
                    l[i] = s[0] + hum;
                    r[i] = -s[0] + hum;
                    hot_r[i] = s[1] + hum;
                    cold_r[i] = -s[1] + hum;
                }
                _ => {
                    l[i] = s[0];
                    r[i] = s[1];
                }
            }
        }
    }
}

/// Applies `CUEWIRE_UI_SCALE` (factor) and `CUEWIRE_EDITOR_SIZE` (`WIDTHxHEIGHT`, logical
/// pixels) to the editor settings, so screenshots can be taken at any scale and size.
pub fn apply_env_editor_prefs(settings: &SharedSettings) {
    let prefs = settings.get();
    let scale = std::env::var("CUEWIRE_UI_SCALE")
        .ok()
        .and_then(|s| s.parse::<f32>().ok())
        .unwrap_or(prefs.ui_scale);
    let (width, height) = std::env::var("CUEWIRE_EDITOR_SIZE")
        .ok()
        .and_then(|s| {
            let (w, h) = s.split_once('x')?;
            Some((w.parse::<u32>().ok()?, h.parse::<u32>().ok()?))
        })
        .unwrap_or((prefs.editor_width, prefs.editor_height));
    settings.set_editor_prefs(width, height, scale);
    if let Ok(view) = std::env::var("CUEWIRE_VIEW") {
        settings.set_big_view(view.eq_ignore_ascii_case("big"));
    }
}
