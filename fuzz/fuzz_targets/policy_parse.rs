//! Any bytes, as every kind of IAM policy: parsing and evaluating must never panic.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    berth_iam::policy::fuzz_one(data);
});
