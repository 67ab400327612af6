package store

import "strings"

// A page cursor is base64url("<list>\n<position>"): the list that issued it,
// with its filter (whose seats, whose history, which status), and the last
// item's position in it. A list takes only its own cursors, so one used on
// another list, or with another filter, is ErrBadCursor rather than a page
// that starts somewhere in a different list. The tag is no signature: the
// position is still checked against the list's key condition.
func listCursor(list, position string) []byte { return []byte(list + "\n" + position) }

// cursorIn returns the position of a decoded cursor that list issued.
func cursorIn(list string, raw []byte) (string, bool) {
	l, position, ok := strings.Cut(string(raw), "\n")
	return position, ok && l == list
}
