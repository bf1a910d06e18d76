//! idm-auth: opt a UPS.com user in to UPS Intelligent Data Management from a terminal.
pub mod simulator;
