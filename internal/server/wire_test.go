package server

import (
	"encoding"
	"encoding/json"
	"fmt"
	"go/ast"
	"go/parser"
	"go/token"
	"path/filepath"
	"reflect"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/quantops/quant/internal/client"
	"github.com/quantops/quant/internal/ensemble"
	"github.com/quantops/quant/internal/problem"
)

// The wire test holds internal/client's answer types to the JSON this
// package writes: for each answer, the server's type and the client type
// that decodes it must have the same JSON field names, recursively (names
// from the json tags as encoding/json reads them: "-", omitempty,
// ",string", embedded structs promoted, pointers, slices and maps looked
// through), and loosely the same kinds (a string is not a number; a
// pointer and its value are one). A field the server adds and the client
// lacks would be dropped without a word by json.Unmarshal; a field the
// client expects and the server never writes stays zero.

// wirePair is one answer: the server's type and the client's.
type wirePair struct {
	name           string
	server, client reflect.Type
	// allow lists, by path (as the failures name them), the fields one
	// side has and the other deliberately lacks, each with the reason.
	allow map[string]string
}

func typeOf[T any]() reflect.Type { return reflect.TypeFor[T]() }

// The analysis answers are the analysis' JSON with a "meta" member added
// (resultJSON): the compliance answers are thus these.
type (
	complianceWire struct {
		ensemble.ComplianceResult
		Meta resultMeta `json:"meta"`
	}
	complianceRankingWire struct {
		*ensemble.ComplianceRanking
		Meta resultMeta `json:"meta"`
	}
	// clientTickers is what client.Tickers decodes GET /api/v1/tickers
	// into (an unnamed struct there).
	clientTickers struct {
		Tickers []client.Ticker `json:"tickers"`
	}
)

// wirePairs are every answer the client decodes. Not here: the admin
// snapshot (both sides use quant.Snapshot), the admin flush and breaker
// answers (the client reads only their status), GET
// /api/v1/tickers/{ticker} and the import endpoints (the client has no
// method for them), CSV exports (not JSON).
var wirePairs = []wirePair{
	{name: "healthz", server: typeOf[healthJSON](), client: typeOf[client.Health]()},
	{name: "readyz", server: typeOf[readyJSON](), client: typeOf[client.Ready]()},
	{name: "politician", server: typeOf[politicianJSON](), client: typeOf[client.Politician]()},
	{name: "politicians", server: typeOf[politicianPageJSON](), client: typeOf[client.PoliticianPage]()},
	{name: "trades", server: typeOf[tradePageJSON](), client: typeOf[client.TradePage]()},
	{name: "tickers", server: typeOf[tickersJSON](), client: typeOf[clientTickers]()},
	{name: "people", server: typeOf[peoplePageJSON](), client: typeOf[client.PeoplePage]()},
	{name: "unresolved", server: typeOf[unresolvedPageJSON](), client: typeOf[client.UnresolvedPage]()},
	{name: "person", server: typeOf[personDetailJSON](), client: typeOf[client.PersonDetail]()},
	{name: "analysis meta", server: typeOf[resultMeta](), client: typeOf[client.Meta]()},
	{name: "compliance", server: typeOf[complianceWire](), client: typeOf[client.ComplianceAnswer]()},
	{name: "compliance ranking", server: typeOf[complianceRankingWire](), client: typeOf[client.ComplianceRanking](),
		allow: map[string]string{
			// One client type, ComplianceGroup, decodes both groups'
			// rows (ensemble.ChamberFigures and PartyFigures): each
			// group leaves the other's key out.
			"summary.by_chamber[].party": "client.ComplianceGroup serves by_party too; a chamber row has no party",
			"summary.by_party[].chamber": "client.ComplianceGroup serves by_chamber too; a party row has no chamber",
		}},
	{name: "job", server: typeOf[jobJSON](), client: typeOf[client.Job]()},
	{name: "job request", server: typeOf[jobRequestJSON](), client: typeOf[client.JobRequest]()},
	{name: "problem", server: typeOf[problem.Details](), client: typeOf[client.Problem]()},
}

func TestWireClientTypesMatchServer(t *testing.T) {
	for _, p := range wirePairs {
		t.Run(p.name, func(t *testing.T) {
			w := newWireCompare(p.allow)
			w.compare("", p.server, p.client, false, false)
			for _, e := range w.errs {
				t.Errorf("%s: %s", p.name, e)
			}
			for path, why := range p.allow {
				if !w.allowed[path] {
					t.Errorf("%s: %s is allowed to differ (%s), but does not: drop it from the table", p.name, path, why)
				}
			}
		})
	}
}

// TestWireCoversEveryType fails when a named answer type of either side
// is in no pair: a new client type, or a new server ...JSON type, must
// be added to wirePairs (or here, with why it has no counterpart).
func TestWireCoversEveryType(t *testing.T) {
	reached := map[string]bool{}
	for _, p := range wirePairs {
		w := newWireCompare(p.allow)
		w.compare("", p.server, p.client, false, false)
		for typ := range w.reached {
			reached[typ.PkgPath()+"."+typ.Name()] = true
		}
	}
	const mod = "github.com/quantops/quant/internal/"
	exempt := map[string]string{
		"client.Analysis":         "not decoded as a whole: the body stays raw, its meta is decoded alone (the analysis meta pair)",
		"client.Error":            "not JSON: the error an answer other than 2xx becomes (its Problem is the problem pair)",
		"server.tickerJSON":       "GET /api/v1/tickers/{ticker}: the client has no method for it",
		"server.tickerTraderJSON": "GET /api/v1/tickers/{ticker}: the client has no method for it",
	}
	check := func(pkg string, files []string, want func(name string, st *ast.StructType) bool) {
		for _, f := range files {
			af, err := parser.ParseFile(token.NewFileSet(), f, nil, parser.SkipObjectResolution)
			if err != nil {
				t.Fatal(err)
			}
			ast.Inspect(af, func(n ast.Node) bool {
				ts, ok := n.(*ast.TypeSpec)
				if !ok {
					return true
				}
				st, ok := ts.Type.(*ast.StructType)
				if !ok || !want(ts.Name.Name, st) {
					return true
				}
				key := pkg + "." + ts.Name.Name
				if _, ok := exempt[key]; !ok && !reached[mod+key] {
					t.Errorf("%s (%s) is in no pair of wirePairs", key, filepath.Base(f))
				}
				return true
			})
		}
	}
	// The client's: every exported struct of its types and errors.
	check("client", []string{"../client/types.go", "../client/error.go"}, func(name string, _ *ast.StructType) bool {
		return ast.IsExported(name)
	})
	// The server's: every ...JSON struct of this package.
	files, err := filepath.Glob("*.go")
	if err != nil {
		t.Fatal(err)
	}
	files = slices.DeleteFunc(files, func(f string) bool { return strings.HasSuffix(f, "_test.go") })
	check("server", files, func(name string, _ *ast.StructType) bool {
		return strings.HasSuffix(name, "JSON")
	})
}

// TestWireCompareCatches checks the comparison itself on small types: a
// missing field either way, a kind mismatch, and the encoding/json rules
// it must follow to see no difference where there is none.
func TestWireCompareCatches(t *testing.T) {
	type inner struct {
		A int `json:"a"`
	}
	type Embedded struct {
		E string `json:"e"`
	}
	type server struct {
		Embedded
		Same     *int             `json:"same"`
		Quoted   int64            `json:"quoted,string"`
		Gone     string           `json:"-"`
		Extra    string           `json:"extra,omitempty"`
		Kind     string           `json:"kind"`
		List     []inner          `json:"list"`
		Map      map[string]inner `json:"map"`
		At       time.Time        `json:"at"`
		Raw      json.RawMessage  `json:"raw"`
		Untagged bool
		hidden   int
	}
	type innerC struct {
		A int    `json:"a"`
		B string `json:"b"`
	}
	type clientT struct {
		E        string            `json:"e"`
		Same     int               `json:"same"`
		Quoted   string            `json:"quoted"`
		Kind     int               `json:"kind"`
		List     []*innerC         `json:"list"`
		Map      map[string]innerC `json:"map"`
		At       string            `json:"at"`
		Raw      []int             `json:"raw"`
		Untagged bool
	}
	_ = server{}.hidden
	w := newWireCompare(nil)
	w.compare("", typeOf[server](), typeOf[clientT](), false, false)
	got := strings.Join(w.errs, "\n")
	for _, want := range []string{
		`extra: server server.server has it, client server.clientT lacks it`,
		`kind: server string, client number`,
		`list[].b: client server.innerC has it, server server.inner lacks it`,
		`map{}.b: client server.innerC has it, server server.inner lacks it`,
	} {
		if !strings.Contains(got, want) {
			t.Errorf("no %q in:\n%s", want, got)
		}
	}
	if len(w.errs) != 4 {
		t.Errorf("%d differences, want 4:\n%s", len(w.errs), got)
	}
}

// wireCompare compares JSON shapes, collecting the differences.
type wireCompare struct {
	allow    map[string]string
	allowed  map[string]bool
	errs     []string
	visiting map[[2]reflect.Type]bool
	reached  map[reflect.Type]bool // the named structs compared
}

func newWireCompare(allow map[string]string) *wireCompare {
	return &wireCompare{allow: allow, allowed: map[string]bool{}, visiting: map[[2]reflect.Type]bool{}, reached: map[reflect.Type]bool{}}
}

func (w *wireCompare) fail(format string, args ...any) {
	w.errs = append(w.errs, fmt.Sprintf(format, args...))
}

// compare compares the JSON of s (the server's) and c (the client's) at
// path; sq and cq say the field has the ",string" option.
func (w *wireCompare) compare(path string, s, c reflect.Type, sq, cq bool) {
	s, c = deref(s), deref(c)
	ks, kc := jsonKind(s, sq), jsonKind(c, cq)
	if ks == "any" || kc == "any" {
		return
	}
	if ks != kc {
		w.fail("%s: server %s, client %s (server %s, client %s)", orTop(path), ks, kc, s, c)
		return
	}
	switch ks {
	case "array":
		w.compare(path+"[]", s.Elem(), c.Elem(), false, false)
	case "map":
		w.compare(path+"{}", s.Elem(), c.Elem(), false, false)
	case "object":
		for _, t := range []reflect.Type{s, c} {
			if t.Name() != "" {
				w.reached[t] = true
			}
		}
		pair := [2]reflect.Type{s, c}
		if w.visiting[pair] {
			return // a recursive type: compared further up
		}
		w.visiting[pair] = true
		defer delete(w.visiting, pair)
		fs, fc := jsonFields(s), jsonFields(c)
		names := slices.Sorted(func(yield func(string) bool) {
			for n := range fs {
				if !yield(n) {
					return
				}
			}
			for n := range fc {
				if _, ok := fs[n]; !ok && !yield(n) {
					return
				}
			}
		})
		for _, n := range names {
			at := n
			if path != "" {
				at = path + "." + n
			}
			a, inS := fs[n]
			b, inC := fc[n]
			switch {
			case inS && inC:
				w.compare(at, a.typ, b.typ, a.quoted, b.quoted)
			case w.allow[at] != "":
				w.allowed[at] = true
			case inS:
				w.fail("%s: server %s has it, client %s lacks it", at, s, c)
			default:
				w.fail("%s: client %s has it, server %s lacks it", at, c, s)
			}
		}
	}
}

func orTop(path string) string {
	if path == "" {
		return "(the answer)"
	}
	return path
}

func deref(t reflect.Type) reflect.Type {
	for t.Kind() == reflect.Pointer {
		t = t.Elem()
	}
	return t
}

var (
	rawMessageType    = reflect.TypeFor[json.RawMessage]()
	timeType          = reflect.TypeFor[time.Time]()
	jsonMarshalerType = reflect.TypeFor[json.Marshaler]()
	textMarshalerType = reflect.TypeFor[encoding.TextMarshaler]()
)

func implements(t, iface reflect.Type) bool {
	return t.Implements(iface) || reflect.PointerTo(t).Implements(iface)
}

// jsonKind is the kind of JSON t encodes as (quoted: with ",string"):
// bool, number, string, array, object (a struct), map, or any (raw JSON,
// an interface: whatever the other side has).
func jsonKind(t reflect.Type, quoted bool) string {
	switch {
	case t == rawMessageType || t.Kind() == reflect.Interface:
		return "any"
	case t == timeType:
		return "string"
	case implements(t, jsonMarshalerType):
		return "custom " + t.String() // its own JSON: the same type on both sides, or a difference
	case implements(t, textMarshalerType):
		return "string"
	}
	switch t.Kind() {
	case reflect.Bool:
		if quoted {
			return "string"
		}
		return "bool"
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64,
		reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64, reflect.Uintptr,
		reflect.Float32, reflect.Float64:
		if quoted {
			return "string"
		}
		return "number"
	case reflect.String:
		return "string"
	case reflect.Slice:
		if t.Elem().Kind() == reflect.Uint8 && !implements(t.Elem(), jsonMarshalerType) && !implements(t.Elem(), textMarshalerType) {
			return "string" // base64
		}
		return "array"
	case reflect.Array:
		return "array"
	case reflect.Map:
		return "map"
	case reflect.Struct:
		return "object"
	}
	return "unsupported " + t.String()
}

// wireField is one JSON member of a struct.
type wireField struct {
	typ    reflect.Type
	quoted bool
	tagged bool
	depth  int
}

// jsonFields returns t's JSON members by name as encoding/json marshals
// them: exported fields, "-" left out, the fields of an untagged
// embedded struct (or pointer to one) promoted, and of several fields of
// one name the shallowest wins, a tagged one among equals, else none.
func jsonFields(t reflect.Type) map[string]wireField {
	byName := map[string][]wireField{}
	var walk func(t reflect.Type, depth int, visiting map[reflect.Type]bool)
	walk = func(t reflect.Type, depth int, visiting map[reflect.Type]bool) {
		visiting[t] = true
		defer delete(visiting, t)
		for i := range t.NumField() {
			sf := t.Field(i)
			if sf.Anonymous {
				et := sf.Type
				if et.Kind() == reflect.Pointer {
					et = et.Elem()
				}
				if !sf.IsExported() && et.Kind() != reflect.Struct {
					continue
				}
			} else if !sf.IsExported() {
				continue
			}
			tag := sf.Tag.Get("json")
			if tag == "-" {
				continue
			}
			name, opts, _ := strings.Cut(tag, ",")
			ft := sf.Type
			if ft.Name() == "" && ft.Kind() == reflect.Pointer {
				ft = ft.Elem()
			}
			quoted := false
			if slices.Contains(strings.Split(opts, ","), "string") {
				switch ft.Kind() {
				case reflect.Bool, reflect.String,
					reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64,
					reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64, reflect.Uintptr,
					reflect.Float32, reflect.Float64:
					quoted = true
				}
			}
			if name != "" || !sf.Anonymous || ft.Kind() != reflect.Struct {
				tagged := name != ""
				if name == "" {
					name = sf.Name
				}
				byName[name] = append(byName[name], wireField{typ: sf.Type, quoted: quoted, tagged: tagged, depth: depth})
				continue
			}
			if !visiting[ft] {
				walk(ft, depth+1, visiting)
			}
		}
	}
	walk(t, 0, map[reflect.Type]bool{})
	out := map[string]wireField{}
	for name, fs := range byName {
		top := slices.MinFunc(fs, func(a, b wireField) int { return a.depth - b.depth }).depth
		fs = slices.DeleteFunc(fs, func(f wireField) bool { return f.depth != top })
		if len(fs) > 1 {
			fs = slices.DeleteFunc(fs, func(f wireField) bool { return !f.tagged })
		}
		if len(fs) == 1 {
			out[name] = fs[0]
		}
	}
	return out
}
