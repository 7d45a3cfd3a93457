// Package decode is the one way job files are decoded: the configuration's own blocks
// (server, fleet, job) and every task kind's body go through it, so the same mistake gets
// the same message wherever it is made.
//
// A block body is declared once, as a Go struct whose tags say what each attribute is:
//
//	type dnsBody struct {
//		decode.Meta
//		Fleet   hcl.Expression `hcl:"fleet,optional" type:"fleet reference" doc:"The fleet to configure."`
//		Primary *string        `hcl:"primary,optional" doc:"Primary DNS server (IPv4 or IPv6 address)."`
//		Mode    string         `hcl:"mode,optional" enum:"add,exact" default:"add" doc:"…"`
//		Chunk   int            `hcl:"chunk_size,optional" min:"1" max:"10000" default:"500" doc:"…"`
//	}
//
// Body decodes a body into such a struct, reporting every problem at once with the
// attribute's source range; Describe turns the same struct into documentation (the
// `tintri-jobs kinds` listing and the README's attribute tables). Only checks that
// combine several attributes, or that need the network-free context of the job (a server
// reference, a file to read), are left to hand-written code, which runs after Body
// reported no error.
//
// Values carrying the "sensitive" mark are never shown in a message. Suggest and
// DidYouMean are the single "did you mean" used for every unknown name.
package decode
