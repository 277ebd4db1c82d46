//! The two baselines: steal-first (rayon's behaviour) and admit-first (tokio's).

use ontime_core::{AdmissionQueue, IdleOrder, IdleView, StealPolicy};

use crate::admission::Admission;

/// An idle worker steals; it admits a new request only when nothing can be stolen anywhere.
/// Requests are never treated differently. This is the founding note's baseline.
///
/// ```
/// use ontime_policies::StealFirst;
/// let pool = ontime_core::ThreadPoolBuilder::new().num_threads(2)
///     .policy(StealFirst::new()).build().unwrap();
/// assert_eq!(pool.policy_name(), "steal-first");
/// ```
#[derive(Debug, Clone, Default)]
pub struct StealFirst {
    admission: Admission,
    name: String,
}

/// An idle worker admits a queued request before it steals; it steals only when the
/// admission queue is empty.
///
/// ```
/// use ontime_policies::AdmitFirst;
/// let pool = ontime_core::ThreadPoolBuilder::new().num_threads(2)
///     .policy(AdmitFirst::new()).build().unwrap();
/// assert_eq!(pool.policy_name(), "admit-first");
/// ```
#[derive(Debug, Clone, Default)]
pub struct AdmitFirst {
    admission: Admission,
    name: String,
}

macro_rules! baseline {
    ($ty:ident, $name:literal, $order:expr) => {
        impl $ty {
            /// The policy with FIFO admission.
            pub fn new() -> Self {
                Self::default().admission(Admission::Fifo)
            }

            /// The same stealing rule with another admission order.
            pub fn admission(mut self, admission: Admission) -> Self {
                self.name = format!("{}{}", $name, admission.suffix());
                self.admission = admission;
                self
            }
        }

        impl StealPolicy for $ty {
            fn name(&self) -> &str {
                if self.name.is_empty() {
                    $name
                } else {
                    &self.name
                }
            }
            fn idle_order(&self, _: &IdleView) -> IdleOrder {
                $order
            }
            fn validate(&self, _: usize) -> Result<(), String> {
                self.admission.validate()
            }
            fn admission_queue(&self, _: usize) -> Box<dyn AdmissionQueue> {
                self.admission.make_queue()
            }
        }
    };
}

baseline!(StealFirst, "steal-first", IdleOrder::StealFirst);
baseline!(AdmitFirst, "admit-first", IdleOrder::AdmitFirst);

/// Earliest-deadline-first admission with steal-first stealing (compose other stealing
/// rules with `.admission(Admission::EarliestDeadlineFirst)`).
///
/// ```
/// let p = ontime_policies::earliest_deadline_first();
/// assert_eq!(ontime_core::StealPolicy::name(&p), "steal-first+edf");
/// ```
pub fn earliest_deadline_first() -> StealFirst {
    StealFirst::new().admission(Admission::EarliestDeadlineFirst)
}

/// Priority-level admission with steal-first stealing.
///
/// ```
/// use ontime_policies::{priority_levels, LevelMode};
/// let p = priority_levels(4, LevelMode::HighestFirst);
/// assert_eq!(ontime_core::StealPolicy::name(&p), "steal-first+priority");
/// ```
pub fn priority_levels(levels: u8, mode: crate::LevelMode) -> StealFirst {
    StealFirst::new().admission(Admission::Priority(crate::Levels::new(levels, mode)))
}
