// Package ecsemutest starts an ECS emulator on an httptest server and hands
// out real SDK clients pointed at it.
package ecsemutest

import (
	"net/http/httptest"
	"net/url"
	"regexp"
	"testing"
	"time"

	"github.com/aliyun/alibaba-cloud-sdk-go/sdk"
	"github.com/aliyun/alibaba-cloud-sdk-go/sdk/auth/credentials"
	"github.com/aliyun/alibaba-cloud-sdk-go/services/ecs"
	"github.com/stretchr/testify/require"

	"github.com/fc-ecs-release/fc-ecs-release/internal/ecsemu"
	"github.com/fc-ecs-release/fc-ecs-release/internal/ecssdk"
	"github.com/fc-ecs-release/fc-ecs-release/shared/clock"
)

// The SDK fills its package-level ecs.EndpointMap lazily, without locking,
// the first time a client is built; clients built by parallel tests then
// race (go test -race). Filling it once at init makes every later call a
// read.
// OtherRegion is a second region for tests with instances in several
// regions (the default one is ecsemu.DefaultRegion).
const OtherRegion = "cn-shanghai"

// Epoch is where the fake clock of Start stands at first.
var Epoch = time.Date(2026, 11, 26, 12, 0, 0, 0, time.UTC)

// Env is a running emulator with a fake clock.
type Env struct {
	Emu    *ecsemu.Emulator
	Clock  *clock.Fake
	Server *httptest.Server
	// Client is a real SDK client for the default region, AK credentials.
	Client *ecs.Client
}

// Start runs an emulator (with a fake clock at Epoch unless opts.Clock is
// set) on an httptest server closed when the test ends.
func Start(t testing.TB, opts ecsemu.Options) *Env {
	t.Helper()
	fake, _ := opts.Clock.(*clock.Fake)
	if opts.Clock == nil {
		fake = clock.NewFake(Epoch)
		opts.Clock = fake
	}
	emu, err := ecsemu.New(opts)
	require.NoError(t, err)
	srv := httptest.NewUnstartedServer(emu)
	// A client that sends its request slowly is cut off after 10 s (the
	// emulator reads bodies outside its lock, so until then it holds up no
	// other client either).
	srv.Config.ReadTimeout = 10 * time.Second
	srv.Start()
	t.Cleanup(srv.Close)
	env := &Env{Emu: emu, Clock: fake, Server: srv}
	env.Client = env.NewClient(t, emu.Region(), "")
	return env
}

// Endpoint is the emulator's base URL (scheme://host:port).
func (env *Env) Endpoint() string { return env.Server.URL }

// Host is host:port of the emulator.
func (env *Env) Host() string {
	u, _ := url.Parse(env.Server.URL)
	return u.Host
}

// NewClient returns a real SDK client for region using the emulator's key
// pair, with STS credentials when token is not empty.
func (env *Env) NewClient(t testing.TB, region, token string) *ecs.Client {
	t.Helper()
	return env.NewClientWithKey(t, region, env.Emu.AccessKeyID(), env.Emu.AccessKeySecret(), token)
}

// NewClientWithKey returns a real SDK client with any key pair (to test
// authentication failures).
func (env *Env) NewClientWithKey(t testing.TB, region, id, secret, token string) *ecs.Client {
	t.Helper()
	var cred credentials.CredentialsProvider
	if token != "" {
		cred = credentials.NewStaticSTSCredentialsProvider(id, secret, token)
	} else {
		cred = credentials.NewStaticAKCredentialsProvider(id, secret)
	}
	client, err := ecssdk.NewClient(region, sdk.NewConfig().WithScheme("HTTP"), cred)
	require.NoError(t, err)
	client.Domain = env.Host()
	// The SDK applies HTTP(S)_PROXY even to loopback; never proxy the emulator.
	client.SetNoProxy(regexp.QuoteMeta(env.Host()))
	return client
}

// AddFleet adds instances and returns their IDs, failing the test on error.
func (env *Env) AddFleet(t testing.TB, fleet ...ecsemu.Instance) []string {
	t.Helper()
	ids, err := env.Emu.AddInstances(fleet)
	require.NoError(t, err)
	return ids
}

// AddRunning adds n default Running PostPaid instances with the given tags.
func (env *Env) AddRunning(t testing.TB, n int, tags ...ecsemu.Tag) []string {
	t.Helper()
	fleet := make([]ecsemu.Instance, n)
	for i := range fleet {
		fleet[i].Tags.Tag = tags
	}
	return env.AddFleet(t, fleet...)
}
