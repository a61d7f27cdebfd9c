-- name: intraday_bars
-- description: Intraday bars of one symbol in exchange time (America/New_York), at one resolution: the finest it has unless -p resolution= names another; -p fill=locf gives every bar slot of the session
-- param: symbol text required
-- param: from date optional - first exchange day to show
-- param: to date optional - last exchange day to show
-- param: resolution text optional - e.g. '1 minute', '5 min', '15 minutes', '1 hour'
-- param: fill text optional - locf: one row per bar slot of the regular session (09:30-16:00) of each day with bars, a slot without a bar carrying the last close forward with volume 0
-- setting: jit = off - once the table has statistics the plan costs enough to be JIT-compiled: one symbol-day took 59-111 ms on plain PostgreSQL instead of 6-11 ms
-- The bounds are immutable expressions of the parameters, so a symbol-day reads one chunk.
-- Gap filling uses generate_series on every tier (TimescaleDB's time_bucket_gapfill gives the
-- same slots only on its tier), so the output is the same everywhere.
WITH settings AS (
    SELECT coalesce($4::interval,
                    (SELECT min(resolution) FROM market.intraday_bars WHERE symbol = $1)) AS resolution,
           -- Anything but locf is refused with the value named (a cast of the message fails).
           CASE WHEN $5::text IS NULL THEN false
                WHEN lower($5::text) = 'locf' THEN true
                ELSE ('fill must be locf, not ' || $5::text)::boolean END AS fill
), bars AS (
    SELECT b.ts, b.open, b.high, b.low, b.close, b.volume
    FROM market.intraday_bars b, settings
    WHERE b.symbol = $1
      AND b.resolution = settings.resolution
      AND ($2::date IS NULL OR b.ts >= ($2::date::timestamp AT TIME ZONE 'America/New_York'))
      AND ($3::date IS NULL OR b.ts < (($3::date + 1)::timestamp AT TIME ZONE 'America/New_York'))
), slots AS (
    SELECT ts FROM bars
    UNION
    SELECT slot AT TIME ZONE 'America/New_York'
    FROM settings,
         (SELECT DISTINCT (ts AT TIME ZONE 'America/New_York')::date AS day FROM bars) days,
         generate_series(days.day + time '09:30', days.day + time '16:00' - settings.resolution,
                         settings.resolution) AS slot
    WHERE settings.fill
), carried AS (
    SELECT s.ts, b.open, b.high, b.low, b.close, b.volume,
           count(b.close) OVER (ORDER BY s.ts) AS since_bar
    FROM slots s
    LEFT JOIN bars b ON b.ts = s.ts
), before AS (
    -- The last close before the first slot, for slots before the range's first bar.
    SELECT b.close
    FROM market.intraday_bars b, settings
    WHERE b.symbol = $1 AND b.resolution = settings.resolution AND settings.fill
      AND b.ts < (SELECT min(ts) FROM slots)
    ORDER BY b.ts DESC
    LIMIT 1
), filled AS (
    SELECT ts, open, high, low, close, volume,
           coalesce(first_value(close) OVER (PARTITION BY since_bar ORDER BY ts),
                    (SELECT close FROM before)) AS last_close
    FROM carried
)
SELECT $1::text AS symbol,
       f.ts AT TIME ZONE 'America/New_York' AS exchange_time,
       settings.resolution::text AS resolution,
       coalesce(f.open, f.last_close) AS open,
       coalesce(f.high, f.last_close) AS high,
       coalesce(f.low, f.last_close) AS low,
       coalesce(f.close, f.last_close) AS close,
       coalesce(f.volume, 0) AS volume
FROM filled f, settings
ORDER BY f.ts;
