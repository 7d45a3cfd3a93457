package config

import (
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/robfig/cron/v3"
)

// cronParser accepts the five standard fields and descriptors (@daily, @every 1h, ...).
var cronParser = cron.NewParser(cron.Minute | cron.Hour | cron.Dom | cron.Month | cron.Dow | cron.Descriptor)

// scheduleHorizonYears is how far ahead a schedule must fire at least once. robfig/cron's Next
// gives up after five years too, answering the zero time: a schedule without an instant
// in that time ("0 0 30 2 *", February 30) would never run.
const scheduleHorizonYears = 5

// minEvery is the shortest @every interval. The scheduler counts whole seconds: robfig/cron
// runs "@every 0s", "@every -1s" and "@every 200ms" every second and "@every 1.5s" every
// second too, which is not what they say, so they are refused instead.
const minEvery = time.Second

// ParseSchedule parses a job's cron schedule in its time zone ("" means the host's local
// zone), exactly as validate checks it (checkSchedule) and the daemon runs it. The zone
// comes from time_zone alone: a CRON_TZ= or TZ= prefix in the schedule is refused, and so
// are an @every interval that is not a whole number of seconds of at least one second
// and a schedule that never fires (no instant in the next five years).
func ParseSchedule(spec, timeZone string) (cron.Schedule, error) {
	if timeZone != "" {
		if _, err := time.LoadLocation(timeZone); err != nil {
			return nil, fmt.Errorf("time zone %q: %w", timeZone, err)
		}
	}
	s, err := parseSpec(spec, timeZone, time.Now())
	if err != nil {
		return nil, fmt.Errorf("schedule %q: %w", cronSpec(spec, timeZone), err)
	}
	return s, nil
}

// cronSpec is spec as the cron parser reads it: prefixed with CRON_TZ= when a time zone is
// given and spec does not set one itself (which parseSpec refuses).
func cronSpec(spec, timeZone string) string {
	spec = strings.TrimSpace(spec)
	if timeZone == "" || hasZonePrefix(spec) {
		return spec
	}
	return "CRON_TZ=" + timeZone + " " + spec
}

// parseSpec parses spec in timeZone (already known to load) and checks that it fires, at
// the interval it says, after now.
func parseSpec(spec, timeZone string, now time.Time) (cron.Schedule, error) {
	spec = strings.TrimSpace(spec)
	if hasZonePrefix(spec) {
		return nil, errors.New("set the time zone with time_zone, not in the schedule")
	}
	if every, ok := strings.CutPrefix(spec, "@every "); ok {
		if err := checkEvery(strings.TrimSpace(every)); err != nil {
			return nil, err
		}
	}
	s, err := cronParser.Parse(cronSpec(spec, timeZone))
	if err != nil {
		return nil, err
	}
	if s.Next(now).IsZero() {
		return nil, fmt.Errorf("it never fires: no time in the next %d years matches it", scheduleHorizonYears)
	}
	return s, nil
}

// checkEvery refuses an @every interval the scheduler would not keep (see minEvery); an
// interval that does not parse is left to the cron parser's message.
func checkEvery(interval string) error {
	d, err := time.ParseDuration(interval)
	switch {
	case err != nil:
		return nil
	case d <= 0:
		return fmt.Errorf("the interval %s is not positive: @every needs at least %s", interval, minEvery)
	case d < minEvery:
		return fmt.Errorf("the interval %s is shorter than %s, the shortest the scheduler keeps", interval, minEvery)
	case d%time.Second != 0:
		return fmt.Errorf("the interval %s is not a whole number of seconds, which the scheduler counts in", interval)
	}
	return nil
}

// hasZonePrefix reports a schedule that sets its own time zone.
func hasZonePrefix(spec string) bool {
	return strings.HasPrefix(spec, "CRON_TZ=") || strings.HasPrefix(spec, "TZ=")
}
