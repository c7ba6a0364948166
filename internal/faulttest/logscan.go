package faulttest

import (
	"bufio"
	"encoding/json"
	"os"
	"strings"
)

// LogReport summarises a server log (stderr of every start, JSON lines).
type LogReport struct {
	Starts   int      `json:"starts"`
	Warnings int      `json:"warnings"` // WARN and ERROR lines
	Sample   []string `json:"sample,omitempty"`
}

// ScanLog reads the log Start appended to: a data race report or a panic
// is a violation; warnings and errors are counted, with a sample.
func ScanLog(path string, v *Violations) LogReport {
	var rep LogReport
	f, err := os.Open(path)
	if err != nil {
		v.Add("server log: %v", err)
		return rep
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	sc.Buffer(make([]byte, 1<<20), 1<<20)
	for sc.Scan() {
		line := sc.Text()
		switch {
		case strings.HasPrefix(line, "---- "):
			rep.Starts++
			continue
		case strings.Contains(line, "WARNING: DATA RACE"):
			v.Add("server log: data race reported (%s)", path)
		case strings.HasPrefix(line, "panic:") || strings.HasPrefix(line, "fatal error:"):
			v.Add("server log: %s", line)
		}
		var entry struct {
			Level string `json:"level"`
		}
		if json.Unmarshal([]byte(line), &entry) == nil && (entry.Level == "WARN" || entry.Level == "ERROR") {
			rep.Warnings++
			if len(rep.Sample) < 5 {
				if len(line) > 300 {
					line = line[:300]
				}
				rep.Sample = append(rep.Sample, line)
			}
		}
	}
	return rep
}
