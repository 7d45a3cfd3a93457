// Package show reads what the `show` commands report about appliances and VMs, and
// renders it as plain-text tables: `tintri-jobs show appliance_info` on the command line,
// and the chat bot's show appliance_info, show fleet and show vm (runner/chatops).
//
// It only reads (tintri.Reader), through the configuration's clients (runner.Clients), so
// a name resolves as in a job: a server block, or a fleet member's host (or its first
// label, "tintri-001" for tintri-001.example.com).
package show
