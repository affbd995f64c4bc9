package main

import "testing"

func TestParseByteSize(t *testing.T) {
	tests := []struct {
		in   string
		want int64
		ok   bool
	}{
		{"1073741824", 1 << 30, true},
		{"512B", 512, true},
		{"64KiB", 64 << 10, true},
		{"1536MiB", 1536 << 20, true},
		{" 2GiB ", 2 << 30, true},
		{"1TiB", 1 << 40, true},
		{"0", 0, true},
		{"", 0, false},
		{"2GB", 0, false}, // decimal units are not GOMEMLIMIT's
		{"1.5GiB", 0, false},
		{"-1MiB", 0, false},
		{"9999999TiB", 0, false}, // overflows int64
		{"MiB", 0, false},
	}
	for _, tt := range tests {
		got, err := parseByteSize(tt.in)
		if (err == nil) != tt.ok || got != tt.want {
			t.Errorf("parseByteSize(%q) = %d, %v; want %d, ok %v", tt.in, got, err, tt.want, tt.ok)
		}
	}
}
