package main

import (
	"net"
	"os"
	"slices"
	"strings"
	"testing"

	"github.com/spf13/cobra"
	"github.com/spf13/pflag"
	"gopkg.in/yaml.v3"
)

// composeFile is the part of docker-compose.yml this test reads.
type composeFile struct {
	Services map[string]struct {
		Command     []string          `yaml:"command"`
		Environment map[string]string `yaml:"environment"`
		Ports       []string          `yaml:"ports"`
		Healthcheck struct {
			Test []string `yaml:"test"`
		} `yaml:"healthcheck"`
		DependsOn map[string]struct {
			Condition string `yaml:"condition"`
		} `yaml:"depends_on"`
	} `yaml:"services"`
}

// findCmd returns the subcommand args names and the rest of args.
func findCmd(t *testing.T, args []string) (*cobra.Command, []string) {
	t.Helper()
	cmd, rest, err := newRootCmd().Find(args)
	if err != nil {
		t.Fatalf("docker-compose.yml: command %v: %v", args, err)
	}
	return cmd, rest
}

// checkFlags fails for every --flag in args that cmd does not have.
func checkFlags(t *testing.T, where string, cmd *cobra.Command, args []string) map[string]string {
	t.Helper()
	vals := map[string]string{}
	for i, a := range args {
		name, ok := strings.CutPrefix(a, "--")
		if !ok {
			continue
		}
		name, val, hasVal := strings.Cut(name, "=")
		if cmd.Flags().Lookup(name) == nil && cmd.InheritedFlags().Lookup(name) == nil && cmd.Root().PersistentFlags().Lookup(name) == nil {
			t.Errorf("%s: quant %s has no flag --%s", where, cmd.Name(), name)
		}
		if !hasVal && i+1 < len(args) {
			val = args[i+1]
		}
		vals[name] = val
	}
	return vals
}

// TestDockerCompose checks that docker-compose.yml (which cannot run on
// machines without a Docker engine) names the binary's real commands,
// flags, environment variables and ports.
func TestDockerCompose(t *testing.T) {
	b, err := os.ReadFile("../../docker-compose.yml")
	if err != nil {
		t.Fatal(err)
	}
	var cf composeFile
	if err := yaml.Unmarshal(b, &cf); err != nil {
		t.Fatalf("docker-compose.yml: %v", err)
	}
	for _, name := range []string{"postgres", "redis", "quant"} {
		svc, ok := cf.Services[name]
		if !ok {
			t.Fatalf("docker-compose.yml lacks service %q", name)
		}
		if len(svc.Healthcheck.Test) == 0 {
			t.Errorf("service %q has no health check", name)
		}
	}
	q := cf.Services["quant"]
	serve, rest := findCmd(t, q.Command)
	if serve.Name() != "serve" {
		t.Errorf("quant service runs %q, want serve", serve.Name())
	}
	vals := checkFlags(t, "quant command", serve, rest)
	_, port, err := net.SplitHostPort(vals["addr"])
	if err != nil {
		t.Fatalf("quant command --addr %q: %v", vals["addr"], err)
	}
	if !slices.ContainsFunc(q.Ports, func(p string) bool { return strings.HasSuffix(p, ":"+port) }) {
		t.Errorf("quant ports %v do not publish the --addr port %s", q.Ports, port)
	}
	for env := range q.Environment {
		found := false
		for _, fs := range []*cobra.Command{serve, serve.Root()} {
			fs.Flags().VisitAll(func(f *pflag.Flag) { found = found || envName(f.Name) == env })
			fs.PersistentFlags().VisitAll(func(f *pflag.Flag) { found = found || envName(f.Name) == env })
		}
		if !found {
			t.Errorf("quant environment %s matches no flag of quant serve", env)
		}
	}
	if !strings.Contains(q.Environment["QUANT_DATABASE_URL"], "@postgres:5432/") {
		t.Errorf("QUANT_DATABASE_URL = %q, want the postgres service", q.Environment["QUANT_DATABASE_URL"])
	}
	if !strings.Contains(q.Environment["QUANT_REDIS_URL"], "//redis:6379") {
		t.Errorf("QUANT_REDIS_URL = %q, want the redis service", q.Environment["QUANT_REDIS_URL"])
	}
	if q.Environment["QUANT_ADMIN_ADDR"] != "" && q.Environment["QUANT_ADMIN_TOKEN"] == "" {
		t.Errorf("the admin API listens on %q without QUANT_ADMIN_TOKEN", q.Environment["QUANT_ADMIN_ADDR"])
	}
	if q.DependsOn["postgres"].Condition != "service_healthy" {
		t.Errorf("quant does not wait for a healthy postgres: %+v", q.DependsOn)
	}
	hc := q.Healthcheck.Test
	if len(hc) < 2 || hc[0] != "CMD" || hc[1] != "/quant" {
		t.Fatalf("quant health check %v, want [CMD /quant ...]", hc)
	}
	health, rest := findCmd(t, hc[2:])
	if health.Name() != "health" {
		t.Errorf("quant health check runs %q, want health", health.Name())
	}
	hv := checkFlags(t, "quant health check", health, rest)
	if !strings.Contains(hv["url"], ":"+port+"/") {
		t.Errorf("health check URL %q does not use the --addr port %s", hv["url"], port)
	}
}
