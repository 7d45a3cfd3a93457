// Package sim is an in-process simulator of one Tintri Global Center (TGC) and N VMstores
// speaking the v310 REST API over real HTTPS on loopback.
//
// Each server listens on its own 127.0.0.1:0 port with a certificate signed by a CA
// generated at start (written as ca.pem, see Sim.CAFile). All servers share one state:
// the TGC lists every VM, each VMstore lists its own, and a change made through one server
// (an affinity rule, a QoS setting, a DNS server) is visible through the others.
//
// The inventory is deterministic for a given Options.Seed: VM names such as vdi-0001,
// sql-prod-01, web-001, exch-01 and dev-001, service groups "VDI", "SQL Production",
// "Web Tier" and "Empty Group", appliances with admin/data/replication IPs taken only
// from the documentation ranges 192.0.2.0/24, 198.51.100.0/24 and 203.0.113.0/24.
//
// Answers follow the vendor reference (../shared/tintri-api): every JSON body carries its
// typeId, collections are Pages whose next query string is absent on the last page, writes
// answer 204 with no body and errors are TintriError bodies. Where the reference documents
// no error for a situation the simulator uses:
//
//   - 401 ERR-API-0124 "Invalid credentials" for a failed login and for a request without
//     a valid session (missing, unknown, logged out or idle longer than Options.SessionTTL);
//   - 400 ERR-API-0005 "Request not supported." for an endpoint the reference marks
//     TgcOnly called on a VMstore, or VMstoreOnly called on the TGC, and for the TgcOnly
//     VM filters serviceGroupIds and affinityRuleTypes sent to a VMstore;
//   - 404 ERR-API-8001 "Resource not found" for an unknown route or object, and for an
//     endpoint newer than the server's preferredVersion (e.g. VM affinity before v310.51);
//   - 400 ERR-API-0203 "Invalid request" for a malformed body or an unknown property and
//     400 ERR-API-0020 "Invalid input data" for invalid values.
//   - 429, or 503 with Retry-After: 1, ERR-API-0007 with cause "server busy" for a request
//     beyond Options.MaxInflight when Options.Overload is set.
//
// Tests drive faults deterministically with FailNext (the next requests of a server),
// FailNextMatching (the next requests of one method and path prefix, e.g. a report
// download), StopServer and ExpireSessions, or statistically with Options.Latency and
// Options.ErrorRate; Options.MaxInflight makes requests beyond the limit wait or, with
// Options.Overload (flag -overload), refuses them at once, as an appliance pushing back
// would. They read request counters with Writes, Reads and Counts (WriteCounts saves them
// as JSON). RunCLI serves the same simulator from the command line (tintri-jobs sim), whose
// -counts-file writes the counts at exit.
package sim
