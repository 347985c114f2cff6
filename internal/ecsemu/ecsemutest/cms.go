package ecsemutest

import (
	"regexp"
	"sync"
	"testing"

	"github.com/aliyun/alibaba-cloud-sdk-go/sdk"
	"github.com/aliyun/alibaba-cloud-sdk-go/sdk/auth/credentials"
	"github.com/aliyun/alibaba-cloud-sdk-go/services/cms"
	"github.com/stretchr/testify/require"
)

// cmsMu serialises building CMS clients (the SDK's constructors touch
// package state; see ecssdk).
var cmsMu sync.Mutex

// NewCMSClient returns a classic SDK CloudMonitor (CMS, 2019-01-01)
// client for region pointed at the emulator, with the emulator's key pair.
func (env *Env) NewCMSClient(t testing.TB, region string) *cms.Client {
	t.Helper()
	cmsMu.Lock()
	defer cmsMu.Unlock()
	client, err := cms.NewClientWithOptions(region, sdk.NewConfig().WithScheme("HTTP"),
		credentials.NewStaticAKCredentialsProvider(env.Emu.AccessKeyID(), env.Emu.AccessKeySecret()))
	require.NoError(t, err)
	client.Domain = env.Host()
	client.SetNoProxy(regexp.QuoteMeta(env.Host()))
	return client
}
