// Package tintri is a client for the Tintri REST API v310 as served by Tintri VMstore
// appliances and the Tintri Global Center (TGC), plus the DTOs it exchanges (dto.go).
//
// # One client per server
//
// New builds a Client for one server URL ("https://host[:port]"; a bare host means
// https://host). The client is safe for concurrent use and never lets more requests be in
// flight to its server than its current limit (see Concurrency).
//
//	c, err := tintri.New(tintri.Config{URL: "https://tgc.example", Username: "admin",
//		Password: tintri.Secret(pw), CAFile: "ca.pem", Logger: log})
//	defer c.Close(ctx)
//	err = c.EachVM(ctx, tintri.VMFilter{IncludeFields: []string{"uuid", "vmware"}},
//		func(vm *tintri.VirtualMachine) error { fmt.Println(vm.Name()); return nil })
//
// # Reading and writing
//
// A Client reads and writes; its ReadOnly view, a *Reader, has only the calls that do not
// change the server: GETs, paged listings, report downloads and the product checks. Code
// that must not write (a task's Plan) is handed a Reader, so a write there is a compile
// error rather than a test failure. Both share one session and one in-flight limit. The
// writes are UpdateAppliance, UpdateServiceGroupStaticMembers, SetServiceGroupQoS,
// ApplyServiceGroupQoS, SetVMAffinity, SetVMQoS, RequestVMReport, CreateSnapshots and
// DeleteSnapshot; Close logs out. ApplianceAlias reads a VMstore's localAlias once per
// client, for messages.
//
// Info reads the unauthenticated GET /api/info once (concurrent first calls share one
// request) and caches it; RequireTGC, RequireVMstore and RequireVersion use it. Calls
// whose endpoint or filter the reference marks TgcOnly (SetVMAffinity — also v310.51+ —,
// UpdateServiceGroupStaticMembers, the service group QoS calls, ListVMstores,
// RequestVMReport, EachVM filtered by service group or affinity rule type) or VMstoreOnly
// (SetVMQoS, ApplianceMaintenanceMode, ApplianceFailedComponents, the snapshot calls
// except ListSnapshots of one VM, and UpdateAppliance, which a TGC accepts only for a
// VMstore's sync-replication IP) check the product first, so a call aimed at the wrong
// kind of server fails with ErrUnsupported before anything is sent. SetVMAffinity also
// refuses a rule the reference calls invalid (ValidateAffinityRule) before any request.
// Listing and reading service groups is allowed on both.
//
// # Sessions
//
// The first call that needs a session logs in (POST /api/v310/session/login) and keeps the
// JSESSIONID cookie. When a call answers 401 the session is considered expired: the client
// logs in again once — concurrent 401s of the same session share one re-login — and repeats
// the call once. Close logs out.
//
// # Errors
//
// A non-2xx answer becomes a *TintriError carrying the HTTP Status and the body's code and
// message (or a short excerpt of an unparseable body), wrapped with the server, method and
// path: use errors.As to inspect it. Transport errors are wrapped the same way. Every call
// takes a context; each exchange is also bounded by Config.Timeout (ErrRequestTimeout).
//
// # Retries
//
// Reads (GET) and the idempotent PUTs are retried with exponential backoff and full jitter
// on transport errors and on 429, 502, 503 and 504, honouring Retry-After up to
// RetryPolicy.MaxDelay. Reads are retried on 500 too; writes are not, since a 500 may answer
// a change half made. POSTs and DELETEs whose effect could double or fail when repeated
// (ApplyServiceGroupQoS, RequestVMReport, CreateSnapshots, DeleteSnapshot) are retried only when the request provably never left the client
// (connection refused, DNS failure, TLS handshake failure other than a certificate error).
// Login and logout create or end a session, which is harmless to repeat, so they are retried
// like reads. A 401 re-login does not count as a retry. Config.Retry sets the number of
// attempts and the backoff; each of its zero fields takes the default.
//
// # Timeouts and the circuit breaker
//
// Config.Timeout bounds each attempt, from the moment it has an in-flight slot, connect and
// TLS handshake included; an attempt cut off fails with ErrRequestTimeout and is retried
// like any transport error. A client lives for one run: after Config.BreakAfterTimeouts
// attempts in a row timed out (request or connect timeouts; any answer, whatever its
// status, resets the count) its circuit breaker opens for good. Attempts waiting or in
// flight are cancelled, no further request is sent and every call fails at once with an
// error wrapping ErrServerUnavailable, so a hung server costs a few timeouts, not
// Timeout × attempts for every call, while the clients of other servers finish.
//
// # Concurrency
//
// Each client limits its requests in flight, adaptively by default, as TCP congestion
// control does (AIMD): the limit starts at 4 until the latency of a route without load is
// known, then grows while answers come back good and their latency stays flat, and shrinks
// multiplicatively on 429, 503, 504, timeouts and a latency rise (a route's smoothed round
// trip twice its baseline). A 429, or a 503 with Retry-After, also caps it for the rest of
// the client's life at the most requests the server can have held when it refused one
// (those unanswered when the refused one was sent, and those sent until its answer came);
// the lowest such estimate wins, so the refusals bring the cap down to the server's own
// limit and never below it, and once there the client is refused no more.
// Config.MaxInflight is the ceiling (DefaultMaxInflight), Config.MinInflight the floor;
// Config.DisableAdaptive keeps the limit at MaxInflight (DefaultFixedInflight when unset).
// InflightLimit reports the current limit, and an Observer that is also a LimitObserver is
// told every change.
//
// # Paging
//
// EachVM follows the Page protocol: the first page tells filteredTotal, the remaining pages
// are then fetched with offset/limit, as many at once as the client's in-flight limit
// allows (at most 16 ahead of the page being delivered, which bounds memory), and handed to
// the callback strictly in order; a page's `next` query string is followed when the total
// is unknown or the collection grew meanwhile. Pages have the size the server answers the
// first one with: unless VMFilter.Limit asks for another, the server's default of 2000,
// the only page size the reference documents (it names no maximum). Items are decoded
// straight into VirtualMachine, so with IncludeFields only the requested fields are kept in
// memory.
//
// # Secrets and TLS
//
// The password is a Secret and never appears in errors, logs or fmt output of Client or
// Config; request bodies are never logged. TLS verification is on: CAFile replaces the
// system roots with the given PEM bundle; InsecureSkipVerify disables verification and is
// logged as a warning once per client.
package tintri
