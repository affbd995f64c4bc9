-- 0001_init: trades, their imports, and the aggregates the API reads.
--
-- Every identifier and text a query sorts is COLLATE "C": bytewise order,
-- the same as Go's string comparison, whatever the database's locale.

-- One row per imported file. Deleting an import deletes its trades.
CREATE TABLE imports (
	id          bigserial PRIMARY KEY,
	fingerprint text NOT NULL UNIQUE,
	source      text NOT NULL,
	records     bigint NOT NULL DEFAULT 0,
	imported_at timestamptz NOT NULL DEFAULT now()
);

-- Normalized disclosure records. id orders later imports after earlier ones.
CREATE TABLE trades (
	id                bigserial PRIMARY KEY,
	import_id         bigint NOT NULL REFERENCES imports (id) ON DELETE CASCADE,
	line              integer NOT NULL,
	politician_id     text COLLATE "C" NOT NULL,
	politician_name   text COLLATE "C" NOT NULL,
	transaction_date  date NOT NULL,
	ticker            text COLLATE "C", -- NULL when unknown
	type              text NOT NULL,
	amount_min        bigint,
	amount_max        bigint,
	owner             text NOT NULL DEFAULT '',
	asset_type        text NOT NULL DEFAULT '',
	asset_description text NOT NULL DEFAULT '',
	comment           text NOT NULL DEFAULT '',
	ptr_link          text NOT NULL DEFAULT ''
);
-- Keyset paging of one politician's trades, newest first, and the
-- per-politician aggregate recomputation.
CREATE INDEX trades_politician_date_id ON trades (politician_id, transaction_date DESC, id DESC);
-- ON DELETE CASCADE from imports.
CREATE INDEX trades_import ON trades (import_id);

-- One row per politician: the aggregate of all their trades.
CREATE TABLE politicians (
	id               text COLLATE "C" PRIMARY KEY,
	names            text[] COLLATE "C" NOT NULL, -- distinct spellings, sorted bytewise
	trade_count      integer NOT NULL,
	analyzable_count integer NOT NULL,
	first_trade      date NOT NULL,
	last_trade       date NOT NULL
);
CREATE INDEX politicians_by_trades ON politicians (trade_count DESC, id);
CREATE INDEX politicians_by_last_trade ON politicians (last_trade DESC, id);

-- Analyzable records per politician and ISO week (week is the Monday).
CREATE TABLE politician_weeks (
	politician_id text COLLATE "C" NOT NULL,
	week          date NOT NULL,
	count         integer NOT NULL,
	PRIMARY KEY (politician_id, week)
);

-- Analyzable records with a known ticker, per politician and ticker.
CREATE TABLE politician_tickers (
	politician_id text COLLATE "C" NOT NULL,
	ticker        text COLLATE "C" NOT NULL,
	count         integer NOT NULL,
	PRIMARY KEY (politician_id, ticker)
);

-- The one dataset row: version changes with every committed import; trades
-- is the number of stored records. The version starts at the creation time
-- in microseconds so that a recreated database never reuses the versions,
-- and so the cache keys, of an earlier one.
CREATE TABLE dataset (
	id      boolean PRIMARY KEY DEFAULT true CHECK (id),
	version bigint NOT NULL,
	trades  bigint NOT NULL DEFAULT 0
);
INSERT INTO dataset (version) VALUES ((extract(epoch FROM clock_timestamp()) * 1000000)::bigint);
