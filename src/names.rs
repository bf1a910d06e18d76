//! The small value enums that the command line, the config file and the settings all name
//! (`--env`/`environment`, `--store`/`store`). A leaf module: it imports nothing of ours, so
//! cli.rs, config.rs and settings.rs can each depend on it without depending on each other.
//! Names and parsing come from clap's `ValueEnum` (the spelling `--help` shows), written once.

use clap::ValueEnum;
use serde::Deserialize;

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum EnvName {
    /// UPS's Customer Integration Environment (https://wwwcie.ups.com)
    Cie,
    /// UPS production (https://onlinetools.ups.com)
    Production,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum StoreName {
    // No doc comments here: clap would turn every command's short help into the long one.
    Keyring,
    File,
    Vault,
}

impl EnvName {
    /// The name as the command line and the config file spell it.
    pub fn name(self) -> &'static str {
        match self {
            EnvName::Cie => "cie",
            EnvName::Production => "production",
        }
    }
}

impl StoreName {
    /// The name as the command line and the config file spell it.
    pub fn name(self) -> &'static str {
        match self {
            StoreName::Keyring => "keyring",
            StoreName::File => "file",
            StoreName::Vault => "vault",
        }
    }
}

/// Parse a value of an environment variable (any case, surrounding blanks ignored), or say
/// what `var` expects.
pub fn parse_var<T: ValueEnum>(var: &str, raw: &str) -> Result<T, String> {
    T::from_str(raw.trim(), true).map_err(|_| {
        let expected: Vec<String> = T::value_variants()
            .iter()
            .filter_map(|v| v.to_possible_value())
            .map(|p| format!("`{}`", p.get_name()))
            .collect();
        let (last, rest) = expected.split_last().expect("every enum here has variants");
        let expected = match rest {
            [] => last.clone(),
            _ => format!("{} or {last}", rest.join(", ")),
        };
        format!("{var}=`{}`: expected {expected}", raw.trim())
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_are_the_ones_clap_parses() {
        for env in EnvName::value_variants() {
            assert_eq!(parse_var::<EnvName>("V", env.name()), Ok(*env));
        }
        for store in StoreName::value_variants() {
            assert_eq!(parse_var::<StoreName>("V", store.name()), Ok(*store));
        }
        assert_eq!(parse_var::<StoreName>("V", " Vault "), Ok(StoreName::Vault));
        assert_eq!(
            parse_var::<EnvName>("IDM_AUTH_ENV", "prod"),
            Err("IDM_AUTH_ENV=`prod`: expected `cie` or `production`".into())
        );
    }
}
