//! Cuewire's signal engine: input decoding and Auto fix, the main output's gain and
//! ear guard, the meters, and the level at the ear (calibration and a slow level limit).
//! No plugin framework and no GUI live here; every buffer is allocated in
//! `new()`/`prepare()`, never while processing.

#![deny(unsafe_op_in_unsafe_fn)]

pub mod autofix;
pub mod calibration;
pub mod crossfeed;
pub mod cue;
pub mod engine;
pub mod input;
pub mod level_limit;
pub mod listen;
pub mod meter;
pub mod output;
pub mod ramp;
pub mod sanitise;
mod simd;
pub mod talkback;

pub use simd::FORCE_PORTABLE_ENV;
pub mod units;
