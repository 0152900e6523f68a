//! Input stage (placeholder, being written).
