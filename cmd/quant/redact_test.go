package main

import (
	"strings"
	"testing"
)

func TestRedactURL(t *testing.T) {
	for _, in := range []string{
		"postgres://quant:pw-SECRET@db:5432/quant",
		"redis://:pw-SECRET@redis:6379/0",
		"postgres://db/quant?password=pw-SECRET&sslmode=disable",
		"redis+sentinel://s1:26379/0?master_name=m&sentinel_password=pw-SECRET",
		"postgres://quant:pw-SECRET@db:5432/quant\x7f", // does not parse
		"%zz://pw-SECRET",
	} {
		if got := redactURL(in); strings.Contains(got, "SECRET") {
			t.Errorf("redactURL(%q) = %q", in, got)
		}
	}
	if got := redactURL("redis://redis:6379/0"); got != "redis://redis:6379/0" {
		t.Errorf("a URL without secrets changed: %q", got)
	}
	if got := redact("ingest-token", "tok"); got != "REDACTED" {
		t.Errorf("redact(ingest-token) = %q", got)
	}
}
