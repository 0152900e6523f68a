//! Tells the tests which hand-written kernels the build machine's CPU can run: a kernel test
//! the CPU cannot run is then reported as ignored (skipped), never as passed.
//!
//! Sets `cfg(cuewire_has_avx2)` (AVX2 and FMA) and `cfg(cuewire_has_avx512)` (AVX-512F and
//! AVX-512VL).
//! The tests also check at run time that the CPU running them has what the build machine had.

fn main() {
    println!("cargo:rerun-if-changed=build.rs");
    println!("cargo:rustc-check-cfg=cfg(cuewire_has_avx2)");
    println!("cargo:rustc-check-cfg=cfg(cuewire_has_avx512)");
    // Only a native build runs its tests on this CPU; a cross build gets no kernel cfgs.
    let native = std::env::var("HOST").ok() == std::env::var("TARGET").ok();
    #[cfg(target_arch = "x86_64")]
    if native
        && std::arch::is_x86_feature_detected!("avx2")
        && std::arch::is_x86_feature_detected!("fma")
    {
        println!("cargo:rustc-cfg=cuewire_has_avx2");
        if std::arch::is_x86_feature_detected!("avx512f")
            && std::arch::is_x86_feature_detected!("avx512vl")
        {
            println!("cargo:rustc-cfg=cuewire_has_avx512");
        }
    }
    let _ = native;
}
