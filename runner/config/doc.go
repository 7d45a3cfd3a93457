// Package config is the job-file language: it loads and validates job files into a Config.
//
// # Loading
//
// Load reads one .hcl file, or every *.hcl file of a directory in name order, from an
// fs.FS and returns a validated Config. Loading never touches the network. It runs in
// phases, stopping after a phase that reported errors only where going on would repeat
// them:
//
//  1. parse: every file is parsed; syntax errors end the load.
//  2. variables: `variable` blocks are decoded and their values resolved, lowest
//     precedence first: default, environment (TINTRI_JOBS_VAR_<name> in
//     LoadOptions.Env), variable files (LoadOptions.VarFiles, in order), -var values
//     (LoadOptions.Vars). A value given as text (environment, -var) is taken as a string
//     when the variable's type is string or not declared, and parsed as an HCL
//     expression otherwise.
//  3. servers and fleets: `server` and `fleet` blocks; a fleet's urls_file is read now.
//  4. jobs: `job` blocks and their `task "<kind>" "<name>"` blocks. The loader decodes the
//     attribute every task has (max_changes) and keeps the rest of each task body as an
//     hcl.Body in TaskBlock.Body: task kinds decode it (runner/engine.Load binds them).
//
// Blocks are declared as structs for package decode (serverBody, fleetBody, jobBody), so
// their attributes are documented by ServerAttributes, FleetAttributes and JobAttributes
// (the README's tables of them are generated from these, and a test compares them), and
// their mistakes get the same messages as the task kinds'.
//
// Every phase keeps going after an error so that one run reports every problem; checks
// that combine several attributes run only when those attributes decoded cleanly.
// Problems are hcl.Diagnostics whose Subject is the offending source range (for a
// fleet's urls_file, the line of that file). Config.Sources holds the text of every file
// read so that WriteDiagnostics can print source snippets.
//
// # Expressions
//
// Expressions see var.<name>, server.<name> and fleet.<name> (the latter two evaluate to
// the block's name, so `server = server.tgc` and `server = "tgc"` mean the same), the
// go-cty standard library functions (upper, lower, join, split, format, concat,
// trimspace, replace, regex, length, coalesce, …) and two functions of our own:
//
//   - env("NAME") returns the variable from LoadOptions.Env (never the process
//     environment directly); an unset variable is an error.
//   - file("path") returns the contents of a file relative to the job file's
//     directory, read through the same fs.FS, exactly as stored: a trailing newline is
//     kept (wrap it in trimspace() to drop it).
//
// Values of variables declared `sensitive = true` carry the cty mark "sensitive", so
// diagnostics never print them; task kinds receive them unmarked. Passwords become
// tintri.Secret. A password written as a literal string draws the warning "Literal
// password in job file".
//
// # Files
//
// Load reads every file through an fs.FS. The command line uses OSFS, whose names are
// paths as typed (absolute or relative to the working directory), so diagnostics, plans and
// errors name files by their real paths; tests use fstest.MapFS or os.DirFS, through which
// a path must stay inside the tree.
//
// # Hash
//
// The hash a plan records is computed by runner/engine (Config.PlanHash) from values, not
// from source text: see there.
package config
