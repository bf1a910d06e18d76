//! The refresh of an opt-in's pair, written once for every store: [`transitions`] decides
//! (pure, checked by a model), [`run`] drives those decisions against a store's [`run::Port`]
//! (how it reads, claims and saves) and UPS, and [`reasons`] words every outcome.

pub mod reasons;
pub mod run;
pub mod transitions;
