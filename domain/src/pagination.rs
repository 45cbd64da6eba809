//! `?page=&per_page=` lists, as the contract defines them.

use serde::{Deserialize, Serialize};

pub const MAX_PER_PAGE: u32 = 100;

#[derive(Debug, Clone, Copy, Deserialize)]
pub struct PageRequest {
    #[serde(default = "first_page")]
    pub page: u32,
    #[serde(default = "default_per_page")]
    pub per_page: u32,
}

fn first_page() -> u32 {
    1
}

fn default_per_page() -> u32 {
    20
}

impl Default for PageRequest {
    fn default() -> Self {
        Self {
            page: first_page(),
            per_page: default_per_page(),
        }
    }
}

impl PageRequest {
    /// Clamps to the contract's bounds: page >= 1, 1 <= per_page <= 100.
    pub fn normalized(self) -> Self {
        Self {
            page: self.page.max(1),
            per_page: self.per_page.clamp(1, MAX_PER_PAGE),
        }
    }
    pub fn limit(self) -> i64 {
        i64::from(self.per_page)
    }
    pub fn offset(self) -> i64 {
        i64::from(self.page - 1) * i64::from(self.per_page)
    }
}

#[derive(Debug, Serialize)]
pub struct Page<T> {
    pub items: Vec<T>,
    pub page: u32,
    pub per_page: u32,
    pub total: i64,
    /// `total` stopped counting at its cap: there are at least that many.
    pub total_is_capped: bool,
}

impl<T> Page<T> {
    pub fn new(items: Vec<T>, request: PageRequest, total: i64) -> Self {
        Self {
            items,
            page: request.page,
            per_page: request.per_page,
            total,
            total_is_capped: false,
        }
    }

    /// A page whose count stopped at `cap`.
    pub fn capped(items: Vec<T>, request: PageRequest, total: i64, cap: i64) -> Self {
        Self {
            total_is_capped: total >= cap,
            ..Self::new(items, request, total)
        }
    }

    /// The same page holding `items` (e.g. the items as the API shows them).
    pub fn with_items<U>(self, items: Vec<U>) -> Page<U> {
        Page {
            items,
            page: self.page,
            per_page: self.per_page,
            total: self.total,
            total_is_capped: self.total_is_capped,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_count_that_reached_its_cap_says_so() {
        let request = PageRequest {
            page: 1,
            per_page: 20,
        };
        assert!(Page::capped(vec![1], request, 10_000, 10_000).total_is_capped);
        assert!(!Page::capped(vec![1], request, 9_999, 10_000).total_is_capped);
        let shown = Page::capped(vec![1, 2], request, 10_000, 10_000).with_items(vec!["a", "b"]);
        assert!(shown.total_is_capped && shown.total == 10_000);
    }
}
