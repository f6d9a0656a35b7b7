package config

import (
	"errors"
	"fmt"
	"sort"
	"strconv"
	"strings"
)

// maxProblems bounds the problems reported for one file.
const maxProblems = 1000

// problem is one thing wrong with the configuration.
type problem struct {
	line int    // line in the file; 0 when unknown
	path string // the value concerned, e.g. "targets[0].api.timeout"; "" for the file
	// detail follows the key in the message, e.g. the path of a file.
	detail string
	msg    string
	// keyed problems name their key and its place in msg themselves
	// (unknown and duplicate keys).
	keyed bool
}

// report joins problems into one error, in the order of the file; nil
// when there are none. At most maxProblems are listed.
func report(probs []problem, targets []Target) error {
	var errs []error
	for i, p := range sortProblems(probs) {
		if i == maxProblems {
			errs = append(errs, fmt.Errorf("and %d more problems", len(probs)-maxProblems))
			break
		}
		errs = append(errs, errors.New(p.render(targets)))
	}
	return errors.Join(errs...)
}

func sortProblems(probs []problem) []problem {
	sort.SliceStable(probs, func(i, j int) bool { return probs[i].line < probs[j].line })
	return probs
}

// render formats a problem as "line 12: target "a" (targets[0]):
// api.timeout: 5ms is below the minimum of 100ms".
func (p problem) render(targets []Target) string {
	var parts []string
	if p.line > 0 {
		parts = append(parts, "line "+strconv.Itoa(p.line))
	}
	field := p.path
	if i, rest, ok := splitTarget(p.path); ok {
		label := fmt.Sprintf("targets[%d]", i)
		if i < len(targets) && targets[i].Name != "" {
			label = fmt.Sprintf("target %q (%s)", truncate(targets[i].Name), label)
		}
		parts = append(parts, label)
		field = rest
	}
	if field != "" && !p.keyed {
		if p.detail != "" {
			field += " " + p.detail
		}
		parts = append(parts, clip(field, 256))
	}
	return strings.Join(append(parts, p.msg), ": ")
}

// splitTarget splits "targets[3].api.timeout" into 3 and "api.timeout".
func splitTarget(path string) (index int, rest string, ok bool) {
	s, ok := strings.CutPrefix(path, "targets[")
	if !ok {
		return 0, "", false
	}
	end := strings.IndexByte(s, ']')
	if end < 0 {
		return 0, "", false
	}
	index, err := strconv.Atoi(s[:end])
	if err != nil {
		return 0, "", false
	}
	return index, strings.TrimPrefix(s[end+1:], "."), true
}
