package docs_test

import (
	"bufio"
	"bytes"
	"encoding/json"
	"fmt"
	"maps"
	"os"
	"path/filepath"
	"reflect"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/aliyun/alibaba-cloud-sdk-go/sdk/requests"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"gopkg.in/yaml.v3"

	"github.com/fc-ecs-release/fc-ecs-release/internal/ecsemu"
	"github.com/fc-ecs-release/fc-ecs-release/internal/fclocal"
	"github.com/fc-ecs-release/fc-ecs-release/internal/handlertest"
	"github.com/fc-ecs-release/fc-ecs-release/internal/syaml"
	"github.com/fc-ecs-release/fc-ecs-release/shared/config"
	"github.com/fc-ecs-release/fc-ecs-release/shared/handler"
	"github.com/fc-ecs-release/fc-ecs-release/shared/request"
)

// The documents whose examples are checked. Every ```json and ```yaml
// block in them must carry an example marker, so none escapes.
var documents = []string{"../README.md", "policies.md", "deploy.md", "emulator.md"}

const sYAMLPath = "../s.yaml"

// A block is one fenced code block, with the marker before it:
//
//	<!-- example: KIND [ARG] [name=NAME] -->
//
// KIND is request FUNCTION (a request JSON), event FUNCTION (a whole event),
// answer (a function's answer), fleet (an emulator fleet file), triggers
// FUNCTION (s.yaml triggers of that function) or ecs ACTION (an aliyun CLI
// call).
type block struct {
	file       string
	line       int
	lang       string
	kind, arg  string
	name, text string
}

// A worked table follows an example named NAME, after
// <!-- worked: NAME -->: the fleet it runs on and each function's outcome
// for each instance (empty: not in that function's answer).
type worked struct {
	file   string
	line   int
	name   string
	header []string
	rows   [][]string
}

var (
	markerRE = regexp.MustCompile(`^\s*<!-- example: (\S+)(?: ([^\s=]+))?(?: name=(\S+))? -->\s*$`)
	workedRE = regexp.MustCompile(`^\s*<!-- worked: (\S+) -->\s*$`)
	fenceRE  = regexp.MustCompile("^(\\s*)```(\\w*)\\s*$")
)

func parseDoc(t *testing.T, path string) ([]block, []worked) {
	t.Helper()
	data, err := os.ReadFile(path)
	require.NoError(t, err)
	var blocks []block
	var tables []worked
	lines := strings.Split(string(data), "\n")
	for i := 0; i < len(lines); i++ {
		if m := workedRE.FindStringSubmatch(lines[i]); m != nil {
			w := worked{file: path, line: i + 1, name: m[1]}
			j := i + 1
			for ; j < len(lines) && strings.HasPrefix(strings.TrimSpace(lines[j]), "|"); j++ {
				cells := strings.Split(strings.Trim(strings.TrimSpace(lines[j]), "|"), "|")
				for k := range cells {
					cells[k] = strings.TrimSpace(cells[k])
				}
				switch {
				case w.header == nil:
					w.header = cells
				case strings.HasPrefix(cells[0], "---"):
				default:
					w.rows = append(w.rows, cells)
				}
			}
			require.NotEmpty(t, w.rows, "%s:%d: a worked marker needs a table right after it", path, i+1)
			tables = append(tables, w)
			i = j - 1
			continue
		}
		m := fenceRE.FindStringSubmatch(lines[i])
		if m == nil {
			continue
		}
		indent, lang := m[1], m[2]
		start := i
		var body []string
		for i++; i < len(lines) && strings.TrimSpace(lines[i]) != "```"; i++ {
			body = append(body, strings.TrimPrefix(lines[i], indent))
		}
		b := block{file: path, line: start + 1, lang: lang, text: strings.Join(body, "\n")}
		for p := start - 1; p >= 0; p-- {
			if strings.TrimSpace(lines[p]) == "" {
				continue
			}
			if mm := markerRE.FindStringSubmatch(lines[p]); mm != nil {
				b.kind, b.arg, b.name = mm[1], mm[2], mm[3]
			}
			break
		}
		blocks = append(blocks, b)
	}
	return blocks, tables
}

// functionOf maps a function's name (functionName or resource name) to the
// request rules it validates with.
func functionOf(t *testing.T, name string) request.Function {
	t.Helper()
	switch strings.TrimPrefix(name, "ecs-") {
	case "stop":
		return request.Stop
	case "release":
		return request.Release
	case "autorelease":
		return request.AutoRelease
	}
	t.Fatalf("unknown function %q", name)
	return ""
}

func (b block) where() string { return fmt.Sprintf("%s:%d", b.file, b.line) }

// TestEveryExampleIsValid parses and validates every marked block of the
// documents, and refuses an unmarked JSON or YAML block.
func TestEveryExampleIsValid(t *testing.T) {
	p, err := syaml.LoadFile(sYAMLPath, noEnv)
	require.NoError(t, err)
	kinds := map[string]int{}
	for _, doc := range documents {
		blocks, _ := parseDoc(t, doc)
		for _, b := range blocks {
			if b.kind == "" {
				assert.NotContains(t, []string{"json", "yaml"}, b.lang, "%s: a %s block without an example marker: mark it, so a test keeps it true", b.where(), b.lang)
				if b.lang == "sh" {
					checkShellInvokes(t, b)
				}
				continue
			}
			kinds[b.kind]++
			t.Run(fmt.Sprintf("%s:%d", filepath.Base(b.file), b.line), func(t *testing.T) {
				checkBlock(t, p, b)
			})
		}
	}
	t.Logf("examples checked by kind: %s", fclocal.SummaryText(kinds))
	for _, k := range []string{"request", "event", "answer", "fleet", "triggers", "ecs"} {
		assert.NotZero(t, kinds[k], "no %s example found: the parser or the documents changed", k)
	}
}

func checkBlock(t *testing.T, p *syaml.Project, b block) {
	switch b.kind {
	case "request", "event":
		inv, err := request.Decode([]byte(b.text), request.WithFunction(functionOf(t, b.arg)))
		require.NoError(t, err, "%s: the %s example is refused by %s", b.where(), b.kind, b.arg)
		if b.kind == "event" {
			assert.NotEqual(t, request.SourceDirect, inv.Source, "%s: an event example must have an event's shape", b.where())
		} else {
			assert.Equal(t, request.SourceDirect, inv.Source, "%s: a request example is a bare request", b.where())
		}
	case "answer":
		dec := json.NewDecoder(strings.NewReader(b.text))
		dec.DisallowUnknownFields()
		var ans handler.Response
		require.NoError(t, dec.Decode(&ans), "%s: not an answer as the functions write it", b.where())
		for _, o := range ans.Instances {
			assert.Contains(t, knownOutcomes, o.Outcome, "%s: %s", b.where(), o.InstanceID)
		}
		for i, next := range ans.Next {
			raw, err := json.Marshal(next)
			require.NoError(t, err)
			_, err = request.Decode(raw, request.WithFunction(request.Release))
			assert.NoError(t, err, "%s: next[%d] is not a request release takes", b.where(), i)
		}
	case "fleet":
		_, err := ecsemu.ParseFleet(strings.NewReader(b.text))
		require.NoError(t, err, b.where())
	case "triggers":
		checkTriggers(t, b)
	case "ecs":
		checkECSCall(t, p, b)
	default:
		t.Fatalf("%s: unknown example kind %q", b.where(), b.kind)
	}
}

var knownOutcomes = []string{
	handler.OutcomeStopping, handler.OutcomeAlreadyStopped, handler.OutcomeReleased, handler.OutcomeAlreadyReleased,
	handler.OutcomeAutoReleaseSet, handler.OutcomeAutoReleaseCancelled, handler.OutcomeSkipped, handler.OutcomeFailed,
	handler.OutcomeWouldStop, handler.OutcomeWouldRelease, handler.OutcomeWouldSetAutoRelease, handler.OutcomeWouldCancelAutoRelease,
	handler.OutcomeStatus,
}

// checkTriggers adds the example's triggers to s.yaml's function and loads
// the result as the local runner and a deploy would: the timers' cron
// expressions and every key are checked there; each timer's payload is then
// decoded as the timer event FC sends.
func checkTriggers(t *testing.T, b block) {
	var snippet yaml.Node
	require.NoError(t, yaml.Unmarshal([]byte(b.text), &snippet), b.where())
	require.Len(t, snippet.Content, 1, b.where())
	require.Equal(t, yaml.SequenceNode, snippet.Content[0].Kind, "%s: a list of triggers", b.where())
	items := snippet.Content[0].Content
	require.NotEmpty(t, items, b.where())
	data, err := os.ReadFile(sYAMLPath)
	require.NoError(t, err)
	var doc yaml.Node
	require.NoError(t, yaml.Unmarshal(data, &doc))
	path := "resources." + strings.TrimPrefix(b.arg, "ecs-") + ".props.triggers"
	triggers := syaml.Get(doc.Content[0], path)
	require.NotNil(t, triggers, "s.yaml has no %s", path)
	triggers.Content = append(triggers.Content, items...)
	spliced, err := yaml.Marshal(&doc)
	require.NoError(t, err)
	abs, err := filepath.Abs(sYAMLPath)
	require.NoError(t, err)
	p, err := syaml.Load(spliced, abs, noEnv)
	require.NoError(t, err, "%s: s.yaml with these triggers does not load", b.where())
	fn := p.FunctionNamed(b.arg)
	require.NotNil(t, fn, b.arg)
	for _, item := range items {
		var trig struct {
			TriggerName string `yaml:"triggerName"`
		}
		require.NoError(t, item.Decode(&trig))
		tr := fn.Trigger(trig.TriggerName)
		require.NotNil(t, tr, "%s: trigger %s", b.where(), trig.TriggerName)
		if tr.Timer == nil {
			continue
		}
		_, err := request.Decode([]byte(handlertest.TimerEvent(t, tr.Name, tr.Timer.Payload)), request.WithFunction(functionOf(t, b.arg)))
		assert.NoError(t, err, "%s: the payload of timer %s", b.where(), tr.Name)
	}
}

// ecsCall reads an `aliyun ecs ACTION --Name value …` command.
func ecsCall(t *testing.T, b block) map[string]string {
	t.Helper()
	fields := strings.Fields(strings.ReplaceAll(b.text, "\\\n", " "))
	require.GreaterOrEqual(t, len(fields), 3, b.where())
	require.Equal(t, []string{"aliyun", "ecs", b.arg}, fields[:3], "%s: the marker names the action", b.where())
	params := map[string]string{}
	rest := fields[3:]
	for len(rest) > 0 {
		require.True(t, strings.HasPrefix(rest[0], "--") && len(rest) > 1, "%s: want --Name value pairs at %q", b.where(), rest[0])
		params[strings.TrimPrefix(rest[0], "--")] = rest[1]
		rest = rest[2:]
	}
	return params
}

// checkECSCall checks an ECS call's tags against the deployment: the
// managed tag as MANAGED_TAG says, a TTL the sweep can read. RunInstances
// is also sent to the emulator through the SDK, and its tags must reach the
// instance and every disk created with it.
func checkECSCall(t *testing.T, p *syaml.Project, b block) {
	params := ecsCall(t, b)
	cfg := deployedConfig(t, p)
	tags := map[string]string{}
	for i := 1; params[fmt.Sprintf("Tag.%d.Key", i)] != ""; i++ {
		tags[params[fmt.Sprintf("Tag.%d.Key", i)]] = params[fmt.Sprintf("Tag.%d.Value", i)]
	}
	require.NotEmpty(t, tags, "%s: the example tags nothing", b.where())
	if cfg.ManagedTag != nil {
		assert.Equal(t, cfg.ManagedTag.Value, tags[cfg.ManagedTag.Key], "%s: the managed tag as s.yaml's MANAGED_TAG says", b.where())
	}
	if ttl, ok := tags[cfg.TTLTag]; ok {
		_, err := handler.ParseTTL(ttl)
		assert.NoError(t, err, "%s: %s=%s", b.where(), cfg.TTLTag, ttl)
	}
	if b.arg != "RunInstances" {
		return
	}
	w := newWorld(t, p)
	req := requests.NewCommonRequest()
	req.Method = "POST"
	req.Scheme = "http"
	req.Domain = strings.TrimPrefix(w.Env.Endpoint(), "http://")
	req.Version = "2014-05-26"
	req.ApiName = "RunInstances"
	req.QueryParams = params
	resp, err := w.Env.Client.ProcessCommonRequest(req)
	require.NoError(t, err, "%s: RunInstances against the emulator", b.where())
	var out struct {
		InstanceIdSets struct{ InstanceIdSet []string }
	}
	require.NoError(t, json.Unmarshal(resp.GetHttpContentBytes(), &out))
	require.Len(t, out.InstanceIdSets.InstanceIdSet, 1)
	id := out.InstanceIdSets.InstanceIdSet[0]
	in, ok := w.Env.Emu.Instance(id)
	require.True(t, ok)
	assert.Equal(t, tags, tagMap(in.Tags), "%s: the instance's tags", b.where())
	disks := 0
	for _, d := range w.Env.Emu.Disks() {
		if d.InstanceId == id {
			disks++
			assert.Equal(t, tags, tagMap(d.Tags), "%s: disk %s has the instance's tags", b.where(), d.DiskId)
		}
	}
	assert.NotZero(t, disks)
	if b.name != "ttl-on-create" {
		return
	}
	// The worked TTL recipe: the next sweep gives the new instance a
	// release time at creation + TTL (plus its spread).
	ttl, err := handler.ParseTTL(tags[cfg.TTLTag])
	require.NoError(t, err)
	created := w.Env.Emu.Now().Truncate(time.Minute)
	w.Advance(time.Minute)
	sweep := exampleNamed(t, "sweep")
	ans := invoke(t, w, "ecs-autorelease", sweep.text)
	o := handlertest.OutcomeOf(ans, id)
	require.Equal(t, handler.OutcomeAutoReleaseSet, o.Outcome, "%s: %+v", b.where(), o)
	at, err := time.Parse(time.RFC3339, o.AutoReleaseTime)
	require.NoError(t, err)
	t.Logf("%s: %s created %s with TTL %s: auto-release %s", b.where(), id, created.Format(time.RFC3339), ttl, o.AutoReleaseTime)
	assert.False(t, at.Before(created.Add(ttl)), "released no earlier than creation + TTL: %s", at)
	assert.True(t, at.Before(created.Add(ttl+cfg.SweepSpread+time.Minute)), "within the spread: %s", at)
}

func tagMap(ts ecsemu.TagSet) map[string]string {
	m := map[string]string{}
	for _, tg := range ts.Tag {
		m[tg.TagKey] = tg.TagValue
	}
	return m
}

// deployedConfig is the functions' configuration as s.yaml deploys it.
func deployedConfig(t *testing.T, p *syaml.Project) *config.Config {
	t.Helper()
	fn := p.FunctionNamed("ecs-stop")
	require.NotNil(t, fn)
	cfg, err := config.Load(func(k string) string { return fn.Env[k] })
	require.NoError(t, err)
	return cfg
}

// newWorld is the emulator and the three handlers configured as s.yaml
// deploys them, with dry run off (the world's own endpoint, region and
// short waits replace what only matters in the cloud).
func newWorld(t *testing.T, p *syaml.Project) *handlertest.World {
	t.Helper()
	vars := map[string]string{}
	maps.Copy(vars, p.FunctionNamed("ecs-stop").Env)
	for _, k := range []string{"ECS_ENDPOINT", "DEFAULT_REGION", "WAIT_MIN_DELAY", "WAIT_MAX_DELAY", "DEADLINE_MARGIN", "ECS_MAX_QPS"} {
		delete(vars, k)
	}
	vars["DRY_RUN"] = "false"
	return handlertest.NewWorld(t, ecsemu.Options{Region: "cn-hangzhou"}, vars)
}

func invoke(t *testing.T, w *handlertest.World, function, event string) *handler.Response {
	t.Helper()
	var h *handler.Handler
	switch functionOf(t, function) {
	case request.Stop:
		h = handler.NewStop(w.Deps())
	case request.Release:
		h = handler.NewRelease(w.Deps())
	default:
		h = handler.NewAutoRelease(w.Deps())
	}
	r := w.Handle(h, event, handlertest.Call{Timeout: 15 * time.Minute})
	require.NoError(t, r.Err, "%s on %.200s", function, event)
	return handlertest.Response(t, r.Out)
}

// exampleNamed finds the example block named name in the documents.
func exampleNamed(t *testing.T, name string) block {
	t.Helper()
	var found []block
	for _, doc := range documents {
		blocks, _ := parseDoc(t, doc)
		for _, b := range blocks {
			if b.name == name {
				found = append(found, b)
			}
		}
	}
	require.Len(t, found, 1, "example name=%s", name)
	return found[0]
}

// TestWorkedExamples runs each worked example's payload on its fleet table
// through the functions it names (stop's hand-over goes on to release as
// its onSuccess destination would), and compares every outcome with the
// table.
func TestWorkedExamples(t *testing.T) {
	p, err := syaml.LoadFile(sYAMLPath, noEnv)
	require.NoError(t, err)
	n := 0
	for _, doc := range documents {
		_, tables := parseDoc(t, doc)
		for _, tbl := range tables {
			n++
			t.Run(tbl.name, func(t *testing.T) { runWorked(t, p, tbl) })
		}
	}
	assert.GreaterOrEqual(t, n, 4, "worked examples found")
}

func runWorked(t *testing.T, p *syaml.Project, tbl worked) {
	where := fmt.Sprintf("%s:%d", tbl.file, tbl.line)
	ex := exampleNamed(t, tbl.name)
	require.Equal(t, []string{"instance", "name", "created", "status", "tags"}, tbl.header[:5], where)
	functions := tbl.header[5:]
	require.NotEmpty(t, functions, where)
	require.Equal(t, ex.arg, functions[0], "%s: the first function column is the one the example is for", where)

	w := newWorld(t, p)
	now := w.Env.Emu.Now()
	var fleet []ecsemu.Instance
	for _, row := range tbl.rows {
		require.Len(t, row, len(tbl.header), where)
		age, err := time.ParseDuration(row[2])
		require.NoError(t, err, "%s: created %q", where, row[2])
		in := ecsemu.Instance{
			InstanceId: row[0], InstanceName: row[1], Status: row[3],
			InstanceChargeType: ecsemu.PostPaid,
			CreationTime:       now.Add(-age).Format("2006-01-02T15:04Z"),
			StartTime:          now.Add(-age).Format("2006-01-02T15:04Z"),
		}
		for kv := range strings.SplitSeq(row[4], ",") {
			k, v, ok := strings.Cut(kv, "=")
			require.True(t, ok, "%s: tag %q", where, kv)
			in.Tags.Tag = append(in.Tags.Tag, ecsemu.Tag{TagKey: k, TagValue: v})
		}
		fleet = append(fleet, in)
	}
	_, err := w.Env.Emu.AddInstances(fleet)
	require.NoError(t, err, where)

	answers := map[string]*handler.Response{}
	ans := invoke(t, w, functions[0], ex.text)
	answers[functions[0]] = ans
	for _, fn := range functions[1:] {
		require.Equal(t, "ecs-release", fn, "%s: only stop's hand-over to release is chained", where)
		require.NotEmpty(t, ans.Next, "%s: %s handed nothing over", where, functions[0])
		answers[fn] = invoke(t, w, fn, handlertest.DestinationRecord(t, ans, true))
	}
	for _, row := range tbl.rows {
		for i, fn := range functions {
			want := row[5+i]
			got := ""
			for _, o := range answers[fn].Instances {
				if o.InstanceID == row[0] {
					got = o.Outcome
				}
			}
			assert.Equal(t, want, got, "%s: %s in %s's answer (%+v)", where, row[0], fn, handlertest.OutcomeOf(answers[fn], row[0]))
		}
	}
}

// TestRequestFieldTable keeps the cookbook's field table complete: every
// JSON field of a request and of its selector has a row.
func TestRequestFieldTable(t *testing.T) {
	data, err := os.ReadFile("policies.md")
	require.NoError(t, err)
	rows := map[string]bool{}
	sc := bufio.NewScanner(bytes.NewReader(data))
	for sc.Scan() {
		if m := regexp.MustCompile("^\\| `([a-zA-Z.]+)` \\|").FindStringSubmatch(sc.Text()); m != nil {
			rows[m[1]] = true
		}
	}
	var missing []string
	for _, f := range jsonFields(reflect.TypeFor[request.Request](), "") {
		if !rows[f] {
			missing = append(missing, f)
		}
	}
	for _, f := range jsonFields(reflect.TypeFor[request.Selector](), "selector.") {
		if !rows[f] {
			missing = append(missing, f)
		}
	}
	assert.Empty(t, missing, "fields with no row in the cookbook's table")
}

func jsonFields(typ reflect.Type, prefix string) []string {
	var out []string
	for f := range typ.Fields() {
		name, _, _ := strings.Cut(f.Tag.Get("json"), ",")
		if name != "" && name != "-" {
			out = append(out, prefix+name)
		}
	}
	return out
}

// checkShellInvokes validates the requests inside `s RESOURCE invoke -e
// '…'` command lines.
func checkShellInvokes(t *testing.T, b block) {
	re := regexp.MustCompile(`\bs (stop|release|autorelease) invoke -e '([^']*)'`)
	for _, m := range re.FindAllStringSubmatch(b.text, -1) {
		_, err := request.Decode([]byte(m[2]), request.WithFunction(functionOf(t, m[1])))
		assert.NoError(t, err, "%s: s %s invoke -e '%s'", b.where(), m[1], m[2])
	}
}

func noEnv(string) (string, bool) { return "", false }
