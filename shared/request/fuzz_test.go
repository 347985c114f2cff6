package request

import (
	"encoding/json"
	"os"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// FuzzDecode checks Decode's contract on arbitrary input:
//   - it never panics, and Detect/Respond/RespondError never panic either;
//   - an error is an *Error and comes with a nil Invocation;
//   - success means at least one request, each of which passes Validate
//     again and survives a JSON round trip as a bare request unchanged;
//   - Detect agrees with Decode on the source.
//
// Seeds: every fixture in testdata/ and testdata/malformed/.
func FuzzDecode(f *testing.F) {
	for _, dir := range []string{"testdata", filepath.Join("testdata", "malformed")} {
		files, err := filepath.Glob(filepath.Join(dir, "*.json"))
		if err != nil {
			f.Fatal(err)
		}
		for _, file := range files {
			b, err := os.ReadFile(file)
			if err != nil {
				f.Fatal(err)
			}
			f.Add(b)
		}
	}
	for _, s := range []string{"", "null", "0", "[]", "[1]", `[""]`, `{"":""}`, "\xff", `{"instanceIds":["\xff"]}`} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, payload []byte) {
		src := Detect(payload)
		inv, err := Decode(payload)
		if err != nil {
			require.Nil(t, inv, "an error must come with a nil Invocation")
			_, ok := AsError(err)
			require.True(t, ok, "Decode errors are *Error, got %T: %v", err, err)
			_, _ = src.RespondError(err)
			return
		}
		require.NotNil(t, inv)
		if inv.Failure != nil {
			// An onFailure record: reported, never acted on.
			require.Empty(t, inv.Requests, "a failure record carries no request")
			require.Equal(t, SourceDestination, inv.Source)
			return
		}
		require.NotEmpty(t, inv.Requests, "success means at least one request")
		assert.Equal(t, inv.Source, src, "Detect must agree with Decode")
		if inv.Query != nil {
			require.True(t, inv.Source.IsHTTP())
			require.NotEmpty(t, inv.Query.InstanceIDs)
		}
		for i, r := range inv.Requests {
			require.NoError(t, r.Validate(), "request %d fails its own validation", i)
			b, err := json.Marshal(r)
			require.NoError(t, err)
			// decode, not Decode: JSON escaping may grow a payload that sat at
			// MaxPayloadBytes; the size limit guards input, not the model.
			again, err := decode(b)
			require.NoError(t, err, "request %d does not decode again from %s", i, b)
			require.Equal(t, SourceDirect, again.Source)
			require.Equal(t, r, again.Requests[0], "request %d changed in a round trip", i)
			for _, fn := range []Function{Stop, Release, AutoRelease} {
				_ = r.ValidateFor(fn)
			}
		}
		_, _ = inv.Respond(200, inv.Requests)
		_, _ = inv.RespondError(inv.ValidateFor(Stop))
	})
}
