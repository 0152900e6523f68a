//! End-to-end test harness for Cuewire.
