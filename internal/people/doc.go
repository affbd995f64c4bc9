// Package people loads congress-legislators tables and resolves politician
// ids (ANALYTICS.md section 1's spellings of filers' names) to members of
// Congress, named by their Biographical Directory ("bioguide") ids: Load
// and Parse read tables, Resolve turns a store's quant.Filers into a
// quant.Directory, and Service implements quant.People over a quant.Store.
//
// It imports internal/quant, the standard library, go.yaml.in/yaml/v3 and
// golang.org/x/text/unicode/norm (the NFKD fold of section 1's ids, which
// internal/ingest uses too: names must fold exactly as ids do).
//
// # Tables
//
// A table file is the congress-legislators project's YAML
// (legislators-current.yaml, legislators-historical.yaml, or a merge of
// their snapshots such as ../shared/data/legislators-2013-2026.yaml) or
// its JSON twin (legislators-current.json: the same schema as one JSON
// array). The content decides, never the name: a file whose first
// non-space byte (after an optional byte order mark) is '[' and that
// parses as JSON is JSON; anything else is YAML (a YAML flow list also
// starts with '[').
//
// Of each member the loader reads id.bioguide; name.first, middle, last,
// suffix, nickname and official_full; other_names[] (first, middle, last,
// end); and terms[] (type, start, end, state, district, party,
// party_affiliations[] of start, end and party). Other keys are ignored.
// Scalars are read as their text (a YAML number or unquoted date as
// written, a JSON number as its digits), then checked:
//
//   - id.bioguide is required and has the form of a bioguide id (one
//     capital letter, six digits); one file may not give one twice. The
//     project's placeholder "TODO" (a row for a member not yet assigned an
//     id: the merged 2013-2026 file holds one, a garbled copy of Mike
//     Rounds with a House term in American Samoa) is skipped, not an
//     error: it names nobody, and resolving to it would make Rounds
//     ambiguous. So that file's 1,139 entries load as 1,138 members.
//   - name.last is required; the other names are optional.
//   - every member has a terms list; a term's type is sen or rep. The
//     executive types prez and viceprez (executive.yaml's; one snapshot
//     gave Barack Obama a prez term) are skipped; any other type is an
//     error.
//   - start and end are required, exactly YYYY-MM-DD and real dates; end
//     is not before start. A party span's dates likewise.
//   - state is required: two capital letters (territories included).
//   - district (rep terms): a number; 0 is at large; -1 (the project's
//     unknown) and a missing district are unknown (District invalid); less
//     than -1 or not a number is an error. A senator's district is ignored.
//   - party is optional (legislators-historical's earliest terms have
//     none). party_affiliations are kept sorted by start and not checked
//     against the term's bounds or each other (Ralph Hall's two spans of
//     2003-2004 share a day: Term.PartyOn takes the first covering).
//   - other_names[].end, when given, is a date; an entry must name
//     something.
//
// Every problem of every file is reported, each naming its file, the
// member's 1-based position, its bioguide id when it has one, and the field
// ("term 3: end"); a *TableError lists the first MaxProblems and counts
// them all. A table with any problem is refused whole: a reference table
// loaded in part would resolve ids wrongly without saying so.
//
// Several files merge into one table: one member per bioguide id; its
// terms are the union of the files' terms, one per chamber and start day
// (the merged file's snapshots give some terms twice with different start
// days, 2015-01-03 and 2015-01-06: both are kept, which changes nothing
// that reads them); its names (and other_names) come from the file
// holding its latest term (latest start, then latest end; a tie goes to
// the later file in argument order), as does a term two files both hold.
// Members are sorted by bioguide id, each member's terms by start. Digest
// is the hex SHA-256 of a canonical encoding of Members (every field,
// strings length-prefixed, lists count-prefixed, dates as days): two
// tables are equal exactly when their digests are. Sources are the paths
// as given and do not enter the digest.
//
// # Resolution
//
// Resolve works on a store's Filers: every distinct record signature
// (politician id, name, chamber, state, district, bioguide id) with the
// days it traded on. Each signature is resolved day by day; its days with
// one outcome make a record group. An outcome is one person, one of
// several (ambiguous), nobody, or several people at once (the record's
// own bioguide id against its name; see below).
//
// Names. A name is tokenized as section 1's politician id is (Unicode
// NFKD fold, combining marks dropped, lower case, split on anything not
// [a-z0-9], jr sr ii iii iv dropped), except that the text inside
// parentheses and quotes is kept (nicknames: "Rafael Edward (Ted) Cruz",
// `Robert C. "Bobby" Scott`), and honorifics and credentials are dropped
// too: hon honorable dr mr mrs ms miss mx rep representative sen senator
// congressman congresswoman md facs phd esq (the House file writes
// "Richard Dean Dr McCormick", "Laurel Mrs Lee", "Neal Patrick MD, Facs
// Dunn"). A member's last names are name.last and every other_names last
// (used whatever their end: filers keep old names); their given names are
// the tokens of first, middle, nickname, other_names first and middle,
// and of official_full but its last-name tokens.
//
// A record's name agrees with a member's when one of the member's last
// names is a contiguous run of the record's tokens made of whole words —
// it neither starts nor ends inside a hyphenated or apostrophed compound,
// so Tina Smith's "Smith" is not in "Cindy Hyde-Smith" nor Esposito in
// "D'Esposito" ("Hyde Smith" written with a space has both) — and the run
// either ends the name or another token of the record equals one of the
// member's given names (two letters or more; an initial is not enough).
// The second condition is not in the issue: without it "Kelly Loeffler",
// trading after her term, agreed with Senator Mark Kelly (his last name
// is her first), and a lone candidate needs nothing more to be chosen;
// with initials allowed there, a synthetic "Alexander D Duncan" agreed
// with a member D... Alexander.
//
// When several members agree and serve, the record's other tokens decide:
// the members with a given name equal to one of them (two letters or
// more) if there are any, else those with a given name of which one is a
// common form (a small table of English given-name forms, givenVariants:
// Thomas and Tom, William and Bill, Cynthia and Cindy; only forms in use,
// and each group one name), else those with a given name whose initial
// is a one-letter token of the record (or whose one-letter given name is
// the initial of a token: "C. Scott Franklin"), if any; exactly one left
// is the person, more are ambiguous. So "Thomas Udall" in 2012, when Tom
// and Mark Udall served, is Tom; initials decide ("T. Udall" is Tom, not
// Mark) because they decide only between members who already agree by
// last name, place and day, and only when exactly one has it; "P.
// Toomey" between a Patrick and a Patricia stays ambiguous, and so does a
// given name neither has ("Morris Udall" in 2012).
//
// With one candidate the last name, place and day decide, as the issue
// says ("William Cassidy", "Jacklyn S Rosen", "A. Mitchell McConnell"):
// the table's given names are one form, a filing often another. When the
// record's given names agree with none of the lone candidate's, not even
// by form or initial, the identity keeps a note saying it was resolved by
// the last name alone (Identity.Detail; the API's identity_note), so the
// doubt is visible: on the real files no id needs the note once the forms
// table holds Cynthia and Cindy. The price of the rule is that a filer
// the table lacks, trading while a member of the same last name (and, in
// the House, state) serves, resolves to that member, with that note: the
// generator's "absent" filers with a namesake (ingest.GenerateLegislators;
// TestResolveGenerated counts them) do.
//
// Where and when. A House record is matched against members with a rep
// term serving on its day (both ends inclusive, Term.Serving): those of
// its state and district whose name agrees; when there are none, those of
// its state and any district (the House file gives the member's district
// when the file was made, not at the trade: redistricting renumbers
// seats, and on the real file 26 records resolve by this step: Pete
// Sessions filed as TX-32 trading as TX-17, Rich McCormick as GA-06
// trading as GA-07, Zoe Lofgren, John Rutherford); a House record without a
// state, any rep serving that day. A Senate record: senators serving on
// its day. A record of another chamber matches nobody. The first step
// that finds anyone decides; an ambiguous step does not fall through.
//
// Tolerance. When those steps find nobody on the record's day, they are
// tried again with every term widened by Tolerance (365) days on both
// sides. Measured on the real files: every Senate record falls inside a
// term; of the 6,541 House records, 5 fall just outside every term of
// their member, all before the member's first swearing-in (Shri Thanedar,
// 4 records of 2022, 14 to 256 days before 2023-01-03; Julie Johnson,
// 2024-03-15, 294 days before 2025-01-03: members-elect and candidates
// report earlier trades), and 2 are far off (Jefferson Shreve, 2015-05-08,
// nearly ten years before his first term: likely 2025 mistyped). The
// widened pass runs only when nobody agreeing served on the day, so it
// never takes a trade from a sitting member, and it chooses between people
// by the same rules; 365 days covers the measured cases with room and
// stays inside one Congress's campaign.
//
// A record's own bioguide id (Senate filings) is checked against the
// table, which the issue does not ask: the real filings carry three ids
// that are not their filers' — R000120 for "John F Reed" (Jack Reed is
// R000122; R000120 is John Reed Sr., a representative of 1795),
// M000357 for "A. Mitchell McConnell, Jr." (Mitch McConnell is M000355;
// M000357 is a senator of the 1890s) and U000002 for "Thomas Udall" (Tom
// Udall is U000039; U000002 is Stewart Udall, a representative of the
// 1950s). Taken as given, with legislators-historical loaded, they would
// resolve 240 records of Jack Reed's to a Federalist of Massachusetts. So:
//
//   - without a table, the own bioguide id is the person;
//   - when the table holds it and that member served (either chamber) on
//     the day, or within Tolerance days, it is the person, whatever the
//     name says: the record's own id wins over names;
//   - when the table holds it but that member served nowhere near the day,
//     the table refutes it: the record resolves by its name and place as a
//     record without one would (and to nobody, saying why, if no name
//     agrees);
//   - when the table lacks it and lists a whole Senate (100 senators
//     serving, up to 110: an appointee and the member replaced; a day
//     counting more, such as the 3rd of January when two classes' terms
//     meet or a synthetic table of more senators than seats, proves
//     nothing) on the record's day, no seat was left for a senator
//     it lacks: the id is wrong, and the record resolves by its name and
//     place as a record without one would (to nobody, saying why, if no
//     name agrees). This is the case of all three wrong ids with the
//     merged 2013-2026 table, which lists every senator from 2012-09:
//     john-f-reed resolves to Jack Reed, a-mitchell-mcconnell to Mitch
//     McConnell and thomas-udall to Tom Udall, each Identity's Detail
//     saying which id its records carry and why it was set aside;
//   - when the table lacks it on a day it does not list a whole Senate
//     (legislators-current alone, which holds today's members only), the
//     table may simply not cover the filer, so the record's name is
//     matched only against members whose given name agrees in full (two
//     letters or more) as well as the last name: a former senator's
//     filings would otherwise meet a sitting namesake. If no such member
//     served, the id is the person (with Legislator nil: a member the
//     table does not cover); if one did, the record points at both its
//     own id and that member, and its politician id is a conflict: the
//     source and the table disagree, and neither is guessed right.
//
// A resolved id whose records' own bioguide id was set aside (refuted or
// impossible, above) keeps a note in Identity.Detail; any other resolved
// id has none.
//
// A table row whose bioguide id is not of the bioguide form (a placeholder
// another loader kept) is never resolved to; of two rows with one id, the
// first is the member.
//
// Per id. The groups of an id's signatures point at people: a group that
// resolved points at its person; one whose own bioguide id the table
// lacks while a member's full name agrees points at both. Exactly one person
// pointed at resolves the id, unless an ambiguous group's candidates leave
// that person out (then it is a conflict too); an ambiguous group whose
// candidates include the person is consistent with it. Groups that found
// nobody do not block a resolution (a trade dated ten years before the
// member's first term is one bad date, not another person) and are not
// reported for a resolved id. Several people pointed at: conflict. None:
// ambiguous when a group was, no_legislators without a table, else
// no_match. Candidates are sorted; Detail names the records' chamber,
// district, days and name for people:
//
//	House MI-13 2021-04-22: no representative of MI served then, or within 365 days, with a name agreeing with "Shri Thanedar"
//	Senate 2012-03-01: Mark Udall (U000038) and Tom Udall (U000039) served then with a name agreeing with "Thomas Udall", and no given name decides
//	records point at R000120 (their own bioguide id, which the table lacks: Senate, "John F Reed", 2014-01-21 to 2019-02-28, 59 days) and R000122 Jack Reed (by name: the same records)
//
// (at most three groups or four people, then how many more).
//
// Identity fields: Chambers of all the id's records (not only analyzable
// ones); Records, Analyzable, FirstTrade and LastTrade over them;
// OfficialName the person's (below); Party and State from the person's
// term covering the id's last trade, else the nearest (TermNearest,
// PartyOn); for an id resolved to a person the table lacks, no party and
// the state of the id's latest House record, as for an unresolved id.
// Person fields: IDs sorted; Chambers their union; counts summed; Party
// and State at the person's last trade; OfficialName official_full, else
// first and last, or without a table row the name of the person's latest
// record (latest day, then the bytewise smallest name). A Person's
// Legislator points into the Directory's table.
//
// Resolve sorts the signatures itself, so the Directory does not depend on
// their order. Members are indexed by the first token of each last name:
// a record's tokens look up the few members who could agree (one to
// three; a state's House delegation over the years is dozens), and only
// those members' terms are read per day. The real files (22,921
// records, 252 signatures) resolve in about 6 ms, a synthetic million
// records of 300 politicians (519,000 signature days) in about 0.1 s on
// two cores (BenchmarkResolveReal, BenchmarkResolveSynthetic1M).
//
// # Real data
//
// On the real files and the merged 2013-2026 table (TestRealUnresolved
// asserts these figures; each file resolved alone, then the three
// together; senate_all_transactions.json resolves exactly as its CSV
// twin):
//
//	file                         ids  resolved  people  no_match  ambiguous  conflict
//	senate_all_transactions.csv   64        64      56         0          0         0
//	senate_all_filings.json       53        53      51         0          0         0
//	house_all_transactions.json  123       123     117         0          0         0
//	all three                    189       189     175         0          0         0
//
// No id is unresolved: the filings' three wrong bioguide ids above are
// set aside (the table lists a whole Senate on every day of their
// records) and their names decide. The figures of "all three" are those
// of the union of the files' records; a store holding the three (each
// filing once, Store.Import) resolves the same 189 ids to 175 people
// (inmem, TestServiceInmem). Every spelling resolves to its person: ron-l-wyden,
// ron-wyden and ronald-l-wyden to W000779; the House's c-scott-franklin,
// scott-franklin, scott-mr-franklin and scott-scott-franklin to F000472.
// Without a table only the filings' ids resolve (to their own bioguide
// ids).
//
// # Service
//
// Service implements quant.People over a quant.Store. Directory resolves
// st.Filers; MergedDataset and MergedDisclosures merge st.Dataset and
// st.Disclosures by the Directory of the same version: a resolved id's
// activity (records) joins its person's under the bioguide id, weeks
// summed per week, Analyzable summed, tickers united and sorted (records
// concatenated in record ID order); unresolved ids keep their own; the
// result is sorted by ID (bioguide ids, upper case, sort first) and the
// Dataset's axis rebuilt with quant.NewDataset at the underlying version.
// Each is built once per dataset version, concurrent callers sharing the
// build, and kept until a newer version's is built; a caller whose context
// ends stops waiting while the build runs on for the others; a build that
// fails (a store error before it, a panic in it) is not kept. The Dataset
// (or Disclosures) and the Filers are two reads: when their versions
// differ (an import or a new table landed between them), both are read
// again, at most five times, rather than merge one version's activity by
// another's identities; a store changing faster than that gets an error
// matching quant.ErrUnavailable.
package people
