package notify

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"math/rand/v2"
	"net/http"
	"net/url"
	"strconv"
	"sync"
	"time"

	"github.com/fc-ecs-release/fc-ecs-release/shared/answer"
	"github.com/fc-ecs-release/fc-ecs-release/shared/clock"
	"github.com/fc-ecs-release/fc-ecs-release/shared/redact"
)

// Sending limits.
const (
	// AttemptTimeout bounds one HTTP attempt.
	AttemptTimeout = 3 * time.Second
	// MaxBudget bounds a Send, whatever the caller has left.
	MaxBudget = 8 * time.Second
	// minAttempt: no attempt starts with less time than this left.
	minAttempt = 100 * time.Millisecond
	// Backoff between attempts: firstBackoff, doubling, at most maxBackoff.
	firstBackoff = 250 * time.Millisecond
	maxBackoff   = 2 * time.Second
	// maxAnswer bounds how much of a channel's answer is read.
	maxAnswer = 64 << 10
)

// Result is one channel's delivery.
type Result struct {
	Channel   string
	Delivered bool
	// Attempts counts HTTP requests (every part of a split message).
	Attempts int
	// Err is why the message was not delivered, secrets masked.
	Err error
}

// Delivered reports whether at least one channel delivered.
func Delivered(rs []Result) bool {
	for _, r := range rs {
		if r.Delivered {
			return true
		}
	}
	return false
}

// Notifier sends answers to the configured channels.
type Notifier struct {
	cfg    *Config
	client *http.Client
	clock  clock.Clock
	log    *slog.Logger
	redact *redact.Redactor
}

// Option configures a Notifier.
type Option func(*Notifier)

// WithHTTPClient sets the HTTP client (default: one that follows no
// redirect; each attempt has its own timeout).
func WithHTTPClient(c *http.Client) Option { return func(n *Notifier) { n.client = c } }

// WithClock sets the clock of signatures' timestamps and backoff sleeps.
func WithClock(c clock.Clock) Option { return func(n *Notifier) { n.clock = c } }

// WithLogger sets the logger (default: discard).
func WithLogger(l *slog.Logger) Option { return func(n *Notifier) { n.log = l } }

// New returns a Notifier for cfg (nil or without channels: Send does
// nothing).
func New(cfg *Config, opts ...Option) *Notifier {
	n := &Notifier{cfg: cfg, clock: clock.Real{}}
	for _, o := range opts {
		o(n)
	}
	if n.client == nil {
		n.client = &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	}
	if n.log == nil {
		n.log = slog.New(slog.DiscardHandler)
	}
	n.redact = redact.New(cfg.Secrets()...)
	return n
}

// Send renders resp for every configured channel and posts the messages
// concurrently, if cfg.Wants(resp) (else it returns nil). It spends at
// most budget (capped to MaxBudget), each attempt at most
// AttemptTimeout; failed attempts that may succeed again (network
// errors, HTTP 429 and 5xx, a service's busy codes) are retried with
// backoff while the budget lasts. It returns a Result per channel and
// logs each failure at WARN; neither ever holds a URL, token or secret.
func (n *Notifier) Send(ctx context.Context, resp *answer.Response, budget time.Duration) []Result {
	if !n.cfg.Wants(resp) {
		return nil
	}
	budget = min(budget, MaxBudget)
	chans := n.cfg.channels()
	results := make([]Result, len(chans))
	if budget < minAttempt {
		for i, ch := range chans {
			results[i] = n.fail(Result{Channel: ch.name}, errors.New("no time left to send"))
		}
		return results
	}
	ctx, cancel := context.WithTimeout(ctx, budget)
	defer cancel()
	now := n.clock.Now()
	deadline := now.Add(budget)
	m := Compose(resp, n.cfg)
	var wg sync.WaitGroup
	for i, ch := range chans {
		posts, err := render(n.cfg, ch.name, ch.url, m, resp, now)
		if err != nil {
			results[i] = n.fail(Result{Channel: ch.name}, fmt.Errorf("render: %w", err))
			continue
		}
		wg.Go(func() { results[i] = n.deliver(ctx, ch.name, posts, deadline) })
	}
	wg.Wait()
	return results
}

// fail masks err into r and logs it.
func (n *Notifier) fail(r Result, err error) Result {
	r.Err = errors.New(n.redact.String(err.Error()))
	n.log.Warn("notification not delivered", "channel", r.Channel, "attempts", r.Attempts, "error", r.Err.Error())
	return r
}

// deliver posts a channel's messages in order, each retried while time
// is left.
func (n *Notifier) deliver(ctx context.Context, channel string, posts []post, deadline time.Time) Result {
	r := Result{Channel: channel}
	for i, p := range posts {
		err := n.postRetrying(ctx, channel, p, deadline, &r.Attempts)
		if err != nil {
			if len(posts) > 1 {
				err = fmt.Errorf("part %d of %d: %w", i+1, len(posts), err)
			}
			return n.fail(r, err)
		}
	}
	r.Delivered = true
	n.log.Debug("notification delivered", "channel", channel, "attempts", r.Attempts)
	return r
}

func (n *Notifier) postRetrying(ctx context.Context, channel string, p post, deadline time.Time, attempts *int) error {
	var last error
	for try := 1; ; try++ {
		left := deadline.Sub(n.clock.Now())
		if left < minAttempt {
			if last == nil {
				last = errors.New("no time left to send")
			}
			return last
		}
		*attempts++
		actx, cancel := context.WithTimeout(ctx, min(AttemptTimeout, left))
		wait, err := n.post(actx, channel, p)
		cancel()
		if err == nil {
			return nil
		}
		last = err
		if wait < 0 || ctx.Err() != nil {
			return last
		}
		if wait == 0 {
			wait = backoff(try)
		}
		if n.clock.Now().Add(wait + minAttempt).After(deadline) {
			return last
		}
		if n.clock.Sleep(ctx, wait) != nil {
			return last
		}
	}
}

// backoff is the wait before attempt try+1: doubling from firstBackoff
// up to maxBackoff, less up to a fifth at random.
func backoff(try int) time.Duration {
	d := firstBackoff << min(try-1, 8)
	d = min(d, maxBackoff)
	return d - time.Duration(rand.Int64N(int64(d/5)+1))
}

// post makes one attempt. wait < 0: do not retry; 0: retry after the
// usual backoff; > 0: retry after wait (the service's Retry-After).
func (n *Notifier) post(ctx context.Context, channel string, p post) (wait time.Duration, err error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, p.url, bytes.NewReader(p.body))
	if err != nil {
		return -1, errBadURL
	}
	req.Header.Set("Content-Type", "application/json; charset=utf-8")
	res, err := n.client.Do(req)
	if err != nil {
		// *url.Error quotes the URL: keep only what went wrong.
		var ue *url.Error
		if errors.As(err, &ue) {
			err = ue.Err
		}
		if errors.Is(err, context.DeadlineExceeded) {
			return 0, errors.New("no answer in time")
		}
		if errors.Is(err, context.Canceled) {
			return -1, errors.New("cancelled")
		}
		return 0, fmt.Errorf("post: %w", err)
	}
	defer res.Body.Close()
	body, _ := io.ReadAll(io.LimitReader(res.Body, maxAnswer))
	se := check(channel, res.StatusCode, body)
	if se == nil {
		return 0, nil
	}
	if !se.retryable {
		return -1, se
	}
	if s, err := strconv.Atoi(res.Header.Get("Retry-After")); err == nil && s > 0 {
		return time.Duration(s) * time.Second, se
	}
	return 0, se
}
