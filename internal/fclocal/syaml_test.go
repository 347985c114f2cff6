package fclocal

import (
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/fc-ecs-release/fc-ecs-release/internal/syaml"
)

// s.yaml is read by internal/syaml (its tests cover resolution and every
// error); fclocal's names are aliases of its.
func TestLoadIsSyaml(t *testing.T) {
	t.Parallel()
	p, err := LoadFile(repoSYAML, noEnv)
	require.NoError(t, err)
	root, _ := filepath.Abs(filepath.Join("..", ".."))
	assert.Equal(t, root, p.Dir)
	assert.Equal(t, []string{"ecs-stop", "ecs-release", "ecs-autorelease"}, p.FunctionNames())
	nightly := p.FunctionNamed("stop").Trigger("nightly-cleanup")
	require.NotNil(t, nightly)
	require.NotNil(t, nightly.Timer)
	s, err := ParseCron(nightly.Timer.CronExpression)
	require.NoError(t, err)
	assert.Equal(t, s, nightly.Timer.Schedule, "one cron parser")

	_, err = Load([]byte("resources: [\n"), "/x/s.yaml", noEnv)
	var e *Error
	require.ErrorAs(t, err, &e)
	assert.Equal(t, "s.yaml", e.File)

	assert.Equal(t, syaml.MaxPayloadBytes, MaxAsyncPayloadBytes, "timer payloads are async payloads")
}
