package cost

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"os"
	"regexp"
	"slices"
	"strconv"

	"go.yaml.in/yaml/v3"
)

// PricingError is a pricing file (or Pricing) refused: the line and column
// of the value at fault when it came from a file, the field's path
// (instances.m5.xlarge.onDemand) and what is wrong.
type PricingError struct {
	File   string // as given to LoadPricing; empty for ParsePricing
	Line   int    // 1-based; 0 when unknown (a Pricing built in code)
	Column int
	Field  string
	Msg    string
	Err    error // the YAML parser's error, for a syntax error
}

func (e *PricingError) Unwrap() error { return e.Err }

func (e *PricingError) Error() string {
	var b bytes.Buffer
	b.WriteString("pricing")
	if e.File != "" {
		b.WriteString(" " + e.File)
	}
	if e.Line > 0 {
		fmt.Fprintf(&b, " line %d", e.Line)
		if e.Column > 0 {
			fmt.Fprintf(&b, " column %d", e.Column)
		}
	}
	if e.Field != "" {
		b.WriteString(": " + e.Field)
	}
	b.WriteString(": " + e.Msg)
	return b.String()
}

// LoadPricing reads and parses a pricing file; errors name the file.
func LoadPricing(path string) (*Pricing, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("read pricing: %w", err)
	}
	p, err := ParsePricing(data)
	if pe, ok := errors.AsType[*PricingError](err); ok {
		pe.File = path
	}
	return p, err
}

// ParsePricing parses a pricing file, YAML of this shape (the default file,
// default_pricing.yaml, is a full example):
//
//	currency: USD          # required: ISO 4217 code
//	region: us-east-1      # optional, informational
//	spotFraction: 0.4      # required, (0, 1]: spot price = on-demand × this when none is listed
//	cpuMemoryRatio: 0      # optional: r of the OpenCost split; 0 = fallback.perVCPUHour / fallback.perGiBHour
//	fallback:              # required: unknown instance types (and empty ones, e.g. local runs)
//	  perVCPUHour: 0.031611
//	  perGiBHour: 0.004237
//	fargate:               # optional: pods on Fargate (absent: fallback, flagged)
//	  perVCPUHour: 0.04048
//	  perGiBHour: 0.004445
//	uplift:                # optional service charge on requests; off unless enabled
//	  enabled: false
//	  perVCPUHour: 0.01012
//	  perGBHour: 0.00111125
//	instances:             # optional: instance type → size and hourly prices
//	  m5.xlarge: {vcpu: 4, memoryGiB: 16, onDemand: 0.192}   # spot: optional hourly spot price
//
// Unknown or duplicate fields, aliases, values of the wrong type and
// out-of-range numbers are refused with a *PricingError that gives the line,
// column and field at fault.
func ParsePricing(data []byte) (*Pricing, error) {
	dec := yaml.NewDecoder(bytes.NewReader(data))
	var doc yaml.Node
	if err := dec.Decode(&doc); err != nil {
		if errors.Is(err, io.EOF) {
			return nil, &PricingError{Line: 1, Msg: "empty pricing file"}
		}
		return nil, syntaxError(data, err)
	}
	var extra yaml.Node
	if err := dec.Decode(&extra); err == nil {
		return nil, &PricingError{Line: extra.Line, Column: extra.Column, Msg: "more than one YAML document"}
	} else if !errors.Is(err, io.EOF) {
		return nil, syntaxError(data, err)
	}
	ps := &parser{pos: map[string]*yaml.Node{}}
	p := &Pricing{}
	if err := ps.pricing(&doc, p); err != nil {
		return nil, err
	}
	for _, c := range p.checks() {
		if c.err != nil {
			return nil, ps.errAt(ps.pos[c.field], c.field, c.err.Error())
		}
	}
	return p, nil
}

var (
	yamlLineRE   = regexp.MustCompile(`^yaml: line (\d+): (.*)$`)
	yamlAnchorRE = regexp.MustCompile(`^yaml: unknown anchor '(.*)' referenced$`)
)

// yamlParserProblems are the problems of go.yaml.in/yaml/v3's parser (as
// against its scanner), whose errors give 0-based lines.
var yamlParserProblems = []string{
	"did not find expected <stream-start>", "did not find expected <document start>",
	"found undefined tag handle", "did not find expected node content",
	"did not find expected '-' indicator", "did not find expected key",
	"did not find expected ',' or ']'", "did not find expected ',' or '}'",
	"found duplicate %YAML directive", "found incompatible YAML document", "found duplicate %TAG directive",
}

// syntaxError maps a YAML syntax error to its 1-based line.
func syntaxError(data []byte, err error) error {
	e := &PricingError{Msg: err.Error(), Err: err}
	if m := yamlLineRE.FindStringSubmatch(e.Msg); m != nil {
		e.Line, _ = strconv.Atoi(m[1])
		if slices.Contains(yamlParserProblems, m[2]) {
			e.Line++
		}
	} else if m := yamlAnchorRE.FindStringSubmatch(e.Msg); m != nil {
		for i, line := range bytes.Split(data, []byte("\n")) {
			if bytes.Contains(line, []byte("*"+m[1])) {
				e.Line = i + 1
				break
			}
		}
	}
	if lines := lineCount(data); e.Line > lines {
		e.Line = lines
	}
	return e
}

// lineCount is an upper bound of the lines YAML sees in data: it breaks
// lines at \n, \r, NEL, LS and PS.
func lineCount(data []byte) int {
	n := 1
	for _, r := range string(data) {
		switch r {
		case '\n', '\r', '\u0085', '\u2028', '\u2029':
			n++
		}
	}
	return n
}

type parser struct {
	pos map[string]*yaml.Node // field path → its value, for error lines
}

func (ps *parser) errAt(n *yaml.Node, field, msg string) *PricingError {
	e := &PricingError{Field: field, Msg: msg}
	if n != nil {
		e.Line, e.Column = n.Line, n.Column
	}
	return e
}

// field handles the value of a mapping key.
type field func(v *yaml.Node, path string) error

// mapping walks a mapping node of known fields: each key must be known,
// once; required keys must be there.
func (ps *parser) mapping(n *yaml.Node, path string, fields map[string]field, required ...string) error {
	return ps.walk(n, path, func(k string) field { return fields[k] }, required...)
}

// walk walks a mapping node, handling each key's value with lookup(key)
// (nil: an unknown field).
func (ps *parser) walk(n *yaml.Node, path string, lookup func(key string) field, required ...string) error {
	if n.Kind != yaml.MappingNode {
		return ps.errAt(n, path, "must be a mapping")
	}
	seen := map[string]bool{}
	for i := 0; i+1 < len(n.Content); i += 2 {
		k, v := n.Content[i], n.Content[i+1]
		if k.Kind == yaml.ScalarNode && k.ShortTag() == "!!merge" {
			return ps.errAt(k, join(path, k.Value), "merge keys are not supported")
		}
		if k.Kind != yaml.ScalarNode || k.ShortTag() != "!!str" {
			return ps.errAt(k, path, "keys must be strings, got "+describe(k))
		}
		fp := join(path, k.Value)
		if v.Kind == yaml.AliasNode || k.Kind == yaml.AliasNode {
			return ps.errAt(v, fp, "aliases are not supported")
		}
		if seen[k.Value] {
			return ps.errAt(k, fp, "duplicate field")
		}
		seen[k.Value] = true
		ps.pos[fp] = v
		h := lookup(k.Value)
		if h == nil {
			return ps.errAt(k, fp, "unknown field")
		}
		if err := h(v, fp); err != nil {
			return err
		}
	}
	for _, r := range required {
		if !seen[r] {
			return ps.errAt(n, join(path, r), "missing required field")
		}
	}
	return nil
}

func join(path, key string) string {
	if path == "" {
		return key
	}
	return path + "." + key
}

func (ps *parser) pricing(doc *yaml.Node, p *Pricing) error {
	if len(doc.Content) != 1 {
		return &PricingError{Line: doc.Line, Msg: "empty pricing file"}
	}
	root := doc.Content[0]
	if root.Kind == yaml.ScalarNode && root.ShortTag() == "!!null" {
		return ps.errAt(root, "", "empty pricing file")
	}
	return ps.mapping(root, "", map[string]field{
		"currency":       ps.str(&p.Currency),
		"region":         ps.str(&p.Region),
		"spotFraction":   ps.number(&p.SpotFraction),
		"cpuMemoryRatio": ps.number(&p.CPUMemoryRatio),
		"fallback":       ps.rates(&p.Fallback, "perGiBHour"),
		"fargate": func(v *yaml.Node, path string) error {
			p.Fargate = &Rates{}
			return ps.rates(p.Fargate, "perGiBHour")(v, path)
		},
		"uplift": func(v *yaml.Node, path string) error {
			return ps.mapping(v, path, map[string]field{
				"enabled":     ps.boolean(&p.Uplift.Enabled),
				"perVCPUHour": ps.number(&p.Uplift.PerVCPUHour),
				"perGBHour":   ps.number(&p.Uplift.PerGBHour),
			}, "perVCPUHour", "perGBHour")
		},
		"instances": func(v *yaml.Node, path string) error {
			p.Instances = map[string]Instance{}
			return ps.walk(v, path, func(name string) field { return ps.instance(p.Instances, name) })
		},
	}, "currency", "spotFraction", "fallback")
}

func (ps *parser) rates(r *Rates, memKey string) field {
	return func(v *yaml.Node, path string) error {
		return ps.mapping(v, path, map[string]field{
			"perVCPUHour": ps.number(&r.PerVCPUHour),
			memKey:        ps.number(&r.PerGiBHour),
		}, "perVCPUHour", memKey)
	}
}

func (ps *parser) instance(m map[string]Instance, name string) field {
	return func(v *yaml.Node, path string) error {
		var in Instance
		err := ps.mapping(v, path, map[string]field{
			"vcpu":      ps.number(&in.VCPU),
			"memoryGiB": ps.number(&in.MemoryGiB),
			"onDemand":  ps.number(&in.OnDemand),
			"spot":      ps.number(&in.Spot),
		}, "vcpu", "memoryGiB", "onDemand")
		m[name] = in
		return err
	}
}

func (ps *parser) number(dst *float64) field {
	return func(v *yaml.Node, path string) error {
		if v.Kind != yaml.ScalarNode || (v.ShortTag() != "!!int" && v.ShortTag() != "!!float") {
			return ps.errAt(v, path, "must be a number, got "+describe(v))
		}
		if err := v.Decode(dst); err != nil {
			return ps.errAt(v, path, fmt.Sprintf("must be a number, got %q", v.Value))
		}
		return nil
	}
}

func (ps *parser) str(dst *string) field {
	return func(v *yaml.Node, path string) error {
		if v.Kind != yaml.ScalarNode || v.ShortTag() != "!!str" {
			return ps.errAt(v, path, "must be a string, got "+describe(v))
		}
		*dst = v.Value
		return nil
	}
}

func (ps *parser) boolean(dst *bool) field {
	return func(v *yaml.Node, path string) error {
		if v.Kind != yaml.ScalarNode || v.ShortTag() != "!!bool" {
			return ps.errAt(v, path, "must be true or false, got "+describe(v))
		}
		return v.Decode(dst)
	}
}

// describe names what a node holds, for errors.
func describe(v *yaml.Node) string {
	switch v.Kind {
	case yaml.MappingNode:
		return "a mapping"
	case yaml.SequenceNode:
		return "a list"
	case yaml.AliasNode:
		return "an alias"
	}
	if v.ShortTag() == "!!null" {
		return "nothing"
	}
	return strconv.Quote(v.Value)
}
