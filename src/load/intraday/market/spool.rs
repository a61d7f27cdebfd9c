//! The roll-ups of a day file of many symbols on the copy path, built as each symbol's bars
//! stream in and spooled to temporary files as binary COPY tuples when the symbol's bars end
//! (`analytics::intraday::write_day` COPYs them after the bars): memory holds one symbol's
//! buckets, not the day's. A file whose symbols come back after others (not grouped by symbol,
//! as Databento writes a day in time order) spools nothing; its day is refreshed instead.

use super::read::MarketBar;
use crate::analytics::intraday::{Bar, DayLevels, RollUps, encode_rollup};
use std::collections::HashSet;
use std::io::{BufWriter, Seek, Write};

/// The four levels' temporary files and the symbol being read.
pub struct Spool {
    files: Option<[BufWriter<std::fs::File>; 4]>,
    current: Option<(String, RollUps)>,
    done: HashSet<String>,
    resolution: i64,
    buf: Vec<u8>,
}

impl Spool {
    /// An empty spool for bars of `resolution` (microseconds).
    pub fn new(resolution: i64) -> std::io::Result<Spool> {
        let file = || tempfile::tempfile().map(|f| BufWriter::with_capacity(1 << 16, f));
        Ok(Spool {
            files: Some([file()?, file()?, file()?, file()?]),
            current: None,
            done: HashSet::new(),
            resolution,
            buf: Vec::new(),
        })
    }

    /// Adds one bar of `symbol`.
    pub fn push(&mut self, symbol: &str, bar: &MarketBar) -> std::io::Result<()> {
        if self.files.is_none() {
            return Ok(());
        }
        let bar = Bar {
            ts: bar.ts,
            open: bar.open,
            high: bar.high,
            low: bar.low,
            close: bar.close,
            volume: bar.volume,
        };
        if let Some((s, rollups)) = &mut self.current
            && s == symbol
        {
            rollups.push(&bar);
            return Ok(());
        }
        self.write_current()?;
        if self.done.contains(symbol) {
            // Not grouped by symbol: its buckets cannot be finished a symbol at a time.
            self.files = None;
            return Ok(());
        }
        let mut rollups = RollUps::default();
        rollups.push(&bar);
        self.current = Some((symbol.to_string(), rollups));
        Ok(())
    }

    fn write_current(&mut self) -> std::io::Result<()> {
        let (Some((symbol, mut rollups)), Some(files)) = (self.current.take(), &mut self.files)
        else {
            return Ok(());
        };
        for (file, rows) in files.iter_mut().zip(rollups.levels()) {
            self.buf.clear();
            for (bucket, b) in &rows {
                encode_rollup(&mut self.buf, &symbol, self.resolution, *bucket, b);
            }
            file.write_all(&self.buf)?;
        }
        self.done.insert(symbol);
        Ok(())
    }

    /// The spooled levels, rewound for reading; None when the file was not grouped by symbol.
    pub fn finish(mut self) -> std::io::Result<Option<DayLevels>> {
        self.write_current()?;
        let Some(files) = self.files else {
            return Ok(None);
        };
        let mut out = Vec::with_capacity(4);
        for file in files {
            let mut f = file.into_inner().map_err(|e| e.into_error())?;
            f.rewind()?;
            out.push(f);
        }
        Ok(out.try_into().ok())
    }
}
