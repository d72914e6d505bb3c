package volunteer

import "strconv"

// keys names every Redis key the package uses. Keys of one chat carry the chat id as a hash
// tag ({123}) so that they share a Redis Cluster slot with the chat's session and can be
// deleted together. Global keys are few and bounded: the volunteer registry (one entry per
// volunteer, under the tag {vol}), the funnel counters (one field per guide, language and
// step, under {stats}) and the queue of help requests waiting for a volunteer ({help}).
type keys struct{ p string }

func tag(id int64) string { return "{" + strconv.FormatInt(id, 10) + "}" }

// registry: volunteer id -> JSON record.
func (k keys) registry() string { return k.p + ":{vol}:reg" }

// refs: referral code -> volunteer id.
func (k keys) refs() string { return k.p + ":{vol}:refs" }

// mode: what a volunteer's typed text answers now ("commune" during registration).
func (k keys) mode(chat int64) string { return k.p + ":vm:" + tag(chat) }

// marks: a resident's own counting marks, per guide: who referred them, whether they finished,
// and the last step reached. They keep counts from double-counting one resident; /forget
// deletes them.
func (k keys) marks(chat int64) string { return k.p + ":rf:" + tag(chat) }

// volCounts: a volunteer's counters, per guide: neighbours started and finished.
func (k keys) volCounts(vol int64) string { return k.p + ":vc:" + tag(vol) }

// funnel: "<flow>|<lang>|start", "…|done", "…|at|<step>" -> count.
func (k keys) funnel() string { return k.p + ":{stats}:funnel" }

// communes: "<commune>|<flow>|start" and "…|done" -> count, for residents a volunteer brought.
func (k keys) communes() string { return k.p + ":{stats}:communes" }

// help: one help request, keyed by its random id (it is shared by a resident and a volunteer).
func (k keys) help(rid string) string { return k.p + ":hq:{" + rid + "}" }

// resHelp: the help request a resident has open.
func (k keys) resHelp(chat int64) string { return k.p + ":hr:" + tag(chat) }

// volHelp: the conversation a volunteer is in.
func (k keys) volHelp(vol int64) string { return k.p + ":vr:" + tag(vol) }

// due: help requests waiting for a volunteer, scored by their deadline (Unix ms).
func (k keys) due() string { return k.p + ":{help}:due" }

// ended: conversations an operator ended by removing their volunteer, whose residents the
// next Due run tells.
func (k keys) ended() string { return k.p + ":{help}:ended" }

// tap is a press of one button of one message by one person, kept for the double-tap window.
func (k keys) tap(user, msg int64, data string) string {
	return k.p + ":tap:" + tag(user) + ":" + strconv.FormatInt(msg, 10) + ":" + data
}

// seen: an update the package handled itself, so a re-delivered one is applied once.
func (k keys) seen(chat, update int64) string {
	return k.p + ":u:" + tag(chat) + ":" + strconv.FormatInt(update, 10)
}
