//! Validated newtypes: a value of these types is known to be well-formed.

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Role {
    Client,
    Seller,
    Maintainer,
    Superadmin,
}

impl Role {
    pub fn as_str(self) -> &'static str {
        match self {
            Role::Client => "client",
            Role::Seller => "seller",
            Role::Maintainer => "maintainer",
            Role::Superadmin => "superadmin",
        }
    }
    /// Superadmins and maintainers are the contract's "admins".
    pub fn is_admin(self) -> bool {
        matches!(self, Role::Maintainer | Role::Superadmin)
    }
}

impl fmt::Display for Role {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for Role {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s {
            "client" => Ok(Role::Client),
            "seller" => Ok(Role::Seller),
            "maintainer" => Ok(Role::Maintainer),
            "superadmin" => Ok(Role::Superadmin),
            other => Err(format!("unknown role `{other}`")),
        }
    }
}

/// A lower-cased, syntactically plausible email address.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Email(String);

impl Email {
    pub fn parse(raw: &str) -> Result<Self, &'static str> {
        let value = raw.trim().to_lowercase();
        let Some((local, domain)) = value.split_once('@') else {
            return Err("must be an email address");
        };
        let valid = !local.is_empty()
            && !domain.contains('@')
            && !value.chars().any(char::is_control)
            && value.len() <= 254
            && domain.contains('.')
            && !domain.starts_with('.')
            && !domain.ends_with('.')
            && !value
                .chars()
                .any(|c| c.is_whitespace() || c == '<' || c == '>' || c == ',');
        if valid {
            Ok(Self(value))
        } else {
            Err("must be an email address")
        }
    }
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// An E.164 phone number: `+` then 8 to 15 digits.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Phone(String);

impl Phone {
    pub fn parse(raw: &str) -> Result<Self, &'static str> {
        let compact: String = raw
            .chars()
            .filter(|c| !matches!(c, ' ' | '-' | '.'))
            .collect();
        let digits = compact
            .strip_prefix('+')
            .ok_or("must be in E.164 form, e.g. +221771234567")?;
        if (8..=15).contains(&digits.len()) && digits.chars().all(|c| c.is_ascii_digit()) {
            Ok(Self(compact))
        } else {
            Err("must be in E.164 form, e.g. +221771234567")
        }
    }
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// A password acceptable for a new account.
pub struct NewPassword(String);

impl NewPassword {
    pub const MIN_CHARS: usize = 10;
    pub fn parse(raw: String) -> Result<Self, &'static str> {
        let chars = raw.chars().count();
        if chars < Self::MIN_CHARS {
            Err("must be at least 10 characters")
        } else if chars > 256 {
            Err("must be at most 256 characters")
        } else {
            Ok(Self(raw))
        }
    }
    pub fn expose(&self) -> &str {
        &self.0
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn emails_are_normalized_and_checked() {
        assert_eq!(
            Email::parse(" Awa@Example.COM ").map(|e| e.0),
            Ok("awa@example.com".into())
        );
        for bad in [
            "", "awa", "awa@", "@x.sn", "a@b", "a b@x.sn", "a@x.sn>", "a@b@x.sn", "a\0@x.sn",
        ] {
            assert!(Email::parse(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn phones_must_be_e164() {
        assert_eq!(
            Phone::parse("+221 77 123 45 67").map(|p| p.0),
            Ok("+221771234567".into())
        );
        for bad in ["771234567", "+12", "+2217712345678901", "+22177abc4567"] {
            assert!(Phone::parse(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn roles_round_trip() {
        for role in [
            Role::Client,
            Role::Seller,
            Role::Maintainer,
            Role::Superadmin,
        ] {
            assert_eq!(role.as_str().parse::<Role>(), Ok(role));
        }
        assert!(Role::Maintainer.is_admin() && !Role::Seller.is_admin());
    }
}
