//! Cuewire's signal engine: input decoding and Auto fix, the main output's gain and
//! ear guard, and the meters. No plugin framework and no GUI live here; every buffer
//! is allocated in `new()`/`prepare()`, never while processing.

pub mod autofix;
pub mod crossfeed;
pub mod cue;
pub mod engine;
pub mod input;
pub mod listen;
pub mod meter;
pub mod output;
mod simd;
pub mod talkback;

pub use simd::FORCE_PORTABLE_ENV;
pub mod units;
