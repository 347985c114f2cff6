// Package sdkdebug switches off the Alibaba Cloud SDK's debug output before
// the SDK reads its switch. With DEBUG=sdk in the environment the SDK
// prints every request line (the signed query, with the STS token in it),
// every answer and every string to sign to stdout — the function's log.
// The SDK reads DEBUG once, in package initializers, so this package
// removes "sdk" from DEBUG in its own initializer, which runs first: it
// imports only os, and Go initializes packages in import-path order among
// those whose imports are ready, so it runs as soon as os is ready, before
// any SDK package that needs net/http, reflect or strings (all sorted after
// this package's path). The e2e test with DEBUG=sdk proves it on the built
// binaries. Removed is what was taken out, for the handler to log once.
package sdkdebug

import "os"

// Removed is the DEBUG entry this package removed ("" if none).
var Removed string

// flag is the SDK's debug switch (sdk/utils.Init("sdk")).
const flag = "sdk"

func init() {
	v, ok := os.LookupEnv("DEBUG")
	if !ok {
		return
	}
	var kept []byte
	start := 0
	for i := 0; i <= len(v); i++ {
		if i < len(v) && v[i] != ',' {
			continue
		}
		part := v[start:i]
		start = i + 1
		if part == flag {
			Removed = flag
			continue
		}
		if len(kept) > 0 {
			kept = append(kept, ',')
		}
		kept = append(kept, part...)
	}
	if Removed == "" {
		return
	}
	if len(kept) == 0 {
		_ = os.Unsetenv("DEBUG")
		return
	}
	_ = os.Setenv("DEBUG", string(kept))
}
