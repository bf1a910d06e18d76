//! A UPS OAuth Authorization Code simulator (placeholder; being written).
