package handler

import (
	"fmt"
	"github.com/fc-ecs-release/fc-ecs-release/shared/answer"
	"log/slog"

	"github.com/fc-ecs-release/fc-ecs-release/shared/ecs"
	"github.com/fc-ecs-release/fc-ecs-release/shared/request"
)

// Receipt and ReceiptSnapshot are the wire contract's (package answer).
type (
	Receipt         = answer.Receipt
	ReceiptSnapshot = answer.ReceiptSnapshot
)

// StatusWouldSnapshot is a receipt snapshot's status in a dry run.
const StatusWouldSnapshot = answer.StatusWouldSnapshot

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

// receipt logs, to log, the receipt of an instance release released.
func receipt(log *slog.Logger, pr *prepared, in ecs.Instance, disks []ecs.Disk, snaps []string, stopID, deleteID string) {
	r := newReceipt(in, disks, "")
	r.SnapshotIDs, r.StopRequestID, r.DeleteRequestID, r.OriginRequestID, r.Reason = snaps, stopID, deleteID, pr.origin, pr.plan.Request.Reason
	log.Info("release receipt", "instanceId", in.ID, "receipt", r)
}
