package ecsemu

// Typed answers of the disk, snapshot and tag actions, in the shape of ECS's
// (field names and JSON types as in the current official SDK's response
// models).

// DiskSet is ECS's wrapper {"Disk":[...]}.
type DiskSet struct {
	Disk []Disk `json:"Disk"`
}

// SnapshotSet is ECS's wrapper {"Snapshot":[...]}.
type SnapshotSet struct {
	Snapshot []Snapshot `json:"Snapshot"`
}

// TagResource is one (resource, tag) row of ListTagResources.
type TagResource struct {
	ResourceId   string `json:"ResourceId"`
	ResourceType string `json:"ResourceType"`
	TagKey       string `json:"TagKey"`
	TagValue     string `json:"TagValue"`
}

// TagResourceSet is ECS's wrapper {"TagResource":[...]}.
type TagResourceSet struct {
	TagResource []TagResource `json:"TagResource"`
}

type describeDisksAnswer struct {
	Response
	Page
	Disks DiskSet `json:"Disks"`
}

type createSnapshotAnswer struct {
	Response
	SnapshotId string `json:"SnapshotId"`
}

type describeSnapshotsAnswer struct {
	Response
	Page
	Snapshots SnapshotSet `json:"Snapshots"`
}

// tagResourcesAnswer and untagResourcesAnswer carry the RequestId only.
type tagResourcesAnswer struct{ Response }

type untagResourcesAnswer struct{ Response }

type listTagResourcesAnswer struct {
	Response
	NextToken    string         `json:"NextToken"`
	TagResources TagResourceSet `json:"TagResources"`
}
