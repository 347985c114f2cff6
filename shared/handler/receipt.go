package handler

import (
	"fmt"

	"github.com/fc-ecs-release/fc-ecs-release/shared/ecs"
)

// Receipt is the record written for every released instance: enough to
// recreate it, and the resources that outlive it and keep billing.
type Receipt struct {
	Instance        ecs.Instance `json:"instance"`
	Disks           []ecs.Disk   `json:"disks"`
	SnapshotIDs     []string     `json:"snapshotIds,omitempty"`
	StopRequestID   string       `json:"stopRequestId,omitempty"`
	DeleteRequestID string       `json:"deleteRequestId"`
	OriginRequestID string       `json:"originRequestId,omitempty"`
	Reason          string       `json:"reason,omitempty"`
	// Leftovers keep billing after the release: disks not deleted with the
	// instance, an elastic IP.
	Leftovers []string `json:"leftovers,omitempty"`
}

func (inv *invocation) receipt(pr *prepared, in ecs.Instance, disks []ecs.Disk, snaps []string, stopID, deleteID string) {
	r := Receipt{Instance: in, Disks: disks, SnapshotIDs: snaps, StopRequestID: stopID, DeleteRequestID: deleteID, OriginRequestID: pr.origin, Reason: pr.plan.Request.Reason}
	if r.Disks == nil {
		r.Disks = []ecs.Disk{}
	}
	for _, d := range disks {
		if !d.DeleteWithInstance {
			r.Leftovers = append(r.Leftovers, fmt.Sprintf("disk %s (%s, %d GiB) was not deleted with the instance and keeps billing", d.ID, d.Type, d.SizeGiB))
		}
	}
	if in.EIPAllocationID != "" {
		r.Leftovers = append(r.Leftovers, fmt.Sprintf("elastic IP %s (%s) stays allocated and keeps billing", in.EIPAllocationID, in.EIPAddress))
	}
	inv.log.Info("release receipt", "instanceId", in.ID, "receipt", r)
}
