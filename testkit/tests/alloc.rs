//! The allocation counter counts what a closure allocates and nothing else.

#[global_allocator]
static ALLOC: cuewire_testkit::CountingAlloc = cuewire_testkit::CountingAlloc;

use cuewire_testkit::allocations_during;

#[test]
fn counts_allocations_and_reallocations_of_the_closure_only() {
    let mut kept = Vec::with_capacity(1);
    assert_eq!(allocations_during(|| kept.push(1u32)), 0);
    // Growing past capacity reallocates once; a zeroed Vec allocates once more.
    assert_eq!(allocations_during(|| kept.extend([2u32, 3, 4, 5])), 1);
    assert_eq!(
        allocations_during(|| drop(std::hint::black_box(vec![0u8; 64]))),
        1
    );
    let mut sum = 0.0f32;
    assert_eq!(
        allocations_during(|| kept.iter().for_each(|&v| sum += v as f32)),
        0
    );
    assert_eq!(sum, 15.0);
}
