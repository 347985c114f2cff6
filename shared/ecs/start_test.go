package ecs_test

import sdkecs "github.com/aliyun/alibaba-cloud-sdk-go/services/ecs"

func newStartRequest(id string) *sdkecs.StartInstanceRequest {
	req := sdkecs.CreateStartInstanceRequest()
	req.InstanceId = id
	return req
}
