#![no_main]
//! See fuzz/harness.rs for what this target checks.

#[path = "../harness.rs"]
mod harness;

libfuzzer_sys::fuzz_target!(|data: &[u8]| harness::callback_request(data));
