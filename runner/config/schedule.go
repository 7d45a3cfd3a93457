package config

import (
	"fmt"
	"strings"
	"time"

	"github.com/robfig/cron/v3"
)

// cronParser accepts the five standard fields and descriptors (@daily, @every 1h, ...).
var cronParser = cron.NewParser(cron.Minute | cron.Hour | cron.Dom | cron.Month | cron.Dow | cron.Descriptor)

// ParseSchedule parses a job's cron schedule in its time zone ("" means the host's local
// zone), exactly as validate checks it (checkSchedule) and the daemon runs it. The zone
// comes from time_zone alone: a CRON_TZ= or TZ= prefix in the schedule is refused.
func ParseSchedule(spec, timeZone string) (cron.Schedule, error) {
	spec = strings.TrimSpace(spec)
	if hasZonePrefix(spec) {
		return nil, fmt.Errorf("schedule %q: set the time zone with time_zone, not in the schedule", spec)
	}
	if timeZone != "" {
		if _, err := time.LoadLocation(timeZone); err != nil {
			return nil, fmt.Errorf("time zone %q: %w", timeZone, err)
		}
		spec = "CRON_TZ=" + timeZone + " " + spec
	}
	s, err := cronParser.Parse(spec)
	if err != nil {
		return nil, fmt.Errorf("schedule %q: %w", spec, err)
	}
	return s, nil
}

// hasZonePrefix reports a schedule that sets its own time zone.
func hasZonePrefix(spec string) bool {
	return strings.HasPrefix(spec, "CRON_TZ=") || strings.HasPrefix(spec, "TZ=")
}
