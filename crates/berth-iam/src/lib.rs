//! berth-iam
