package ecsemutest

import (
	"testing"

	openapi "github.com/alibabacloud-go/darabonba-openapi/v2/client"
	ecs7 "github.com/alibabacloud-go/ecs-20140526/v7/client"
	"github.com/stretchr/testify/require"
)

// NewV7Client returns a client of the current official SDK
// (github.com/alibabacloud-go/ecs-20140526/v7) pointed at the emulator with
// its default settings: signature ACS3-HMAC-SHA256, POST, parameters in the
// query. Only tests use it; the function binaries keep the classic SDK.
func (env *Env) NewV7Client(t testing.TB, region, token string) *ecs7.Client {
	t.Helper()
	return env.NewV7ClientWithKey(t, region, env.Emu.AccessKeyID(), env.Emu.AccessKeySecret(), token)
}

// NewV7ClientWithKey is NewV7Client with any key pair.
func (env *Env) NewV7ClientWithKey(t testing.TB, region, id, secret, token string) *ecs7.Client {
	t.Helper()
	cfg := &openapi.Config{
		AccessKeyId:     new(id),
		AccessKeySecret: new(secret),
		RegionId:        new(region),
		Endpoint:        new(env.Host()),
		Protocol:        new("http"),
		// Never proxy the emulator, whatever HTTP(S)_PROXY say.
		NoProxy: new(env.Host()),
	}
	if token != "" {
		cfg.SecurityToken = new(token)
	}
	client, err := ecs7.NewClient(cfg)
	require.NoError(t, err)
	return client
}
