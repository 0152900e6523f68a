//! What a listener hears from one output, as `analyze` and `render` report it: the level at
//! the ear (IEC 61672-1 A-weighting) and the sound exposure against a weekly allowance of
//! ITU-T H.870, and the loudness (ITU-R BS.1770-4, loudness range after EBU Tech 3342).

use std::io::Write;

use cuewire_dsp::meter::{EarReading, LoudnessReading, WeeklyAllowance, LOUDNESS_FLOOR_LUFS};
use serde_json::json;

/// A finite number for JSON, to 0.01 (silence reads −200 dB, never −inf, so this only guards).
pub fn num(x: f32) -> serde_json::Value {
    if x.is_finite() {
        json!((f64::from(x) * 100.0).round() / 100.0)
    } else {
        serde_json::Value::Null
    }
}

/// One output's level at the ear and loudness over a whole file.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct ListenerReport {
    /// A-weighted equivalent level over the file, louder ear, dB(A) SPL.
    pub laeq_db_spl: f32,
    /// Loudest LAeq over 1 s, louder ear, dB(A) SPL.
    pub laeq_1s_max_db_spl: f32,
    /// Sound exposure over the file, Pa²h.
    pub exposure_pa2h: f64,
    /// Exposure as a share of the weekly allowance, %.
    pub dose_percent: f64,
    /// The allowance the dose refers to.
    pub allowance: WeeklyAllowance,
    /// Integrated loudness, LUFS (the floor when nothing passed the gates).
    pub integrated_lufs: f32,
    /// Loudness range, LU.
    pub lra_lu: f32,
    /// Loudest momentary loudness (400 ms), LUFS.
    pub momentary_max_lufs: f32,
    /// Loudest short-term loudness (3 s), LUFS.
    pub short_term_max_lufs: f32,
    /// Highest true peak minus integrated loudness, dB; `None` until both are measured.
    pub plr_db: Option<f32>,
}

impl ListenerReport {
    /// The report from an output's ear and loudness readings after the whole file.
    pub fn new(
        ear: &EarReading,
        loudness: &LoudnessReading,
        plr_db: Option<f32>,
        allowance: WeeklyAllowance,
    ) -> Self {
        Self {
            laeq_db_spl: ear.louder_laeq_since_reset_db,
            laeq_1s_max_db_spl: ear.louder_max_laeq_1s_db,
            exposure_pa2h: ear.exposure_pa2h,
            dose_percent: ear.dose_percent,
            allowance,
            integrated_lufs: loudness.integrated_lufs,
            lra_lu: loudness.loudness_range_lu,
            momentary_max_lufs: loudness.max_momentary_lufs,
            short_term_max_lufs: loudness.max_short_term_lufs,
            plr_db,
        }
    }

    /// The report as JSON (exposure and dose unrounded: a minute at a moderate level is a
    /// small number of Pa²h).
    pub fn to_json(self) -> serde_json::Value {
        json!({
            "laeq_db_spl": num(self.laeq_db_spl),
            "laeq_1s_max_db_spl": num(self.laeq_1s_max_db_spl),
            "exposure_pa2h": self.exposure_pa2h,
            "dose_percent": self.dose_percent,
            "allowance": allowance_name(self.allowance),
            "integrated_lufs": num(self.integrated_lufs),
            "lra_lu": num(self.lra_lu),
            "momentary_max_lufs": num(self.momentary_max_lufs),
            "short_term_max_lufs": num(self.short_term_max_lufs),
            "plr_db": self.plr_db.map(num),
        })
    }

    /// Two lines of text for the output called `label` ("input", "main out", "cue 1 out").
    pub fn write_text(&self, out: &mut dyn Write, label: &str) -> std::io::Result<()> {
        writeln!(
            out,
            "{label} at the ear: LAeq {:.1} dB(A) SPL (loudest 1 s {:.1}), exposure {:.4} Pa²h = {:.2}% of the {} weekly allowance",
            self.laeq_db_spl,
            self.laeq_1s_max_db_spl,
            self.exposure_pa2h,
            self.dose_percent,
            allowance_name(self.allowance),
        )?;
        let lufs = |v: f32| match v > LOUDNESS_FLOOR_LUFS {
            true => format!("{v:.1} LUFS"),
            false => "silent".to_owned(),
        };
        // A value that rounds to zero prints as 0.0, not −0.0.
        let tenths = |v: f32| (v * 10.0).round() / 10.0 + 0.0;
        let plr = self
            .plr_db
            .map_or("—".to_owned(), |plr| format!("{:.1} dB", tenths(plr)));
        writeln!(
            out,
            "{label} loudness: integrated {}, LRA {:.1} LU, max momentary {}, max short-term {}, PLR {plr}",
            lufs(self.integrated_lufs),
            tenths(self.lra_lu),
            lufs(self.momentary_max_lufs),
            lufs(self.short_term_max_lufs),
        )
    }
}

/// The allowance as reports name it.
fn allowance_name(allowance: WeeklyAllowance) -> &'static str {
    match allowance {
        WeeklyAllowance::Adult => "adult",
        WeeklyAllowance::Sensitive => "sensitive",
    }
}
