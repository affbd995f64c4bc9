package server

import (
	"context"
	"net/http"
	"slices"
	"strings"
	"testing"

	"github.com/gorilla/mux"
	"github.com/quantops/quant/internal/inmem"
	"github.com/quantops/quant/internal/jobs"
	"github.com/quantops/quant/internal/quant"
	"gopkg.in/yaml.v3"
)

// TestOpenAPIDocumentsEveryRoute walks the router and checks that each
// route and method is in openapi.yaml, and that the document names no
// route the router lacks.
func TestOpenAPIDocumentsEveryRoute(t *testing.T) {
	var doc struct {
		Paths map[string]map[string]any `yaml:"paths"`
	}
	if err := yaml.Unmarshal(openapiYAML, &doc); err != nil {
		t.Fatalf("openapi.yaml: %v", err)
	}
	srv := New(Config{Store: nil, Analyzer: &nopAnalyzer{}, Jobs: jobs.New(jobs.Config{Store: inmem.NewJobs(), Analyzer: &nopAnalyzer{}}),
		People: &fakePeople{dir: &quant.Directory{}}})
	var routes []string
	err := srv.router.Walk(func(r *mux.Route, _ *mux.Router, _ []*mux.Route) error {
		path, err := r.GetPathTemplate()
		if err != nil {
			return nil
		}
		methods, _ := r.GetMethods()
		routes = append(routes, path)
		for _, m := range methods {
			if m == http.MethodHead {
				continue
			}
			if _, ok := doc.Paths[path][strings.ToLower(m)]; !ok {
				t.Errorf("route %s %s is not in openapi.yaml", m, path)
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	for p := range doc.Paths {
		if !slices.Contains(routes, p) {
			t.Errorf("openapi.yaml documents %s, which the router does not serve", p)
		}
	}
	if len(routes) < 15 {
		t.Errorf("walked %d routes, want every API route", len(routes))
	}
}

// nopAnalyzer answers nothing; it only makes New register the analytics routes.
type nopAnalyzer struct{}

func (nopAnalyzer) Analyze(context.Context, quant.Query) (*quant.Result, error) {
	return nil, quant.ErrUnavailable
}
