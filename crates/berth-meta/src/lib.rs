//! berth-meta
