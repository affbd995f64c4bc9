-- 0004_filings: the records of ANALYTICS.md section 1 as revised (place,
-- format, chamber, disclosure date, filing, owner kind, district, bioguide,
-- exact amounts), filings as the unit of disclosure, the politicians'
-- new aggregates and the indexes of the cross-politician and ticker
-- queries. Every stored record is kept.
--
-- What the records stored before this migration get (the parser that
-- wrote them read the Senate CSV and JSON formats, and House Stock Watcher
-- elements as if they were Senate JSON). A record is a House record when
-- its ptr_link is on the House Clerk's host: an absolute URL (any scheme)
-- or a "//host" reference whose host is disclosures-clerk.house.gov (any
-- case, with or without a port), as every House Stock Watcher link is
-- (.../public_disc/ptr-pdfs/2020/20016500.pdf). The old parser stored no
-- source_url, so ptr_link is the only field that can tell. The other
-- House records (a ptr_link elsewhere or empty) stay indistinguishable
-- from Senate ones and are read as such below; the first import of their
-- file replaces them all the same (0005: every record a pre-0004 import
-- stored is replaced when its file is imported again).
--
--   format       'house' for a House record, and the old line column,
--                which held the JSON array index (the old parser read
--                House elements from JSON only), moves to place_index;
--                else 'senate_json' when the import's source name ends in
--                ".json" (any case), and then line moves to place_index
--                the same way; else 'senate_csv' and line stays the CSV
--                line.
--   chamber      'house' for a House record, else 'senate' (the old
--                parser kept neither district nor disclosure date for
--                House records, and read every House type as unknown, so
--                no analysis counted them).
--   filing_id    as the parser derives it (ANALYTICS.md 1.2): for a House
--                record the file stem of ptr_link (url_file_stem below:
--                its last path segment without the extension,
--                20016500.pdf -> 20016500); else the last non-empty
--                segment of ptr_link's path (url_last_segment below):
--                white space, fragment ("#..."), query ("?..."), scheme
--                ("https:") and host ("//host") removed, then trailing
--                slashes. NULL when nothing is left (an empty ptr_link).
--                So the next import of the same data replaces these
--                records instead of adding to them.
--   owner_kind   from owner, trimmed of white space, case-insensitive
--                (ANALYTICS.md section 1): self; spouse, sp; joint, jt;
--                child, dependent, dependent child, dc; else unknown.
--   amount_exact false: the old parser read only bands and "Over $X".
--   source_url, place_transaction: empty, 0 (Senate formats have none).
--   disclosure_date, state, district, bioguide: NULL (the old formats
--                as read had none).
--
-- Every filing id found gets a filings row with digest NULL (no digest
-- matches NULL, so the first import that brings the filing replaces its
-- records, all of them, whatever import stored them: data loaded twice
-- before, as the CSV and its JSON twin, becomes one copy then), the
-- latest import holding one of its records and its record count.

ALTER TABLE trades
	ADD COLUMN place_index       integer NOT NULL DEFAULT 0,
	ADD COLUMN place_transaction integer NOT NULL DEFAULT 0,
	ADD COLUMN format            text NOT NULL DEFAULT 'senate_csv',
	ADD COLUMN amount_exact      boolean NOT NULL DEFAULT false,
	ADD COLUMN owner_kind        text NOT NULL DEFAULT 'unknown',
	ADD COLUMN source_url        text NOT NULL DEFAULT '',
	ADD COLUMN chamber           text NOT NULL DEFAULT 'senate',
	ADD COLUMN disclosure_date   date,                -- NULL when unknown
	ADD COLUMN filing_id         text COLLATE "C",    -- NULL when none
	ADD COLUMN state             text COLLATE "C",    -- NULL unless House
	ADD COLUMN district          integer,             -- NULL unless House
	ADD COLUMN bioguide          text COLLATE "C";    -- NULL when not given

-- url_last_segment is ingest.URLLastSegment in SQL (the test compares
-- them): the text trimmed of white space, then the fragment, the query,
-- a "scheme:" and a "//authority" removed, then trailing slashes; what
-- follows the last slash.
CREATE FUNCTION url_last_segment(u text) RETURNS text LANGUAGE sql IMMUTABLE STRICT AS $$
	SELECT regexp_replace(regexp_replace(regexp_replace(regexp_replace(
		split_part(split_part(btrim(u, E' \t\n\x0B\f\r\u0085\u00A0\u1680\u2000\u2001\u2002\u2003\u2004\u2005\u2006\u2007\u2008\u2009\u200A\u2028\u2029\u202F\u205F\u3000'), '#', 1), '?', 1),
		'^[A-Za-z][A-Za-z0-9+.-]*:', ''), '^//[^/]*', ''), '/+$', ''), '^.*/', '')
$$;

-- url_file_stem is ingest.URLFileStem in SQL (the test compares them):
-- url_last_segment without its extension, the text from its last '.'
-- unless that is its first character.
CREATE FUNCTION url_file_stem(u text) RETURNS text LANGUAGE sql IMMUTABLE STRICT AS $$
	SELECT regexp_replace(url_last_segment(u), '^(.+)\.[^.]*$', '\1')
$$;

-- url_house_clerk reports whether u is a link on the House Clerk's host
-- (see the top of this file), after the white space url_last_segment
-- trims.
CREATE FUNCTION url_house_clerk(u text) RETURNS boolean LANGUAGE sql IMMUTABLE STRICT AS $$
	SELECT btrim(u, E' \t\n\x0B\f\r\u0085\u00A0\u1680\u2000\u2001\u2002\u2003\u2004\u2005\u2006\u2007\u2008\u2009\u200A\u2028\u2029\u202F\u205F\u3000')
		~* '^([a-z][a-z0-9+.-]*:)?//([^/?#@]*@)?disclosures-clerk\.house\.gov\.?(:[0-9]*)?([/?#]|$)'
$$;

-- One pass over the old rows. The white space trimmed from owner is what
-- Go's strings.TrimSpace removes (unicode.IsSpace).
UPDATE trades t SET
	format = CASE WHEN url_house_clerk(t.ptr_link) THEN 'house' WHEN i.json THEN 'senate_json' ELSE 'senate_csv' END,
	place_index = CASE WHEN url_house_clerk(t.ptr_link) OR i.json THEN t.line ELSE 0 END,
	line = CASE WHEN url_house_clerk(t.ptr_link) OR i.json THEN 0 ELSE t.line END,
	chamber = CASE WHEN url_house_clerk(t.ptr_link) THEN 'house' ELSE 'senate' END,
	filing_id = nullif(CASE WHEN url_house_clerk(t.ptr_link) THEN url_file_stem(t.ptr_link) ELSE url_last_segment(t.ptr_link) END, ''),
	owner_kind = CASE lower(btrim(t.owner, E' \t\n\x0B\f\r\u0085\u00A0\u1680\u2000\u2001\u2002\u2003\u2004\u2005\u2006\u2007\u2008\u2009\u200A\u2028\u2029\u202F\u205F\u3000'))
		WHEN 'self' THEN 'self'
		WHEN 'spouse' THEN 'spouse'
		WHEN 'sp' THEN 'spouse'
		WHEN 'joint' THEN 'joint'
		WHEN 'jt' THEN 'joint'
		WHEN 'child' THEN 'dependent'
		WHEN 'dependent' THEN 'dependent'
		WHEN 'dependent child' THEN 'dependent'
		WHEN 'dc' THEN 'dependent'
		ELSE 'unknown'
	END
FROM (SELECT id, lower(source) LIKE '%.json' AS json FROM imports) i
WHERE i.id = t.import_id;

-- The column defaults were for the old rows only: an import names every
-- field.
ALTER TABLE trades
	ALTER COLUMN format DROP DEFAULT,
	ALTER COLUMN owner_kind DROP DEFAULT,
	ALTER COLUMN chamber DROP DEFAULT;

-- trades.import_id no longer references imports. The foreign key's check
-- cost more than the rest of storing a record (a trigger per row: 16 of
-- 23 us per record on the test machine), and its ON DELETE CASCADE is
-- what no one may do now: deleting an import row would remove records
-- behind the filings table's and the aggregates' back. Imports are never
-- deleted (a row whose records were all replaced still records its
-- fingerprint); only Import writes trades, in the transaction that
-- inserts or locks its import row.
ALTER TABLE trades DROP CONSTRAINT trades_import_id_fkey;
-- A forced import deletes the records without a filing id of its
-- fingerprint's earlier import; no other query looks trades up by import.
DROP INDEX trades_import;
CREATE INDEX trades_import_unfiled ON trades (import_id) WHERE filing_id IS NULL;
-- Replacing a filing's records.
CREATE INDEX trades_filing ON trades (filing_id);
-- Keyset paging of everyone's trades, newest first.
CREATE INDEX trades_date_id ON trades (transaction_date DESC, id DESC);
-- Ticker details and the ticker filter across everyone.
CREATE INDEX trades_ticker ON trades (ticker);

-- The digest (quant.FilingDigest, hex) and number of an import's records
-- without a filing id: a forced import of the same fingerprint that
-- brings exactly them again keeps them. NULL for imports made before: a
-- forced import of one replaces its records without a filing id.
ALTER TABLE imports
	ADD COLUMN empty_digest  text,
	ADD COLUMN empty_records integer NOT NULL DEFAULT 0;
UPDATE imports i SET empty_records = (SELECT count(*) FROM trades t WHERE t.import_id = i.id AND t.filing_id IS NULL);

-- One row per stored filing: the import that stored its records (for
-- people; no foreign key, see trades.import_id above), the hex
-- quant.FilingDigest of them in import order (NULL for filings stored
-- before digests were kept: never equal, so always replaced) and their
-- number.
CREATE TABLE filings (
	filing_id text COLLATE "C" PRIMARY KEY,
	import_id bigint NOT NULL,
	digest    text,
	records   integer NOT NULL
);
INSERT INTO filings (filing_id, import_id, digest, records)
SELECT filing_id, max(import_id), NULL, count(*)
FROM trades WHERE filing_id IS NOT NULL
GROUP BY filing_id;

-- The politicians' new aggregates (see quant.Politician).
ALTER TABLE politicians
	ADD COLUMN chambers         text[] COLLATE "C" NOT NULL DEFAULT '{}',
	ADD COLUMN state            text COLLATE "C",
	ADD COLUMN district         integer,
	ADD COLUMN first_disclosure date,
	ADD COLUMN last_disclosure  date,
	ADD COLUMN bioguides        text[] COLLATE "C" NOT NULL DEFAULT '{}';

UPDATE politicians p SET
	chambers = coalesce((SELECT array_agg(DISTINCT t.chamber COLLATE "C" ORDER BY t.chamber COLLATE "C")
		FROM trades t WHERE t.politician_id = p.id AND t.type <> 'unknown'), '{}'),
	first_disclosure = (SELECT min(t.disclosure_date) FROM trades t WHERE t.politician_id = p.id),
	last_disclosure = (SELECT max(t.disclosure_date) FROM trades t WHERE t.politician_id = p.id),
	bioguides = coalesce((SELECT array_agg(DISTINCT t.bioguide ORDER BY t.bioguide)
		FROM trades t WHERE t.politician_id = p.id AND t.bioguide IS NOT NULL), '{}'),
	(state, district) = (SELECT t.state, t.district FROM trades t
		WHERE t.politician_id = p.id AND t.district IS NOT NULL
		ORDER BY t.transaction_date DESC, t.id DESC LIMIT 1);

-- The quant.Store contract: version 0 means nothing was ever stored. 0001
-- started the version at the database's creation time so that a
-- recreated database would not reuse an earlier one's versions; versions
-- are now greatest(version + 1, now in microseconds), so the first import
-- into a database at 0 already gets a version above every one an earlier
-- database (on a clock that did not go back) handed out. A database that
-- never stored anything (no import row: an import that stores nothing is
-- not recorded) goes to 0; any other keeps its version.
UPDATE dataset SET version = 0 WHERE NOT EXISTS (SELECT 1 FROM imports);
