//! berth-storage
