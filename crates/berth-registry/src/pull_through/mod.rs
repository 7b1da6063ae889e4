//! The pull-through cache: repositories whose images come from an upstream registry on first
//! pull. `rules` holds which prefixes are caches of which upstream.

pub mod rules;
