//! `market.event_daily`, the summary of each (trade date, symbol, exchange): rewritten from the
//! tables for a merged file (`rewrite_daily`), added to for a followed file's piece
//! (`add_daily`), left as it is for a file that wrote nothing (`unchanged_daily`), and, for a
//! file the copy path wrote, counted from its records as they are read (`DailyCounts`) instead
//! of from the tables afterwards (`sql/daily.sql` reads every event of the groups again); exact
//! because the copy path's check found the groups' rows in the tables to be exactly the file's.

use super::parse::{Event, Values};
use super::{EXCHANGE_LOCK_CLASS, lock_in_key_order};
use chrono::{DateTime, NaiveDate, Utc};
use sqlx::PgConnection;
use std::collections::BTreeMap;

/// One (trade date, symbol, exchange) group's summary.
#[derive(Debug, Clone, Copy)]
struct Group {
    trades: i64,
    quotes: i64,
    /// (event time, sequence number, price) of the last trade.
    last_trade: Option<(i64, i64, f64)>,
    first_tm: i64,
    last_tm: i64,
}

impl Group {
    fn new(e: &Event) -> Group {
        Group {
            trades: 0,
            quotes: 0,
            last_trade: None,
            first_tm: e.event_tm,
            last_tm: e.event_tm,
        }
    }

    fn add(&mut self, e: &Event) {
        self.first_tm = self.first_tm.min(e.event_tm);
        self.last_tm = self.last_tm.max(e.event_tm);
        match e.values {
            Values::Quote { .. } => self.quotes += 1,
            Values::Trade { price, .. } => {
                self.trades += 1;
                let key = (e.event_tm, e.event_seq_nb);
                if self.last_trade.is_none_or(|(tm, seq, _)| key > (tm, seq)) {
                    self.last_trade = Some((e.event_tm, e.event_seq_nb, price));
                }
            }
        }
    }

    fn merge(&mut self, other: Group) {
        self.trades += other.trades;
        self.quotes += other.quotes;
        self.first_tm = self.first_tm.min(other.first_tm);
        self.last_tm = self.last_tm.max(other.last_tm);
        if let Some((tm, seq, _)) = other.last_trade
            && self.last_trade.is_none_or(|(t, s, _)| (tm, seq) > (t, s))
        {
            self.last_trade = other.last_trade;
        }
    }
}

/// The summaries of a file's groups, filled record by record.
#[derive(Debug, Default)]
pub struct DailyCounts {
    groups: BTreeMap<(NaiveDate, String, String), Group>,
    /// The group of the current run of records (records come in runs of one group).
    current: Option<((NaiveDate, String, String), Group)>,
}

impl DailyCounts {
    /// Counts one record.
    pub fn add(&mut self, e: &Event) {
        if let Some(((day, symbol, exchange), group)) = &mut self.current
            && *day == e.trade_dt
            && *symbol == e.symbol
            && *exchange == e.exchange
        {
            group.add(e);
            return;
        }
        self.close_run();
        let mut group = Group::new(e);
        group.add(e);
        self.current = Some(((e.trade_dt, e.symbol.clone(), e.exchange.clone()), group));
    }

    fn close_run(&mut self) {
        if let Some((key, group)) = self.current.take() {
            match self.groups.get_mut(&key) {
                Some(stored) => stored.merge(group),
                None => {
                    self.groups.insert(key, group);
                }
            }
        }
    }

    /// Writes the groups' `market.event_daily` rows (`sql/daily_from_file.sql`); returns the
    /// events they count.
    pub async fn write(mut self, tx: &mut PgConnection) -> Result<i64, sqlx::Error> {
        self.close_run();
        let at = |micros: i64| DateTime::<Utc>::from_timestamp_micros(micros);
        let mut columns = Columns::default();
        for ((day, symbol, exchange), g) in self.groups {
            columns.days.push(day);
            columns.symbols.push(symbol);
            columns.exchanges.push(exchange);
            columns.trades.push(g.trades);
            columns.quotes.push(g.quotes);
            columns.last_pr.push(g.last_trade.map(|(_, _, p)| p));
            columns
                .last_tm
                .push(g.last_trade.and_then(|(tm, _, _)| at(tm)));
            columns.first_tm.push(at(g.first_tm));
            columns.last_event_tm.push(at(g.last_tm));
        }
        let events = columns.trades.iter().chain(&columns.quotes).sum();
        sqlx::query(include_str!("sql/daily_from_file.sql"))
            .bind(&columns.days)
            .bind(&columns.symbols)
            .bind(&columns.exchanges)
            .bind(&columns.trades)
            .bind(&columns.quotes)
            .bind(&columns.last_pr)
            .bind(&columns.last_tm)
            .bind(&columns.first_tm)
            .bind(&columns.last_event_tm)
            .execute(tx)
            .await?;
        Ok(events)
    }
}

/// `daily_from_file.sql`'s parallel arrays.
#[derive(Default)]
struct Columns {
    days: Vec<NaiveDate>,
    symbols: Vec<String>,
    exchanges: Vec<String>,
    trades: Vec<i64>,
    quotes: Vec<i64>,
    last_pr: Vec<Option<f64>>,
    last_tm: Vec<Option<DateTime<Utc>>>,
    first_tm: Vec<Option<DateTime<Utc>>>,
    last_event_tm: Vec<Option<DateTime<Utc>>>,
}

/// For a file that wrote no event: the events that `market.event_daily` counts for the
/// groups it touched, when every group has its row (None when one has not: another tool
/// stored those events, and the rows are written). Those rows and the prior closes after them
/// depend only on the events, so they stand as they are: an unchanged re-load then takes no
/// exchange lock and rewrites nothing (issue 25).
pub(super) async fn unchanged_daily(tx: &mut PgConnection) -> Result<Option<i64>, sqlx::Error> {
    let (missing, in_table): (i64, i64) = sqlx::query_as(include_str!("sql/daily_unchanged.sql"))
        .fetch_one(&mut *tx)
        .await?;
    Ok((missing == 0).then_some(in_table))
}

/// For a piece of a followed file that only inserted events: adds them to their groups'
/// `market.event_daily` rows under the exchanges' locks (daily.sql would count the whole day
/// again at every commit), with the prior closes after; returns the events in the table for
/// those groups. None, writing nothing, when the events to add are not exactly the `inserted`
/// ones (another writer's rows sent the merge through the upserts), or when a group's last
/// trade ties in time with its stored one (sql/daily_add_ties.sql).
pub(super) async fn add_daily(
    tx: &mut PgConnection,
    stored: bool,
    inserted: i64,
) -> Result<Option<i64>, sqlx::Error> {
    let adding: i64 = sqlx::query_scalar(include_str!("sql/daily_add_count.sql"))
        .bind(stored)
        .fetch_one(&mut *tx)
        .await?;
    if adding != inserted {
        return Ok(None);
    }
    lock_in_key_order(&mut *tx, EXCHANGE_LOCK_CLASS, "exchange").await?;
    let ties: bool = sqlx::query_scalar(include_str!("sql/daily_add_ties.sql"))
        .bind(stored)
        .fetch_one(&mut *tx)
        .await?;
    if ties {
        return Ok(None);
    }
    let in_table: i64 = sqlx::query_scalar(include_str!("sql/daily_add.sql"))
        .bind(stored)
        .fetch_one(&mut *tx)
        .await?;
    sqlx::query(include_str!("sql/prior_close.sql"))
        .execute(&mut *tx)
        .await?;
    Ok(Some(in_table))
}

/// Rewrites `market.event_daily` for the groups the file touched and the prior closes after
/// them, under the file's exchanges' locks; returns the events in the table for those groups.
pub(super) async fn rewrite_daily(
    tx: &mut PgConnection,
    from: Option<DateTime<Utc>>,
    to: Option<DateTime<Utc>>,
) -> Result<i64, sqlx::Error> {
    lock_in_key_order(&mut *tx, EXCHANGE_LOCK_CLASS, "exchange").await?;
    let (first, last): (Option<DateTime<Utc>>, Option<DateTime<Utc>>) =
        sqlx::query_as(include_str!("sql/daily_bounds.sql"))
            .bind(from)
            .bind(to)
            .fetch_one(&mut *tx)
            .await?;
    let in_table: i64 = sqlx::query_scalar(include_str!("sql/daily.sql"))
        .bind(first)
        .bind(last)
        .fetch_one(&mut *tx)
        .await?;
    sqlx::query(include_str!("sql/prior_close.sql"))
        .execute(&mut *tx)
        .await?;
    Ok(in_table)
}
