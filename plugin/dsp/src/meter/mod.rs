//! Meters (placeholder, being written).
