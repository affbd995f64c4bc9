package ensemble

import (
	"fmt"
	"testing"
)

// genSizes are the `quant gen` sizes the scaling benchmarks run at
// (politicians, trades), trades per politician fixed at 400.
var genSizes = [][2]int{{500, 200_000}, {2000, 800_000}, {5000, 2_000_000}}

// reportNetwork reports the graph size of res.
func reportNetwork(b *testing.B, res NetworkResult) {
	b.ReportMetric(float64(res.Graph.Nodes), "nodes")
	b.ReportMetric(float64(res.Graph.Edges), "edges")
	b.ReportMetric(float64(len(res.Communities)), "communities")
}

// BenchmarkNetworkGen measures the network over all politicians of `quant
// gen` data at three sizes (min_weight 0.1).
func BenchmarkNetworkGen(b *testing.B) {
	for _, sz := range genSizes {
		b.Run(fmt.Sprintf("p%d_t%d", sz[0], sz[1]), func(b *testing.B) {
			ds := genDataset(b, sz[0], sz[1])
			b.ReportAllocs()
			var res NetworkResult
			for b.Loop() {
				var err error
				if res, err = Network(b.Context(), ds, NetworkDefaultMinWeight); err != nil {
					b.Fatal(err)
				}
			}
			reportNetwork(b, res)
		})
	}
}

// BenchmarkNetworkReal measures the network of the real Senate data at
// min_weight 0.1.
func BenchmarkNetworkReal(b *testing.B) {
	ds := realDataset(b)
	b.ReportAllocs()
	var res NetworkResult
	for b.Loop() {
		var err error
		if res, err = Network(b.Context(), ds, NetworkDefaultMinWeight); err != nil {
			b.Fatal(err)
		}
	}
	reportNetwork(b, res)
}

// BenchmarkNetworkGenPhases measures each step of Network alone on `quant
// gen` data at the three sizes: where the time goes.
func BenchmarkNetworkGenPhases(b *testing.B) {
	for _, sz := range genSizes {
		ds := genDataset(b, sz[0], sz[1])
		var tickers [][]string
		var nodes []NetworkNode
		for _, a := range ds.Activities {
			if len(a.Tickers) > 0 {
				tickers = append(tickers, a.Tickers)
			}
		}
		g := jaccardOf(b, tickers, NetworkDefaultMinWeight).graph()
		for u := range g.n {
			nd := NetworkNode{}
			_, ws := g.neighbours(u)
			for _, w := range ws {
				nd.Strength += w
			}
			nodes = append(nodes, nd)
		}
		name := fmt.Sprintf("p%d_t%d", sz[0], sz[1])
		b.Run(name+"/jaccard", func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				jaccardOf(b, tickers, NetworkDefaultMinWeight).graph()
			}
			b.ReportMetric(float64(g.edges()), "edges")
		})
		b.Run(name+"/pagerank", func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				if _, err := pageRank(b.Context(), g, nodes); err != nil {
					b.Fatal(err)
				}
			}
		})
		b.Run(name+"/betweenness", func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				betweennessOf(b, g)
			}
		})
		b.Run(name+"/louvain", func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				if _, _, err := louvain(b.Context(), g); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
