package main

import (
	"fmt"
	"strconv"
	"strings"
)

// parseByteSize reads a size the way GOMEMLIMIT does: an integer with an
// optional unit B, KiB, MiB, GiB or TiB ("1536MiB", "2GiB", "1073741824").
func parseByteSize(s string) (int64, error) {
	s = strings.TrimSpace(s)
	num, mult := s, int64(1)
	for _, u := range []struct {
		suffix string
		mult   int64
	}{{"KiB", 1 << 10}, {"MiB", 1 << 20}, {"GiB", 1 << 30}, {"TiB", 1 << 40}, {"B", 1}} {
		if strings.HasSuffix(s, u.suffix) {
			num, mult = strings.TrimSuffix(s, u.suffix), u.mult
			break
		}
	}
	n, err := strconv.ParseInt(strings.TrimSpace(num), 10, 64)
	if err != nil || n < 0 || n > (1<<63-1)/mult {
		return 0, fmt.Errorf("%q is not a size (an integer of bytes, or with B, KiB, MiB, GiB, TiB)", s)
	}
	return n * mult, nil
}

// formatByteSize writes n in the largest binary unit that divides it
// exactly (256MiB, 1536MiB, 1000B), as parseByteSize
// reads it, so that an error can name a figure the operator can type.
func formatByteSize(n int64) string {
	for _, u := range []struct {
		suffix string
		mult   int64
	}{{"TiB", 1 << 40}, {"GiB", 1 << 30}, {"MiB", 1 << 20}, {"KiB", 1 << 10}} {
		if n >= u.mult && n%u.mult == 0 {
			return strconv.FormatInt(n/u.mult, 10) + u.suffix
		}
	}
	return strconv.FormatInt(n, 10) + "B"
}
