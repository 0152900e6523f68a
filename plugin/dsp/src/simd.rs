//! Runtime choice of the instruction set for the hot meter kernels.
//!
//! Every hot loop is written once, as a plain loop over fixed-size arrays that the compiler
//! vectorises, and instantiated three times through [`dispatch`]: for the baseline target
//! (SSE2 on x86-64), with AVX2 and FMA enabled (twice the vector width, fused multiply-add),
//! and with AVX-512F on top (16 f32 lanes per register and 32 registers, so a grouped filter
//! keeps all its state in registers). The choice is made once per meter or stage in `new()`,
//! so a stream is always processed by one instantiation and block-size invariance holds on
//! every machine. The two FMA instantiations are bit-identical (same operations in the same
//! order, only wider registers), and so is the portable one without FMA; the FMA ones differ
//! from the portable one by rounding only (≤ 1e-6 relative).
//!
//! Four loops also have a hand-written kernel (explicit intrinsics), kept because each
//! measured at least 15 % faster than its plain loop compiled for the same instruction set
//! (BENCHMARKS.md, "Kernel decisions"): the true-peak tiles (AVX2, and AVX-512F in the
//! AVX-512 instantiation), the crossfeed's four recursions and the entrance scan (AVX2, also
//! used by the AVX-512 instantiation), and the narrow weighting's K- and A-weighting of eight
//! lanes in one pass (AVX-512 only). Each is tested bit for bit against its plain loop,
//! which stays in the production code as the reference and as the path for CPUs without the
//! instruction set.

/// Instruction set a kernel runs with.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Isa {
    /// The compilation target's baseline (SSE2 on x86-64), no fused multiply-add.
    Portable,
    /// AVX2 with fused multiply-add (x86-64 CPUs that report both).
    #[cfg(target_arch = "x86_64")]
    Avx2Fma,
    /// AVX-512F and AVX-512VL with AVX2 and fused multiply-add (x86-64 CPUs that report all
    /// four; VL gives eight-lane vectors the 32 registers too).
    #[cfg(target_arch = "x86_64")]
    Avx512,
}

/// Environment variable that forces the portable kernels (set to anything), so that the
/// test suite and the benches can be run on every instantiation on one machine.
pub const FORCE_PORTABLE_ENV: &str = "CUEWIRE_DSP_PORTABLE";

/// Environment variable that keeps the AVX-512 instantiation off (set to anything), so the
/// AVX2 + FMA one can be tested and benchmarked on a CPU that has both.
pub const NO_AVX512_ENV: &str = "CUEWIRE_DSP_NO_AVX512";

impl Isa {
    /// Whether this CPU can run kernels compiled for `self`.
    pub(crate) fn supported(self) -> bool {
        match self {
            Self::Portable => true,
            #[cfg(target_arch = "x86_64")]
            Self::Avx2Fma => {
                std::arch::is_x86_feature_detected!("avx2")
                    && std::arch::is_x86_feature_detected!("fma")
            }
            #[cfg(target_arch = "x86_64")]
            Self::Avx512 => {
                Self::Avx2Fma.supported()
                    && std::arch::is_x86_feature_detected!("avx512f")
                    && std::arch::is_x86_feature_detected!("avx512vl")
            }
        }
    }

    /// Every instruction set this CPU supports, narrowest first (tests run each).
    #[cfg(test)]
    pub(crate) fn all_supported() -> Vec<Self> {
        let mut all = vec![Self::Portable];
        #[cfg(target_arch = "x86_64")]
        all.extend([Self::Avx2Fma, Self::Avx512]);
        all.retain(|isa| isa.supported());
        all
    }

    /// The widest instruction set this CPU supports, whatever the environment says (tests
    /// compare it with [`Isa::Portable`]).
    pub(crate) fn widest() -> Self {
        #[cfg(target_arch = "x86_64")]
        for isa in [Self::Avx512, Self::Avx2Fma] {
            if isa.supported() {
                return isa;
            }
        }
        Self::Portable
    }

    /// The best instruction set this CPU supports, unless [`FORCE_PORTABLE_ENV`] or
    /// [`NO_AVX512_ENV`] narrows it; decided once per process. The first call reads the
    /// environment (which allocates), so call it from constructors only, never from a
    /// process path.
    pub(crate) fn detect() -> Self {
        static CHOICE: std::sync::OnceLock<Isa> = std::sync::OnceLock::new();
        *CHOICE.get_or_init(|| {
            if std::env::var_os(FORCE_PORTABLE_ENV).is_some() {
                return Self::Portable;
            }
            match Self::widest() {
                #[cfg(target_arch = "x86_64")]
                Self::Avx512 if std::env::var_os(NO_AVX512_ENV).is_some() => Self::Avx2Fma,
                widest => widest,
            }
        })
    }
}

/// A piece of work generic over whether multiply-adds are fused (`FMA`). `run` must be
/// `#[inline(always)]` (and so must everything hot it calls) so that it is compiled inside
/// the feature-enabled wrapper rather than called from it.
pub(crate) trait Kernel {
    /// What the work returns.
    type Out;
    /// Does the work; `FMA` is true only inside the AVX2 + FMA and the AVX-512
    /// instantiations (so it also means the CPU has AVX2).
    fn run<const FMA: bool>(self) -> Self::Out;
}

/// Runs `kernel` with the instruction set `isa`.
#[inline(always)]
pub(crate) fn dispatch<K: Kernel>(isa: Isa, kernel: K) -> K::Out {
    match isa {
        Isa::Portable => kernel.run::<false>(),
        #[cfg(target_arch = "x86_64")]
        // SAFETY: `Isa::Avx2Fma` is only ever produced by `Isa::detect` after the CPU
        // reported both AVX2 and FMA (tests check `Isa::supported` before using it).
        Isa::Avx2Fma => unsafe { run_avx2_fma(kernel) },
        #[cfg(target_arch = "x86_64")]
        // SAFETY: `Isa::Avx512` is only ever produced by `Isa::detect` after the CPU
        // reported AVX-512F, AVX2 and FMA (tests check `Isa::supported` before using it).
        Isa::Avx512 => unsafe { run_avx512(kernel) },
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

/// `kernel` compiled with AVX-512F, AVX2 and FMA enabled.
///
/// # Safety
/// The CPU must support AVX-512F, AVX2 and FMA.
#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "avx512f,avx2,fma")]
unsafe fn run_avx512<K: Kernel>(kernel: K) -> K::Out {
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
