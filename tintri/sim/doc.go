// Package sim is an in-process simulator of one Tintri Global Center (TGC) and N VMstores
// speaking the v310 REST API over real HTTPS on loopback.
//
// Each server listens on its own 127.0.0.1:0 port with a certificate signed by a CA
// generated at start (written as ca.pem, see Sim.CAFile). All servers share one state:
// the TGC lists every VM, each VMstore lists its own, and a change made through one server
// (an affinity rule, a QoS setting, a DNS server, a snapshot) is visible through the others.
// The TGC names a VM's VMstore (vmstoreName) and lists the VMstores (hostname) by the
// "127.0.0.1:PORT" a client logs in to; the aliases vmstore-0, vmstore-1 … are the VMstores'
// localAlias.
//
// The inventory is deterministic for a given Options.Seed: VM names such as vdi-0001,
// sql-prod-01, web-001, exch-01 and dev-001, service groups "VDI", "SQL Production",
// "Web Tier" and "Empty Group", appliances with admin/data/replication IPs taken only
// from the documentation ranges 192.0.2.0/24, 198.51.100.0/24 and 203.0.113.0/24, and VM
// statistics: each VM's stat is one 10-minute slice of steady figures (space, IOPS,
// throughput, latency that add up) drawn from the seed and the VM's uuid;
// /vm/{id}/statsHistoric varies them per 10-minute slice (the default window, the last
// 30 minutes, is one page of three slices) and /vm/{id}/statsRealtime per 10 seconds.
// There are no snapshots until a client takes one or a test seeds one (Sim.AddSnapshot).
//
// Answers follow the vendor reference (../shared/tintri-api): every JSON body carries its
// typeId, collections are Pages whose next query string is absent on the last page (and keeps
// sub-delimiters such as "," unescaped, so that next re-sent verbatim keeps its filters),
// writes answer 204 with no body and errors are TintriError bodies. Where the reference
// declares a list in a request body, one value is accepted too (objectIdsAdded as one uuid).
// PUT configIps replaces the data IPs with the ones sent, and the admin and replication IPs
// only when the list has some of that type: the vendor's set_data_ip.py sends only the data
// IPs, and its VMstore stays reachable. A VM report without since and until gives the
// figures of each VM's stat (TotalIops is operationsTotalIops, SpaceUsed spaceUsedGiB, …).
// Where the reference does not say which error a situation gets, the simulator uses:
//
//   - 401 ERR-API-0124 "Invalid credentials" for a failed login, and 401 ERR-API-0104
//     "Invalid session" (the reference gives the code no message) for a request without a
//     valid session (missing, unknown, logged out or idle longer than Options.SessionTTL);
//   - 400 ERR-API-0005 "Request not supported." for an endpoint the reference marks
//     TgcOnly called on a VMstore, or VMstoreOnly called on the TGC, and for the TgcOnly
//     VM filters serviceGroupIds and affinityRuleTypes sent to a VMstore;
//   - 404 ERR-API-8001 "Resource not found" for an unknown route or object, and for an
//     endpoint newer than the server's preferredVersion (e.g. VM affinity before v310.51);
//   - 400 ERR-API-0203 "Invalid request" for a malformed body or an unknown property and
//     400 ERR-API-0020 "Invalid input data" for invalid values;
//   - 400 ERR-API-4003 "Invalid query parameter" for a query value the simulator does not
//     support, rather than ignoring it: sortedBy other than the VM's name, vmstoreName or a
//     stat field (createTime for snapshots), sortOrder other than ASC or DESC, live other
//     than TRUE, FALSE or BOTH, a snapshot queryType other than TOP_DOCS_BY_TIME or
//     OFFSET_BY_SEQUENCE, a bad since/until; and for a snapshot query without vmUuid on the
//     TGC or a snapshot deletion without a vmUuid of the VMstore;
//   - 400 ERR-API-3105 "Invalid create snapshot request." for a SnapshotSpec naming a VM
//     the VMstore lacks, a bad consistency or retentionMinutes, or a 129th snapshot of a VM;
//   - 500 ERR-API-3107 "Delete snapshot failed." for a snapshot whose cloneReferenceCount
//     is above 0 (it stays), and 500 ERR-API-3129 "Failed to delete all snapshots." when
//     deleting a VM's snapshots leaves such ones;
//   - 429, or 503 with Retry-After: 1, ERR-API-0007 with cause "server busy" for a request
//     beyond Options.MaxInflight when Options.Overload is set.
//
// Tests drive faults deterministically with FailNext (the next requests of a server),
// FailNextMatching (the next requests of one method and path prefix, e.g. a report
// download), StopServer and ExpireSessions, or statistically with Options.Latency and
// Options.ErrorRate; Options.MaxInflight makes requests beyond the limit wait or, with
// Options.Overload (flag -overload), refuses them at once, as an appliance pushing back
// would. Hold makes matching requests wait until released; OnServed runs a function right
// after each matching request is served, which with EditAppliance plays a concurrent
// writer. They read request counters with Writes, Reads and Counts (snapshot POST and
// DELETE are writes; WriteCounts saves them as JSON), and seed and read snapshots with
// AddSnapshot and Snapshots; Options.RequireFields makes a VM listing without
// includeFields a 400, so that a test shows a client lists only the fields it reads. RunCLI
// serves the same simulator from the command line (tintri-jobs sim), whose -counts-file
// writes the counts at exit.
package sim
