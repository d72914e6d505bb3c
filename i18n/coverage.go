package i18n

import (
	"fmt"
	"io"
	"text/tabwriter"
)

// Coverage is how much of the base catalog one language has, and how much of it is reviewed.
type Coverage struct {
	Lang     string
	English  string
	Total    int // keys of the base catalog
	Present  int // keys the language has (drafts count as present)
	Reviewed int // reviewed, or written by the team (vi, en)
	Draft    int
	Stale    int      // reviewed against an older Vietnamese text
	Missing  []string // keys that show in Vietnamese
	Disabled error    // the language did not load
}

// Percent is the share of keys present, rounded down, so 100 means every key.
func (cv Coverage) Percent() int {
	if cv.Total == 0 {
		return 100
	}
	return cv.Present * 100 / cv.Total
}

// Coverage reports every language of the table, enabled or not, in picker order.
func (c *Catalog) Coverage() []Coverage {
	keys := c.BaseKeys()
	var out []Coverage
	for _, l := range languages {
		cv := Coverage{Lang: l.Tag, English: l.English, Total: len(keys), Disabled: c.disabled[l.Tag]}
		if c.data[l.Tag] == nil {
			if cv.Disabled == nil {
				cv.Disabled = fmt.Errorf("not loaded")
			}
			cv.Missing = keys
			out = append(out, cv)
			continue
		}
		for _, key := range keys {
			switch c.Review(l.Tag, key).Status {
			case Missing:
				cv.Missing = append(cv.Missing, key)
				continue
			case Draft:
				cv.Draft++
			case Stale:
				cv.Stale++
			case Reviewed, Source:
				cv.Reviewed++
			}
			cv.Present++
		}
		out = append(out, cv)
	}
	return out
}

// WriteCoverage prints a coverage table, one row per language, for `hocvuso check`.
func WriteCoverage(w io.Writer, rows []Coverage) error {
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "language\tname\tkeys\tpresent\treviewed\tdraft\tstale\tmissing\tstatus")
	for _, r := range rows {
		state := "reviewed"
		l, _ := LanguageOf(r.Lang)
		switch {
		case r.Disabled != nil:
			state = "DISABLED: " + r.Disabled.Error()
		case !l.Review:
			state = "source (written by the team)"
		case r.Draft+r.Stale > 0:
			state = "drafts shown with Vietnamese"
		}
		fmt.Fprintf(tw, "%s\t%s\t%d\t%d%%\t%d\t%d\t%d\t%d\t%s\n", r.Lang, r.English, r.Total, r.Percent(), r.Reviewed, r.Draft, r.Stale, len(r.Missing), state)
	}
	return tw.Flush()
}
