//! Auto fix detector (placeholder, being written).
