package handler_test

import (
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"

	"github.com/fc-ecs-release/fc-ecs-release/internal/ecsemu"
	"github.com/fc-ecs-release/fc-ecs-release/internal/handlertest"
	"github.com/fc-ecs-release/fc-ecs-release/shared/handler"
)

// A gateway in front of ECS that answers with an HTML page echoing the
// request URL (proxies do) puts the signed query, with the STS token
// URL-encoded, into the SDK's error: it reaches no log line and no answer,
// in any encoding.
func TestSecretsInURLEncodedFormNeverReachLogsOrAnswers(t *testing.T) {
	t.Parallel()
	w := newWorld(t, ecsemu.Options{}, map[string]string{"ECS_MAX_QPS": "10000"})
	w.Token = "tok/en+with=reserved&chars~" + strings.Repeat("z", 20)
	ids := w.Env.AddFleet(t, ecsemu.Instance{CreationTime: old(w), Status: ecsemu.StatusStopped})
	proxy := httptest.NewServer(http.HandlerFunc(func(rw http.ResponseWriter, r *http.Request) {
		rw.Header().Set("Content-Type", "text/html")
		rw.WriteHeader(http.StatusBadGateway)
		fmt.Fprintf(rw, "<html><body>502 Bad Gateway: upstream failed for %s?%s</body></html>", r.URL.Path, r.URL.RawQuery)
	}))
	t.Cleanup(proxy.Close)
	w.Vars["ECS_ENDPOINT"] = proxy.URL
	res := w.Handle(handler.NewRelease(w.Deps()), fmt.Sprintf(`{"instanceIds":[%q]}`, ids[0]), handlertest.Call{Timeout: 2 * time.Minute})
	text := w.LogText() + fmt.Sprint(res.Out)
	if res.Err != nil {
		text += res.Err.Error()
	}
	assert.Empty(t, handlertest.FindSecrets(text, w.Token, w.Env.Emu.AccessKeySecret()))
}
