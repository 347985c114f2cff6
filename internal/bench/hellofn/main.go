// Command hellofn is the smallest fc.Start function: the benchmark's
// reference for cold start.
package main

import (
	"context"
	"encoding/json"

	"github.com/aliyun/fc-runtime-go-sdk/fc"
)

func main() {
	fc.Start(func(ctx context.Context, event json.RawMessage) (any, error) {
		return map[string]string{"hello": "world"}, nil
	})
}
