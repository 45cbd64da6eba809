//! The payment state machine: `initiating → pending → succeeded | failed | cancelled | expired`,
//! then `succeeded → partially_refunded → refunded`. Provider events arrive duplicated and out of
//! order, so a transition is decided here, once, for every caller: forward moves happen, a
//! same-state move is a no-op, a backward move is refused.

use std::fmt;
use std::str::FromStr;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum PaymentStatus {
    Initiating,
    Pending,
    Succeeded,
    Failed,
    Cancelled,
    Expired,
    PartiallyRefunded,
    Refunded,
}

/// What a requested transition does.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Transition {
    Moves,
    /// Already there: nothing changes.
    Stays,
    /// Would move backwards (or sideways between end states): refused.
    Refused,
}

impl PaymentStatus {
    pub const ALL: [PaymentStatus; 8] = [
        Self::Initiating,
        Self::Pending,
        Self::Succeeded,
        Self::Failed,
        Self::Cancelled,
        Self::Expired,
        Self::PartiallyRefunded,
        Self::Refunded,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Self::Initiating => "initiating",
            Self::Pending => "pending",
            Self::Succeeded => "succeeded",
            Self::Failed => "failed",
            Self::Cancelled => "cancelled",
            Self::Expired => "expired",
            Self::PartiallyRefunded => "partially_refunded",
            Self::Refunded => "refunded",
        }
    }

    /// Whether money was taken (and not all of it given back).
    pub fn is_paid(self) -> bool {
        matches!(self, Self::Succeeded | Self::PartiallyRefunded)
    }

    /// Whether a provider could still move the payment on its own.
    pub fn is_open(self) -> bool {
        matches!(self, Self::Initiating | Self::Pending)
    }

    /// The move from `self` to `to`. A failed, cancelled or expired payment may still succeed:
    /// the provider's word that money was taken wins (a Stripe customer retries a declined card
    /// on the same PaymentIntent; a mobile-money approval can land after our timeout), and the
    /// money is then recorded rather than lost.
    pub fn transition(self, to: PaymentStatus) -> Transition {
        use PaymentStatus::*;
        if self == to {
            return Transition::Stays;
        }
        let moves = match self {
            Initiating => to != Initiating,
            Pending => matches!(
                to,
                Succeeded | Failed | Cancelled | Expired | PartiallyRefunded | Refunded
            ),
            Failed | Cancelled | Expired => matches!(to, Succeeded),
            Succeeded => matches!(to, PartiallyRefunded | Refunded),
            PartiallyRefunded => matches!(to, Refunded),
            Refunded => false,
        };
        if moves {
            Transition::Moves
        } else {
            Transition::Refused
        }
    }
}

impl fmt::Display for PaymentStatus {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

#[derive(Debug, thiserror::Error)]
#[error("unknown payment status {0:?}")]
pub struct UnknownStatus(String);

impl FromStr for PaymentStatus {
    type Err = UnknownStatus;

    fn from_str(value: &str) -> Result<Self, Self::Err> {
        Self::ALL
            .into_iter()
            .find(|status| status.as_str() == value)
            .ok_or_else(|| UnknownStatus(value.to_owned()))
    }
}

#[cfg(test)]
mod tests {
    use super::PaymentStatus::*;
    use super::*;

    #[test]
    fn forward_moves_happen_and_repeats_are_no_ops() {
        assert_eq!(Initiating.transition(Pending), Transition::Moves);
        assert_eq!(Pending.transition(Succeeded), Transition::Moves);
        assert_eq!(Succeeded.transition(PartiallyRefunded), Transition::Moves);
        assert_eq!(PartiallyRefunded.transition(Refunded), Transition::Moves);
        for status in PaymentStatus::ALL {
            assert_eq!(status.transition(status), Transition::Stays, "{status}");
        }
    }

    #[test]
    fn nothing_moves_backwards() {
        assert_eq!(Succeeded.transition(Pending), Transition::Refused);
        assert_eq!(Succeeded.transition(Failed), Transition::Refused);
        assert_eq!(Refunded.transition(Succeeded), Transition::Refused);
        assert_eq!(PartiallyRefunded.transition(Succeeded), Transition::Refused);
        assert_eq!(Failed.transition(Pending), Transition::Refused);
        assert_eq!(Expired.transition(Cancelled), Transition::Refused);
        assert!(
            PaymentStatus::ALL
                .into_iter()
                .all(|status| status.transition(Initiating) != Transition::Moves)
        );
    }

    #[test]
    fn money_taken_after_a_failure_is_recorded() {
        assert_eq!(Failed.transition(Succeeded), Transition::Moves);
        assert_eq!(Expired.transition(Succeeded), Transition::Moves);
    }

    #[test]
    fn statuses_round_trip_through_their_names() {
        for status in PaymentStatus::ALL {
            assert_eq!(status.as_str().parse::<PaymentStatus>().ok(), Some(status));
        }
        assert!("paid".parse::<PaymentStatus>().is_err());
    }
}
