// Package notify tells people what the daemon's runs found, through the notify blocks of
// the configuration: a Slack channel (posted with the slack block's bot token) or a JSON
// webhook signed with HMAC-SHA256 (Teams, Mattermost, Alertmanager, a ticketing system).
//
//   - drift: a plan-mode run's pending changes, each target's before → after, when they
//     appear or change, and once when they are resolved; never again while they stay the
//     same. The digest of the drift last sent to each target of each job is kept in
//     <state-dir>/notify.json, so a restarted daemon does not send it again.
//   - failure: a run that failed or partly failed, with its failed targets and errors.
//   - applied: the changes a run made (opt-in: on = ["applied"]).
//
// Report never blocks a run: each target has a queue and a worker that delivers in order,
// retrying with backoff. A delivery that fails for good is logged and counted (Observer),
// as is one dropped because its queue was full. Secrets never reach a message or a log
// line: tokens and webhook secrets are only sent as credentials, and errors are stripped
// of the webhook's URL, which may hold a token of its own.
package notify
