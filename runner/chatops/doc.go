// Package chatops is the daemon's Slack bot: people in the configured channels ask it
// about appliances, plans and runs, and ask for applies that another person approves.
//
// Commands, by mention (@tintribot plan nightly) or slash command (/tintri plan nightly),
// each answered in the thread of the request:
//
//	help
//	show appliance_info <name>   show fleet <fleet>   show vm <name>
//	plan [job]
//	apply <job>
//	history <job>
//
// Every command checks first that the channel is one of the slack block's and that the
// person may read (show, plan, history, help) or request (apply); a refusal says why.
// An unknown command gets the closest known one as a suggestion.
//
// apply plans the job and posts the plan with Approve and Reject buttons. Only an
// approver may approve, and with the two-person rule (the default) not the person who
// asked. Approval applies exactly the plan shown, through the engine's saved-plan path
// (Apply with FromFile on the signed in-memory plan): a changed configuration refuses it,
// each target is planned again and a task with a stale target is refused. The audit log
// names the requester and the approver (Slack ID and name) of every change. A plan not
// approved within the slack block's approval_timeout expires.
//
// The bot reaches Slack in one of two ways: Socket Mode (it dials Slack; no public URL),
// or the Events API, whose requests Handler serves and accepts only with a valid Slack
// signature (v0 HMAC-SHA256 of "v0:timestamp:body" under the signing secret, at most five
// minutes old). Tokens and the signing secret never appear in a message or a log line.
package chatops
