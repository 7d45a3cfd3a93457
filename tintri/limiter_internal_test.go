package tintri

import (
	"context"
	"testing"
)

// admitted returns a limiter (adaptive unless fixed, within [lo, 64], its limit raised to
// 16) and n attempts it admitted.
func admitted(t *testing.T, lo, n int, fixed bool) (*limiter, []*slot) {
	t.Helper()
	l := newLimiter(lo, 64, !fixed, nil)
	l.limit = 16
	slots := make([]*slot, n)
	for i := range slots {
		sl, err := l.acquire(context.Background())
		if err != nil {
			t.Fatal(err)
		}
		slots[i] = sl
	}
	return l, slots
}

// TestPushBackCap: a refusal caps the limit at the most requests the server can have held
// when it refused: those sent and unanswered when the refused one was sent, and those sent
// until its answer came. Requests admitted but never sent and answers arriving before the
// refusal's do not lower the estimate; the lowest estimate wins, within the floor; a
// refusal with none of ours ahead, or to a fixed limiter, caps nothing.
func TestPushBackCap(t *testing.T) {
	t.Run("held", func(t *testing.T) {
		l, s := admitted(t, 1, 12, false)
		for _, sl := range s[:9] {
			l.sent(sl)
		}
		l.answer(s[0], false)
		l.answer(s[1], false)
		l.sent(s[9]) // refused: 7 ahead of it (s[2] … s[8])
		l.answer(s[2], false)
		l.answer(s[3], false)
		l.sent(s[10]) // sent before the refusal came back: 8; s[11] still connecting
		l.answer(s[9], true)
		if l.ceiling != 8 || l.cur() != 8 {
			t.Errorf("ceiling %d, limit %d after a refusal with 7 ahead and 1 sent behind, want 8", l.ceiling, l.cur())
		}
	})
	t.Run("lowest wins", func(t *testing.T) {
		l, s := admitted(t, 1, 9, false)
		for _, sl := range s[:6] {
			l.sent(sl)
		}
		l.answer(s[5], true) // 5 ahead
		l.sent(s[6])
		l.sent(s[7])
		l.answer(s[7], true) // 6 ahead
		if l.ceiling != 5 {
			t.Errorf("ceiling %d after refusals with 5 and 6 ahead, want 5", l.ceiling)
		}
		for _, sl := range s[:4] {
			l.answer(sl, false)
		}
		l.sent(s[8])
		l.answer(s[8], true) // 2 ahead (s[4], s[6])
		if l.ceiling != 2 {
			t.Errorf("ceiling %d after a third refusal with 2 ahead, want 2", l.ceiling)
		}
	})
	t.Run("floor", func(t *testing.T) {
		l, s := admitted(t, 4, 3, false)
		for _, sl := range s {
			l.sent(sl)
		}
		l.answer(s[2], true) // 2 ahead
		if l.ceiling != 4 {
			t.Errorf("ceiling %d, want the floor 4", l.ceiling)
		}
	})
	t.Run("none ahead", func(t *testing.T) {
		l, s := admitted(t, 1, 3, false)
		l.sent(s[0])
		l.answer(s[0], true)
		if l.ceiling != 64 || l.cur() != 16 {
			t.Errorf("ceiling %d, limit %d after a refusal with none of ours ahead, want 64 and 16", l.ceiling, l.cur())
		}
	})
	t.Run("fixed", func(t *testing.T) {
		l, s := admitted(t, 1, 3, true)
		for _, sl := range s {
			l.sent(sl)
		}
		l.answer(s[2], true)
		if l.ceiling != 64 || l.cur() != 16 {
			t.Errorf("fixed: ceiling %d, limit %d after a refusal, want unchanged", l.ceiling, l.cur())
		}
	})
}

// TestUnheard: the requests sent and unanswered are counted once each whatever the order
// of the transport's notices (an answer before the headers' notice, headers written twice
// by a transport retrying on a fresh connection, a request failing after it was sent), and
// none remain once every attempt is done.
func TestUnheard(t *testing.T) {
	l, s := admitted(t, 1, 4, false)
	l.answer(s[0], false)
	l.sent(s[0]) // the notice after the answer
	l.sent(s[1])
	l.sent(s[1])
	l.sent(s[2])
	l.sent(s[3])
	if l.unheard != 3 || s[3].ahead != 2 {
		t.Fatalf("unheard %d, %d ahead of the last, want 3 and 2", l.unheard, s[3].ahead)
	}
	l.answer(s[1], false)
	for _, sl := range s {
		l.done(sl, sample{}) // s[2] and s[3] without an answer
	}
	if l.unheard != 0 || l.inflight != 0 {
		t.Errorf("after every attempt: unheard %d, in flight %d, want 0", l.unheard, l.inflight)
	}
}

// TestLimiterDefaults: an unset config is adaptive, starting at 4 within [1, 64]; with
// DisableAdaptive the limit is fixed at 8, or at MaxInflight; MinInflight sets the floor.
func TestLimiterDefaults(t *testing.T) {
	for _, tt := range []struct {
		cfg                 Config
		min, ceiling, limit int
		adaptive            bool
	}{
		{Config{}, 1, 64, 4, true},
		{Config{MaxInflight: 2}, 1, 2, 2, true},
		{Config{MinInflight: 6, MaxInflight: 32}, 6, 32, 6, true},
		{Config{DisableAdaptive: true}, 1, 8, 8, false},
		{Config{DisableAdaptive: true, MaxInflight: 3}, 1, 3, 3, false},
	} {
		l, err := newConnLimiter(tt.cfg, "h")
		if err != nil {
			t.Fatal(err)
		}
		if l.min != tt.min || l.ceiling != tt.ceiling || l.cur() != tt.limit || l.adaptive != tt.adaptive {
			t.Errorf("%+v: floor %d, ceiling %d, limit %d, adaptive %v; want %d, %d, %d, %v",
				tt.cfg, l.min, l.ceiling, l.cur(), l.adaptive, tt.min, tt.ceiling, tt.limit, tt.adaptive)
		}
	}
}
