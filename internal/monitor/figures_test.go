package monitor

import (
	"fmt"
	"reflect"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/quantops/quant/internal/cache"
	"github.com/quantops/quant/internal/guard"
	"github.com/quantops/quant/internal/quant"
)

// leaves records the leaf values of a struct as path -> canonical value:
// numbers as "n:%g" (a duration in milliseconds, the snapshot's unit),
// strings "s:", times "t:", booleans "b:".
type leaves map[string]string

var durationType = reflect.TypeFor[time.Duration]()
var timeType = reflect.TypeFor[time.Time]()

// fill sets every exported leaf reachable from v (pointers allocated,
// slices of two) to a value no other leaf has, from *n on, and records it.
func fill(v reflect.Value, path string, n *int, out leaves) {
	*n++
	switch {
	case v.Type() == durationType:
		v.SetInt(int64(*n) * int64(time.Millisecond))
		out[path] = fmt.Sprintf("n:%g", float64(*n))
		return
	case v.Type() == timeType:
		t := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC).Add(time.Duration(*n) * time.Hour)
		v.Set(reflect.ValueOf(t))
		out[path] = "t:" + t.Format(time.RFC3339Nano)
		return
	}
	switch v.Kind() {
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64:
		v.SetInt(int64(*n))
		out[path] = fmt.Sprintf("n:%g", float64(*n))
	case reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64:
		v.SetUint(uint64(*n))
		out[path] = fmt.Sprintf("n:%g", float64(*n))
	case reflect.Float32, reflect.Float64:
		v.SetFloat(float64(*n) + 0.5)
		out[path] = fmt.Sprintf("n:%g", float64(*n)+0.5)
	case reflect.String:
		v.SetString(fmt.Sprintf("s%d", *n))
		out[path] = fmt.Sprintf("s:s%d", *n)
	case reflect.Bool:
		v.SetBool(true)
		out[path] = "b:true"
	case reflect.Pointer:
		v.Set(reflect.New(v.Type().Elem()))
		fill(v.Elem(), path, n, out)
	case reflect.Slice:
		v.Set(reflect.MakeSlice(v.Type(), 2, 2))
		for i := range 2 {
			fill(v.Index(i), fmt.Sprintf("%s[%d]", path, i), n, out)
		}
	case reflect.Struct:
		for i := range v.NumField() {
			if f := v.Type().Field(i); f.IsExported() {
				fill(v.Field(i), strings.TrimPrefix(path+"."+f.Name, "."), n, out)
			}
		}
	default:
		panic(fmt.Sprintf("fill: %s of kind %s", path, v.Kind()))
	}
}

// read records the leaves of v (zero ones too: an empty string is "s:").
func read(v reflect.Value, path string, out leaves) {
	switch {
	case v.Type() == timeType:
		t := v.Interface().(time.Time)
		out[path] = "t:" + t.Format(time.RFC3339Nano)
		if t.IsZero() {
			out[path] = "t:"
		}
		return
	case v.Type() == durationType:
		panic("read: the snapshot has a time.Duration at " + path + "; its times are milliseconds")
	}
	switch v.Kind() {
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64:
		out[path] = fmt.Sprintf("n:%g", float64(v.Int()))
	case reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64:
		out[path] = fmt.Sprintf("n:%g", float64(v.Uint()))
	case reflect.Float32, reflect.Float64:
		out[path] = fmt.Sprintf("n:%g", v.Float())
	case reflect.String:
		out[path] = "s:" + v.String()
	case reflect.Bool:
		out[path] = fmt.Sprintf("b:%v", v.Bool())
	case reflect.Pointer:
		if v.IsNil() {
			out[path] = "nil"
			return
		}
		read(v.Elem(), path, out)
	case reflect.Slice:
		if v.Len() == 0 {
			out[path] = "empty"
		}
		for i := range v.Len() {
			read(v.Index(i), fmt.Sprintf("%s[%d]", path, i), out)
		}
	case reflect.Struct:
		for i := range v.NumField() {
			if f := v.Type().Field(i); f.IsExported() {
				read(v.Field(i), strings.TrimPrefix(path+"."+f.Name, "."), out)
			}
		}
	default:
		panic(fmt.Sprintf("read: %s of kind %s", path, v.Kind()))
	}
}

// TestConversionsCarryEveryField fills each component's Stats with a value
// per field, none alike, and checks that its conversion carries every one
// into the snapshot and leaves no field of the snapshot unset. A field
// added to a Stats (or to a snapshot type) without its conversion fails
// here, by name.
func TestConversionsCarryEveryField(t *testing.T) {
	analyses := []quant.Analysis{quant.AnalysisHMM}
	conversions := []struct {
		name    string
		stats   any
		convert func(any) any
		// notCarried are the Stats' fields the snapshot does not serve,
		// with why; unset the snapshot's fields that may be zero.
		notCarried map[string]string
		unset      []string
	}{
		{name: "store", stats: quant.StoreStats{},
			convert: func(s any) any { return storeSnapshot(s.(quant.StoreStats), true) }},
		{name: "pool", stats: guard.BulkheadStats{},
			convert: func(s any) any { return poolSnapshot(s.(guard.BulkheadStats), analyses) },
			unset:   []string{"Wait.Buckets[0].LeMS"}, // the first bound is 0: no wait
		},
		{name: "compute", stats: guard.ComputeStats{},
			convert: func(s any) any { return computeSnapshot(s.(guard.ComputeStats)) }},
		{name: "breaker", stats: guard.BreakerStats{},
			convert: func(s any) any { return breakerSnapshot(s.(guard.BreakerStats)) },
			notCarried: map[string]string{
				"LastTransition.Breaker": "the breaker is named once, by BreakerSnapshot.Name",
			}},
		{name: "cache", stats: cache.Stats{},
			convert: func(s any) any { return cacheSnapshot(s.(cache.Stats)) },
			notCarried: map[string]string{
				"Fills":         "served as the snapshot's coalescing.leaders (TestCoalescing)",
				"FillsInFlight": "served as the snapshot's coalescing.in_flight (TestCoalescing)",
			}},
	}
	for _, c := range conversions {
		t.Run(c.name, func(t *testing.T) {
			in := reflect.New(reflect.TypeOf(c.stats))
			n := 1000 // clear of the wait buckets' bounds in milliseconds
			want := leaves{}
			fill(in.Elem(), "", &n, want)
			got := leaves{}
			read(reflect.ValueOf(c.convert(in.Elem().Interface())), "", got)
			served := map[string]int{}
			for _, v := range got {
				served[v]++
			}
			for path, v := range want {
				_, skip := c.notCarried[path]
				switch {
				case skip && served[v] > 0:
					t.Errorf("%T.%s = %s is served, but listed as not carried", c.stats, path, v)
				case !skip && served[v] == 0 && v != "b:true":
					t.Errorf("%T.%s = %s is not in the snapshot: convert it (or say why not)", c.stats, path, v)
				}
			}
			for path, v := range got {
				if (v == "n:0" || v == "s:" || v == "t:" || v == "nil" || v == "empty" || v == "b:false") && !slices.Contains(c.unset, path) {
					t.Errorf("snapshot field %s is unset (%s): no Stats field feeds it", path, v)
				}
			}
		})
	}
}

// TestCoalescing: the coalescing figures are the cache's fills (started,
// running) and the callers that joined one.
func TestCoalescing(t *testing.T) {
	cs := cache.Stats{Misses: 3, Coalesced: 97, Fills: 4, FillsInFlight: 1}
	if got, want := coalescing(cs), (quant.CoalescingStats{InFlight: 1, Leaders: 4, Joined: 97}); got != want {
		t.Errorf("coalescing(%+v) = %+v, want %+v", cs, got, want)
	}
}
