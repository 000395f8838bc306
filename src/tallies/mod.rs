//! Tallies: the write-side projection the reports read. Every write that changes what a
//! report counts (an activation stored or voided, an event created or edited, staff hours,
//! an office's time zone) changes these roll-ups in the same transaction, so a report never
//! disagrees with the stored rows. Keys are applied in sorted order, so concurrent
//! transactions on PostgreSQL lock the same rows in the same order (no deadlock).
//!
//! Where it sits (each layer imports only those to its left):
//! `domain <- db <- tallies <- {offices, events, activations} <- reports <- web`.
//! `db` knows nothing of tallies (the group commit runs whatever [`Deferred`] work its
//! pieces leave); the features keep tallies current from their repositories; `reports`
//! only reads the tables kept here.
//!
//! - [`counts`]: per event, per day, per outcome and per residence, from activations;
//! - [`months`]: per office, month and channel (every office above the event's counts it),
//!   from the events and their per-event counts.
//! - [`days`]: per office subtree and day: activations per activation day, the channel
//!   figures and median histogram per event day, events per area and day;
//! - [`subtree`]: per office, month and staff member, and per office, month, channel,
//!   outcome, reason and age band (the staff and failure reports), counted the same way.

/// Calls `$m!($args ; <column> <index>, …)` with the `failed_<reason>` columns of the roll-up
/// tables, in [`REASONS`] order: the one place in code they are spelled out (the tables keep
/// one column per reason; the code handles them as one array indexed by [`reason_index`]).
macro_rules! with_reason_columns {
    ($m:ident!($($args:tt)*)) => {
        $m!($($args)* ;
            failed_no_smartphone 0, failed_phone_no_camera 1, failed_no_signal 2,
            failed_ektp_not_recorded 3, failed_data_mismatch 4, failed_no_email 5,
            failed_declined 6, failed_app_error 7, failed_other 8)
    };
}

/// The reason columns of table `$t`, as a tuple to select.
macro_rules! reason_select {
    ($t:ident ; $($c:ident $i:tt),+) => { ($($t::$c),+) };
}

/// `failed_<reason> = $r[index]` for each reason column of `$t`, to insert.
macro_rules! reason_values {
    ($t:ident, $r:expr ; $($c:ident $i:tt),+) => { ($($t::$c.eq($r[$i])),+) };
}

/// `failed_<reason> = failed_<reason> + excluded.failed_<reason>`, for an upsert that adds.
macro_rules! reason_sums {
    ($t:ident ; $($c:ident $i:tt),+) => { ($($t::$c.eq($t::$c + excluded($t::$c))),+) };
}

/// `SUM(failed_<reason>)` for each reason column of `$t`, to select totals (`nullable`: of
/// a joined table whose rows may be missing).
macro_rules! reason_totals {
    ($t:ident ; $($c:ident $i:tt),+) => { ($(diesel::dsl::sum($t::$c)),+) };
    ($t:ident, nullable ; $($c:ident $i:tt),+) => { ($(diesel::dsl::sum($t::$c.nullable())),+) };
}

/// A selected tuple of reason counts as an array.
macro_rules! reason_array {
    ($x:expr ; $($c:ident $i:tt),+) => {{
        let t = $x;
        [$(t.$i),+]
    }};
}

/// Adds `$n` events (negative: removes them) to one bin of the median histogram `$t`,
/// keyed by office, its `$date` column, channel and activated count, and deletes the bin once
/// it counts no event. Kept, every count an event passed through on its way up would stay as
/// a row, and the median's read would grow with every activation synced (a soak's eight
/// events left 500,000 rows, and the channel report took 77 % of the server's CPU).
macro_rules! add_to_bin {
    ($conn:expr, $t:ident, $date:ident,
     ($office:expr, $day:expr, $channel:expr, $activated:expr), $n:expr) => {{
        let (office, day, channel, activated, n) = ($office, $day, $channel, $activated, $n);
        if n != 0 {
            let row = (
                $t::office_id.eq(office),
                $t::$date.eq(day),
                $t::channel_key.eq(channel),
                $t::activated.eq(activated),
                $t::events.eq(n),
            );
            crate::with_conn!($conn, |c| diesel::insert_into($t::table)
                .values(row)
                .on_conflict(($t::office_id, $t::$date, $t::channel_key, $t::activated))
                .do_update()
                .set($t::events.eq($t::events + diesel::upsert::excluded($t::events)))
                .execute(c))?;
        }
        if n < 0 {
            diesel::delete(
                $t::table
                    .filter($t::office_id.eq(office))
                    .filter($t::$date.eq(day))
                    .filter($t::channel_key.eq(channel))
                    .filter($t::activated.eq(activated))
                    .filter($t::events.eq(0)),
            )
            .execute($conn)?;
        }
    }};
}

mod counts;
mod days;
mod months;
mod subtree;

use chrono::NaiveDate;
use diesel::prelude::*;

use crate::db::{DbConn, Deferred, Tail};
use crate::domain::{FailureReason, Outcome};
use crate::error::AppError;
use crate::schema::{
    activations, daily_tallies as dt, event_outcome_tallies as ot, event_shares as es,
    event_tallies as et, events, month_histogram as mh, month_tallies as mt,
    residence_tallies as rt,
};

pub use counts::recount_office_days;
pub use days::rebuild_days;
pub use months::{micro_hours, month_of, rebuild_months, refresh_events, Share};

/// How many failure reasons there are: the length of every per-reason array.
pub const N_REASONS: usize = FailureReason::NAMES.len();

/// The failure reasons' names, indexed like every per-reason array (by [`reason_index`]);
/// the tables' `failed_<reason>` columns are named after them, in this order.
pub const REASONS: [&str; N_REASONS] = {
    let mut names = [""; N_REASONS];
    let mut i = 0;
    while i < N_REASONS {
        names[i] = FailureReason::NAMES[i];
        i += 1;
    }
    names
};

/// Index of a reason in [`REASONS`] (and in every per-reason array); a failure without a
/// reason counts as `other`.
pub fn reason_index(reason: Option<FailureReason>) -> usize {
    let reason = reason.unwrap_or(FailureReason::Other);
    FailureReason::ALL
        .iter()
        .position(|r| *r == reason)
        .unwrap_or(REASONS.len() - 1)
}

/// One activation entering (`sign = 1`) or leaving (`sign = -1`, voided) the counts.
#[derive(Clone, Debug)]
pub struct TallyChange {
    pub event_id: String,
    /// The event's office (activations count where their event belongs).
    pub office_id: String,
    /// The activation's local date in the event office's time zone.
    pub local_date: NaiveDate,
    pub outcome: Outcome,
    pub failure_reason: Option<FailureReason>,
    pub age_band: Option<String>,
    /// The district of the citizen's NIK (`DD.DD.DD`), `None` without a NIK.
    pub home_district: Option<String>,
    pub repeat_citizen: bool,
    /// Who recorded it (the staff report's roll-ups).
    pub staff_id: String,
    pub sign: i32,
}

impl TallyChange {
    /// A repeat citizen's activation is stored but never counted.
    fn counts(&self) -> bool {
        !(self.outcome == Outcome::Activated && self.repeat_citizen)
    }

    fn split(&self) -> (i32, i32) {
        if self.outcome == Outcome::Activated {
            (self.sign, 0)
        } else {
            (0, self.sign)
        }
    }
}

/// Adds the changes to every roll-up, the monthly ones included.
pub fn apply(conn: &mut DbConn, changes: &[TallyChange]) -> Result<(), AppError> {
    let touched = counts::apply_counts(conn, changes, true)?;
    refresh_events(conn, &touched)?;
    // Last: concurrent PostgreSQL writers of one day all update its nation-wide row, so its
    // lock is taken as close to the COMMIT as possible.
    let mut by_day = days::OfficeDays::new();
    for ch in changes.iter().filter(|c| c.counts()) {
        let (a, f) = ch.split();
        let d = by_day.entry((&ch.office_id, ch.local_date)).or_default();
        d.0 += a;
        d.1 += f;
    }
    days::add_office_days(conn, &by_day)
}

/// Tally changes left for the end of a group commit (see `db::Db::write_grouped`): the
/// group's pieces are merged and applied once, right before its COMMIT, so the hot roll-up
/// rows stay locked for one statement per key.
#[derive(Debug, Default)]
pub struct Pending(Vec<TallyChange>);

impl Deferred for Pending {
    fn merge(&mut self, mut other: Pending) {
        self.0.append(&mut other.0);
    }

    fn apply(self, conn: &mut DbConn) -> Result<(), AppError> {
        apply(conn, &self.0)
    }
}

/// Leaves `changes` for the end of the group whose piece holds `tail`.
pub fn defer(tail: &mut Tail, changes: impl IntoIterator<Item = TallyChange>) {
    tail.get::<Pending>().0.extend(changes);
}

/// When a repository write's tally changes are applied: now, or at the end of the group
/// commit its piece runs in (the sync's hot path). Either way, in the write's transaction.
pub enum Sink<'a> {
    Now,
    AtGroupEnd(&'a mut Tail),
}

impl Sink<'_> {
    /// Applies `changes` now, or leaves them for the group's end.
    pub fn record(self, conn: &mut DbConn, changes: Vec<TallyChange>) -> Result<(), AppError> {
        match self {
            Sink::Now => apply(conn, &changes),
            Sink::AtGroupEnd(tail) => {
                defer(tail, changes);
                Ok(())
            }
        }
    }
}

/// Recomputes every roll-up from the activations: a repair tool, and the reference the
/// tests compare the incremental roll-ups against.
pub fn rebuild(conn: &mut DbConn) -> Result<usize, AppError> {
    diesel::delete(et::table).execute(conn)?;
    diesel::delete(dt::table).execute(conn)?;
    diesel::delete(ot::table).execute(conn)?;
    diesel::delete(rt::table).execute(conn)?;
    diesel::delete(mh::table).execute(conn)?;
    diesel::delete(mt::table).execute(conn)?;
    diesel::delete(es::table).execute(conn)?;
    type Row = (
        String,
        String,
        NaiveDate,
        Outcome,
        Option<FailureReason>,
        Option<String>,
        Option<String>,
        bool,
        String,
    );
    let rows: Vec<Row> = activations::table
        .inner_join(events::table)
        .filter(activations::voided_at.is_null())
        .select((
            activations::event_id,
            events::office_id,
            activations::local_date,
            activations::outcome,
            activations::failure_reason,
            activations::age_band,
            activations::home_district,
            activations::repeat_citizen,
            activations::staff_id,
        ))
        .load(conn)?;
    let changes: Vec<TallyChange> = rows
        .into_iter()
        .map(
            |(
                event_id,
                office_id,
                local_date,
                outcome,
                failure_reason,
                age_band,
                home_district,
                repeat_citizen,
                staff_id,
            )| TallyChange {
                event_id,
                office_id,
                local_date,
                outcome,
                failure_reason,
                age_band,
                home_district,
                repeat_citizen,
                staff_id,
                sign: 1,
            },
        )
        .collect();
    let n = changes.len();
    for chunk in changes.chunks(5000) {
        // The subtree roll-ups are recounted whole by rebuild_months below.
        counts::apply_counts(conn, chunk, false)?;
    }
    rebuild_months(conn)?;
    Ok(n)
}
