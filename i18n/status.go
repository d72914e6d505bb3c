package i18n

import (
	"crypto/sha256"
	"encoding/hex"

	"golang.org/x/text/unicode/norm"
)

// Status says how far a string in one language can be trusted.
type Status uint8

// Statuses, from least to most trusted.
const (
	Missing  Status = iota // the language lacks the key: the Vietnamese text is shown
	Draft                  // machine- or non-native-written, nobody has checked it
	Stale                  // reviewed, but the Vietnamese text changed since
	Reviewed               // checked by a native speaker (reviewer and date in the file)
	Source                 // written by the team (vi, en)
)

func (s Status) String() string {
	switch s {
	case Missing:
		return "missing"
	case Draft:
		return "draft"
	case Stale:
		return "stale"
	case Reviewed:
		return "reviewed"
	case Source:
		return "source"
	}
	return "unknown"
}

// Unchecked reports whether a resident must not depend on the text alone.
func (s Status) Unchecked() bool { return s == Draft || s == Stale }

// SourceHash identifies a Vietnamese text, so a review can name what it was checked against.
func SourceHash(vi string) string {
	sum := sha256.Sum256([]byte(norm.NFC.String(vi)))
	return hex.EncodeToString(sum[:4])
}

// Review is the status of one string with who reviewed it and when.
type Review struct {
	Status Status
	By     string
	Date   string
}

// resolve works out the status of key in file f of a language that needs review, given the
// current Vietnamese text. A file without _status is all drafts: nothing is passed off as
// reviewed by accident.
func resolve(f *File, key, vi string) Review {
	st := f.Status
	if st == nil {
		return Review{Status: Draft}
	}
	state, by, date, hash := st.Status, st.By, st.Date, ""
	if ks, ok := st.Strings[key]; ok {
		state, by, date, hash = ks.Status, ks.By, ks.Date, ks.Vi
	}
	if state != StateReviewed {
		return Review{Status: Draft}
	}
	if hash != "" && hash != SourceHash(vi) {
		return Review{Status: Stale, By: by, Date: date}
	}
	return Review{Status: Reviewed, By: by, Date: date}
}
