package ecs_test

import (
	"context"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/fc-ecs-release/fc-ecs-release/internal/ecsemu"
	"github.com/fc-ecs-release/fc-ecs-release/internal/ecsemu/ecsemutest"
	"github.com/fc-ecs-release/fc-ecs-release/shared/clock"
	"github.com/fc-ecs-release/fc-ecs-release/shared/ecs"
)

// fixture is an emulator plus a Client whose fake clock drives the
// emulator's: every backoff or waiter sleep advances both.
type fixture struct {
	env   *ecsemutest.Env
	clock *clock.Fake
	c     *ecs.Client
}

func newFixture(t *testing.T, emuOpts ecsemu.Options, mutate ...func(*ecs.Config)) *fixture {
	t.Helper()
	env := ecsemutest.Start(t, emuOpts)
	fake := clock.NewFake(time.Now())
	fake.OnSleep = func(d time.Duration) { require.NoError(t, env.Emu.Advance(d)) }
	cfg := ecs.Config{
		Region:      env.Emu.Region(),
		Credentials: ecs.Credentials{AccessKeyID: env.Emu.AccessKeyID(), AccessKeySecret: env.Emu.AccessKeySecret()},
		Endpoint:    ecs.Endpoint{Scheme: "HTTP", Host: env.Host()},
		Clock:       fake,
		MaxQPS:      -1,
		Rand:        func() float64 { return 0.5 },
	}
	for _, m := range mutate {
		m(&cfg)
	}
	c, err := ecs.New(cfg)
	require.NoError(t, err)
	return &fixture{env: env, clock: fake, c: c}
}

// ctx returns a context whose deadline is d ahead on the fake clock (which
// starts at the wall time, so the two agree).
func (f *fixture) ctx(t *testing.T, d time.Duration) context.Context {
	ctx, cancel := context.WithDeadline(context.Background(), f.clock.Now().Add(d))
	t.Cleanup(cancel)
	return ctx
}

func tag(k, v string) ecsemu.Tag { return ecsemu.Tag{TagKey: k, TagValue: v} }
