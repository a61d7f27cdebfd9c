-- symbols_valid_meta.csv, all rows in one statement (arrays bound as parameters). The update
-- takes EXCLUDED's time, not now(): Citus refuses a function that is not IMMUTABLE there.
INSERT INTO market.symbols AS s
    (symbol, name, asset_class, exchange, market_category, round_lot_size,
     is_test_issue, financial_status, nasdaq_traded, updated_at)
SELECT * , now()
FROM unnest($1::text[], $2::text[], $3::text[], $4::text[], $5::text[], $6::int[],
            $7::bool[], $8::text[], $9::bool[])
ON CONFLICT (symbol) DO UPDATE
    SET name = EXCLUDED.name,
        asset_class = EXCLUDED.asset_class,
        exchange = EXCLUDED.exchange,
        market_category = EXCLUDED.market_category,
        round_lot_size = EXCLUDED.round_lot_size,
        is_test_issue = EXCLUDED.is_test_issue,
        financial_status = EXCLUDED.financial_status,
        nasdaq_traded = EXCLUDED.nasdaq_traded,
        updated_at = EXCLUDED.updated_at
