// Command goloop is the hardware limit of the article's anomaly job: one Go
// loop that reads JSON Lines, parses each line, keeps those whose
// temperature is above 100 and writes them with "anomaly": true - no
// framework, no windows, no dead letters. scripts/bench.sh runs it beside
// beamlens, PyFlink and Beam Python on the same input.
//
// Usage: goloop INPUT OUTPUT
package main

import (
	"bufio"
	"bytes"
	"fmt"
	"os"

	"github.com/valyala/fastjson"
)

func main() {
	if len(os.Args) != 3 {
		fmt.Fprintln(os.Stderr, "usage: goloop INPUT OUTPUT")
		os.Exit(2)
	}
	if err := run(os.Args[1], os.Args[2]); err != nil {
		fmt.Fprintln(os.Stderr, "goloop:", err)
		os.Exit(1)
	}
}

func run(in, out string) error {
	f, err := os.Open(in)
	if err != nil {
		return err
	}
	defer f.Close()
	o, err := os.Create(out)
	if err != nil {
		return err
	}
	w := bufio.NewWriterSize(o, 1<<20)
	sc := bufio.NewScanner(f)
	sc.Buffer(make([]byte, 1<<20), 16<<20)
	var p fastjson.Parser
	for sc.Scan() {
		line := bytes.TrimSpace(sc.Bytes())
		v, err := p.ParseBytes(line)
		if err != nil {
			continue // the article swallows what does not parse
		}
		t := v.Get("temperature")
		if t == nil {
			continue
		}
		// As the article's float(event.get('temperature', 0)): numbers, and
		// strings that hold one.
		temp, err := t.Float64()
		if err != nil {
			if s, serr := t.StringBytes(); serr == nil {
				if _, err := fmt.Sscan(string(s), &temp); err != nil {
					continue
				}
			} else {
				continue
			}
		}
		if temp > 100 {
			w.Write(line[:len(line)-1])
			w.WriteString(`,"anomaly":true}` + "\n")
		}
	}
	if err := sc.Err(); err != nil {
		return err
	}
	if err := w.Flush(); err != nil {
		return err
	}
	return o.Close()
}
