//! Stripe's form bodies (`application/x-www-form-urlencoded` with bracket keys such as
//! `line_items[0][price_data][currency]`) and the checks Stripe makes on them. Unknown
//! parameters are refused, as Stripe refuses them, so that a client's typo shows up here.

use std::collections::{BTreeMap, BTreeSet};

use super::error::StripeError;

pub struct Params(Vec<(String, String)>);

/// Stripe's limits on metadata.
const METADATA_KEYS: usize = 50;
const METADATA_KEY_LEN: usize = 40;
const METADATA_VALUE_LEN: usize = 500;

impl Params {
    pub fn parse(body: &[u8]) -> Result<Self, StripeError> {
        serde_urlencoded::from_bytes(body).map(Self).map_err(|_| {
            StripeError::invalid("Invalid request body: expected a form-urlencoded body.")
        })
    }

    /// The last value given for `key`.
    pub fn get(&self, key: &str) -> Option<&str> {
        self.0
            .iter()
            .rev()
            .find(|(k, _)| k == key)
            .map(|(_, v)| v.as_str())
    }

    pub fn required(&self, key: &str) -> Result<&str, StripeError> {
        self.get(key)
            .filter(|v| !v.is_empty())
            .ok_or_else(|| StripeError::missing(key))
    }

    pub fn integer(&self, key: &str) -> Result<Option<i64>, StripeError> {
        self.get(key)
            .map(|v| {
                v.parse().map_err(|_| {
                    StripeError::invalid(format!("Invalid integer: {v}"))
                        .code("parameter_invalid_integer")
                        .param(key)
                })
            })
            .transpose()
    }

    pub fn url(&self, key: &str) -> Result<Option<String>, StripeError> {
        match self.get(key) {
            Some(v) if v.starts_with("https://") || v.starts_with("http://") => {
                Ok(Some(v.to_owned()))
            }
            Some(_) => Err(StripeError::invalid("Not a valid URL").param(key)),
            None => Ok(None),
        }
    }

    /// Refuses every key whose name is not in `known` (a full key, or a prefix ending in `[`).
    pub fn only(&self, known: &[&str]) -> Result<(), StripeError> {
        let known = |k: &String| {
            known.iter().any(|n| match n.strip_suffix('[') {
                Some(_) => k.starts_with(n),
                None => k == n,
            })
        };
        self.refuse(|k| !known(k))
    }

    /// Refuses every key under `prefix` whose rest is not one of `known`.
    pub fn only_under(&self, prefix: &str, known: &[&str]) -> Result<(), StripeError> {
        self.refuse(|k| {
            k.strip_prefix(prefix)
                .is_some_and(|rest| !known.contains(&rest))
        })
    }

    fn refuse(&self, unknown: impl Fn(&String) -> bool) -> Result<(), StripeError> {
        match self.0.iter().map(|(k, _)| k).find(|k| unknown(k)) {
            Some(key) => Err(StripeError::invalid(format!(
                "Received unknown parameter: {key} (or one this sandbox does not implement)"
            ))
            .code("parameter_unknown")
            .param(key.as_str())),
            None => Ok(()),
        }
    }

    /// `prefix[name]=value` as a map; an empty value unsets a key, as in Stripe.
    pub fn metadata(&self, prefix: &str) -> Result<BTreeMap<String, String>, StripeError> {
        let mut map = BTreeMap::new();
        for (key, value) in &self.0 {
            let Some(name) = key
                .strip_prefix(prefix)
                .and_then(|rest| rest.strip_prefix('['))
                .and_then(|rest| rest.strip_suffix(']'))
            else {
                continue;
            };
            if name.is_empty() || name.contains(['[', ']']) || name.len() > METADATA_KEY_LEN {
                return Err(StripeError::invalid(format!(
                    "Invalid metadata key: {key} (keys are 1 to {METADATA_KEY_LEN} characters)"
                ))
                .param(key.as_str()));
            }
            if value.len() > METADATA_VALUE_LEN {
                return Err(StripeError::invalid(format!(
                    "Metadata values can have up to {METADATA_VALUE_LEN} characters"
                ))
                .param(key.as_str()));
            }
            if value.is_empty() {
                map.remove(name);
            } else {
                map.insert(name.to_owned(), value.clone());
            }
        }
        if map.len() > METADATA_KEYS {
            return Err(StripeError::invalid(format!(
                "Metadata can have up to {METADATA_KEYS} keys"
            ))
            .param(prefix));
        }
        Ok(map)
    }

    /// The indices `N` of the keys `prefix[N]...`.
    pub fn indices(&self, prefix: &str) -> Result<BTreeSet<usize>, StripeError> {
        let mut indices = BTreeSet::new();
        for (key, _) in &self.0 {
            let Some(rest) = key.strip_prefix(prefix).and_then(|r| r.strip_prefix('[')) else {
                continue;
            };
            let index = rest
                .split_once(']')
                .and_then(|(n, _)| n.parse().ok())
                .ok_or_else(|| {
                    StripeError::invalid(format!("Invalid array index in {key}"))
                        .param(key.as_str())
                })?;
            indices.insert(index);
        }
        Ok(indices)
    }

    /// The request's parameters in a canonical order: an idempotency key's replays compare it.
    pub fn fingerprint(&self) -> String {
        let mut pairs = self.0.clone();
        pairs.sort();
        serde_urlencoded::to_string(pairs).unwrap_or_default()
    }
}
