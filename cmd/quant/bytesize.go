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
