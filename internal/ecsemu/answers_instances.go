package ecsemu

import "fmt"

// The typed answers of the instance actions. Each field is a documented
// response field of the action (the JSON names and types of the official
// SDK's response models); fleet-file extensions never appear in them.

// describeInstancesAnswer is DescribeInstances' answer.
type describeInstancesAnswer struct {
	Response
	Page
	Instances describedInstanceSet `json:"Instances"`
}

type describedInstanceSet struct {
	Instance []describedInstance `json:"Instance"`
}

// describedInstance is one instance of a DescribeInstances answer: the
// fields a fleet file can set (Instance) plus the ones the emulator
// derives or fixes.
type describedInstance struct {
	Instance
	IoOptimized          bool   `json:"IoOptimized"`
	DeviceAvailable      bool   `json:"DeviceAvailable"`
	Recyclable           bool   `json:"Recyclable"`
	SerialNumber         string `json:"SerialNumber"`
	CreditSpecification  string `json:"CreditSpecification"`
	DeploymentSetId      string `json:"DeploymentSetId"`
	HpcClusterId         string `json:"HpcClusterId"`
	LocalStorageAmount   int    `json:"LocalStorageAmount"`
	LocalStorageCapacity int64  `json:"LocalStorageCapacity"`
	CpuOptions           struct {
		CoreCount      int `json:"CoreCount"`
		ThreadsPerCore int `json:"ThreadsPerCore"`
	} `json:"CpuOptions"`
	NetworkInterfaces struct {
		NetworkInterface []networkInterface `json:"NetworkInterface"`
	} `json:"NetworkInterfaces"`
	RdmaIpAddress          IPSet `json:"RdmaIpAddress"`
	DedicatedHostAttribute struct {
		DedicatedHostClusterId string `json:"DedicatedHostClusterId"`
		DedicatedHostId        string `json:"DedicatedHostId"`
		DedicatedHostName      string `json:"DedicatedHostName"`
	} `json:"DedicatedHostAttribute"`
	DedicatedInstanceAttribute struct {
		Affinity string `json:"Affinity"`
		Tenancy  string `json:"Tenancy"`
	} `json:"DedicatedInstanceAttribute"`
	EcsCapacityReservationAttr struct {
		CapacityReservationId         string `json:"CapacityReservationId"`
		CapacityReservationPreference string `json:"CapacityReservationPreference"`
	} `json:"EcsCapacityReservationAttr"`
	HibernationOptions struct {
		Configured bool `json:"Configured"`
	} `json:"HibernationOptions"`
}

// networkInterface is an elastic network interface of an instance.
type networkInterface struct {
	NetworkInterfaceId string `json:"NetworkInterfaceId"`
	Type               string `json:"Type"`
	MacAddress         string `json:"MacAddress"`
	PrimaryIpAddress   string `json:"PrimaryIpAddress"`
	PrivateIpSets      struct {
		PrivateIpSet []privateIPSet `json:"PrivateIpSet"`
	} `json:"PrivateIpSets"`
}

type privateIPSet struct {
	PrivateIpAddress string `json:"PrivateIpAddress"`
	Primary          bool   `json:"Primary"`
}

// described builds the DescribeInstances view of an instance. Plausible
// fixed values (UNCONFIRMED where ECS's value depends on what the emulator
// does not model): I/O optimized, device available, not recyclable, no
// deployment set, HPC cluster, local storage, dedicated host or capacity
// reservation; two threads per core; one primary network interface per
// VPC instance, none on the classic network.
func (in *instance) described() describedInstance {
	d := describedInstance{Instance: in.view()}
	// Fleet-file extensions, not API fields.
	d.Disks, d.EconomicalMode, d.NoStockOnStart, d.AutoScaling = nil, "", false, nil
	d.Metrics, d.StoppedTime = nil, ""
	d.IoOptimized = true
	d.DeviceAvailable = true
	d.SerialNumber = serialNumber(in.id)
	if f := in.family; f == "ecs.t5" || f == "ecs.t6" {
		d.CreditSpecification = "Standard" // burstable families
	}
	d.CpuOptions.ThreadsPerCore = 2
	if in.cpu < 2 {
		d.CpuOptions.ThreadsPerCore = 1
	}
	d.CpuOptions.CoreCount = max(1, in.cpu/d.CpuOptions.ThreadsPerCore)
	d.NetworkInterfaces.NetworkInterface = []networkInterface{}
	if in.networkType == NetworkVPC {
		ni := networkInterface{
			NetworkInterfaceId: "eni-" + in.id[2:],
			Type:               "Primary",
			MacAddress:         fmt.Sprintf("00:16:3e:%02x:%02x:%02x", (in.seq>>16)&0xff, (in.seq>>8)&0xff, in.seq&0xff),
			PrimaryIpAddress:   in.privateIP(),
		}
		ni.PrivateIpSets.PrivateIpSet = []privateIPSet{}
		for i, ip := range in.vpc.PrivateIpAddress.IpAddress {
			ni.PrivateIpSets.PrivateIpSet = append(ni.PrivateIpSets.PrivateIpSet, privateIPSet{PrivateIpAddress: ip, Primary: i == 0})
		}
		d.NetworkInterfaces.NetworkInterface = append(d.NetworkInterfaces.NetworkInterface, ni)
	}
	d.RdmaIpAddress.IpAddress = []string{}
	return d
}

// describeInstanceStatusAnswer is DescribeInstanceStatus' answer; it pages
// by number only and has no NextToken.
type describeInstanceStatusAnswer struct {
	Response
	TotalCount       int `json:"TotalCount"`
	PageNumber       int `json:"PageNumber"`
	PageSize         int `json:"PageSize"`
	InstanceStatuses struct {
		InstanceStatus []instanceStatus `json:"InstanceStatus"`
	} `json:"InstanceStatuses"`
}

type instanceStatus struct {
	InstanceId string `json:"InstanceId"`
	Status     string `json:"Status"`
}

// instanceAttributeAnswer is DescribeInstanceAttribute's answer. It has no
// tags, auto-release time, deletion protection or start time (read those
// with DescribeInstances), IoOptimized is a string there, and its lock
// entries carry no LockMsg.
type instanceAttributeAnswer struct {
	Response
	InstanceId              string           `json:"InstanceId"`
	InstanceName            string           `json:"InstanceName"`
	Description             string           `json:"Description"`
	HostName                string           `json:"HostName"`
	RegionId                string           `json:"RegionId"`
	ZoneId                  string           `json:"ZoneId"`
	InstanceType            string           `json:"InstanceType"`
	ImageId                 string           `json:"ImageId"`
	Status                  string           `json:"Status"`
	StoppedMode             string           `json:"StoppedMode"`
	InstanceChargeType      string           `json:"InstanceChargeType"`
	InternetChargeType      string           `json:"InternetChargeType"`
	InternetMaxBandwidthIn  int              `json:"InternetMaxBandwidthIn"`
	InternetMaxBandwidthOut int              `json:"InternetMaxBandwidthOut"`
	InstanceNetworkType     string           `json:"InstanceNetworkType"`
	CreationTime            string           `json:"CreationTime"`
	ExpiredTime             string           `json:"ExpiredTime"`
	Cpu                     int              `json:"Cpu"`
	Memory                  int              `json:"Memory"`
	IoOptimized             string           `json:"IoOptimized"`
	SerialNumber            string           `json:"SerialNumber"`
	CreditSpecification     string           `json:"CreditSpecification"`
	EnableJumboFrame        bool             `json:"EnableJumboFrame"`
	OperationLocks          attributeLockSet `json:"OperationLocks"`
	VpcAttributes           VpcAttributes    `json:"VpcAttributes"`
	SecurityGroupIds        SecurityGroupSet `json:"SecurityGroupIds"`
	InnerIpAddress          IPSet            `json:"InnerIpAddress"`
	PublicIpAddress         IPSet            `json:"PublicIpAddress"`
	EipAddress              EipAddress       `json:"EipAddress"`
	DedicatedHostAttribute  struct {
		DedicatedHostId   string `json:"DedicatedHostId"`
		DedicatedHostName string `json:"DedicatedHostName"`
	} `json:"DedicatedHostAttribute"`
}

type attributeLockSet struct {
	LockReason []attributeLock `json:"LockReason"`
}

type attributeLock struct {
	LockReason string `json:"LockReason"`
}

func (in *instance) attribute() *instanceAttributeAnswer {
	d := in.described()
	out := &instanceAttributeAnswer{
		InstanceId: d.InstanceId, InstanceName: d.InstanceName, Description: d.Description, HostName: d.HostName,
		RegionId: d.RegionId, ZoneId: d.ZoneId, InstanceType: d.InstanceType, ImageId: d.ImageId,
		Status: d.Status, StoppedMode: d.StoppedMode, InstanceChargeType: d.InstanceChargeType,
		InternetChargeType: d.InternetChargeType, InternetMaxBandwidthIn: d.InternetMaxBandwidthIn,
		InternetMaxBandwidthOut: d.InternetMaxBandwidthOut, InstanceNetworkType: d.InstanceNetworkType,
		CreationTime: d.CreationTime, ExpiredTime: d.ExpiredTime, Cpu: d.Cpu, Memory: d.Memory,
		IoOptimized: "optimized", SerialNumber: d.SerialNumber, CreditSpecification: d.CreditSpecification,
		VpcAttributes: d.VpcAttributes, SecurityGroupIds: d.SecurityGroupIds, InnerIpAddress: d.InnerIpAddress,
		PublicIpAddress: d.PublicIpAddress, EipAddress: d.EipAddress,
	}
	out.OperationLocks.LockReason = make([]attributeLock, len(in.locks))
	for i, l := range in.locks {
		out.OperationLocks.LockReason[i] = attributeLock{LockReason: l.LockReason}
	}
	return out
}

// batchAnswer is the answer of StopInstances and StartInstances: one result
// per instance.
type batchAnswer struct {
	Response
	InstanceResponses struct {
		InstanceResponse []instanceResponse `json:"InstanceResponse"`
	} `json:"InstanceResponses"`
}

// instanceResponse is one instance's result in a batch answer; Code is the
// string "200" on success.
type instanceResponse struct {
	InstanceId     string `json:"InstanceId"`
	Code           string `json:"Code"`
	Message        string `json:"Message"`
	PreviousStatus string `json:"PreviousStatus"`
	CurrentStatus  string `json:"CurrentStatus"`
}

// runInstancesAnswer is RunInstances' answer.
type runInstancesAnswer struct {
	Response
	InstanceIdSets struct {
		InstanceIdSet []string `json:"InstanceIdSet"`
	} `json:"InstanceIdSets"`
	OrderId    string  `json:"OrderId"`
	TradePrice float64 `json:"TradePrice"`
}
