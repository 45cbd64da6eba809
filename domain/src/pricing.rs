//! The arithmetic of an order: integer minor units only, overflow checked, discounts
//! rounded down (in the client's favour by less than one minor unit, never in the shop's).

/// The totals of an order.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Totals {
    pub subtotal: i64,
    pub discount: i64,
    pub total: i64,
}

/// `unit_price × quantity`, or `None` when it does not fit in 64 bits.
pub fn line_total(unit_price: i64, quantity: i32) -> Option<i64> {
    unit_price.checked_mul(i64::from(quantity))
}

/// `percent` % of `amount`, rounded down.
pub fn discount(amount: i64, percent: i32) -> i64 {
    let percent = i128::from(percent.clamp(0, 100));
    // amount × 100 always fits in i128, and the result is at most `amount`.
    i64::try_from(i128::from(amount) * percent / 100).unwrap_or(amount)
}

/// Subtotal of the line totals, the discount of `percent` % (0 for none) and the total;
/// `None` when the subtotal overflows.
pub fn totals(line_totals: &[i64], percent: i32) -> Option<Totals> {
    let subtotal = line_totals
        .iter()
        .try_fold(0_i64, |sum, line| sum.checked_add(*line))?;
    let discount = discount(subtotal, percent);
    Some(Totals {
        subtotal,
        discount,
        total: subtotal - discount,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn discounts_round_down() {
        assert_eq!(discount(999, 15), 149); // 149.85
        assert_eq!(discount(1, 50), 0);
        assert_eq!(discount(12_500, 100), 12_500);
        assert_eq!(discount(i64::MAX, 100), i64::MAX);
        assert_eq!(
            discount(i64::MAX, 99),
            i64::MAX / 100 * 99 + (i64::MAX % 100) * 99 / 100
        );
    }

    #[test]
    fn totals_add_up_and_overflow_is_refused() {
        assert_eq!(
            totals(&[999, 2 * 500], 15),
            Some(Totals {
                subtotal: 1999,
                discount: 299,
                total: 1700
            })
        );
        assert_eq!(totals(&[10], 0).map(|t| t.total), Some(10));
        assert_eq!(totals(&[i64::MAX, 1], 10), None);
        assert_eq!(line_total(i64::MAX / 2, 3), None);
        assert_eq!(line_total(2500, 4), Some(10_000));
    }
}
