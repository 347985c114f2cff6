package handler

import (
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/fc-ecs-release/fc-ecs-release/shared/answer"
	"github.com/fc-ecs-release/fc-ecs-release/shared/request"
)

// answerSize never overstates an answer: exact while the answer is near
// FC's limit (so the warning is right at its edge), a lower bound beyond
// it; over seeded answers of a few to 20,000 instances, with names that
// JSON escapes.
func TestAnswerSizeIsExactNearTheLimitAndNeverMore(t *testing.T) {
	t.Parallel()
	rng := rand.New(rand.NewPCG(5, 9))
	names := []string{"", "web-1", `<ci & "runner">`, "名字\u2028"}
	outcomes := []string{OutcomeStopping, OutcomeAlreadyStopped, OutcomeSkipped, OutcomeWouldStop}
	sawExact, sawBound, sawWarned := false, false, false
	for round := range 60 {
		n := rng.IntN(20_000)
		if round%3 == 0 {
			n = rng.IntN(3_000)
		}
		resp := answer.NewResponse("req", "stop")
		var ids []string
		for i := range n {
			id := fmt.Sprintf("i-%020d", rng.Int64N(1e18)+int64(i))
			o := InstanceOutcome{InstanceID: id, Name: names[rng.IntN(len(names))], Outcome: outcomes[rng.IntN(len(outcomes))]}
			if o.Outcome == OutcomeSkipped {
				o.Code, o.Reason = CodeProtected, "protected: not stopped"
			}
			resp.Add(o)
			if o.Outcome == OutcomeStopping {
				ids = append(ids, id)
			}
		}
		if len(ids) > 0 {
			resp.Next = []request.Request{{InstanceIDs: ids, Then: request.ThenRelease}}
		}
		raw, err := json.Marshal(resp)
		require.NoError(t, err)
		size, exact := answerSize(resp)
		require.LessOrEqual(t, size, len(raw), "%d instances", n)
		if len(raw) <= 2*fcAsyncPayloadLimit {
			require.True(t, exact, "%d instances, %d bytes: measured", n, len(raw))
		}
		if exact {
			require.Equal(t, len(raw), size)
			sawExact = true
		} else {
			sawBound = true
		}
		sawWarned = sawWarned || size > fcAsyncPayloadLimit
	}
	assert.True(t, sawExact && sawBound && sawWarned, "the rounds cover both sides of the limit")
}
