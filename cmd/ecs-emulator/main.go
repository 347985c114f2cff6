// Command ecs-emulator serves the local ECS emulator (internal/ecsemu) on a
// TCP port so the unmodified Alibaba Cloud SDK, the functions and the local
// runner can use it. Run with --help for flags and admin endpoints.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"os"
	"os/signal"
	"strings"
	"syscall"
	"time"

	"github.com/fc-ecs-release/fc-ecs-release/internal/ecsemu"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	if err := run(ctx, os.Args[1:], os.Stdout, os.Stderr); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return
		}
		fmt.Fprintln(os.Stderr, "ecs-emulator:", err)
		os.Exit(2)
	}
}

const usageHeader = `ecs-emulator: a local Alibaba Cloud ECS API (RPC, version 2014-05-26) for the
official clients, unmodified: signatures V1 (HMAC-SHA1) and V3
(ACS3-HMAC-SHA256). Point a client at HOST:PORT over plain HTTP: the classic Go
SDK with client.Domain = "HOST:PORT", the v7 Go SDK and the Node Tea SDK with
Endpoint "HOST:PORT" and Protocol "http", the aliyun CLI with --endpoint
HOST:PORT --insecure (recipes: docs/emulator.md); this project's functions with
ECS_ENDPOINT=http://HOST:PORT. A parameter an action does not implement is
refused with 400 Emulator.UnsupportedParameter, never ignored.

The same listener serves CloudMonitor (CMS, version 2019-01-01: the Version
parameter or x-acs-version header picks the API): DescribeMetricList and
DescribeMetricLast of namespace acs_ecs_dashboard (CPUUtilization,
IntranetInRate, IntranetOutRate, InternetInRate, InternetOutRate,
VPC_PublicIP_InternetInRate, VPC_PublicIP_InternetOutRate), points only for
the minutes an instance was Running (docs/emulator.md, "CloudMonitor").

Usage: ecs-emulator [flags]

Fleet file (--fleet): a JSON array of instances with DescribeInstances field
names, e.g.
  [{"InstanceId":"i-ci001","InstanceName":"ci-runner-1","Status":"Running",
    "InstanceChargeType":"PostPaid","DeletionProtection":false,
    "CreationTime":"2026-11-25T08:00Z","AutoReleaseTime":"",
    "Tags":{"Tag":[{"TagKey":"team","TagValue":"ci"}]},
    "OperationLocks":{"LockReason":[{"LockReason":"security"}]},
    "Disks":{"Disk":[{"Type":"data","Size":100,"DeleteWithInstance":false}]}}]
Missing fields get defaults (generated ID, region, zone <region>-a, Running,
PostPaid, ecs.g7.large, created now, a 40 GiB system disk deleted with the
instance). "Disks" is an emulator extension for extra disks. The file may also
be an object {"Instances": [...], "Prices": {...}}: its Prices section sets
DescribePrice's prices, as --prices does.

Prices (--prices FILE, or a fleet file's "Prices"): DescribePrice answers
pay-as-you-go prices from a built-in list; a price list is put over it, e.g.
  {"InstanceTypes": {"ecs.g7.large": 0.42},
   "Families": {"ecs.c7": {"PerVCPU": 0.1, "PerGiB": 0.015}, "*": {...}},
   "Disks": {"cloud_essd:PL1": 0.0014, "cloud_efficiency": 0.0005},
   "BandwidthPerMbps": 0.063, "SpotFactor": 0.2}
Hourly prices (per vCPU and GiB for a family, per GiB for a disk category,
ESSD by level cloud_essd:PL0..PL3); a Week is 168 hours, a Month 720, a Year
8760. Currency CNY in cn-* regions, USD elsewhere (the same figures).

The real cloud's hazards (docs/emulator.md, "Hazards the emulator models"):
  "SpotStrategy": NoSpot | SpotAsPriceGo | SpotWithPriceLimit, with
      "SpotPriceLimit" (a number) for the last; optional "SpotDuration" (0-6)
      and "SpotInterruptionBehavior" ("Terminate"). Interrupt with
      POST /_emulator/spot-interrupt: lock Recycling, an event, release 5 min later.
  "OperationLocks": any of financial, security, recycling, Recycling,
      dedicatedhostfinancial, refunded (what each refuses: docs/emulator.md).
  "Tags" may carry system tags: acs:autoscaling:scalingGroupId=<group> makes
      the instance an Auto Scaling member, replaced when it stops or goes;
      ack.aliyun.com=<cluster> with ack.alibabacloud.com/nodepool-id=<pool>
      makes it an ACK node, refilled after --nodepool-refill-delay.
Emulator extensions:
  "AutoScaling": {"CreationType": "AutoCreated"|"Attached"|"Managed",
      "DesiredCapacity": N, "GracePeriod": "5m"}  (a member's group settings)
  "EconomicalMode": supported | stops-keep-charging | stops-not-applicable |
      refused  (what StoppedMode=StopCharging does; default derived from the
      charge type, spot, network and family)
  "NoStockOnStart": true  (a start from economical mode answers 403
      OperationDenied.NoStock)
  "Metrics": {"Profile": "busy"|"idle"|"spiky"|"no-data", "CPU": 0.5,
      "NetworkBps": 1000, "Points": [{"Metric": "CPUUtilization",
      "At": "2026-11-26T14:05:00Z", "Value": 97}]}  (its CloudMonitor series;
      default busy; set later with POST /_emulator/metrics)
  "StoppedTime": "2026-11-26T08:00:00Z"  (loaded Stopped: Running from
      CreationTime until then; default the load time)

Flags:
`

// Server timeouts: --read-timeout's default, the cap on reading headers,
// and how long an idle keep-alive connection is kept.
const (
	defaultReadTimeout = 30 * time.Second
	maxHeaderTimeout   = 10 * time.Second
	idleTimeout        = 2 * time.Minute
)

func run(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("ecs-emulator", flag.ContinueOnError)
	fs.SetOutput(stderr)
	var (
		listen     = fs.String("listen", "127.0.0.1:8080", "address to listen on; port 0 picks a free port")
		fleetFile  = fs.String("fleet", "", "JSON fleet file to load at start")
		pricesFile = fs.String("prices", "", "JSON price list for DescribePrice, put over the built-in one (and over a fleet file's Prices)")
		keyID      = fs.String("access-key-id", ecsemu.DefaultAccessKeyID, "the AccessKeyId the emulator accepts")
		keySecret  = fs.String("access-key-secret", ecsemu.DefaultAccessKeySecret, "the AccessKeySecret it verifies signatures with")
		region     = fs.String("region", ecsemu.DefaultRegion, "region of fleet instances that name none")
		stopDelay  = fs.Duration("stop-delay", 5*time.Second, "how long Stopping lasts")
		forceDelay = fs.Duration("force-stop-delay", 0, "how long Stopping lasts with ForceStop=true (default stop-delay/4)")
		startDelay = fs.Duration("start-delay", 5*time.Second, "how long Starting lasts")
		pendDelay  = fs.Duration("pending-delay", 2*time.Second, "how long Pending lasts after RunInstances")
		snapDelay  = fs.Duration("snapshot-delay", 10*time.Second, "how long a snapshot stays progressing")
		latency    = fs.Duration("latency", 0, "added to every API call")
		throttle   = fs.Float64("throttle-rate", 0, "fraction of API calls answered 400 Throttling.User")
		errRate    = fs.Float64("error-rate", 0, "fraction of API calls answered 500 InternalError")
		maxQPS     = fs.Float64("max-qps", 0, "token bucket per AccessKeyId and Action; over it: 400 Throttling.User (0 = off)")
		spikeRate  = fs.Float64("spike-rate", 0, "fraction of API calls delayed by --spike (latency spikes)")
		spike      = fs.Duration("spike", 0, "extra delay of a spiked API call")
		stuck      = fs.String("stuck", "", "comma-separated instance IDs that stay in Stopping")
		seed       = fs.Int64("seed", 1, "seed for generated IDs and fault injection")
		logCalls   = fs.Bool("log-calls", false, "log every API call to stderr")
		readTO     = fs.Duration("read-timeout", defaultReadTimeout, "longest wait for one request, headers and body (must be positive); a client that sends slower is cut off")
		refill     = fs.Duration("nodepool-refill-delay", ecsemu.DefaultNodePoolRefillDelay, "how long an ACK node pool takes to replace a node stopped or released")
		accountID  = fs.String("account-id", ecsemu.DefaultAccountID, "the account ID in instance ARNs and events")
	)
	fs.Usage = func() {
		fmt.Fprint(stderr, usageHeader)
		fs.PrintDefaults()
		fmt.Fprintln(stderr)
		fmt.Fprintln(stderr, ecsemu.AdminEndpoints)
	}
	if err := fs.Parse(args); err != nil {
		return err
	}
	if fs.NArg() > 0 {
		return fmt.Errorf("unexpected arguments %q (flags only; see --help)", fs.Args())
	}
	if *readTO <= 0 {
		return fmt.Errorf("--read-timeout %v: want a positive duration", *readTO)
	}
	if *refill <= 0 {
		return fmt.Errorf("--nodepool-refill-delay %v: want a positive duration", *refill)
	}
	opts := ecsemu.Options{
		AccessKeyID: *keyID, AccessKeySecret: *keySecret, Region: *region,
		StopDelay: *stopDelay, ForceStopDelay: *forceDelay, StartDelay: *startDelay,
		PendingDelay: *pendDelay, SnapshotDelay: *snapDelay, Latency: *latency,
		Faults: ecsemu.Faults{ThrottleRate: *throttle, ErrorRate: *errRate, MaxQPS: *maxQPS, SpikeRate: *spikeRate, Spike: *spike},
		Seed:   *seed, NodePoolRefillDelay: *refill, AccountID: *accountID,
	}
	if *logCalls {
		opts.Logger = slog.New(slog.NewJSONHandler(stderr, nil))
	}
	emu, err := ecsemu.New(opts)
	if err != nil {
		return err
	}
	if *fleetFile != "" {
		f, err := os.Open(*fleetFile)
		if err != nil {
			return fmt.Errorf("--fleet: %w", err)
		}
		fleet, err := ecsemu.ParseFleetFile(f)
		f.Close()
		if err != nil {
			return fmt.Errorf("--fleet %s: %w", *fleetFile, err)
		}
		if _, err := emu.LoadFleet(fleet); err != nil {
			return fmt.Errorf("--fleet %s: %w", *fleetFile, err)
		}
	}
	if *pricesFile != "" {
		f, err := os.Open(*pricesFile)
		if err != nil {
			return fmt.Errorf("--prices: %w", err)
		}
		prices, err := ecsemu.ParsePrices(f)
		f.Close()
		if err != nil {
			return fmt.Errorf("--prices %s: %w", *pricesFile, err)
		}
		if err := emu.SetPrices(prices); err != nil {
			return fmt.Errorf("--prices %s: %w", *pricesFile, err)
		}
	}
	if *stuck != "" {
		if err := emu.SetStuck(true, strings.Split(*stuck, ",")...); err != nil {
			return fmt.Errorf("--stuck: %w", err)
		}
	}
	ln, err := net.Listen("tcp", *listen)
	if err != nil {
		return err
	}
	// ReadTimeout bounds how long one client can take to send a request;
	// the emulator reads and checks requests outside its lock, so a slow
	// client holds up nobody else meanwhile. The headers get at most
	// maxHeaderTimeout of it.
	srv := &http.Server{
		Handler:           emu,
		ReadHeaderTimeout: min(*readTO, maxHeaderTimeout),
		ReadTimeout:       *readTO,
		IdleTimeout:       idleTimeout,
	}
	fmt.Fprintf(stdout, "ecs-emulator: listening on http://%s (%d instances, key id %s)\n", ln.Addr(), len(emu.Instances()), *keyID)
	errc := make(chan error, 1)
	go func() { errc <- srv.Serve(ln) }()
	select {
	case err := <-errc:
		return err
	case <-ctx.Done():
		shutCtx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		return srv.Shutdown(shutCtx)
	}
}
