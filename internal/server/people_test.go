package server

import (
	"fmt"
	"net/http"
	"slices"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/quantops/quant/internal/problem"
	"github.com/quantops/quant/internal/quant"
)

func TestPeopleList(t *testing.T) {
	withTable := newIdentityServer(t, true, false).srv.Handler()
	noTable := newIdentityServer(t, false, false).srv.Handler()
	tests := []struct {
		name  string
		h     http.Handler
		query string
		list  string   // "people" (bioguide ids) or "ids" (unresolved ids)
		want  []string // nil: a 400 naming param
		total int
		param string
	}{
		{"by trades, ties by bioguide", withTable, "", "people", []string{"P000197", "W000779", "C000001"}, 3, ""},
		{"by name", withTable, "sort=name", "people", []string{"C000001", "P000197", "W000779"}, 3, ""},
		{"by last trade", withTable, "sort=last_trade", "people", []string{"P000197", "C000001", "W000779"}, 3, ""},
		{"paged", withTable, "limit=1&offset=1", "people", []string{"W000779"}, 3, ""},
		{"past the end", withTable, "offset=10", "people", []string{}, 3, ""},
		{"party", withTable, "party=DEMOCRAT", "people", []string{"P000197", "W000779"}, 2, ""},
		{"party nobody has", withTable, "party=Independent", "people", []string{}, 0, ""},
		{"state", withTable, "state=tx", "people", []string{"C000001"}, 1, ""},
		{"chamber", withTable, "chamber=house", "people", []string{"P000197", "C000001"}, 2, ""},
		{"chamber and party", withTable, "chamber=senate&party=Democrat", "people", []string{"W000779"}, 1, ""},
		{"unresolved", withTable, "unresolved=true", "ids", []string{"lee-x", "pat-quinn"}, 2, ""},
		{"unresolved by last trade", withTable, "unresolved=true&sort=last_trade", "ids", []string{"lee-x", "pat-quinn"}, 2, ""},
		{"unresolved paged", withTable, "unresolved=true&limit=1&offset=1", "ids", []string{"pat-quinn"}, 2, ""},
		{"unresolved, chamber", withTable, "unresolved=true&chamber=senate", "ids", []string{"pat-quinn"}, 1, ""},
		{"unresolved, state", withTable, "unresolved=true&state=NY", "ids", []string{"lee-x"}, 1, ""},
		{"resolved, explicitly", withTable, "unresolved=false&state=NY", "people", []string{}, 0, ""},
		{"without a table", noTable, "", "people", []string{"W000779"}, 1, ""},
		{"without a table, unresolved", noTable, "unresolved=true&sort=name", "ids", []string{"dan-crane", "lee-x", "nancy-pelosi", "pat-quinn", "ron-wyden"}, 5, ""},
		{"party and unresolved", withTable, "unresolved=true&party=Democrat", "", nil, 0, "party"},
		{"unknown party", withTable, "party=Whig", "", nil, 0, "party"},
		{"party without a table", noTable, "party=Democrat", "", nil, 0, "party"},
		{"bad unresolved", withTable, "unresolved=yes", "", nil, 0, "unresolved"},
		{"bad sort", withTable, "sort=age", "", nil, 0, "sort"},
		{"bad state", withTable, "state=Texas", "", nil, 0, "state"},
		{"bad chamber", withTable, "chamber=both", "", nil, 0, "chamber"},
		{"bad limit", withTable, "limit=0", "", nil, 0, "limit"},
		{"unknown parameter", withTable, "bioguide=W000779", "", nil, 0, "bioguide"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			path := "/api/v1/people?" + tt.query
			status, body := serve(t, tt.h, "GET", path, "")
			if tt.want == nil {
				problemCheck(t, "GET "+path, status, body, tt.param)
				return
			}
			key := "bioguide"
			if tt.list == "ids" {
				key = "id"
			}
			if got := listed(t, body, tt.list, key); status != 200 || !slices.Equal(got, tt.want) || body["total"] != float64(tt.total) {
				t.Errorf("GET %s = %d %v total %v, want %v total %d", path, status, got, body["total"], tt.want, tt.total)
			}
		})
	}
}

// TestPeopleFields checks every field of the people listing, of both
// kinds, and the table it names.
func TestPeopleFields(t *testing.T) {
	h := newIdentityServer(t, true, false).srv.Handler()
	table := map[string]any{"sources": []any{"legislators-test.yaml"}, "digest": "0123abcd", "members": 7.0}
	_, body := serve(t, h, "GET", "/api/v1/people?sort=name", "")
	want := map[string]any{
		"people": []any{
			map[string]any{"bioguide": "C000001", "name": "Daniel Crane", "party": "Republican", "state": "TX", "chambers": []any{"house"},
				"ids": []any{"dan-crane"}, "trade_count": 1.0, "analyzable_count": 1.0, "first_trade": "2022-07-01", "last_trade": "2022-07-01"},
			map[string]any{"bioguide": "P000197", "name": "Nancy Pelosi", "party": "Democrat", "state": "CA", "chambers": []any{"house"},
				"ids": []any{"nancy-pelosi"}, "trade_count": 3.0, "analyzable_count": 3.0, "first_trade": "2023-12-01", "last_trade": "2024-03-01"},
			map[string]any{"bioguide": "W000779", "name": "Ron Wyden", "party": "Democrat", "state": "OR", "chambers": []any{"senate"},
				"ids": []any{"ron-l-wyden", "ron-wyden"}, "trade_count": 3.0, "analyzable_count": 3.0, "first_trade": "2018-06-01", "last_trade": "2020-05-04"},
		},
		"total": 3.0, "limit": 100.0, "offset": 0.0, "legislators": table,
	}
	if diff := cmp.Diff(want, body); diff != "" {
		t.Errorf("GET /api/v1/people?sort=name (-want +got):\n%s", diff)
	}
	_, body = serve(t, h, "GET", "/api/v1/people?unresolved=true", "")
	want = map[string]any{
		"ids": []any{
			map[string]any{"id": "lee-x", "names": []any{"Lee X"}, "reason": "no_match", "detail": "test: no_match for lee-x", "candidates": []any{},
				"chambers": []any{"house"}, "state": "NY", "trade_count": 2.0, "analyzable_count": 2.0, "first_trade": "2021-09-09", "last_trade": "2021-10-09"},
			map[string]any{"id": "pat-quinn", "names": []any{"Pat Quinn"}, "reason": "ambiguous", "detail": "test: ambiguous for pat-quinn",
				"candidates": []any{"Q000001", "Q000002"}, "chambers": []any{"senate"}, "state": nil,
				"trade_count": 1.0, "analyzable_count": 0.0, "first_trade": "2020-01-15", "last_trade": "2020-01-15"},
		},
		"total": 2.0, "limit": 100.0, "offset": 0.0, "legislators": table,
	}
	if diff := cmp.Diff(want, body); diff != "" {
		t.Errorf("GET /api/v1/people?unresolved=true (-want +got):\n%s", diff)
	}
	noTable := newIdentityServer(t, false, false).srv.Handler()
	_, body = serve(t, noTable, "GET", "/api/v1/people", "")
	want = map[string]any{
		"people": []any{
			map[string]any{"bioguide": "W000779", "name": nil, "party": nil, "state": nil, "chambers": []any{"senate"},
				"ids": []any{"ron-l-wyden"}, "trade_count": 2.0, "analyzable_count": 2.0, "first_trade": "2019-03-01", "last_trade": "2020-05-04"},
		},
		"total": 1.0, "limit": 100.0, "offset": 0.0, "legislators": nil,
	}
	if diff := cmp.Diff(want, body); diff != "" {
		t.Errorf("GET /api/v1/people without a table (-want +got):\n%s", diff)
	}
}

func TestPerson(t *testing.T) {
	withTable := newIdentityServer(t, true, false).srv.Handler()
	noTable := newIdentityServer(t, false, false).srv.Handler()
	senate := func(start, end, state, party string, parties ...any) map[string]any {
		return map[string]any{"chamber": "senate", "start": start, "end": end, "state": state, "district": nil, "party": party, "parties": append([]any{}, parties...)}
	}
	house := func(start, end, state string, district float64, party string) map[string]any {
		return map[string]any{"chamber": "house", "start": start, "end": end, "state": state, "district": district, "party": party, "parties": []any{}}
	}
	span := func(start, end, party string) map[string]any {
		return map[string]any{"start": start, "end": end, "party": party}
	}
	wydenIDs := []any{
		map[string]any{"id": "ron-l-wyden", "names": []any{"Ron L Wyden"}, "trade_count": 2.0, "analyzable_count": 2.0,
			"first_trade": "2019-03-01", "last_trade": "2020-05-04", "chambers": []any{"senate"}},
		map[string]any{"id": "ron-wyden", "names": []any{"Ron Wyden"}, "trade_count": 1.0, "analyzable_count": 1.0,
			"first_trade": "2018-06-01", "last_trade": "2018-06-01", "chambers": []any{"senate"}},
	}
	tests := []struct {
		name   string
		h      http.Handler
		path   string
		status int
		want   map[string]any // 200: the whole answer; else the problem's param (400) or nothing
	}{
		{"two spellings", withTable, "/api/v1/people/W000779", 200, map[string]any{
			"bioguide": "W000779", "name": "Ron Wyden", "party": "Democrat", "state": "OR", "chambers": []any{"senate"},
			"trade_count": 3.0, "analyzable_count": 3.0, "first_trade": "2018-06-01", "last_trade": "2020-05-04",
			"name_parts": map[string]any{"first": "Ron", "middle": "L.", "last": "Wyden", "suffix": nil, "nickname": nil, "official_full": "Ron Wyden", "other_names": []any{}},
			"ids":        wydenIDs,
			"terms":      []any{house("1981-01-05", "1996-02-05", "OR", 3, "Democrat"), senate("1996-02-06", "2029-01-03", "OR", "Democrat")},
		}},
		{"a member no record names", withTable, "/api/v1/people/M000001", 200, map[string]any{
			"bioguide": "M000001", "name": "Maria L. Member", "party": "Independent", "state": "VT", "chambers": []any{},
			"trade_count": 0.0, "analyzable_count": 0.0, "first_trade": nil, "last_trade": nil,
			"name_parts": map[string]any{"first": "Maria", "middle": "L.", "last": "Member", "suffix": nil, "nickname": nil, "official_full": "Maria L. Member",
				"other_names": []any{map[string]any{"first": "Maria", "middle": nil, "last": "Maiden", "end": "2010-06-30"}}},
			"ids": []any{},
			"terms": []any{house("2007-01-04", "2013-01-03", "VT", 0, "Democrat"),
				senate("2013-01-03", "2019-01-03", "VT", "Democrat", span("2013-01-03", "2015-06-30", "Democrat"), span("2015-07-01", "2019-01-03", "Independent"))},
		}},
		{"a person without a table", noTable, "/api/v1/people/W000779", 200, map[string]any{
			"bioguide": "W000779", "name": nil, "party": nil, "state": nil, "chambers": []any{"senate"},
			"trade_count": 2.0, "analyzable_count": 2.0, "first_trade": "2019-03-01", "last_trade": "2020-05-04",
			"name_parts": nil, "ids": wydenIDs[:1], "terms": []any{},
		}},
		{"nobody", withTable, "/api/v1/people/Z999999", 404, nil},
		{"nobody without a table", noTable, "/api/v1/people/P000197", 404, nil},
		{"lower case", withTable, "/api/v1/people/w000779", 400, map[string]any{"param": "bioguide"}},
		{"a politician id", withTable, "/api/v1/people/ron-wyden", 400, map[string]any{"param": "bioguide"}},
		{"too short", withTable, "/api/v1/people/W00077", 400, map[string]any{"param": "bioguide"}},
		{"a parameter", withTable, "/api/v1/people/W000779?ids=1", 400, map[string]any{"param": "ids"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			status, body := serve(t, tt.h, "GET", tt.path, "")
			if status != tt.status {
				t.Fatalf("GET %s = %d %v, want %d", tt.path, status, body, tt.status)
			}
			switch {
			case status == 200:
				if diff := cmp.Diff(tt.want, body); diff != "" {
					t.Errorf("GET %s (-want +got):\n%s", tt.path, diff)
				}
			case status == 404:
				if body["type"] != problem.Base+"not-found" || body["detail"] == "" {
					t.Errorf("GET %s = %v, want a not-found problem with a detail", tt.path, body)
				}
			default:
				problemCheck(t, "GET "+tt.path, status, body, tt.want["param"].(string))
			}
		})
	}
}

// TestIdentityUnavailable checks that a directory that cannot be built
// (the store is down) is a 503 wherever identity is read, and that
// nothing else asks for it.
func TestIdentityUnavailable(t *testing.T) {
	s := newIdentityServer(t, true, true)
	s.people.err = fmt.Errorf("people: build the directory: %w", &quant.UnavailableError{Reason: "the trade store does not answer"})
	h := s.srv.Handler()
	for _, path := range []string{
		"/api/v1/people", "/api/v1/people/W000779", "/api/v1/politicians", "/api/v1/politicians/lee-x",
		"/api/v1/trades?party=Democrat", "/api/v1/analytics/fourier/ron-wyden", "/api/v1/analytics/compliance?party=Democrat",
	} {
		t.Run(path, func(t *testing.T) {
			if status, body := serve(t, h, "GET", path, ""); status != http.StatusServiceUnavailable {
				t.Errorf("GET %s = %d %v, want 503", path, status, body)
			}
		})
	}
	before := s.people.calls.Load()
	for _, path := range []string{"/api/v1/trades?chamber=house", "/api/v1/analytics/network", "/api/v1/analytics/compliance?state=CA", "/api/v1/tickers"} {
		if status, body := serve(t, h, "GET", path, ""); status != 200 {
			t.Errorf("GET %s = %d %v, want 200 (it reads no identity)", path, status, body)
		}
	}
	if n := s.people.calls.Load() - before; n != 0 {
		t.Errorf("requests that read no identity asked for the directory %d times", n)
	}
}
