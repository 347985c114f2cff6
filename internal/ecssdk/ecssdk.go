// Package ecssdk builds SDK ECS clients safely. The SDK's constructor
// fills the package-global endpoint map lazily without synchronisation, so
// two clients built at once race; every SDK client in this module is built
// here, under one lock.
package ecssdk

import (
	"sync"

	"github.com/aliyun/alibaba-cloud-sdk-go/sdk"
	"github.com/aliyun/alibaba-cloud-sdk-go/sdk/auth/credentials"
	sdkecs "github.com/aliyun/alibaba-cloud-sdk-go/services/ecs"
)

var mu sync.Mutex

// NewClient is sdkecs.NewClientWithOptions under the construction lock.
func NewClient(region string, config *sdk.Config, cred credentials.CredentialsProvider) (*sdkecs.Client, error) {
	mu.Lock()
	defer mu.Unlock()
	return sdkecs.NewClientWithOptions(region, config, cred)
}
