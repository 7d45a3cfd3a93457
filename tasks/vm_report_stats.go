package tasks

import (
	"bytes"
	"context"
	"encoding/csv"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math"
	"slices"
	"strconv"
	"strings"
	"sync"

	"github.com/tintri-jobs/tintri-jobs/runner"
	"github.com/tintri-jobs/tintri-jobs/tintri"
)

// A vm_report whose fields include VM statistics (tintri.VMStatFields), or whose headers are
// the field file's descriptions, is joined: the TGC's report of the other fields (and Uuid)
// is streamed, each row gets its VM's statistics by uuid, and the fields are written in
// their order under the headers, in the report's format. The statistics are each VM's stat
// (one listing of the VMs) when the report has no since and until; otherwise they come
// from /vm/{id}/statsHistoric over the period, one request per VM: space figures
// (space…GiB) from the period's latest slice, the others averaged over its slices. A VM
// without statistics gets empty cells (null in JSON).

// joined reports whether the report is written by writeJoined rather than downloaded as is.
func (spec reportSpec) joined() bool {
	return len(spec.Headers) > 0 || slices.ContainsFunc(spec.Fields, isStatField)
}

// writeJoined writes the joined report of spec into w and returns the bytes written.
func writeJoined(ctx context.Context, env *runner.ApplyEnv, c *tintri.Client, spec reportSpec, w io.Writer) (int64, error) {
	var attrs, stats []string
	for _, f := range spec.Fields {
		if isStatField(f) {
			stats = append(stats, f)
		} else {
			attrs = append(attrs, f)
		}
	}
	if !slices.Contains(attrs, "Uuid") {
		attrs = append(attrs, "Uuid")
	}
	byVM := map[string]map[string]float64{}
	if len(stats) > 0 {
		var err error
		if byVM, err = readVMStats(ctx, env, c, spec, stats); err != nil {
			return 0, err
		}
	}
	pr, pw := io.Pipe()
	go func() {
		_, err := requestReport(ctx, c, spec, attrs, pw)
		pw.CloseWithError(err)
	}()
	defer pr.Close()
	cw := &countingWriter{w: w}
	headers := spec.Headers
	if len(headers) == 0 {
		headers = spec.Fields
	}
	j := reportJoin{fields: spec.Fields, headers: headers, stats: byVM}
	var err error
	if spec.Format == "JSON" {
		err = j.json(pr, cw)
	} else {
		err = j.csv(pr, cw)
	}
	return cw.n, err
}

// countingWriter counts the bytes written through it.
type countingWriter struct {
	w io.Writer
	n int64
}

func (c *countingWriter) Write(p []byte) (int, error) {
	n, err := c.w.Write(p)
	c.n += int64(n)
	return n, err
}

// reportJoin writes the rows of a TGC report with the VMs' statistics.
type reportJoin struct {
	fields, headers []string
	stats           map[string]map[string]float64 // by VM uuid, then field
}

// stat is the VM's statistic field: its text, and whether there is one.
func (j *reportJoin) stat(uuid, field string) (string, bool) {
	v, ok := j.stats[uuid][field]
	if !ok {
		return "", false
	}
	return strconv.FormatFloat(v, 'f', -1, 64), true
}

// csv joins a CSV report read from r into CSV written to w.
func (j *reportJoin) csv(r io.Reader, w io.Writer) error {
	in, out := csv.NewReader(r), csv.NewWriter(w)
	header, err := in.Read()
	if err != nil {
		return fmt.Errorf("read report header: %w", err)
	}
	col := map[string]int{}
	for i, h := range header {
		col[h] = i
	}
	if err := out.Write(j.headers); err != nil {
		return err
	}
	cells := make([]string, len(j.fields))
	for {
		row, err := in.Read()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return fmt.Errorf("read report: %w", err)
		}
		cell := func(attr string) string {
			if i, ok := col[attr]; ok && i < len(row) {
				return row[i]
			}
			return ""
		}
		for i, f := range j.fields {
			if isStatField(f) {
				cells[i], _ = j.stat(cell("Uuid"), f)
			} else {
				cells[i] = cell(f)
			}
		}
		if err := out.Write(cells); err != nil {
			return err
		}
	}
	out.Flush()
	return out.Error()
}

// json joins a JSON report (a list of objects) read from r into JSON written to w: one
// object per VM, its keys the headers in field order.
func (j *reportJoin) json(r io.Reader, w io.Writer) error {
	dec := json.NewDecoder(r)
	if tok, err := dec.Token(); err != nil || tok != json.Delim('[') {
		return fmt.Errorf("read report: want a JSON list, got %v (%v)", tok, err)
	}
	keys := make([][]byte, len(j.headers))
	for i, h := range j.headers {
		keys[i], _ = json.Marshal(h)
	}
	var b bytes.Buffer
	b.WriteString("[")
	for first := true; dec.More(); first = false {
		var row map[string]json.RawMessage
		if err := dec.Decode(&row); err != nil {
			return fmt.Errorf("read report: %w", err)
		}
		var uuid string
		_ = json.Unmarshal(row["Uuid"], &uuid)
		if !first {
			b.WriteString(",")
		}
		b.WriteString("{")
		for i, f := range j.fields {
			if i > 0 {
				b.WriteString(",")
			}
			b.Write(keys[i])
			b.WriteString(":")
			v, ok := row[f]
			if isStatField(f) {
				s, found := j.stat(uuid, f)
				v, ok = json.RawMessage(s), found
			}
			if !ok {
				v = json.RawMessage("null")
			}
			b.Write(v)
		}
		b.WriteString("}")
		if _, err := w.Write(b.Bytes()); err != nil {
			return err
		}
		b.Reset()
	}
	_, err := io.WriteString(w, "]\n")
	return err
}

// readVMStats reads the statistics fields of every VM of the TGC, by uuid: each VM's stat
// without a period, else its historic slices over the period, aggregated.
func readVMStats(ctx context.Context, env *runner.ApplyEnv, c *tintri.Client, spec reportSpec, fields []string) (map[string]map[string]float64, error) {
	out := map[string]map[string]float64{}
	if spec.Since == "" && spec.Until == "" {
		err := c.EachVM(ctx, tintri.VMFilter{IncludeFields: []string{"uuid", "stat"}}, func(vm *tintri.VirtualMachine) error {
			if vm.Stat != nil && len(vm.Stat.SortedStats) > 0 {
				out[vm.ID()] = statFigures(vm.Stat.SortedStats[:1], fields)
			}
			return nil
		})
		if err != nil {
			return nil, fmt.Errorf("read vm statistics: %w", err)
		}
		return out, nil
	}
	since, _ := tintri.ParseTime(spec.Since)
	until, _ := tintri.ParseTime(spec.Until)
	vms, err := c.ListVMs(ctx, tintri.VMFilter{IncludeFields: []string{"uuid"}})
	if err != nil {
		return nil, fmt.Errorf("read vm statistics: list vms: %w", err)
	}
	var mu sync.Mutex
	errs := make([]error, len(vms))
	env.ForEach(ctx, len(vms), func(ctx context.Context, i int) {
		st, err := c.VMStatsHistoric(ctx, vms[i].ID(), since, until)
		if err != nil {
			errs[i] = fmt.Errorf("read historic statistics of vm %s: %w", vms[i].ID(), err)
			return
		}
		if len(st.SortedStats) > 0 {
			mu.Lock()
			out[vms[i].ID()] = statFigures(st.SortedStats, fields)
			mu.Unlock()
		}
	})
	if err := errors.Join(errs...); err != nil {
		return nil, err
	}
	return out, nil
}

// statFigures aggregates slices (oldest first) into the figures of fields: a space figure
// from the latest slice, the others averaged and rounded to two decimals.
func statFigures(slices []tintri.VirtualMachineStat, fields []string) map[string]float64 {
	out := make(map[string]float64, len(fields))
	for _, f := range fields {
		if strings.HasPrefix(f, "space") {
			out[f], _ = slices[len(slices)-1].Value(f)
			continue
		}
		sum := 0.0
		for i := range slices {
			v, _ := slices[i].Value(f)
			sum += v
		}
		out[f] = math.Round(sum/float64(len(slices))*100) / 100
	}
	return out
}
