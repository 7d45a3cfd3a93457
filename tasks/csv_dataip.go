package tasks

import (
	"errors"
	"fmt"
	"math/bits"
	"net/netip"
	"strconv"
	"strings"

	"github.com/gocarina/gocsv"
	"github.com/hashicorp/hcl/v2"

	"github.com/tintri-jobs/tintri-jobs/runner/decode"
)

// The data IP file of a data_ip task is CSV with a header line naming its columns, in any
// order (names are case-insensitive):
//
//	# vmstore, ip, prefix, gateway, vlan_id, jumbo_frames
//	vmstore,ip,prefix,gateway,vlan_id,jumbo_frames
//	vmstore-0,198.51.100.20,24,198.51.100.1,100,true
//	vmstore-1,198.51.100.21,255.255.255.0,,untagged,no
//
//   - vmstore (required): the VMstore, as its fleet member key (host[:port]), its
//     localAlias or its admin hostname;
//   - ip (required): an IPv4 or IPv6 address without prefix;
//   - netmask or prefix (exactly one of the two column names, required): a prefix length
//     ("24" or "/24") or, for IPv4, a dotted netmask with contiguous ones ("255.255.255.0");
//   - gateway (optional): an address inside the IP's subnet, other than the IP itself;
//   - vlan_id (optional): 1 to 4094, or "untagged" (the default when empty);
//   - jumbo_frames (optional): true/false or yes/no (false when empty).
//
// The file is read as readCSVRows reads every data file: UTF-8 or UTF-16 with a byte
// order mark; cells separated by commas, semicolons or tabs (detected, a header cell naming
// a column deciding); CRLF line ends, blank lines and lines starting with # accepted. An
// address may appear once in the whole file.

// Column indexes of a data IP row's fields.
const (
	dataIPColVMstore = iota
	dataIPColIP
	dataIPColMask
	dataIPColGateway
	dataIPColVLAN
	dataIPColJumbo
	dataIPNumCols
)

// dataIPColNames are the fields' names as the messages use them.
var dataIPColNames = [dataIPNumCols]string{"vmstore", "ip", "prefix", "gateway", "vlan_id", "jumbo_frames"}

// dataIPHeaderNames maps the header names the CSV accepts to their columns.
var dataIPHeaderNames = map[string]int{
	"vmstore": dataIPColVMstore, "ip": dataIPColIP, "netmask": dataIPColMask, "prefix": dataIPColMask,
	"gateway": dataIPColGateway, "vlan_id": dataIPColVLAN, "jumbo_frames": dataIPColJumbo,
}

// dataIPColumnNames are the header names the CSV accepts, for suggestions.
var dataIPColumnNames = []string{"vmstore", "ip", "netmask", "prefix", "gateway", "vlan_id", "jumbo_frames"}

// dataIPUntagged is the vlanId of an untagged interface.
const dataIPUntagged = "untagged"

// dataIPRow is one desired (or current) data IP in normal form.
type dataIPRow struct {
	VMstore string
	// Addr is the address with its prefix length; host bits are kept.
	Addr netip.Prefix
	// Gateway is the zero Addr when the row has none.
	Gateway netip.Addr
	// VLAN is "untagged" or a VLAN ID from 1 to 4094 in decimal.
	VLAN  string
	Jumbo bool
	// Range is the CSV line or the data_ip block; IPRange the ip field or attribute.
	Range, IPRange hcl.Range
}

// String renders the row as plan details show it, e.g. "198.51.100.20/24 vlan 100".
func (r dataIPRow) String() string {
	var b strings.Builder
	fmt.Fprintf(&b, "%s vlan %s", r.Addr, r.VLAN)
	if r.Gateway.IsValid() {
		fmt.Fprintf(&b, " gateway %s", r.Gateway)
	}
	if r.Jumbo {
		b.WriteString(" jumbo")
	}
	return b.String()
}

// sameConfig reports whether two rows configure an interface the same way.
func (r dataIPRow) sameConfig(o dataIPRow) bool {
	return r.Addr == o.Addr && r.Gateway == o.Gateway && r.VLAN == o.VLAN && r.Jumbo == o.Jumbo
}

// dataIPFieldError is a problem with one field of a row.
type dataIPFieldError struct {
	col             int
	summary, detail string
}

// parseDataIPFields validates a row's fields (empty string = absent) and returns the row
// without ranges, or the problems found, each naming its column.
func parseDataIPFields(f [dataIPNumCols]string) (dataIPRow, []dataIPFieldError) {
	var row dataIPRow
	var errs []dataIPFieldError
	fail := func(col int, summary, format string, args ...any) {
		errs = append(errs, dataIPFieldError{col: col, summary: summary, detail: fmt.Sprintf(format, args...)})
	}
	row.VMstore = f[dataIPColVMstore]
	if row.VMstore == "" {
		fail(dataIPColVMstore, "Missing VMstore", "Each data IP names the VMstore it belongs to.")
	}
	row.VLAN, row.Jumbo = dataIPUntagged, false
	if v, ok := parseDataIPVLAN(f[dataIPColVLAN]); ok {
		row.VLAN = v
	} else {
		fail(dataIPColVLAN, "Invalid VLAN ID", "The VLAN ID is a number from 1 to 4094 or %q, not %q.", dataIPUntagged, f[dataIPColVLAN])
	}
	switch strings.ToLower(f[dataIPColJumbo]) {
	case "", "false", "no":
	case "true", "yes":
		row.Jumbo = true
	default:
		fail(dataIPColJumbo, "Invalid jumbo_frames value", "jumbo_frames is true, false, yes or no, not %q.", f[dataIPColJumbo])
	}

	addr, err := netip.ParseAddr(f[dataIPColIP])
	if err != nil || addr.Zone() != "" || addr.Is4In6() {
		if f[dataIPColIP] == "" {
			fail(dataIPColIP, "Missing IP address", "Each data IP needs an ip.")
		} else {
			fail(dataIPColIP, "Invalid IP address", "%q is not an IPv4 or IPv6 address; write the prefix length in its own field.", f[dataIPColIP])
		}
		return row, errs
	}
	if addr.IsUnspecified() || addr.IsLoopback() || addr.IsMulticast() || addr.IsLinkLocalUnicast() {
		fail(dataIPColIP, "Invalid IP address", "%s cannot be a data IP (unspecified, loopback, multicast or link-local).", addr)
		return row, errs
	}
	pfx, ok := parseDataIPMask(addr, f[dataIPColMask], fail)
	if !ok {
		return row, errs
	}
	row.Addr = pfx
	if addr.Is4() && pfx.Bits() <= 30 {
		net := pfx.Masked().Addr()
		if addr == net || addr == dataIPBroadcast(pfx) {
			fail(dataIPColIP, "Invalid IP address", "%s is the network or broadcast address of %s.", addr, pfx.Masked())
		}
	}
	row.Gateway = parseDataIPGateway(f[dataIPColGateway], pfx, fail)
	return row, errs
}

// parseDataIPGateway reads the gateway g ("" for none) of the data IP pfx: an address of
// its subnet other than the IP itself.
func parseDataIPGateway(g string, pfx netip.Prefix, fail func(col int, summary, format string, args ...any)) netip.Addr {
	if g == "" {
		return netip.Addr{}
	}
	addr := pfx.Addr()
	gw, err := netip.ParseAddr(g)
	switch {
	case err != nil || gw.Zone() != "" || gw.Is4In6():
		fail(dataIPColGateway, "Invalid gateway", "%q is not an IPv4 or IPv6 address.", g)
	case gw.Is4() != addr.Is4() || !pfx.Contains(gw) || gw == addr:
		fail(dataIPColGateway, "Gateway outside subnet", "The gateway %s must be an address of %s other than %s itself.", gw, pfx.Masked(), addr)
	default:
		return gw
	}
	return netip.Addr{}
}

// parseDataIPMask reads a prefix length or a dotted IPv4 netmask for addr.
func parseDataIPMask(addr netip.Addr, s string, fail func(col int, summary, format string, args ...any)) (netip.Prefix, bool) {
	if s == "" {
		fail(dataIPColMask, "Missing netmask or prefix", "Each data IP needs a prefix length (24) or a netmask (255.255.255.0).")
		return netip.Prefix{}, false
	}
	if strings.ContainsAny(s, ".:") {
		m, err := netip.ParseAddr(s)
		if err != nil || !m.Is4() || !addr.Is4() {
			fail(dataIPColMask, "Invalid netmask", "%q is not an IPv4 netmask; IPv6 addresses take a prefix length.", s)
			return netip.Prefix{}, false
		}
		b := m.As4()
		v := uint32(b[0])<<24 | uint32(b[1])<<16 | uint32(b[2])<<8 | uint32(b[3])
		ones := bits.LeadingZeros32(^v)
		if v<<ones != 0 || ones == 0 {
			fail(dataIPColMask, "Invalid netmask", "%s is not a netmask: its one bits must be contiguous from the left.", s)
			return netip.Prefix{}, false
		}
		return netip.PrefixFrom(addr, ones), true
	}
	n, err := strconv.Atoi(strings.TrimPrefix(s, "/"))
	if err != nil || n < 1 || n > addr.BitLen() {
		fail(dataIPColMask, "Invalid prefix length", "%q is not a prefix length from 1 to %d.", s, addr.BitLen())
		return netip.Prefix{}, false
	}
	return netip.PrefixFrom(addr, n), true
}

// parseDataIPVLAN returns the canonical VLAN of s: "untagged" for "" or "untagged",
// else the ID from 1 to 4094 in decimal; ok is false for anything else.
func parseDataIPVLAN(s string) (vlan string, ok bool) {
	if s == "" || strings.EqualFold(s, dataIPUntagged) {
		return dataIPUntagged, true
	}
	n, err := strconv.Atoi(s)
	if err != nil || n < 1 || n > 4094 {
		return "", false
	}
	return strconv.Itoa(n), true
}

// dataIPBroadcast returns the last address of an IPv4 prefix.
func dataIPBroadcast(p netip.Prefix) netip.Addr {
	b := p.Masked().Addr().As4()
	v := uint32(b[0])<<24 | uint32(b[1])<<16 | uint32(b[2])<<8 | uint32(b[3])
	v |= 1<<(32-p.Bits()) - 1
	return netip.AddrFrom4([4]byte{byte(v >> 24), byte(v >> 16), byte(v >> 8), byte(v)})
}

// dataIPCheckDuplicates reports every row whose address an earlier row already has.
func dataIPCheckDuplicates(rows []dataIPRow) hcl.Diagnostics {
	var diags hcl.Diagnostics
	first := map[netip.Addr]dataIPRow{}
	for _, r := range rows {
		if prev, dup := first[r.Addr.Addr()]; dup {
			diags = append(diags, &hcl.Diagnostic{
				Severity: hcl.DiagError,
				Summary:  "Duplicate data IP",
				Detail: fmt.Sprintf("%s is already listed for vmstore %q at %s:%d; an address can be assigned once.",
					r.Addr.Addr(), prev.VMstore, prev.IPRange.Filename, prev.IPRange.Start.Line),
				Subject: r.IPRange.Ptr(),
			})
			continue
		}
		first[r.Addr.Addr()] = r
	}
	return diags
}

// dataIPRecord is one row of a data IP file, its cells mapped by header name (gocsv;
// the header is lowercased first, so names are case-insensitive).
type dataIPRecord struct {
	VMstore string `csv:"vmstore"`
	IP      string `csv:"ip"`
	Mask    string `csv:"prefix,netmask"` // dataIPHeader allows only one of the two
	Gateway string `csv:"gateway"`
	VLAN    string `csv:"vlan_id"`
	Jumbo   string `csv:"jumbo_frames"`
}

// fields returns the record's cells by column.
func (r dataIPRecord) fields() [dataIPNumCols]string {
	return [dataIPNumCols]string{r.VMstore, r.IP, r.Mask, r.Gateway, r.VLAN, r.Jumbo}
}

// csvTable serves rows already read (and checked) to gocsv, header lowercased.
type csvTable []csvRow

// Read is not used by gocsv.UnmarshalCSV, which reads everything at once.
func (t csvTable) Read() ([]string, error) { return nil, errors.ErrUnsupported }

// ReadAll returns every row's cells, the header's in lower case.
func (t csvTable) ReadAll() ([][]string, error) {
	out := make([][]string, len(t))
	for i, row := range t {
		out[i] = row.Cells
	}
	header := make([]string, len(t[0].Cells))
	for i, c := range t[0].Cells {
		header[i] = strings.ToLower(c)
	}
	out[0] = header
	return out, nil
}

// readDataIPs parses a data IP CSV file (decoded, checked and split as readCSVRows does).
// filename names it in diagnostics, whose ranges point at the offending line and field;
// the first maxFileProblems are reported, then how many more there are.
func readDataIPs(filename string, data []byte) ([]dataIPRow, hcl.Diagnostics) {
	rows, diags := readDataIPTable(filename, data)
	return rows, capDiags(filename, diags)
}

// readDataIPTable is readDataIPs without the cap on diagnostics.
func readDataIPTable(filename string, data []byte) ([]dataIPRow, hcl.Diagnostics) {
	src := newSrcLines(filename, data)
	table, fe := readCSVRows(filename, data, func(c string) bool {
		_, ok := dataIPHeaderNames[strings.ToLower(c)]
		return ok
	})
	if fe != nil {
		d := fe.diag("Invalid CSV", src)
		d.Detail = fmt.Sprintf("The data IP file cannot be read as CSV: %s.", fe.Msg)
		return nil, hcl.Diagnostics{d}
	}
	if len(table) == 0 {
		return nil, hcl.Diagnostics{{
			Severity: hcl.DiagError,
			Summary:  "Empty data IP file",
			Detail:   "The data IP file has no header line (vmstore,ip,prefix,gateway,vlan_id,jumbo_frames) and no rows.",
			Subject:  src.lineRange(1).Ptr(),
		}}
	}
	cells := dataIPCells{src}
	header := table[0]
	cols, diags := dataIPHeader(header.Cells, func(i int) hcl.Range { return cells.cell(header, i) })
	if diags.HasErrors() {
		return nil, diags
	}
	for _, row := range table[1:] {
		if len(row.Cells) != len(cols) {
			diags = append(diags, &hcl.Diagnostic{
				Severity: hcl.DiagError,
				Summary:  "Wrong number of fields",
				Detail:   fmt.Sprintf("Line %d has %d fields; the header names %d columns.", row.Line, len(row.Cells), len(cols)),
				Subject:  cells.row(row).Ptr(),
			})
		}
	}
	if diags.HasErrors() {
		return nil, diags
	}
	rows, d := dataIPRecords(table, cols, cells)
	diags = append(diags, d...)
	diags = append(diags, dataIPCheckDuplicates(rows)...)
	if diags.HasErrors() {
		return nil, diags
	}
	return rows, diags
}

// dataIPCells locates the cells of a data IP file.
type dataIPCells struct{ src *srcLines }

// cell is the range of cell i of row, or the end of the row for a missing cell.
func (c dataIPCells) cell(row csvRow, i int) hcl.Range {
	last := len(row.Cells) - 1
	if i > last {
		p := row.Pos[last]
		return c.src.textRange(p.Line, p.Col+len(row.Cells[last]), "")
	}
	return c.src.textRange(row.Pos[i].Line, row.Pos[i].Col, row.Cells[i])
}

// row is the range of a whole row, from its first cell to its last.
func (c dataIPCells) row(row csvRow) hcl.Range {
	rng := c.cell(row, 0)
	rng.End = c.cell(row, len(row.Cells)-1).End
	return rng
}

// dataIPRecords checks the rows after the header, whose cells cols maps to columns, and
// returns those without problems.
func dataIPRecords(table []csvRow, cols []int, cells dataIPCells) ([]dataIPRow, hcl.Diagnostics) {
	var recs []dataIPRecord
	if len(table) > 1 {
		if err := gocsv.UnmarshalCSV(csvTable(table), &recs); err != nil {
			return nil, hcl.Diagnostics{{
				Severity: hcl.DiagError,
				Summary:  "Invalid CSV",
				Detail:   fmt.Sprintf("The data IP file cannot be read: %s.", err),
				Subject:  cells.src.lineRange(table[0].Line).Ptr(),
			}}
		}
	}
	fieldAt := [dataIPNumCols]int{-1, -1, -1, -1, -1, -1} // column -> cell index
	for i, c := range cols {
		fieldAt[c] = i
	}
	var diags hcl.Diagnostics
	var rows []dataIPRow
	for i, rec := range recs {
		line := table[i+1]
		row, errs := parseDataIPFields(rec.fields())
		for _, fe := range errs {
			rng := cells.cell(line, 0)
			if fieldAt[fe.col] >= 0 {
				rng = cells.cell(line, fieldAt[fe.col])
			}
			diags = append(diags, &hcl.Diagnostic{Severity: hcl.DiagError, Summary: fe.summary, Detail: fe.detail, Subject: &rng})
		}
		if len(errs) > 0 {
			continue
		}
		row.Range = cells.row(line)
		row.IPRange = cells.cell(line, fieldAt[dataIPColIP])
		rows = append(rows, row)
	}
	return rows, diags
}

// dataIPHeader maps a header record's fields to columns.
func dataIPHeader(rec []string, rangeOf func(int) hcl.Range) ([]int, hcl.Diagnostics) {
	var diags hcl.Diagnostics
	cols := make([]int, len(rec))
	seen := [dataIPNumCols]int{-1, -1, -1, -1, -1, -1}
	for i, name := range rec {
		rng := rangeOf(i)
		c, ok := dataIPHeaderNames[strings.ToLower(name)]
		if !ok {
			diags = append(diags, &hcl.Diagnostic{
				Severity: hcl.DiagError,
				Summary:  "Unknown column",
				Detail:   fmt.Sprintf("%q is not a data IP column%s.", name, decode.DidYouMean(strings.ToLower(name), dataIPColumnNames)),
				Subject:  &rng,
			})
			continue
		}
		if seen[c] >= 0 {
			diags = append(diags, &hcl.Diagnostic{
				Severity: hcl.DiagError,
				Summary:  "Duplicate column",
				Detail:   fmt.Sprintf("Column %q repeats column %q (netmask and prefix are the same column).", name, rec[seen[c]]),
				Subject:  &rng,
			})
			continue
		}
		seen[c], cols[i] = i, c
	}
	if diags.HasErrors() {
		return nil, diags // a misspelt column is reported, not also as missing
	}
	for _, c := range []int{dataIPColVMstore, dataIPColIP, dataIPColMask} {
		if seen[c] < 0 {
			rng := rangeOf(0)
			rng.End = rangeOf(len(rec) - 1).End
			name := dataIPColNames[c]
			if c == dataIPColMask {
				name = "netmask or prefix"
			}
			diags = append(diags, &hcl.Diagnostic{
				Severity: hcl.DiagError,
				Summary:  "Missing column",
				Detail:   fmt.Sprintf("The header line has no %s column; it needs vmstore, ip and netmask or prefix.", name),
				Subject:  &rng,
			})
		}
	}
	return cols, diags
}
