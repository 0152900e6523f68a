//! What Cuewire's tests and benches share: deterministic test signals, level helpers, bit-exact
//! comparisons, block splits and a counting global allocator for no-allocation checks.
//!
//! Every generator returns the same samples for the same arguments on every run, so a test can
//! compare a run in one block against the same input cut into many blocks, bit for bit.

mod alloc;
mod compare;
mod level;
mod signal;

pub use alloc::{allocations_during, CountingAlloc};
pub use compare::{assert_bits_eq, first_bit_diff, spans};
pub use level::{amplitude, db, max_step, peak, rms};
pub use signal::{
    lcg_noise, music, noise, quantised, runs, sine, sine_f64, uniform, uniform_f64, uniform_from,
};
