package redis

import (
	"crypto/tls"
	"errors"
	"fmt"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/redis/go-redis/v9"
	"github.com/redis/go-redis/v9/maintnotifications"
)

// target is a parsed URL: the options of exactly one kind of client.
type target struct {
	simple   *redis.Options
	cluster  *redis.ClusterOptions
	failover *redis.FailoverOptions
}

// parseURL parses a URL of one of the forms Open documents: the scheme
// names the topology, the rest goes to go-redis's parser of that topology.
// Its errors name the URL with the password redacted, and never contain
// the password.
func parseURL(rawURL string) (*target, error) {
	u, err := url.Parse(rawURL)
	if err != nil {
		var ue *url.Error
		if errors.As(err, &ue) {
			err = ue.Err // url.Error repeats the URL, password included
		}
		return nil, urlError(rawURL, nil, err.Error())
	}
	base, topology, _ := strings.Cut(u.Scheme, "+")
	if base != "redis" && base != "rediss" && !(base == "unix" && topology == "") {
		return nil, urlError(rawURL, u, fmt.Sprintf("scheme %q is not redis, rediss or unix (one node), redis+cluster or rediss+cluster (a Redis Cluster), redis+sentinel or rediss+sentinel (a master behind Redis Sentinel)", u.Scheme))
	}
	q := u.Query()
	switch topology {
	case "":
		for _, k := range []string{"addr", "master_name"} {
			if q.Has(k) {
				return nil, urlError(rawURL, u, fmt.Sprintf("%s= is not an option of a %s:// URL (one node): write redis+cluster:// for a Redis Cluster, redis+sentinel:// for Sentinel", k, u.Scheme))
			}
		}
		o, err := redis.ParseURL(rawURL)
		if err != nil {
			return nil, urlError(rawURL, u, err.Error())
		}
		return &target{simple: o}, nil

	case "cluster":
		if strings.Contains(u.Host, ",") {
			return nil, urlError(rawURL, u, "a comma in the host: give further seed nodes as ?addr=host:port&addr=host:port")
		}
		if p := strings.Trim(u.Path, "/"); p != "" && p != "0" {
			return nil, urlError(rawURL, u, fmt.Sprintf("path %q: a Redis Cluster has only database 0, remove the path", u.Path))
		}
		if q.Has("db") {
			return nil, urlError(rawURL, u, "db=: a Redis Cluster has only database 0")
		}
		v := *u
		v.Scheme, v.Path, v.RawPath = base, "", ""
		o, err := redis.ParseClusterURL(v.String())
		if err != nil {
			return nil, urlError(rawURL, u, err.Error())
		}
		if o.ReadOnly || o.RouteByLatency || o.RouteRandomly {
			return nil, urlError(rawURL, u, replicaReads)
		}
		if o.TLSConfig != nil {
			// go-redis names the first seed as every node's TLS server
			// name; leave it empty so that each connection checks the
			// certificate against the host it dials.
			o.TLSConfig = &tls.Config{MinVersion: tls.VersionTLS12}
		}
		return &target{cluster: o}, nil

	case "sentinel":
		if strings.Contains(u.Host, ",") {
			return nil, urlError(rawURL, u, "a comma in the host: give further sentinels as ?addr=host:port&addr=host:port")
		}
		for _, k := range []string{"username", "password", "sentinel_username", "sentinel_password"} {
			if q.Has(k) {
				return nil, urlError(rawURL, u, fmt.Sprintf("%s= in the query: put the credentials in the URL's user info (user:password@), and add sentinel_auth=true if the sentinels need them too", k))
			}
		}
		if q.Get("master_name") == "" {
			return nil, urlError(rawURL, u, "no master_name: name the master the sentinels monitor, as in ?master_name=mymaster")
		}
		sentinelAuth := false
		if q.Has("sentinel_auth") {
			if sentinelAuth, err = strconv.ParseBool(q.Get("sentinel_auth")); err != nil {
				return nil, urlError(rawURL, u, fmt.Sprintf("sentinel_auth=%q is not true or false", q.Get("sentinel_auth")))
			}
			q.Del("sentinel_auth")
		}
		v := *u
		v.Scheme, v.RawQuery = base, q.Encode()
		o, err := redis.ParseFailoverURL(v.String())
		if err != nil {
			return nil, urlError(rawURL, u, err.Error())
		}
		if o.ReplicaOnly || o.RouteByLatency || o.RouteRandomly || o.UseDisconnectedReplicas {
			return nil, urlError(rawURL, u, replicaReads)
		}
		// go-redis reads the user info as the sentinels' credentials.
		o.Username, o.Password = o.SentinelUsername, o.SentinelPassword
		if !sentinelAuth {
			o.SentinelUsername, o.SentinelPassword = "", ""
		}
		if o.TLSConfig != nil {
			// As for a cluster: the sentinels and the master are
			// different hosts, each checked against its own name.
			o.TLSConfig = &tls.Config{MinVersion: tls.VersionTLS12, InsecureSkipVerify: o.TLSConfig.InsecureSkipVerify}
		}
		return &target{failover: o}, nil
	}
	return nil, urlError(rawURL, u, fmt.Sprintf("scheme %q: the topology after %q is not cluster or sentinel", u.Scheme, base+"+"))
}

// replicaReads refuses the options that send commands to replicas: a
// lease read from a replica that lags would let two instances compute one
// key, and go-redis's failover client panics on some of them.
const replicaReads = "read_only, replica_only, route_by_latency, route_randomly and use_disconnected_replicas send commands to replicas; quant uses the masters only"

// urlError returns "redis: url REDACTED: msg" with the URL's password,
// wherever msg might repeat it, replaced.
func urlError(rawURL string, u *url.URL, msg string) error {
	msg = strings.ReplaceAll(msg, rawURL, Redact(rawURL))
	if u != nil && u.User != nil {
		if pw, ok := u.User.Password(); ok && pw != "" {
			msg = strings.ReplaceAll(msg, pw, "xxxxx")
		}
	}
	return fmt.Errorf("redis: url %s: %s", Redact(rawURL), msg)
}

// tuning overrides settings of a parsed URL; a zero field leaves the
// setting as the URL has it.
type tuning struct {
	dial, read, write, pool time.Duration
	dialerRetries           int
	contextTimeout          bool // honour the callers' deadlines on reads and writes
}

// set stores v in *dst unless v is zero.
func set[T comparable](dst *T, v T) {
	var zero T
	if v != zero {
		*dst = v
	}
}

// apply sets the options of any topology's client (the three option
// structs share these fields, not a type) that tn sets.
func (tn tuning) apply(dial, read, write, pool *time.Duration, retries *int, ctxTimeout *bool) {
	set(dial, tn.dial)
	set(read, tn.read)
	set(write, tn.write)
	set(pool, tn.pool)
	set(retries, tn.dialerRetries)
	set(ctxTimeout, tn.contextTimeout)
}

// client returns a new client of the parsed topology, tuned.
func (t *target) client(tn tuning) redis.UniversalClient {
	off := func() *maintnotifications.Config {
		return &maintnotifications.Config{Mode: maintnotifications.ModeDisabled}
	}
	switch {
	case t.cluster != nil:
		o := *t.cluster
		tn.apply(&o.DialTimeout, &o.ReadTimeout, &o.WriteTimeout, &o.PoolTimeout, &o.DialerRetries, &o.ContextTimeoutEnabled)
		o.MaintNotificationsConfig = off()
		return redis.NewClusterClient(&o)
	case t.failover != nil:
		o := *t.failover // go-redis turns maintenance notifications off for it
		tn.apply(&o.DialTimeout, &o.ReadTimeout, &o.WriteTimeout, &o.PoolTimeout, &o.DialerRetries, &o.ContextTimeoutEnabled)
		return redis.NewFailoverClient(&o)
	default:
		o := *t.simple
		tn.apply(&o.DialTimeout, &o.ReadTimeout, &o.WriteTimeout, &o.PoolTimeout, &o.DialerRetries, &o.ContextTimeoutEnabled)
		o.MaintNotificationsConfig = off()
		return redis.NewClient(&o)
	}
}
