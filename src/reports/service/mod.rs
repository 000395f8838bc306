//! Report use cases, one file per report: authorize (scope; field staff only their own
//! office), read the roll-ups in one connection, and compute the figures by the contract's
//! counting rules. The period maths they share is in [`period`], the statistics in
//! [`figures`]. Reports only read: the tallies they read are kept by `crate::tallies`.

mod channels;
mod coverage;
mod daily;
mod failures;
mod figures;
mod offices;
mod period;
mod progress;
mod staff;
mod yields;

pub use channels::channels;
pub use coverage::coverage;
pub use daily::daily;
pub use failures::failures;
pub use figures::rate;
pub use offices::offices;
pub use progress::progress;
pub use staff::staff;
pub use yields::event_yield;
