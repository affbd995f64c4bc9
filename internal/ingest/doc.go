// Package ingest parses and normalizes stock-trade disclosures exactly as
// ANALYTICS.md section 1 says, from the Senate Stock Watcher CSV and JSON
// formats and the House Stock Watcher JSON format, and generates synthetic
// disclosures in the Senate CSV format.
//
// Parsing streams: records are yielded one at a time, so a file of any size
// needs memory for one record (plus the per-politician figures of its
// Summary), never for the whole file. A record that breaks a rule is
// rejected with its reason and position (CSV line, header = line 1, or
// 1-based JSON array index); a reject never aborts the rest of the file.
package ingest
