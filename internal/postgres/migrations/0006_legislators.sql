-- 0006_legislators: the legislators table (quant.Legislators, the
-- congress-legislators members identity resolution reads) is part of the
-- dataset, stored once per database so that every instance on it reads
-- the same table at the same dataset version (Store.SetLegislators,
-- Store.Filers).
--
-- At most one row (id is always true): no row means no table is stored.
-- SetLegislators replaces or deletes it in the transaction that moves the
-- dataset version, under the imports' advisory lock, and Filers reads it
-- in the snapshot it reads the records in.
--
--   digest   quant.Legislators.Digest (hex SHA-256 of the members as
--            loaded): SetLegislators compares it and nothing else.
--   sources  quant.Legislators.Sources, the files it was loaded from.
--   format   the encoding of members; 'json' is encoding/json of
--            []quant.Legislator (the binary writing it, its field names).
--            A binary refuses to read a format it does not know (a newer
--            binary stored it) rather than guess.
--   members  the encoded members, in bioguide order. bytea, not jsonb:
--            nothing queries inside it, the table is read whole and
--            decoded once per row, and bytea keeps the bytes exactly
--            as written (no parse and normalization on write, no
--            re-rendering on read, no dependence on the database
--            encoding). TOAST compresses it (a few MB of JSON). To look
--            at it: convert_from(members, 'UTF8')::jsonb.
--   count    the number of members, for people reading the row.
--   version  the dataset version the row was stored at.
CREATE TABLE legislators (
	id        boolean PRIMARY KEY DEFAULT true CHECK (id),
	digest    text NOT NULL,
	sources   text[] NOT NULL,
	format    text NOT NULL,
	members   bytea NOT NULL,
	count     integer NOT NULL,
	version   bigint NOT NULL,
	stored_at timestamptz NOT NULL DEFAULT now()
);
