package ecs

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/url"
	"strings"
	"time"

	"github.com/aliyun/fc-runtime-go-sdk/fccontext"

	"github.com/fc-ecs-release/fc-ecs-release/shared/clock"
)

// Defaults.
const (
	DefaultConnectTimeout = 5 * time.Second
	DefaultReadTimeout    = 10 * time.Second
	DefaultMaxQPS         = 50
	DefaultConcurrency    = 4
	DefaultMaxAttempts    = 8
	DefaultMinBackoff     = 200 * time.Millisecond
	DefaultMaxBackoff     = 10 * time.Second
	// BatchSize is the most IDs ECS takes in one batch call or one
	// DescribeInstances page.
	BatchSize = 100
	// minCallTime is the least remaining time worth starting a call with.
	minCallTime = 500 * time.Millisecond
)

// Credentials are an AccessKey pair and, for STS, a token.
type Credentials struct {
	AccessKeyID     string
	AccessKeySecret string
	SecurityToken   string
}

// String never shows the secret or the token.
func (c Credentials) String() string {
	kind := "AK"
	if c.SecurityToken != "" {
		kind = "STS"
	}
	return fmt.Sprintf("%s credentials %s", kind, c.AccessKeyID)
}

// LogValue keeps credentials out of logs.
func (c Credentials) LogValue() slog.Value { return slog.StringValue(c.String()) }

// Environment variables read here.
const (
	EnvEndpoint = "ECS_ENDPOINT"
	// EnvCMSEndpoint points CloudMonitor calls elsewhere than ECS_ENDPOINT
	// (empty: ECS_ENDPOINT when that is set — the local emulator serves
	// both — else CloudMonitor's regional endpoint).
	EnvCMSEndpoint   = "CMS_ENDPOINT"
	EnvAccessKeyID   = "ALIBABA_CLOUD_ACCESS_KEY_ID"
	EnvAccessSecret  = "ALIBABA_CLOUD_ACCESS_KEY_SECRET"
	EnvSecurityToken = "ALIBABA_CLOUD_SECURITY_TOKEN"
)

// ErrNoCredentials: neither the FC context nor the environment had a key.
var ErrNoCredentials = errors.New("ecs: no credentials: the FC context has none (is a role set on the function?) and " + EnvAccessKeyID + "/" + EnvAccessSecret + " are unset")

// CredentialsFor returns the invocation's credentials: the function role's
// STS credentials from the FC context when present, else the
// ALIBABA_CLOUD_* environment (including the security token, which the
// SDK's legacy env provider ignores).
func CredentialsFor(ctx context.Context, getenv func(string) string) (Credentials, error) {
	if fc, ok := fccontext.FromContext(ctx); ok && fc != nil && fc.Credentials.AccessKeyId != "" {
		return Credentials{AccessKeyID: fc.Credentials.AccessKeyId, AccessKeySecret: fc.Credentials.AccessKeySecret, SecurityToken: fc.Credentials.SecurityToken}, nil
	}
	c := Credentials{AccessKeyID: getenv(EnvAccessKeyID), AccessKeySecret: getenv(EnvAccessSecret), SecurityToken: getenv(EnvSecurityToken)}
	if c.AccessKeyID == "" || c.AccessKeySecret == "" {
		return Credentials{}, ErrNoCredentials
	}
	return c, nil
}

// Endpoint is where the SDK sends requests.
type Endpoint struct {
	Scheme string // "HTTP" or "HTTPS"
	Host   string // host[:port]; "" = the SDK's regional endpoint
}

// ParseEndpoint reads ECS_ENDPOINT (scheme://host[:port]). Empty means the
// real regional endpoint over HTTPS.
func ParseEndpoint(raw string) (Endpoint, error) {
	if raw == "" {
		return Endpoint{Scheme: "HTTPS"}, nil
	}
	u, err := url.Parse(raw)
	if err != nil || u.Host == "" || (u.Scheme != "http" && u.Scheme != "https") || (u.Path != "" && u.Path != "/") || u.RawQuery != "" || u.User != nil {
		shown := raw
		if err == nil && u.User != nil {
			// Credentials in the URL are never repeated back.
			u.User = url.User("***")
			shown = u.String()
		} else if err != nil {
			shown = "(not a URL)"
		}
		return Endpoint{}, fmt.Errorf("%s=%q: want scheme://host[:port] with scheme http or https and no user:password, e.g. http://127.0.0.1:8080", EnvEndpoint, shown)
	}
	return Endpoint{Scheme: strings.ToUpper(u.Scheme), Host: u.Host}, nil
}

// Config configures a Client. Region and Credentials are required.
type Config struct {
	Region      string
	Credentials Credentials
	Endpoint    Endpoint
	// ConnectTimeout and ReadTimeout are set explicitly on every call; the
	// read timeout is cut to the time left before the context deadline.
	ConnectTimeout time.Duration
	ReadTimeout    time.Duration
	// MaxQPS is the client-side rate limit over all calls (0: DefaultMaxQPS;
	// negative: none).
	MaxQPS float64
	// Concurrency is how many calls may be in flight at once.
	Concurrency int
	// ReadConcurrency bounds, within Concurrency, the reads whose answers
	// are pages of whole resources (DescribeInstances, DescribeDisks): a
	// page of 100 instances is about a quarter of a megabyte as received
	// and as much again decoded, so these bound the memory of a run,
	// while small calls (stops, deletes) may fill the rest (0: Concurrency).
	ReadConcurrency int
	// IDsPerRead is how many instances one DescribeInstances by ID asks
	// for (0 or more than BatchSize: BatchSize, ECS's most). The seeded
	// simulation sets fewer, so that its small fleets are read in several
	// pages, as a fleet is.
	IDsPerRead int
	// MaxAttempts bounds tries per call (throttling, 5xx, transport).
	MaxAttempts int
	// MutationAttempts bounds tries per mutating call (0: MaxAttempts). A
	// caller that re-reads the instances and re-runs its guards before
	// every mutating call sets 1 and retries itself, so that no retry acts
	// on what a backoff has made stale.
	MutationAttempts int
	// MinBackoff and MaxBackoff bound the full-jitter exponential backoff.
	MinBackoff, MaxBackoff time.Duration
	Clock                  clock.Clock
	// Rand returns a number in [0,1) for jitter.
	Rand func() float64
	// ClientTokenPrefix makes batch ClientTokens unique to an invocation's
	// logical request, so an FC retry of the same request replays, not
	// repeats, a DeleteInstances or CreateSnapshot.
	ClientTokenPrefix string
}

// NewForInvocation builds the invocation's Client: credentials from the FC
// context or the environment, ECS_ENDPOINT from the environment, the rest
// from base.
func NewForInvocation(ctx context.Context, region string, getenv func(string) string, base Config) (*Client, error) {
	return newForInvocation(ctx, region, getenv(EnvEndpoint), getenv, base)
}

// NewMetricsForInvocation builds the invocation's CloudMonitor Client:
// as NewForInvocation, with CMS_ENDPOINT (or ECS_ENDPOINT) and base's
// MaxQPS meant as CloudMonitor's limit.
func NewMetricsForInvocation(ctx context.Context, region string, getenv func(string) string, base Config) (*Client, error) {
	raw := getenv(EnvCMSEndpoint)
	if strings.TrimSpace(raw) == "" {
		raw = getenv(EnvEndpoint)
	}
	return newForInvocation(ctx, region, raw, getenv, base)
}

func newForInvocation(ctx context.Context, region, endpoint string, getenv func(string) string, base Config) (*Client, error) {
	creds, err := CredentialsFor(ctx, getenv)
	if err != nil {
		return nil, err
	}
	ep, err := ParseEndpoint(endpoint)
	if err != nil {
		return nil, err
	}
	base.Region, base.Credentials, base.Endpoint = region, creds, ep
	return New(base)
}
