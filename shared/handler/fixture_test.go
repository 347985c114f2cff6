package handler_test

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/fc-ecs-release/fc-ecs-release/internal/ecsemu"
	"github.com/fc-ecs-release/fc-ecs-release/internal/handlertest"
	"github.com/fc-ecs-release/fc-ecs-release/shared/handler"
)

// testToken is the STS token of every invocation; no log may contain it.
const testToken = handlertest.DefaultToken

// world is handlertest's World (an emulator whose clock moves with the
// handlers' fake clock, an environment and a log sink).
type world struct{ *handlertest.World }

func newWorld(t *testing.T, opts ecsemu.Options, vars map[string]string) *world {
	return &world{handlertest.NewWorld(t, opts, vars)}
}

// ctx is an FC invocation context with a deadline timeout ahead.
func (w *world) ctx(timeout time.Duration) context.Context {
	return w.Ctx(handlertest.Call{Timeout: timeout})
}

// invoke runs a handler on a JSON event and decodes a plain (non-HTTP)
// answer.
func (w *world) invoke(h *handler.Handler, event string) (*handler.Response, error) {
	w.T.Helper()
	r := w.Handle(h, event, handlertest.Call{Timeout: 15 * time.Minute})
	if r.Err != nil {
		return nil, r.Err
	}
	return handlertest.Response(w.T, r.Out), nil
}

var (
	outcomes          = handlertest.Outcomes
	outcomeOf         = handlertest.OutcomeOf
	tags              = handlertest.Tags
	mustJSON          = handlertest.MustJSON
	destinationRecord = handlertest.DestinationRecord
)

// old is a creation and start time well in the past.
func old(w *world) string { return w.Env.Emu.Now().Add(-48 * time.Hour).Format("2006-01-02T15:04Z") }

// addPool adds n instances created and started long ago, tagged
// pool=<pool>, each as shape leaves it (nil: as is), and returns their IDs.
func addPool(w *world, n int, pool string, shape func(i int, in *ecsemu.Instance)) []string {
	w.T.Helper()
	fleet := make([]ecsemu.Instance, n)
	for i := range fleet {
		fleet[i] = ecsemu.Instance{CreationTime: old(w), StartTime: old(w), Tags: tags("pool", pool)}
		if shape != nil {
			shape(i, &fleet[i])
		}
	}
	return w.Env.AddFleet(w.T, fleet...)
}

// mutatingOn lists the mutating calls (by action) that named an instance.
func mutatingOn(w *world, id string) []string {
	var out []string
	for _, c := range w.Env.Emu.MutatingCalls() {
		for k, v := range c.Params {
			if v == id && (k == "InstanceId" || strings.HasPrefix(k, "InstanceId.") || strings.HasPrefix(k, "ResourceId.")) {
				out = append(out, c.Action)
			}
		}
		if d := c.Params["DiskId"]; d != "" {
			for _, disk := range w.Env.Emu.Disks() {
				if disk.DiskId == d && disk.InstanceId == id {
					out = append(out, c.Action)
				}
			}
		}
	}
	return out
}

func exists(w *world, id string) bool {
	_, ok := w.Env.Emu.Instance(id)
	return ok
}

func cloudEvent(id string, data string) string {
	return fmt.Sprintf(`{"specversion":"1.0","id":%q,"source":"batch.jobs","type":"job:Completed","datacontenttype":"application/json","data":%s}`, id, data)
}

// callWithTimeout is an invocation with the given deadline.
func callWithTimeout(d time.Duration) handlertest.Call { return handlertest.Call{Timeout: d} }
