package handler

import (
	"fmt"

	"github.com/fc-ecs-release/fc-ecs-release/shared/ecs"
	"github.com/fc-ecs-release/fc-ecs-release/shared/request"
)

// Receipt is the record of an instance's end: written (logged) for every
// instance release releases, enough to recreate it and the resources that
// outlive it and keep billing; and, in the answer, for a spot instance ECS
// is about to reclaim (the interruption's receipt: what the reclaim takes,
// what survives it, the snapshots started before it).
type Receipt struct {
	Instance    ecs.Instance `json:"instance"`
	Disks       []ecs.Disk   `json:"disks"`
	SnapshotIDs []string     `json:"snapshotIds,omitempty"`
	// StopRequestID and DeleteRequestID are the ECS requests that stopped
	// and released it (releases only).
	StopRequestID   string `json:"stopRequestId,omitempty"`
	DeleteRequestID string `json:"deleteRequestId,omitempty"`
	OriginRequestID string `json:"originRequestId,omitempty"`
	Reason          string `json:"reason,omitempty"`
	// SpotInterruption is the action ECS takes on the spot instance it
	// reclaims: "delete" or "stop" (interruption receipts only).
	SpotInterruption string `json:"spotInterruption,omitempty"`
	// Lost is what goes with the instance: the disks deleted with it, its
	// public IP (interruption receipts).
	Lost []string `json:"lost,omitempty"`
	// Leftovers keep billing after the instance is gone: disks not deleted
	// with the instance, an elastic IP.
	Leftovers []string `json:"leftovers,omitempty"`
	// Snapshots are the snapshots of the disks the reclaim deletes, one
	// per disk, taken before it (interruption receipts, when asked).
	Snapshots []ReceiptSnapshot `json:"snapshots,omitempty"`
}

// ReceiptSnapshot is a disk's snapshot in an interruption receipt.
type ReceiptSnapshot struct {
	DiskID     string `json:"diskId"`
	SnapshotID string `json:"snapshotId,omitempty"`
	// Status is ECS's (progressing, accomplished, failed) as read when the
	// answer was written, or would-snapshot in a dry run.
	Status string `json:"status"`
}

// StatusWouldSnapshot is a receipt snapshot's status in a dry run.
const StatusWouldSnapshot = "would-snapshot"

// newReceipt is the receipt of an instance and its disks: what survives it
// (leftovers). A spot interruption's receipt (action set) also lists what
// the reclaim takes; "stop" takes nothing.
func newReceipt(in ecs.Instance, disks []ecs.Disk, action string) Receipt {
	r := Receipt{Instance: in, Disks: disks, SpotInterruption: action}
	if r.Disks == nil {
		r.Disks = []ecs.Disk{}
	}
	if action == request.SpotActionStop {
		return r
	}
	spot := action != ""
	for _, d := range disks {
		switch {
		case !d.DeleteWithInstance && spot:
			r.Leftovers = append(r.Leftovers, fmt.Sprintf("disk %s (%s, %s, %d GiB) is not deleted with the instance: it survives and keeps billing", d.ID, d.Type, d.Category, d.SizeGiB))
		case !d.DeleteWithInstance:
			r.Leftovers = append(r.Leftovers, fmt.Sprintf("disk %s (%s, %d GiB) was not deleted with the instance and keeps billing", d.ID, d.Type, d.SizeGiB))
		case spot:
			r.Lost = append(r.Lost, fmt.Sprintf("disk %s (%s, %s, %d GiB) is deleted with the instance", d.ID, d.Type, d.Category, d.SizeGiB))
		}
	}
	if spot {
		for _, ip := range in.PublicIPs {
			r.Lost = append(r.Lost, fmt.Sprintf("public IP %s (not an elastic IP) is released with the instance", ip))
		}
	}
	if in.EIPAllocationID != "" {
		verb := "stays allocated and keeps billing"
		if spot {
			verb = "survives: it stays allocated and keeps billing"
		}
		r.Leftovers = append(r.Leftovers, fmt.Sprintf("elastic IP %s (%s) %s", in.EIPAllocationID, in.EIPAddress, verb))
	}
	return r
}

// receipt logs the receipt of an instance release released.
func (inv *invocation) receipt(pr *prepared, in ecs.Instance, disks []ecs.Disk, snaps []string, stopID, deleteID string) {
	r := newReceipt(in, disks, "")
	r.SnapshotIDs, r.StopRequestID, r.DeleteRequestID, r.OriginRequestID, r.Reason = snaps, stopID, deleteID, pr.origin, pr.plan.Request.Reason
	inv.log.Info("release receipt", "instanceId", in.ID, "receipt", r)
}
