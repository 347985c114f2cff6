package notify_test

import (
	"context"
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"
	"unicode/utf16"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/fc-ecs-release/fc-ecs-release/shared/answer"
	"github.com/fc-ecs-release/fc-ecs-release/shared/notify"
)

// randomAnswer makes an answer of n instances among owners of every
// kind, names and reasons with markup, CJK and would-be mentions.
// owners maps each listed instance to its owner ("" for none).
func randomAnswer(rng *rand.Rand, n, nOwners int) (r *answer.Response, owners map[string]string) {
	pool := []string{""}
	for i := range nOwners {
		switch i % 5 {
		case 0:
			pool = append(pool, fmt.Sprintf("1380000%04d", i))
		case 1:
			pool = append(pool, fmt.Sprintf("u%04d@example.com", i))
		case 2:
			pool = append(pool, fmt.Sprintf("owner%04d", i))
		case 3:
			pool = append(pool, fmt.Sprintf("U%06d", i))
		default:
			pool = append(pool, fmt.Sprintf("team %04d", i))
		}
	}
	alphabet := []rune("abcxyz0123-_*~`[]#|<>@&.！中文名字 ")
	text := func(max int) string {
		k := rng.IntN(max + 1)
		b := make([]rune, k)
		for i := range b {
			b[i] = alphabet[rng.IntN(len(alphabet))]
		}
		return string(b)
	}
	outs := []string{answer.OutcomeReleased, answer.OutcomeStopping, answer.OutcomeFailed, answer.OutcomeAutoReleaseSet,
		answer.OutcomeAutoReleaseCancelled, answer.OutcomeSkipped, answer.OutcomeAlreadyStopped}
	r = answer.NewResponse("req-rand", "release")
	r.Region, r.Trigger = "cn-shanghai", "timer"
	owners = map[string]string{}
	for i := range n {
		id := fmt.Sprintf("i-r%05d", i)
		owner := pool[rng.IntN(len(pool))]
		o := answer.InstanceOutcome{InstanceID: id, Name: text(128), Owner: owner, Outcome: outs[rng.IntN(len(outs))], Reason: text(300)}
		if o.Outcome == answer.OutcomeFailed {
			o.Code = "IncorrectInstanceStatus"
		}
		r.Add(o)
		listed := o.Outcome != answer.OutcomeSkipped && o.Outcome != answer.OutcomeAlreadyStopped
		if rng.IntN(4) == 0 {
			w := answer.Warning{Code: answer.WarningReleaseSoon, InstanceID: id, Owner: owner, AutoReleaseTime: "2030-01-01T00:00:00Z"}
			if rng.IntN(2) == 0 {
				p := 0.5
				w = answer.Warning{Code: answer.WarningStillBilling, InstanceID: id, Owner: owner, Resources: []string{"d-" + id}, PerHour: &p, Currency: "CNY"}
			}
			r.Warnings = append(r.Warnings, w)
			listed = true
		}
		if listed {
			owners[id] = owner
		}
	}
	return r, owners
}

var (
	idRE         = regexp.MustCompile(`i-r\d{5}`)
	moreRE       = regexp.MustCompile(`… and (\d+) more$`)
	moreOwnersRE = regexp.MustCompile(`… and (\d+) more owners \((\d+) instances\)`)
	partRE       = regexp.MustCompile(`^\(part \d+ of \d+\)$`)
)

// checkSections reads a channel's text back: every section holds one
// owner's instances, every instance appears once or is counted in an
// "and N more".
func checkSections(t *testing.T, channel, text string, owners map[string]string, known []string) (heads []string, counted int) {
	t.Helper()
	seen := map[string]bool{}
	current, inSections := "", false
	for line := range strings.SplitSeq(text, "\n") {
		if partRE.MatchString(strings.TrimSpace(line)) {
			continue
		}
		if strings.Contains(line, "To keep an instance") {
			inSections = false
			continue
		}
		if m := moreOwnersRE.FindStringSubmatch(line); m != nil {
			n, _ := strconv.Atoi(m[2])
			counted += n
			inSections = false
			continue
		}
		if strings.Contains(line, "Owner: ") || strings.Contains(line, "No owner") {
			inSections = true
			norm := strings.NewReplacer("＠", "@", `\`, "").Replace(line)
			current = ""
			if !strings.Contains(line, "No owner") {
				var match []string
				for _, o := range known {
					if o != "" && strings.Contains(norm, o) {
						match = append(match, o)
					}
				}
				require.Len(t, match, 1, "%s: a head names one owner: %q", channel, line)
				current = match[0]
			}
			heads = append(heads, current)
			continue
		}
		if !inSections {
			continue
		}
		if m := moreRE.FindStringSubmatch(strings.TrimSpace(line)); m != nil {
			n, _ := strconv.Atoi(m[1])
			counted += n
			continue
		}
		ids := idRE.FindAllString(line, -1)
		if len(ids) == 0 {
			continue
		}
		id := ids[0]
		assert.False(t, seen[id], "%s: %s listed twice", channel, id)
		seen[id] = true
		owner, ok := owners[id]
		assert.True(t, ok, "%s: %s is not worth listing", channel, id)
		assert.Equal(t, owner, current, "%s: %s in another owner's section", channel, id)
	}
	assert.Equal(t, len(owners), len(seen)+counted, "%s: listed + counted = all", channel)
	slices.Sort(heads)
	assert.Equal(t, len(heads), len(slices.Compact(slices.Clone(heads))), "%s: one section per owner", channel)
	return heads, counted
}

func utf16Len(s string) int { return len(utf16.Encode([]rune(s))) }

// checkLimits asserts a channel's bodies are within its limits.
func checkLimits(t *testing.T, channel string, bodies []json.RawMessage) {
	t.Helper()
	switch channel {
	case notify.DingTalk:
		require.Len(t, bodies, 1)
		var m struct{ Markdown struct{ Text string } }
		require.NoError(t, json.Unmarshal(bodies[0], &m))
		assert.LessOrEqual(t, len(m.Markdown.Text), notify.DingTalkMaxText)
	case notify.Feishu:
		require.Len(t, bodies, 1)
		assert.LessOrEqual(t, len(bodies[0]), notify.FeishuMaxBody)
	case notify.WeCom:
		assert.LessOrEqual(t, len(bodies), notify.WeComMaxMessages)
		for _, b := range bodies {
			var m struct{ Markdown struct{ Content string } }
			require.NoError(t, json.Unmarshal(b, &m))
			assert.LessOrEqual(t, len(m.Markdown.Content), notify.WeComMaxContent)
		}
	case notify.Slack:
		require.Len(t, bodies, 1)
		var m struct {
			Text   string
			Blocks []struct {
				Text     *struct{ Text string }
				Elements []struct{ Text string }
			}
		}
		require.NoError(t, json.Unmarshal(bodies[0], &m))
		assert.LessOrEqual(t, utf16Len(m.Text), notify.SlackMaxText)
		assert.LessOrEqual(t, len(m.Blocks), notify.SlackMaxBlocks)
		for _, b := range m.Blocks {
			if b.Text != nil {
				assert.LessOrEqual(t, utf16Len(b.Text.Text), notify.SlackMaxSection)
			}
			for _, e := range b.Elements {
				assert.LessOrEqual(t, utf16Len(e.Text), notify.SlackMaxSection)
			}
		}
	}
}

func TestRandomAnswersGroupByOwnerWithinLimits(t *testing.T) {
	t.Parallel()
	h := newHarness(t, nil)
	sizes := []struct{ n, owners int }{{0, 0}, {1, 1}, {5, 3}, {40, 6}, {200, 8}, {300, 120}, {2000, 25}, {3000, 400}}
	for seed, size := range sizes {
		rng := rand.New(rand.NewPCG(uint64(seed), 42))
		r, owners := randomAnswer(rng, size.n, size.owners)
		r.Failure = nil
		if len(owners) == 0 {
			r.Add(answer.InstanceOutcome{InstanceID: "i-r99999", Outcome: answer.OutcomeReleased})
			owners["i-r99999"] = ""
		}
		known := slices.Collect(func(yield func(string) bool) {
			for _, o := range owners {
				if !yield(o) {
					return
				}
			}
		})
		slices.Sort(known)
		known = slices.Compact(known)
		h.sink.Reset()
		res := h.n.Send(context.Background(), r, 8*time.Second)
		for _, x := range res {
			require.True(t, x.Delivered, "size %d: %s: %v", size.n, x.Channel, x.Err)
		}
		for channel, msgs := range byChannel(h.sink.Messages()) {
			var texts []string
			var bodies []json.RawMessage
			mentioned := map[string]bool{}
			for _, m := range msgs {
				texts = append(texts, m.Text)
				bodies = append(bodies, m.Body)
				for _, who := range m.Mentions {
					mentioned[who] = true
				}
			}
			checkLimits(t, channel, bodies)
			heads, counted := checkSections(t, channel, strings.Join(texts, "\n"), owners, known)
			if size.n >= 2000 && channel != notify.Webhook {
				assert.Positive(t, counted, "%s: %d instances are cut", channel, size.n)
			}
			if size.n <= 5 {
				assert.Zero(t, counted, "%s: a short list is whole", channel)
			}
			// Mentions name exactly owners whose section is shown, in
			// the forms the channel can mention.
			for who := range mentioned {
				assert.Contains(t, heads, who, "%s mentions %s, who has no section", channel, who)
			}
			if channel == notify.DingTalk {
				for _, o := range heads {
					k := notify.ClassifyOwner(o).Kind
					assert.Equal(t, k == notify.OwnerMobile || k == notify.OwnerUserID, mentioned[o], "dingtalk mentions %q", o)
				}
			}
		}
	}
}

func TestNamesCannotMention(t *testing.T) {
	t.Parallel()
	h := newHarness(t, nil)
	r := answer.NewResponse("req", "release")
	evil := []string{"@all", "<@U1>", "<at id=all></at>", "<!channel>", "<!here|here>", "[click](https://evil.test)", "@13900000000", "<@all>", "<at email=x@y.z></at>", "**bold** _i_ `c` # h"}
	for i, name := range evil {
		r.Add(answer.InstanceOutcome{InstanceID: fmt.Sprintf("i-e%d", i), Name: name, Reason: name, Owner: "U0ABC", Outcome: answer.OutcomeReleased})
	}
	for i, owner := range []string{"all", "@all", "<at id=all></at>", "<@U2>", "here", "<!channel>"} {
		r.Add(answer.InstanceOutcome{InstanceID: fmt.Sprintf("i-o%d", i), Owner: owner, Outcome: answer.OutcomeStopping})
	}
	res := h.n.Send(context.Background(), r, 5*time.Second)
	for _, x := range res {
		require.True(t, x.Delivered, "%s: %v", x.Channel, x.Err)
	}
	want := map[string][]string{
		notify.DingTalk: {"U0ABC"}, notify.Feishu: {"U0ABC"}, notify.WeCom: {"U0ABC"}, notify.Slack: {"U0ABC"}, notify.Webhook: nil,
	}
	for _, m := range h.sink.Messages() {
		assert.ElementsMatch(t, want[m.Channel], m.Mentions, m.Channel)
		if m.Channel == notify.Webhook {
			continue
		}
		bad := []string{"@all", "<@U1>", "<@U2>", "<at id=all", "<!channel>", "<!here", "@13900000000", "<@all>", "<at email=x"}
		if m.Channel != notify.Slack {
			// Markdown links; Slack's are <url|text>, caught above.
			bad = append(bad, "](")
		}
		for _, bad := range bad {
			assert.NotContains(t, m.Text, bad, "%s: %s", m.Channel, bad)
		}
	}
	var ding struct {
		At struct {
			AtMobiles []string `json:"atMobiles"`
			AtUserIDs []string `json:"atUserIds"`
			IsAtAll   bool     `json:"isAtAll"`
		} `json:"at"`
	}
	require.NoError(t, json.Unmarshal(byChannel(h.sink.Messages())[notify.DingTalk][0].Body, &ding))
	assert.Empty(t, ding.At.AtMobiles)
	assert.Equal(t, []string{"U0ABC"}, ding.At.AtUserIDs)
	assert.False(t, ding.At.IsAtAll)
}

func TestLanguages(t *testing.T) {
	t.Parallel()
	for _, l := range []string{"en", "zh"} {
		h := newHarness(t, map[string]string{"NOTIFY_LANG": l})
		for _, x := range h.n.Send(context.Background(), sample(), 5*time.Second) {
			require.True(t, x.Delivered, "%s: %v", x.Channel, x.Err)
		}
		for _, m := range h.sink.Messages() {
			if l == "zh" {
				for _, s := range []string{"负责人", "已释放", "失败", "预计节省", "如需保留实例", "无负责人"} {
					assert.Contains(t, m.Text, s, m.Channel)
				}
				for _, s := range []string{"Owner", "No owner", "Estimated savings", "To keep"} {
					assert.NotContains(t, m.Text, s, m.Channel)
				}
			} else {
				for _, s := range []string{"Owner", "released", "failed", "Estimated savings", "To keep an instance", "No owner"} {
					assert.Contains(t, m.Text, s, m.Channel)
				}
				assert.NotContains(t, m.Text, "负责人", m.Channel)
			}
			assert.Contains(t, m.Text, "instance is busy", "reasons stay as they are")
		}
	}
}

func TestDryRunAndFailureReport(t *testing.T) {
	t.Parallel()
	h := newHarness(t, map[string]string{"NOTIFY_ON": "previews,failures"})
	dry := answer.NewResponse("req-dry", "stop")
	dry.DryRun, dry.DryRunSource = true, "deployment"
	dry.Add(answer.InstanceOutcome{InstanceID: "i-1", Owner: "owner1", Outcome: answer.OutcomeWouldStop})
	for _, x := range h.n.Send(context.Background(), dry, 5*time.Second) {
		require.True(t, x.Delivered, "%s: %v", x.Channel, x.Err)
	}
	for _, m := range h.sink.Messages() {
		assert.Contains(t, m.Text, "dry run", m.Channel)
		assert.Contains(t, m.Text, "would-stop", m.Channel)
	}
	h.sink.Reset()
	f := answer.NewResponse("req-f", "release")
	ids := make([]string, 30)
	for i := range ids {
		ids[i] = fmt.Sprintf("i-f%02d", i)
	}
	f.Failure = &answer.FailureReport{Function: "stop", Condition: "UnhandledInvocationError", Attempts: 3, Error: "boom", InstanceIDs: ids, Advice: "run it again"}
	for _, x := range h.n.Send(context.Background(), f, 5*time.Second) {
		require.True(t, x.Delivered, "%s: %v", x.Channel, x.Err)
	}
	for _, m := range h.sink.Messages() {
		for _, s := range []string{"Invocation failed", "UnhandledInvocationError", "boom", "run it again", "i-f19", "… and 10 more"} {
			assert.Contains(t, m.Text, s, m.Channel)
		}
		assert.NotContains(t, m.Text, "i-f20", m.Channel)
	}
}

func TestRenderIsDeterministic(t *testing.T) {
	t.Parallel()
	cfg, err := notify.Load(env(map[string]string{"NOTIFY_SLACK_URL": "https://hooks.slack.test/services/T/B/X", "NOTIFY_WECOM_URL": "https://wecom.test/send?key=k"}))
	require.NoError(t, err)
	now := time.Unix(1700000000, 0)
	a := notify.Render(cfg, sample(), now)
	b := notify.Render(cfg, sample(), now)
	assert.Equal(t, a, b)
	require.Len(t, a, 2)
	assert.Equal(t, notify.WeCom, a[0].Channel)
}
