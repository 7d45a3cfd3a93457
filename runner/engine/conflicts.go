package engine

import (
	"fmt"
	"slices"
	"sort"
	"strings"

	"github.com/tintri-jobs/tintri-jobs/runner/config"
	"github.com/tintri-jobs/tintri-jobs/runner/plan"
)

// Two tasks conflict when they want different values at one address (plan.Change
// Addresses, plan.TaskPlan Claims): applied in turn they would undo each other on every
// run. Plan finds conflicts among the tasks it plans and against the claims the state
// directory recorded for the configuration's other tasks (claims.go); every task in a
// conflict gets a Failure naming the other task with its file and line, and loses its
// changes at that address, so neither value is written. Wanting the same value is not a
// conflict.

// claimant is one task's claim on an address.
type claimant struct {
	task  string // "job.task"
	where string // file:line of the task block
	value string
	// recorded says the claim comes from the state directory, from the task's last run.
	recorded bool
}

// conflict is the claims of one address that disagree.
type conflict []claimant

// findConflicts marks the conflicts of p in place. where maps "job.task" to the task
// block's position; recorded holds the claims of tasks not in p. An address one task alone
// claims cannot be in conflict, so the claims of the task with the most (a plan over every
// VM of a TGC claims one address per VM) are only looked up, never copied into the index.
func findConflicts(p *plan.Plan, where map[string]string, recorded map[string]storedTask) {
	ix := indexClaims(p, where)
	if ix == nil {
		return
	}
	ix.addRecorded(recorded)
	conflicts := ix.conflicts()
	if len(conflicts) == 0 {
		return
	}
	for j := range p.Jobs {
		jp := &p.Jobs[j]
		for i := range jp.Tasks {
			markConflicts(&jp.Tasks[i], jp.Name+"."+jp.Tasks[i].Name, conflicts)
		}
	}
}

// plannedClaims are the claims of one planned task ("job.task").
type plannedClaims struct {
	id     string
	claims map[string]string
}

// claimIndex holds the claims of a plan's tasks, in plan order, by address: all but those
// of the task with the most (tasks[big]), which are looked up in its own map.
type claimIndex struct {
	where  map[string]string
	tasks  []plannedClaims
	big    int
	byAddr map[string][]claimant
}

// indexClaims indexes the claims of p's tasks; nil when none claims anything.
func indexClaims(p *plan.Plan, where map[string]string) *claimIndex {
	ix := &claimIndex{where: where, big: -1, byAddr: map[string][]claimant{}}
	for _, jp := range p.Jobs {
		for _, t := range jp.Tasks {
			if len(t.Claims) > 0 {
				ix.tasks = append(ix.tasks, plannedClaims{jp.Name + "." + t.Name, t.Claims})
				if ix.big < 0 || len(t.Claims) > len(ix.tasks[ix.big].claims) {
					ix.big = len(ix.tasks) - 1
				}
			}
		}
	}
	if len(ix.tasks) == 0 {
		return nil
	}
	for i, t := range ix.tasks {
		if i != ix.big {
			for addr, v := range t.claims {
				ix.byAddr[addr] = append(ix.byAddr[addr], claimant{task: t.id, where: where[t.id], value: v})
			}
		}
	}
	return ix
}

// addRecorded adds the recorded claims, by task id, at the addresses a planned task claims.
func (ix *claimIndex) addRecorded(recorded map[string]storedTask) {
	ids := make([]string, 0, len(recorded))
	for id := range recorded {
		ids = append(ids, id)
	}
	sort.Strings(ids)
	for _, id := range ids {
		st := recorded[id]
		for addr, v := range st.Claims {
			if _, mine := ix.tasks[ix.big].claims[addr]; mine || len(ix.byAddr[addr]) > 0 {
				ix.byAddr[addr] = append(ix.byAddr[addr], claimant{task: id, where: st.Where, value: v, recorded: true})
			}
		}
	}
}

// conflicts returns the claims of every address claimed with different values, the
// planned tasks in plan order before the recorded claims.
func (ix *claimIndex) conflicts() map[string]conflict {
	order := make(map[string]int, len(ix.tasks))
	for i, t := range ix.tasks {
		order[t.id] = i
	}
	big := ix.tasks[ix.big]
	out := map[string]conflict{}
	for addr, cs := range ix.byAddr {
		if v, mine := big.claims[addr]; mine {
			at := slices.IndexFunc(cs, func(c claimant) bool { return c.recorded || order[c.task] > ix.big })
			if at < 0 {
				at = len(cs)
			}
			cs = slices.Insert(cs, at, claimant{task: big.id, where: ix.where[big.id], value: v})
		}
		if len(cs) > 1 && disagree(cs) {
			out[addr] = cs
		}
	}
	return out
}

// disagree reports whether two tasks want different values.
func disagree(cs []claimant) bool {
	for _, c := range cs[1:] {
		if c.value != cs[0].value {
			return true
		}
	}
	return false
}

// markConflicts moves the task's changes at conflicting addresses to its failures and
// adds one failure per conflicting address it claims.
func markConflicts(t *plan.TaskEntry, id string, conflicts map[string]conflict) {
	var mine []string
	for addr := range t.Claims {
		if _, ok := conflicts[addr]; ok {
			mine = append(mine, addr)
		}
	}
	if len(mine) == 0 {
		return
	}
	sort.Strings(mine)
	server := map[string]string{}
	kept := t.Changes[:0:0]
	for _, c := range t.Changes {
		hit := false
		for _, a := range c.Addresses {
			if _, ok := conflicts[a]; ok {
				hit = true
				server[a] = c.Server
			}
		}
		if !hit {
			kept = append(kept, c)
		}
	}
	t.Changes = kept
	for _, addr := range mine {
		t.Failed = append(t.Failed, plan.Failure{Server: server[addr], Object: addr,
			Error: conflictText(id, conflicts[addr])})
	}
}

// conflictText says who wants what at an address, this task first.
func conflictText(id string, cs conflict) string {
	sorted := slices.Clone(cs)
	sort.SliceStable(sorted, func(i, j int) bool { return sorted[i].task == id && sorted[j].task != id })
	parts := make([]string, 0, len(sorted))
	for _, c := range sorted {
		who := "task " + c.task
		if c.where != "" {
			who += " (" + c.where + ")"
		}
		if c.recorded {
			who += ", as its last run planned,"
		}
		parts = append(parts, fmt.Sprintf("%s wants %s", who, c.value))
	}
	return "conflict: " + strings.Join(parts, "; ") + ": neither is applied until one of them changes"
}

// taskPositions maps "job.task" to "file:line" of every task block of cfg.
func taskPositions(cfg *config.Config) map[string]string {
	out := map[string]string{}
	for _, j := range cfg.Jobs {
		for _, tb := range j.Tasks {
			out[j.Name+"."+tb.Name] = fmt.Sprintf("%s:%d", tb.DeclRange.Filename, tb.DeclRange.Start.Line)
		}
	}
	return out
}
