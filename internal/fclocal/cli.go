package fclocal

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"maps"
	"net"
	"net/http"
	"os"
	"sort"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/fc-ecs-release/fc-ecs-release/internal/ecsemu"
	"github.com/fc-ecs-release/fc-ecs-release/internal/fcruntime"
	"github.com/fc-ecs-release/fc-ecs-release/shared/config"
)

// Usage is the --help text of cmd/fclocal.
const Usage = `fclocal: run this project's Function Compute functions locally, wired
exactly as s.yaml says (timers, HTTP triggers, EventBridge triggers, async
retries and destinations), against an ECS emulator or, with --real, against
real ECS.

Usage:
  fclocal [flags]                       the demo (same as "fclocal demo")
  fclocal demo [flags]
  fclocal preview [--timer NAME] [--real --region R] [flags]
  fclocal up [flags]
  fclocal fire TIMER [--http ADDR]
  fclocal put-event --event FILE|- [--http ADDR]
  fclocal invoke FUNCTION [--event FILE|-] [--async] [flags]
  fclocal help

Commands:
  demo    Start an in-process ECS emulator (stop takes 2s, snapshot 3s) with a
          demo fleet built against s.yaml's cleanup policy and MANAGED_TAG
          (old and expired ephemeral instances, young, untagged, protected,
          PrePaid, deletion-protected, security-locked, outside the managed
          scope, TTL-tagged; and inside the policy's reach an Auto Scaling
          member, an ACK node, a local-SSD ecs.i3 instance, a spot instance,
          one locked for an overdue payment, one in a second region), build
          the functions with their pre-deploy actions, and run ONE scheduled
          cycle end to end: ECS interrupts the spot instance (its event goes
          to the EventBridge triggers it matches), every enabled timer fires
          once (now) with its payload from s.yaml, asynchronously, a batch
          system puts a job:Completed event naming the second region's
          instance by ARN, and the chain runs as wired (ecs-stop -> onSuccess
          destination record -> ecs-release, which waits for Stopped,
          releases and verifies; the ecs-autorelease sweep; ecs-release's
          answers to the events). Then the emulator clock moves 5 minutes on,
          and ECS reclaims the spot instance. DRY_RUN is forced to false (the
          emulator is the demo's own; --set DRY_RUN=true keeps it on),
          SPOT_SNAPSHOT to true, WAIT_MIN_DELAY=1s, WAIT_MAX_DELAY=2s. Prints
          what happened to each instance and why (from the functions'
          answers, with their codes), the events and where they went, totals,
          ECS API calls by action, invocations and time. Exit 0 when no
          invocation failed.
  preview Before going live: fire s.yaml's timers (every enabled one, or
          --timer NAME) once, now, with DRY_RUN forced to true, through the
          same chain as in the cloud (ecs-stop -> destination -> ecs-release,
          the sweep), and print what they would do to each instance they
          reach and why each other is skipped, then totals (each instance
          once). With --real it reads your real account in --region
          (credentials from ALIBABA_CLOUD_*; nothing is changed: every
          function runs in dry run); without, the in-process emulator with
          --fleet or the demo fleet, or --endpoint. Exit 1 if an invocation
          failed, or answered as a live run.
  up      Serve until interrupted (Ctrl-C): timers on their schedules (6-field
          cron, seconds first, CRON_TZ=<zone> prefix, @every; UTC without
          CRON_TZ; nothing fires at start; enable:false respected), HTTP
          triggers on --http under /<functionName>/..., EventBridge triggers
          (see below), and an ECS emulator (in-process on --emulator-listen
          with --fleet or the demo fleet; or --endpoint; or --real). One
          progress line per invocation and per event. DRY_RUN is what s.yaml
          says (default true) unless --set.
  fire    Ask a running "fclocal up" (on --http) to fire one timer now.
  put-event
          Put one event (--event FILE, or - for stdin; as EventBridge
          delivers it, e.g. a CloudEvent job:Completed from batch.jobs) on
          the local bus of a running "fclocal up" (on --http); prints where
          it went.
  invoke  One invocation of FUNCTION (functionName or resource name) with the
          event from --event FILE, or - for stdin (default {}). Synchronous:
          the function's answer on stdout; on a function error the error on
          stderr and exit 1. --async: FC's async path (retries, destinations);
          prints {"requestId","status":202}, then waits for the chain, with
          progress lines on stderr; exit 1 if it failed.

HTTP triggers (up): http://<--http>/<functionName>/<path>?<query>. The function
gets the FC 3.0 HTTP event (version v1, rawPath = /<path>, headers and query
values joined with commas, body as text or base64 with isBase64Encoded,
requestContext{requestId, http{method, path, protocol, sourceIp, userAgent}}),
and its {statusCode, headers, isBase64Encoded, body} answer goes back. Methods
not in the trigger's list: 405. X-Fc-Invocation-Type: Async: 202 and an async
invocation. A function error: 502 with X-Fc-Error-Type. authType function/jwt
signatures are NOT verified locally.

EventBridge triggers (up, invoke, preview, demo): a local default bus. An event
on it (the in-process emulator's events, e.g. a spot interruption
ecs:Instance:PreemptibleInstanceInterruption from POST
/_emulator/spot-interrupt; or put-event) invokes every function whose enabled
EventBridge trigger with eventSourceType Default has an eventRuleFilterPattern
it matches (exact values, prefix, suffix, contains, anything-but, numeric,
cidr, exists; a pattern with another operator is not delivered to), once per
event, with the event as the payload: async when asyncInvocationType is true
(retries and destinations apply), else sync. Other event sources, batching
(runOptions) and EventBridge's own retries are not modelled; an emulator given
with --endpoint, and --real, put no events on the bus.

Async invocations (timers, destinations, --async, the Async header): function
errors are retried maxAsyncRetryAttempts times (x-fc-retry-count 1..N; backoff
--retry-delay, doubling, at most 30s); events older than
maxAsyncEventAgeInSeconds are dropped; onSuccess/onFailure destinations get the
destination record {timestamp (ms), requestContext{requestId, functionArn,
condition, approximateInvokeCount}, requestPayload, responseContext{statusCode,
functionError}, responsePayload}, with both payloads as JSON strings. condition
is "" on success, HandledInvocationError, UnhandledInvocationError (timeout or
crash) or EventAgeExceeded. Synchronous invocations are never retried.

Credentials: the emulator's key pair plus an STS-like token generated per run
(x-fc-access-key-id/-secret/-security-token and ALIBABA_CLOUD_*); with --real,
ALIBABA_CLOUD_ACCESS_KEY_ID, ALIBABA_CLOUD_ACCESS_KEY_SECRET and
ALIBABA_CLOUD_SECURITY_TOKEN from the environment. Secrets are never printed.

Flags:
`

// cliFlags are the parsed command line.
type cliFlags struct {
	file, endpoint, region, accountID, logs, fleet string
	emulatorListen, httpAddr, event, timer         string
	real, noBuild, async, help                     bool
	retryDelay                                     time.Duration
	set                                            map[string]string
	setOrder                                       []string
	args                                           []string
	// notifySink is --notify-sink as given (nil: not given).
	notifySink *string
}

// optString is a string flag that remembers whether it was given.
type optString struct{ p **string }

func (o optString) String() string {
	if o.p == nil || *o.p == nil {
		return ""
	}
	return **o.p
}
func (o optString) Set(v string) error { *o.p = &v; return nil }

// sinkChannels are the channels --notify-sink asks for; def when not given.
func (f *cliFlags) sinkChannels(def string) ([]string, error) {
	if f.notifySink == nil {
		return ParseNotifySink(def)
	}
	return ParseNotifySink(*f.notifySink)
}

type setFlag struct{ f *cliFlags }

func (s setFlag) String() string { return "" }
func (s setFlag) Set(v string) error {
	k, val, ok := strings.Cut(v, "=")
	if !ok || k == "" {
		return fmt.Errorf("want KEY=VALUE, got %q", v)
	}
	if !envKeyPattern.MatchString(k) {
		return fmt.Errorf("%q is not a valid environment variable name", k)
	}
	if _, dup := s.f.set[k]; !dup {
		s.f.setOrder = append(s.f.setOrder, k)
	}
	s.f.set[k] = val
	return nil
}

func newFlagSet(f *cliFlags, stderr io.Writer) *flag.FlagSet {
	fs := flag.NewFlagSet("fclocal", flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.StringVar(&f.file, "file", "s.yaml", "the Serverless Devs `s.yaml` to run")
	fs.Var(setFlag{f}, "set", "override a function environment variable, `KEY=VALUE` (repeatable; applied to every function, last)")
	fs.StringVar(&f.endpoint, "endpoint", "", "use a running ECS emulator at `URL` (http://host:port) instead of an in-process one (up, invoke)")
	fs.BoolVar(&f.real, "real", false, "use REAL ECS: no emulator, ECS_ENDPOINT as s.yaml/--set say (empty = the public endpoint), credentials from ALIBABA_CLOUD_ACCESS_KEY_ID/SECRET/SECURITY_TOKEN (up, invoke)")
	fs.StringVar(&f.region, "region", "", "run the functions in `REGION` (x-fc-region, FC_REGION and DEFAULT_REGION); default: s.yaml's region")
	fs.StringVar(&f.accountID, "account-id", "", "account id for x-fc-account-id and ARNs (default $ALIBABA_CLOUD_ACCOUNT_ID, else "+DefaultAccountID+")")
	fs.BoolVar(&f.noBuild, "no-build", false, "do not run the pre-deploy actions: use the executables already in the code directories")
	fs.StringVar(&f.logs, "logs", "", "append the functions' own output (JSON logs) to `FILE` (- = stderr); default: discarded")
	fs.DurationVar(&f.retryDelay, "retry-delay", time.Second, "wait before the first async retry; doubles per retry, at most 30s")
	fs.StringVar(&f.fleet, "fleet", "", "load the in-process emulator with this fleet `FILE` (JSON, see ecs-emulator --help) instead of the demo fleet (up, invoke)")
	fs.StringVar(&f.emulatorListen, "emulator-listen", "127.0.0.1:0", "`ADDR` of the in-process emulator (up, invoke)")
	fs.StringVar(&f.httpAddr, "http", "127.0.0.1:9000", "`ADDR` to serve the HTTP triggers on (up)")
	fs.StringVar(&f.event, "event", "", "the event: a JSON `FILE`, or - for stdin (invoke; default {})")
	fs.BoolVar(&f.async, "async", false, "invoke asynchronously, with retries and destinations (invoke)")
	fs.StringVar(&f.timer, "timer", "", "preview only this timer: its trigger `NAME` or function/trigger (preview; default: every enabled timer)")
	fs.Var(optString{&f.notifySink}, "notify-sink", "stand a local chat sink in for these notification `CHANNELS` (dingtalk,feishu,wecom,slack,webhook, all or none) besides every channel s.yaml/--set configure, and print the messages it receives; default: dingtalk for the demo, none otherwise")
	fs.BoolVar(&f.help, "help", false, "show this help")
	fs.BoolVar(&f.help, "h", false, "show this help")
	return fs
}

// parseArgs parses flags anywhere among the arguments.
func parseArgs(args []string) (*cliFlags, *flag.FlagSet, error) {
	f := &cliFlags{set: map[string]string{}}
	fs := newFlagSet(f, io.Discard) // Main reports parse errors itself
	fs.Usage = func() {}
	rest := args
	for {
		if err := fs.Parse(rest); err != nil {
			return nil, fs, err
		}
		rest = fs.Args()
		if len(rest) == 0 {
			break
		}
		if rest[0] == "--" {
			f.args = append(f.args, rest[1:]...)
			break
		}
		f.args = append(f.args, rest[0])
		rest = rest[1:]
	}
	return f, fs, nil
}

func printUsage(w io.Writer) {
	fmt.Fprint(w, Usage)
	fs := newFlagSet(&cliFlags{set: map[string]string{}}, w)
	fs.PrintDefaults()
}

// Main runs the fclocal command line and returns the exit status: 0 ok,
// 1 a function failed, 2 a usage or setup error.
func Main(ctx context.Context, args []string, stdin io.Reader, stdout, stderr io.Writer, lookup LookupEnv) int {
	if lookup == nil {
		lookup = os.LookupEnv
	}
	f, _, err := parseArgs(args)
	if err != nil {
		fmt.Fprintf(stderr, "fclocal: %v (see fclocal --help)\n", err)
		return 2
	}
	if f.help {
		printUsage(stdout)
		return 0
	}
	cmd := "demo"
	if len(f.args) > 0 {
		cmd = f.args[0]
	}
	if f.accountID == "" {
		if v, ok := lookup("ALIBABA_CLOUD_ACCOUNT_ID"); ok && v != "" {
			f.accountID = v
		} else {
			f.accountID = DefaultAccountID
		}
	}
	if f.real && f.endpoint != "" {
		fmt.Fprintln(stderr, "fclocal: --real and --endpoint exclude each other")
		return 2
	}
	var code int
	switch cmd {
	case "help":
		printUsage(stdout)
		return 0
	case "demo":
		code, err = cmdDemo(ctx, f, stdout, stderr, lookup)
	case "up":
		code, err = cmdUp(ctx, f, stdout, stderr, lookup)
	case "invoke":
		code, err = cmdInvoke(ctx, f, stdin, stdout, stderr, lookup)
	case "preview":
		code, err = cmdPreview(ctx, f, stdout, stderr, lookup)
	case "fire":
		code, err = cmdFire(ctx, f, stdout)
	case "put-event":
		code, err = cmdPutEvent(ctx, f, stdin, stdout)
	default:
		err = fmt.Errorf("unknown command %q (demo, preview, up, fire, put-event, invoke, help)", cmd)
		code = 2
	}
	if err != nil {
		fmt.Fprintln(stderr, "fclocal:", err)
	}
	return code
}

func extraArgs(f *cliFlags, n int) error {
	if len(f.args) > n {
		return fmt.Errorf("unexpected arguments %q", f.args[n:])
	}
	return nil
}

func (f *cliFlags) functionLog(stderr io.Writer) (io.Writer, func(), error) {
	switch f.logs {
	case "":
		return nil, func() {}, nil
	case "-":
		return stderr, func() {}, nil
	}
	fh, err := os.OpenFile(f.logs, os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o644)
	if err != nil {
		return nil, nil, fmt.Errorf("--logs: %w", err)
	}
	return fh, func() { _ = fh.Close() }, nil
}

func cmdDemo(ctx context.Context, f *cliFlags, stdout, stderr io.Writer, lookup LookupEnv) (int, error) {
	if err := extraArgs(f, 1); err != nil {
		return 2, err
	}
	switch {
	case f.real:
		return 2, errors.New("the demo runs against its own in-process emulator; --real is for up and invoke")
	case f.endpoint != "":
		return 2, errors.New("the demo runs against its own in-process emulator (it loads the demo fleet); --endpoint is for up and invoke")
	case f.fleet != "":
		return 2, errors.New("the demo uses its own fleet; --fleet is for up and invoke")
	}
	logw, closeLog, err := f.functionLog(stderr)
	if err != nil {
		return 2, err
	}
	defer closeLog()
	fmt.Fprintf(stderr, "fclocal: building the functions and running one scheduled cycle of %s ...\n", f.file)
	sinks, err := f.sinkChannels(DemoNotifySink)
	if err != nil {
		return 2, err
	}
	res, err := RunDemo(ctx, DemoOptions{
		File: f.file, LookupEnv: lookup, Set: f.set, SkipBuild: f.noBuild, FunctionLog: logw, BuildProgress: stderr,
		NotifySink: sinks,
	})
	if err != nil {
		return 2, err
	}
	fmt.Fprint(stdout, res.Report())
	if res.Failed > 0 {
		return 1, fmt.Errorf("%s failed", Plural(res.Failed, "invocation"))
	}
	return 0, nil
}

// session is a loaded project, a backend and a started runner.
type session struct {
	project *Project
	runner  *Runner
	emu     *LocalEmulator
	backend string
	close   func()
	// notify is the local chat sink (nil: none); shown counts the
	// messages already printed.
	notify *NotifySink
	mu     sync.Mutex
	shown  int
}

// printNotifications prints the messages the sink took since the last
// call.
func (s *session) printNotifications(w io.Writer) {
	if s == nil || s.notify == nil {
		return
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	msgs := s.notify.Sink.Messages()
	for _, m := range msgs[min(s.shown, len(msgs)):] {
		fmt.Fprintf(w, "fclocal: notification received by the local sink:\n%s", indent(m.Pretty(), "  "))
	}
	s.shown = len(msgs)
}

func indent(s, pad string) string {
	var b strings.Builder
	for line := range strings.SplitSeq(strings.TrimRight(s, "\n"), "\n") {
		b.WriteString(pad + line + "\n")
	}
	return b.String()
}

// openSession loads the project, starts the backend and the runner. onInv
// gets every invocation attempt, onEvent every event put on the local bus
// (an in-process emulator's events are put there).
func openSession(ctx context.Context, f *cliFlags, stderr io.Writer, lookup LookupEnv, onInv func(Invocation), onEvent func(EventRouting)) (*session, error) {
	p, err := LoadFile(f.file, lookup)
	if err != nil {
		return nil, err
	}
	s := &session{project: p}
	var closers []func()
	s.close = func() {
		for i := len(closers) - 1; i >= 0; i-- {
			closers[i]()
		}
	}
	fail := func(err error) (*session, error) { s.close(); return nil, err }
	env := map[string]string{}
	var creds fcruntime.Credentials
	region := f.region
	if region == "" && len(p.Functions) > 0 {
		region = p.Functions[0].Region
	}
	switch {
	case f.real:
		get := func(k string) string { v, _ := lookup(k); return v }
		creds = fcruntime.Credentials{
			AccessKeyID:     get("ALIBABA_CLOUD_ACCESS_KEY_ID"),
			AccessKeySecret: get("ALIBABA_CLOUD_ACCESS_KEY_SECRET"),
			SecurityToken:   get("ALIBABA_CLOUD_SECURITY_TOKEN"),
		}
		if creds.AccessKeyID == "" || creds.AccessKeySecret == "" {
			return fail(errors.New("--real needs ALIBABA_CLOUD_ACCESS_KEY_ID and ALIBABA_CLOUD_ACCESS_KEY_SECRET (and ALIBABA_CLOUD_SECURITY_TOKEN for STS) in the environment"))
		}
		s.backend = fmt.Sprintf("REAL ECS in %s (credentials from ALIBABA_CLOUD_*; ECS_ENDPOINT as s.yaml/--set say)", region)
	case f.endpoint != "":
		if _, err := parseEndpointURL(f.endpoint); err != nil {
			return fail(err)
		}
		env["ECS_ENDPOINT"] = f.endpoint
		creds = EmulatorCredentials(nil)
		s.backend = "the ECS emulator at " + f.endpoint + " (its default key pair, a per-run STS token)"
	default:
		emu, err := ecsemu.New(ecsemu.Options{Region: region, StopDelay: DemoStopDelay, StartDelay: DemoStopDelay, SnapshotDelay: DemoSnapshotDelay, PendingDelay: time.Second, AccountID: f.accountID})
		if err != nil {
			return fail(err)
		}
		fleetDesc := ""
		if f.fleet != "" {
			fh, err := os.Open(f.fleet)
			if err != nil {
				return fail(fmt.Errorf("--fleet: %w", err))
			}
			ff, err := ecsemu.ParseFleetFile(fh)
			fh.Close()
			if err != nil {
				return fail(fmt.Errorf("--fleet %s: %w", f.fleet, err))
			}
			if _, err := emu.LoadFleet(ff); err != nil {
				return fail(fmt.Errorf("--fleet %s: %w", f.fleet, err))
			}
			fleetDesc = fmt.Sprintf("%d instances from %s", len(ff.Instances), f.fleet)
		} else {
			pol := DemoPolicyFor(p, f.set)
			if f.region != "" {
				pol.Region = f.region
			}
			fleet := DemoFleet(time.Now(), pol)
			if _, err := emu.AddInstances(DemoSpecs(fleet)); err != nil {
				return fail(err)
			}
			fleetDesc = fmt.Sprintf("the demo fleet (%d instances; %s in %s)", len(fleet),
				Plural(countRegion(fleet, DemoSecondRegion(pol)), "instance"), DemoSecondRegion(pol))
		}
		le, err := StartEmulator(emu, f.emulatorListen)
		if err != nil {
			return fail(err)
		}
		closers = append(closers, le.Close)
		s.emu = le
		env["ECS_ENDPOINT"] = le.URL
		creds = EmulatorCredentials(emu)
		s.backend = fmt.Sprintf("in-process ECS emulator at %s, region %s, %s", le.URL, region, fleetDesc)
	}
	if f.region != "" {
		env["DEFAULT_REGION"] = f.region
	}
	maps.Copy(env, f.set)
	sinks, err := f.sinkChannels("none")
	if err != nil {
		return fail(err)
	}
	ns, err := StartNotifySink(p, env, sinks)
	if err != nil {
		return fail(err)
	}
	if ns != nil {
		closers = append(closers, ns.Close)
		maps.Copy(env, ns.Env)
		s.notify = ns
	}
	logw, closeLog, err := f.functionLog(stderr)
	if err != nil {
		return fail(err)
	}
	closers = append(closers, closeLog)
	base := f.retryDelay
	r, err := Start(ctx, p, Options{
		Env: env, Credentials: creds, AccountID: f.accountID, Region: f.region,
		SkipBuild: f.noBuild, FunctionLog: logw, OnInvocation: onInv, OnEvent: onEvent, Progress: stderr,
		RetryBackoff: func(n int) time.Duration {
			d := base << max(n-1, 0)
			if d > 30*time.Second || d <= 0 {
				d = 30 * time.Second
			}
			return d
		},
	})
	if err != nil {
		return fail(err)
	}
	closers = append(closers, r.Close)
	s.runner = r
	if s.emu != nil {
		// The emulator's events (a spot interruption) reach the functions
		// whose EventBridge triggers match them, as on the default bus.
		errw := &lockedWriter{w: stderr}
		closers = append(closers, r.DeliverEmulatorEvents(s.emu.Emu, func(err error) { fmt.Fprintln(errw, "fclocal:", err) }))
	}
	if f.real {
		fmt.Fprintln(stderr, realDryRunNotice(p, r))
	}
	return s, nil
}

// realDryRunNotice says, before anything runs against real ECS, whether
// dry run applies: to every function (they only read), or not to some
// (they will act on real instances).
func realDryRunNotice(p *Project, r *Runner) string {
	var live []string
	for _, fn := range p.Functions {
		env, _ := r.FunctionEnv(fn.Name)
		cfg, err := config.Load(func(k string) string { return env[k] })
		if err != nil || !cfg.DryRun {
			live = append(live, fn.Name)
		}
	}
	if len(live) == 0 {
		return "fclocal: --real: dry run applies (DRY_RUN=true for every function): they read your account and change nothing"
	}
	return fmt.Sprintf("fclocal: --real: WARNING: dry run does NOT apply to %s (DRY_RUN is not true): they will act on real instances", strings.Join(live, ", "))
}

func parseEndpointURL(s string) (string, error) {
	if !strings.HasPrefix(s, "http://") && !strings.HasPrefix(s, "https://") {
		return "", fmt.Errorf("--endpoint %q: want http://host:port", s)
	}
	rest := s[strings.Index(s, "//")+2:]
	if rest == "" || strings.ContainsAny(strings.TrimSuffix(rest, "/"), "/?#") {
		return "", fmt.Errorf("--endpoint %q: want scheme://host[:port] only", s)
	}
	return s, nil
}

func cmdUp(ctx context.Context, f *cliFlags, stdout, stderr io.Writer, lookup LookupEnv) (int, error) {
	if err := extraArgs(f, 1); err != nil {
		return 2, err
	}
	if f.event != "" || f.async {
		return 2, errors.New("--event and --async are for invoke")
	}
	out := &lockedWriter{w: stdout}
	var sess atomic.Pointer[session]
	s, err := openSession(ctx, f, stderr, lookup, func(inv Invocation) {
		fmt.Fprintln(out, inv.Line())
		sess.Load().printNotifications(out)
	},
		func(ev EventRouting) { fmt.Fprintf(out, "%s %s\n", ev.At.Format("15:04:05.000"), ev.Line()) })
	if err != nil {
		return 2, err
	}
	defer s.close()
	sess.Store(s)
	ln, err := net.Listen("tcp", f.httpAddr)
	if err != nil {
		return 2, fmt.Errorf("--http: %w", err)
	}
	srv := &http.Server{Handler: controlHandler(s.project, s.runner, s.runner.HTTPHandler()), ReadHeaderTimeout: 10 * time.Second}
	go func() { _ = srv.Serve(ln) }()
	defer func() {
		sctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		_ = srv.Shutdown(sctx)
	}()
	base := "http://" + ln.Addr().String()
	fmt.Fprint(out, s.describe(base, f))
	if err := s.runner.StartTimers(); err != nil {
		return 2, err
	}
	fmt.Fprintln(out, "fclocal up: serving; Ctrl-C to stop")
	<-ctx.Done()
	fmt.Fprintln(out, "fclocal up: stopping")
	return 0, nil
}

// describe lists the backend, the functions and their triggers.
func (s *session) describe(httpBase string, f *cliFlags) string {
	var b strings.Builder
	r := s.runner
	fmt.Fprintf(&b, "fclocal up: %s (%s)\n", s.project.Name, relOrAbs(s.project.Path))
	fmt.Fprintf(&b, "  ECS: %s\n", s.backend)
	if f.noBuild {
		fmt.Fprintf(&b, "  not built (--no-build): running the executables in the code directories\n")
	} else {
		fmt.Fprintf(&b, "  built with the pre-deploy actions in %s\n", r.BuildTime.Round(10*time.Millisecond))
	}
	now := time.Now()
	routes := map[[2]string]EventRoute{}
	for _, rt := range r.EventRoutes() {
		routes[[2]string{rt.Function, rt.Trigger}] = rt
	}
	for _, fn := range s.project.Functions {
		env, _ := r.FunctionEnv(fn.Name)
		fmt.Fprintf(&b, "  %s (resource %s): timeout %s, DRY_RUN=%s", fn.Name, fn.Resource, fn.Timeout, env["DRY_RUN"])
		if fn.Async.OnSuccess != nil {
			fmt.Fprintf(&b, ", onSuccess -> %s", fn.Async.OnSuccess.Function)
		}
		if fn.Async.OnFailure != nil {
			fmt.Fprintf(&b, ", onFailure -> %s", fn.Async.OnFailure.Function)
		}
		fmt.Fprintf(&b, ", async retries %d, max event age %s\n", fn.Async.MaxRetries, fn.Async.MaxEventAge)
		for _, t := range fn.Triggers {
			switch {
			case t.Timer != nil && t.Timer.Enabled:
				fmt.Fprintf(&b, "    timer %-16s %q next %s\n", t.Name, t.Timer.CronExpression, nextFire(t.Timer.Schedule, now).UTC().Format(time.RFC3339))
			case t.Timer != nil:
				fmt.Fprintf(&b, "    timer %-16s %q disabled (enable: false)\n", t.Name, t.Timer.CronExpression)
			case t.HTTP != nil:
				note := ""
				if t.HTTP.AuthType != "anonymous" {
					note = " (authType " + t.HTTP.AuthType + ": signature not checked locally)"
				}
				fmt.Fprintf(&b, "    http  %-16s %s %s/%s/%s\n", t.Name, strings.Join(t.HTTP.Methods, ","), httpBase, fn.Name, note)
			case t.Type == TriggerEventBridge:
				rt := routes[[2]string{fn.Name, t.Name}]
				if rt.Skip != "" {
					fmt.Fprintf(&b, "    eventbridge %s: not delivered locally: %s\n", t.Name, rt.Skip)
					break
				}
				kind := "sync"
				if rt.Async {
					kind = "async"
				}
				fmt.Fprintf(&b, "    eventbridge %s %s, %s: events that match it (%s; fclocal put-event) invoke %s\n", t.Name, rt.Pattern, kind, s.eventSources(), fn.Name)
			default:
				fmt.Fprintf(&b, "    %-5s %-16s listed only: not fired locally (invoke the function with such an event instead)\n", t.Type, t.Name)
			}
		}
	}
	if len(f.set) > 0 {
		keys := append([]string(nil), f.setOrder...)
		sort.Strings(keys)
		var parts []string
		for _, k := range keys {
			parts = append(parts, k+"="+displayValue(k, f.set[k]))
		}
		fmt.Fprintf(&b, "  --set: %s\n", strings.Join(parts, " "))
	}
	return b.String()
}

// countRegion counts the fleet's instances in region.
func countRegion(fleet []DemoInstance, region string) int {
	n := 0
	for _, d := range fleet {
		if d.Spec.RegionId == region {
			n++
		}
	}
	return n
}

// eventSources says where the events of the local bus come from.
func (s *session) eventSources() string {
	if s.emu != nil {
		return "the emulator's events"
	}
	return "no emulator events with --endpoint or --real"
}

func cmdInvoke(ctx context.Context, f *cliFlags, stdin io.Reader, stdout, stderr io.Writer, lookup LookupEnv) (int, error) {
	if len(f.args) < 2 {
		return 2, errors.New("invoke needs a FUNCTION (functionName or resource name)")
	}
	if err := extraArgs(f, 2); err != nil {
		return 2, err
	}
	name := f.args[1]
	payload, err := readEvent(f, stdin)
	if err != nil {
		return 2, err
	}
	errw := &lockedWriter{w: stderr}
	var (
		mu     sync.Mutex
		failed []string
	)
	s, err := openSession(ctx, f, stderr, lookup, func(inv Invocation) {
		if !f.async && inv.Trigger == "invoke" {
			return
		}
		fmt.Fprintln(errw, inv.Line())
		if !inv.OK() && !strings.HasPrefix(inv.Next, "retry ") {
			mu.Lock()
			failed = append(failed, inv.Function+" "+inv.RequestID)
			mu.Unlock()
		}
	}, func(ev EventRouting) { fmt.Fprintln(errw, "fclocal:", ev.Line()) })
	if err != nil {
		return 2, err
	}
	defer s.close()
	defer s.printNotifications(errw)
	if _, err := s.runner.Function(name); err != nil {
		return 2, err
	}
	if !f.async {
		inv, err := s.runner.Invoke(ctx, name, payload, "invoke")
		if err != nil {
			return 2, err
		}
		fmt.Fprintln(errw, inv.Line())
		if inv.Err != nil {
			fmt.Fprintf(errw, "fclocal: function error: %s: %s\n", inv.Err.ErrorType, inv.Err.ErrorMessage)
			return 1, nil
		}
		fmt.Fprintf(stdout, "%s\n", inv.Payload)
		return 0, nil
	}
	id, err := s.runner.InvokeAsync(name, payload, "invoke")
	if err != nil {
		return 2, err
	}
	b, _ := json.Marshal(map[string]any{"requestId": id, "status": http.StatusAccepted})
	fmt.Fprintf(stdout, "%s\n", b)
	if err := s.runner.Wait(ctx); err != nil {
		return 2, err
	}
	mu.Lock()
	defer mu.Unlock()
	if len(failed) > 0 {
		return 1, fmt.Errorf("async invocation %s: %s in its chain failed (%s); see the lines above", id, Plural(len(failed), "invocation"), strings.Join(failed, ", "))
	}
	return 0, nil
}

// readEvent reads --event: a file, or - for stdin ({} when not given),
// which must be one JSON value.
func readEvent(f *cliFlags, stdin io.Reader) ([]byte, error) {
	payload := []byte("{}")
	switch f.event {
	case "":
	case "-":
		b, err := io.ReadAll(io.LimitReader(stdin, MaxSyncPayloadBytes+1))
		if err != nil {
			return nil, fmt.Errorf("reading the event from stdin: %w", err)
		}
		payload = b
	default:
		b, err := os.ReadFile(f.event)
		if err != nil {
			return nil, fmt.Errorf("--event: %w", err)
		}
		payload = b
	}
	if err := checkJSON(payload); err != nil {
		src := f.event
		if src == "-" {
			src = "stdin"
		}
		return nil, fmt.Errorf("--event %s: %w", src, err)
	}
	return payload, nil
}

// checkJSON refuses an event that is not one JSON value, naming the line
// and column where it goes wrong (what FC's console would refuse too).
func checkJSON(b []byte) error {
	if len(bytes.TrimSpace(b)) == 0 {
		return errors.New("empty: want one JSON value ({} for an empty request)")
	}
	var v any
	dec := json.NewDecoder(bytes.NewReader(b))
	err := dec.Decode(&v)
	if err == nil {
		rest := int(dec.InputOffset())
		for rest < len(b) && strings.ContainsRune(" \t\r\n", rune(b[rest])) {
			rest++
		}
		if rest < len(b) {
			return fmt.Errorf("not one JSON value: more follows at %s", position(b, rest))
		}
		return nil
	}
	var syn *json.SyntaxError
	switch {
	case errors.As(err, &syn) && syn.Offset > 0 && int(syn.Offset) <= len(b) && !strings.Contains(syn.Error(), "unexpected end"):
		// Offset counts the bytes read, the offending one included.
		return fmt.Errorf("not JSON at %s: %s", position(b, int(syn.Offset)-1), syn.Error())
	case errors.As(err, &syn), errors.Is(err, io.EOF), errors.Is(err, io.ErrUnexpectedEOF):
		return fmt.Errorf("not JSON: it ends at %s before the value does", position(b, len(b)))
	}
	return fmt.Errorf("not JSON: %w", err)
}

// position is "line L, column C" (1-based; columns count bytes) of the byte
// at offset off.
func position(b []byte, off int) string {
	line, col := 1, 1
	for _, c := range b[:min(off, len(b))] {
		if c == '\n' {
			line, col = line+1, 1
			continue
		}
		col++
	}
	return fmt.Sprintf("line %d, column %d", line, col)
}
