package handler_test

import (
	"context"
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
