package ecs

import (
	"context"
	"errors"
	"fmt"
	"math/rand"
	"regexp"
	"strings"
	"sync"
	"time"

	"github.com/aliyun/alibaba-cloud-sdk-go/sdk"
	"github.com/aliyun/alibaba-cloud-sdk-go/sdk/auth/credentials"
	"golang.org/x/sync/errgroup"
	"golang.org/x/time/rate"

	"github.com/fc-ecs-release/fc-ecs-release/shared/clock"
	"github.com/fc-ecs-release/fc-ecs-release/shared/redact"
	// Before the SDK reads DEBUG: its debug output prints signed URLs.
	_ "github.com/fc-ecs-release/fc-ecs-release/shared/ecs/sdkdebug"
)

// Client runs ECS operations for one invocation.
type Client struct {
	cfg     Config
	pool    chan API
	reads   chan struct{} // ReadConcurrency tokens
	limiter *rate.Limiter
	stats   *Metrics
	randMu  sync.Mutex
	redact  *redact.Redactor
}

// New builds a Client: one SDK client per worker, each with the
// configuration's endpoint, scheme and credentials.
func New(cfg Config) (*Client, error) {
	if err := cfg.normalize(); err != nil {
		return nil, err
	}
	apis := make([]API, cfg.Concurrency)
	for i := range apis {
		a, err := newSDKClient(cfg)
		if err != nil {
			return nil, err
		}
		apis[i] = a
	}
	return NewWithAPI(cfg, apis...)
}

// NewWithAPI builds a Client over given API implementations (one per
// worker). Tests and tools use it; New is the normal constructor.
func NewWithAPI(cfg Config, apis ...API) (*Client, error) {
	if err := cfg.normalize(); err != nil {
		return nil, err
	}
	if len(apis) == 0 {
		return nil, errors.New("ecs: no API client given")
	}
	c := &Client{cfg: cfg, pool: make(chan API, len(apis)), stats: newMetrics()}
	reads := cfg.ReadConcurrency
	if reads <= 0 || reads > len(apis) {
		reads = len(apis)
	}
	c.reads = make(chan struct{}, reads)
	for _, a := range apis {
		c.pool <- a
	}
	if cfg.MaxQPS > 0 {
		c.limiter = rate.NewLimiter(rate.Limit(cfg.MaxQPS), max(1, int(cfg.MaxQPS/5)))
	}
	c.redact = redact.New(cfg.Credentials.AccessKeySecret, cfg.Credentials.SecurityToken)
	return c, nil
}

// validRegionID is the SDK's rule for region IDs: [a-zA-Z0-9_-]+.
func validRegionID(s string) bool {
	if s == "" {
		return false
	}
	for _, r := range s {
		if !(r == '-' || r == '_' || (r >= 'a' && r <= 'z') || (r >= 'A' && r <= 'Z') || (r >= '0' && r <= '9')) {
			return false
		}
	}
	return true
}

func (cfg *Config) normalize() error {
	if !validRegionID(cfg.Region) {
		return fmt.Errorf("ecs: region %q is not a region ID such as cn-hangzhou", cfg.Region)
	}
	if cfg.Credentials.AccessKeyID == "" || cfg.Credentials.AccessKeySecret == "" {
		return ErrNoCredentials
	}
	if cfg.Endpoint.Scheme == "" {
		cfg.Endpoint.Scheme = "HTTPS"
	}
	if cfg.Endpoint.Scheme != "HTTP" && cfg.Endpoint.Scheme != "HTTPS" {
		return fmt.Errorf("ecs: endpoint scheme %q is not HTTP or HTTPS", cfg.Endpoint.Scheme)
	}
	if cfg.ConnectTimeout == 0 {
		cfg.ConnectTimeout = DefaultConnectTimeout
	}
	if cfg.ReadTimeout == 0 {
		cfg.ReadTimeout = DefaultReadTimeout
	}
	if cfg.MaxQPS == 0 {
		cfg.MaxQPS = DefaultMaxQPS
	}
	if cfg.Concurrency == 0 {
		cfg.Concurrency = DefaultConcurrency
	}
	if cfg.MaxAttempts == 0 {
		cfg.MaxAttempts = DefaultMaxAttempts
	}
	if cfg.MutationAttempts == 0 {
		cfg.MutationAttempts = cfg.MaxAttempts
	}
	if cfg.MinBackoff == 0 {
		cfg.MinBackoff = DefaultMinBackoff
	}
	if cfg.MaxBackoff == 0 {
		cfg.MaxBackoff = DefaultMaxBackoff
	}
	if cfg.Clock == nil {
		cfg.Clock = clock.Real{}
	}
	if cfg.Rand == nil {
		cfg.Rand = rand.Float64
	}
	switch {
	case cfg.ConnectTimeout < 0 || cfg.ReadTimeout < 0:
		return errors.New("ecs: timeouts must be positive")
	case cfg.Concurrency < 1 || cfg.Concurrency > 64:
		return fmt.Errorf("ecs: concurrency %d is not in 1..64", cfg.Concurrency)
	case cfg.MaxAttempts < 1 || cfg.MutationAttempts < 1:
		return fmt.Errorf("ecs: max attempts %d / mutation attempts %d: each must be at least 1", cfg.MaxAttempts, cfg.MutationAttempts)
	case cfg.MinBackoff < 0 || cfg.MaxBackoff < cfg.MinBackoff:
		return fmt.Errorf("ecs: want 0 <= min backoff (%v) <= max backoff (%v)", cfg.MinBackoff, cfg.MaxBackoff)
	}
	return nil
}

// NewAPI returns the SDK-backed API for one worker (tests wrap it).
func NewAPI(cfg Config) (API, error) {
	if err := cfg.normalize(); err != nil {
		return nil, err
	}
	return newSDKClient(cfg)
}

func newSDKClient(cfg Config) (API, error) {
	var cred credentials.CredentialsProvider
	if cfg.Credentials.SecurityToken != "" {
		cred = credentials.NewStaticSTSCredentialsProvider(cfg.Credentials.AccessKeyID, cfg.Credentials.AccessKeySecret, cfg.Credentials.SecurityToken)
	} else {
		cred = credentials.NewStaticAKCredentialsProvider(cfg.Credentials.AccessKeyID, cfg.Credentials.AccessKeySecret)
	}
	conf := sdk.NewConfig().WithScheme(cfg.Endpoint.Scheme).WithAutoRetry(false)
	client, err := sdk.NewClientWithOptions(cfg.Region, conf, cred)
	if err != nil {
		return nil, fmt.Errorf("ecs: building SDK client: %w", err)
	}
	// Without ECS_ENDPOINT the SDK's regional rule applies:
	// ecs.<region>.aliyuncs.com, over HTTPS.
	client.EndpointType = "regional"
	if cfg.Endpoint.Host != "" {
		// A per-client endpoint, never the SDK's global endpoint map.
		client.Domain = cfg.Endpoint.Host
		host := cfg.Endpoint.Host
		if h, _, ok := strings.Cut(host, ":"); ok {
			host = h
		}
		if host == "localhost" || strings.HasPrefix(host, "127.") || host == "[::1]" {
			// The SDK applies HTTP(S)_PROXY even to loopback.
			client.SetNoProxy(regexp.QuoteMeta(cfg.Endpoint.Host))
		}
	}
	client.SetConnectTimeout(cfg.ConnectTimeout)
	client.SetReadTimeout(cfg.ReadTimeout)
	return sdkAPI{c: client}, nil
}

// Region returns the client's region.
func (c *Client) Region() string { return c.cfg.Region }

// Clock returns the client's clock.
func (c *Client) Clock() clock.Clock { return c.cfg.Clock }

// Stats returns the counters of calls and retries so far.
func (c *Client) Stats() Stats { return c.stats.snapshot() }

func (c *Client) rand() float64 {
	c.randMu.Lock()
	defer c.randMu.Unlock()
	return c.cfg.Rand()
}

// backoff is full jitter: uniform in [0, min(MaxBackoff, MinBackoff·2^(attempt-1))].
func (c *Client) backoff(attempt int) time.Duration {
	hi := c.cfg.MinBackoff
	for i := 1; i < attempt && hi < c.cfg.MaxBackoff; i++ {
		hi *= 2
	}
	hi = min(hi, c.cfg.MaxBackoff)
	return time.Duration(c.rand() * float64(hi))
}

// scrub removes the secret and the token, in any encoding, from an
// error's message (an HTML error page may echo the signed URL).
func (c *Client) scrub(err error) error {
	var ae *APIError
	if !errors.As(err, &ae) {
		return err
	}
	ae.Message = shorten(c.redact.String(ae.Message))
	return err
}

// timeoutSetter is what every SDK request has.
type timeoutSetter interface {
	SetReadTimeout(time.Duration)
	SetConnectTimeout(time.Duration)
}

// Backoff is the delay before retry attempt+1 of a call (full jitter);
// callers that retry mutating calls themselves use it.
func (c *Client) Backoff(attempt int) time.Duration { return c.backoff(attempt) }

// MaxAttempts bounds the tries of one call.
func (c *Client) MaxAttempts() int { return c.cfg.MaxAttempts }

// do runs one API call with the rate limit, explicit timeouts cut to the
// deadline, and retries with backoff for throttling, 5xx and transport
// errors while time is left.
func do[Req timeoutSetter, Resp any](ctx context.Context, c *Client, action string, req Req, fn func(API, Req) (Resp, error)) (Resp, error) {
	return doN(ctx, c, action, req, fn, c.cfg.MaxAttempts)
}

// mutate runs a mutating call: as do, but with Config.MutationAttempts
// tries (a caller that re-checks the world before every call asks for one
// and retries itself).
func mutate[Req timeoutSetter, Resp any](ctx context.Context, c *Client, action string, req Req, fn func(API, Req) (Resp, error)) (Resp, error) {
	return doN(ctx, c, action, req, fn, c.cfg.MutationAttempts)
}

func doN[Req timeoutSetter, Resp any](ctx context.Context, c *Client, action string, req Req, fn func(API, Req) (Resp, error), maxAttempts int) (Resp, error) {
	var zero Resp
	for attempt := 1; ; attempt++ {
		if err := ctx.Err(); err != nil {
			return zero, &APIError{Action: action, Message: err.Error(), class: ErrDeadline, cause: err}
		}
		read := c.cfg.ReadTimeout
		if rem, ok := clock.Remaining(ctx, c.cfg.Clock); ok {
			if rem < minCallTime {
				return zero, &APIError{Action: action, Message: fmt.Sprintf("%v left before the deadline; not starting the call", rem.Round(time.Millisecond)), class: ErrDeadline}
			}
			read = min(read, rem-minCallTime/2)
		}
		if c.limiter != nil {
			if err := c.limiter.Wait(ctx); err != nil {
				return zero, &APIError{Action: action, Message: "rate limiter: " + err.Error(), class: ErrDeadline, cause: err}
			}
		}
		req.SetConnectTimeout(c.cfg.ConnectTimeout)
		req.SetReadTimeout(read)
		large := pageRead(action)
		if large {
			c.reads <- struct{}{}
		}
		api := <-c.pool
		resp, err := fn(api, req)
		c.pool <- api
		if large {
			<-c.reads
		}
		c.stats.call(action, purposeOf(ctx))
		if err == nil {
			return resp, nil
		}
		err = c.scrub(classify(action, err))
		if !Retryable(err) || attempt >= maxAttempts {
			c.stats.failure(action)
			return zero, err
		}
		delay := c.backoff(attempt)
		if rem, ok := clock.Remaining(ctx, c.cfg.Clock); ok && rem-delay < minCallTime {
			c.stats.failure(action)
			return zero, err
		}
		c.stats.retry(action, errors.Is(err, ErrThrottled))
		if serr := c.cfg.Clock.Sleep(ctx, delay); serr != nil {
			return zero, err
		}
	}
}

// readWorkers is how many page reads may be in flight at once.
func (c *Client) readWorkers() int { return cap(c.reads) }

// pageRead reports whether an action answers with pages of whole
// resources (see Config.ReadConcurrency).
func pageRead(action string) bool {
	return action == "DescribeInstances" || action == "DescribeDisks"
}

// parallel runs fn(0..n-1) with at most Concurrency in flight and returns
// when all are done.
func (c *Client) parallel(n int, fn func(i int)) { Parallel(n, c.cfg.Concurrency, fn) }

// Parallel runs fn(0..n-1) with at most workers in flight, in order when
// workers is 1, and returns when all are done.
func Parallel(n, workers int, fn func(i int)) {
	if workers <= 1 {
		for i := range n {
			fn(i)
		}
		return
	}
	var g errgroup.Group
	g.SetLimit(workers)
	for i := range n {
		g.Go(func() error { fn(i); return nil })
	}
	_ = g.Wait()
}

// chunks splits ids into slices of at most size.
func chunks(ids []string, size int) [][]string {
	var out [][]string
	for len(ids) > size {
		out = append(out, ids[:size])
		ids = ids[size:]
	}
	if len(ids) > 0 {
		out = append(out, ids)
	}
	return out
}
