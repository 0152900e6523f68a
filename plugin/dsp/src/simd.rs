//! Runtime choice of the instruction set for the hot meter kernels.
//!
//! Every hot loop is written once, as a plain loop over fixed-size arrays that the compiler
//! vectorises, and instantiated twice through [`dispatch`]: for the baseline target (SSE2 on
//! x86-64) and, when the CPU has them, with AVX2 and FMA enabled (twice the vector width, and
//! fused multiply-add in the true-peak FIR). The choice is made once per meter or stage in
//! `new()`, so a stream is always processed by one instantiation and block-size invariance
//! holds on every machine. Without FMA both instantiations are bit-identical (same operations,
//! same order, only wider registers); the FMA one differs from the portable one by rounding
//! only (≤ 1e-6 relative).
//!
//! Three loops also have a hand-written kernel (explicit intrinsics) inside the AVX2
//! instantiation, kept because each measured at least 15 % faster than its plain loop
//! compiled for the same instruction set (BENCHMARKS.md, "Kernel decisions"): the true-peak
//! tiles (AVX2, and AVX-512F where the CPU has it), the crossfeed's four recursions and the
//! entrance scan. Each is tested bit for bit against its plain loop, which stays in the
//! production code as the reference and as the path for CPUs without the instruction set.

/// Instruction set a kernel runs with.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Isa {
    /// The compilation target's baseline (SSE2 on x86-64), no fused multiply-add.
    Portable,
    /// AVX2 with fused multiply-add (x86-64 CPUs that report both).
    #[cfg(target_arch = "x86_64")]
    Avx2Fma,
}

/// Environment variable that forces the portable kernels (set to anything), so that the
/// test suite and the benches can be run on both instantiations on one machine.
pub const FORCE_PORTABLE_ENV: &str = "CUEWIRE_DSP_PORTABLE";

impl Isa {
    /// The widest instruction set this CPU supports, whatever the environment says (tests
    /// compare it with [`Isa::Portable`]).
    pub(crate) fn widest() -> Self {
        #[cfg(target_arch = "x86_64")]
        if std::arch::is_x86_feature_detected!("avx2") && std::arch::is_x86_feature_detected!("fma")
        {
            return Self::Avx2Fma;
        }
        Self::Portable
    }

    /// The best instruction set this CPU supports, unless [`FORCE_PORTABLE_ENV`] is set;
    /// decided once per process. The first call reads the environment (which allocates), so
    /// call it from constructors only, never from a process path.
    pub(crate) fn detect() -> Self {
        static CHOICE: std::sync::OnceLock<Isa> = std::sync::OnceLock::new();
        *CHOICE.get_or_init(|| {
            if std::env::var_os(FORCE_PORTABLE_ENV).is_some() {
                return Self::Portable;
            }
            Self::widest()
        })
    }
}

/// Environment variable that keeps the AVX-512 true-peak tiles off (set to anything), so the
/// AVX2 tiles can be tested and benchmarked on a CPU that has both.
pub const NO_AVX512_ENV: &str = "CUEWIRE_DSP_NO_AVX512";

/// True when the CPU has AVX-512F and neither [`NO_AVX512_ENV`] nor [`FORCE_PORTABLE_ENV`]
/// is set; decided once per process (the first call reads the environment, which allocates:
/// constructors only).
pub(crate) fn avx512_usable() -> bool {
    static CHOICE: std::sync::OnceLock<bool> = std::sync::OnceLock::new();
    *CHOICE.get_or_init(|| {
        #[cfg(target_arch = "x86_64")]
        if Isa::detect() != Isa::Portable && std::env::var_os(NO_AVX512_ENV).is_none() {
            return std::arch::is_x86_feature_detected!("avx512f");
        }
        false
    })
}

/// A piece of work generic over whether multiply-adds are fused (`FMA`). `run` must be
/// `#[inline(always)]` (and so must everything hot it calls) so that it is compiled inside
/// the feature-enabled wrapper rather than called from it.
pub(crate) trait Kernel {
    /// What the work returns.
    type Out;
    /// Does the work; `FMA` is true only inside the AVX2 + FMA instantiation.
    fn run<const FMA: bool>(self) -> Self::Out;
}

/// Runs `kernel` with the instruction set `isa`.
#[inline(always)]
pub(crate) fn dispatch<K: Kernel>(isa: Isa, kernel: K) -> K::Out {
    match isa {
        Isa::Portable => kernel.run::<false>(),
        #[cfg(target_arch = "x86_64")]
        // SAFETY: `Isa::Avx2Fma` is only ever produced by `Isa::detect` after the CPU
        // reported both AVX2 and FMA.
        Isa::Avx2Fma => unsafe { run_avx2_fma(kernel) },
    }
}

/// `kernel` compiled with AVX2 and FMA enabled.
///
/// # Safety
/// The CPU must support AVX2 and FMA.
#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "avx2,fma")]
unsafe fn run_avx2_fma<K: Kernel>(kernel: K) -> K::Out {
    kernel.run::<true>()
}

/// `acc + c·x`, fused (one rounding) when `FMA`, else multiply then add.
#[inline(always)]
pub(crate) fn mac<const FMA: bool>(acc: f32, c: f32, x: f32) -> f32 {
    if FMA {
        c.mul_add(x, acc)
    } else {
        acc + c * x
    }
}

/// [`mac`] in double precision: `acc + c·x`, fused (one rounding) when `FMA`.
#[inline(always)]
pub(crate) fn mac_f64<const FMA: bool>(acc: f64, c: f64, x: f64) -> f64 {
    if FMA {
        c.mul_add(x, acc)
    } else {
        acc + c * x
    }
}
