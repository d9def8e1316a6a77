package iam

import (
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
)

// unmarshalObject decodes raw into m, requiring a JSON object.
func unmarshalObject(raw []byte, m *map[string]json.RawMessage) error {
	if firstByte(raw) != '{' {
		if !json.Valid(raw) {
			return errors.New("invalid JSON")
		}
		return errors.New("must be a JSON object")
	}
	if err := json.Unmarshal(raw, m); err != nil {
		return fmt.Errorf("invalid JSON: %v", err)
	}
	return nil
}

// decodeStrings decodes a string or a non-empty array of strings, the shape
// Action, NotAction, Resource and NotResource take.
func decodeStrings(raw json.RawMessage) ([]string, error) {
	switch firstByte(raw) {
	case '"':
		var s string
		if err := json.Unmarshal(raw, &s); err != nil {
			return nil, errors.New("must be a string or an array of strings")
		}
		return []string{s}, nil
	case '[':
		var list []json.RawMessage
		if err := json.Unmarshal(raw, &list); err != nil {
			return nil, errors.New("must be a string or an array of strings")
		}
		if len(list) == 0 {
			return nil, errors.New("must not be an empty array")
		}
		out := make([]string, len(list))
		for i, e := range list {
			if firstByte(e) != '"' || json.Unmarshal(e, &out[i]) != nil {
				return nil, fmt.Errorf("element %d must be a string", i)
			}
		}
		return out, nil
	}
	return nil, errors.New("must be a string or an array of strings")
}

// decodeCondition decodes {operator: {key: value or [values]}}. Values may
// be strings, numbers or booleans (IAM accepts "Bool": {"k": true}); numbers
// keep their JSON spelling.
func decodeCondition(raw json.RawMessage) (map[string]map[string][]string, error) {
	var ops map[string]json.RawMessage
	if err := unmarshalObject(raw, &ops); err != nil {
		return nil, err
	}
	out := make(map[string]map[string][]string, len(ops))
	for op, rawKeys := range ops {
		var keys map[string]json.RawMessage
		if err := unmarshalObject(rawKeys, &keys); err != nil {
			return nil, fmt.Errorf("%s: %w", op, err)
		}
		block := make(map[string][]string, len(keys))
		for k, rawVals := range keys {
			vals, err := decodeScalars(rawVals)
			if err != nil {
				return nil, fmt.Errorf("%s.%s: %w", op, k, err)
			}
			block[k] = vals
		}
		out[op] = block
	}
	return out, nil
}

// decodeScalars decodes a scalar or an array of scalars.
func decodeScalars(raw json.RawMessage) ([]string, error) {
	if firstByte(raw) != '[' {
		s, err := decodeScalar(raw)
		if err != nil {
			return nil, err
		}
		return []string{s}, nil
	}
	var list []json.RawMessage
	if err := json.Unmarshal(raw, &list); err != nil {
		return nil, errors.New("invalid value list")
	}
	out := make([]string, len(list))
	for i, e := range list {
		s, err := decodeScalar(e)
		if err != nil {
			return nil, fmt.Errorf("element %d: %w", i, err)
		}
		out[i] = s
	}
	return out, nil
}

func decodeScalar(raw json.RawMessage) (string, error) {
	const bad = "must be a string, number or boolean"
	switch c := firstByte(raw); {
	case c == '"':
		var s string
		if err := json.Unmarshal(raw, &s); err != nil {
			return "", errors.New(bad)
		}
		return s, nil
	case c == 't' || c == 'f':
		var b bool
		if err := json.Unmarshal(raw, &b); err != nil {
			return "", errors.New(bad)
		}
		return strconv.FormatBool(b), nil
	case c == '-' || ('0' <= c && c <= '9'):
		var n json.Number
		if err := json.Unmarshal(raw, &n); err != nil {
			return "", errors.New(bad)
		}
		return n.String(), nil
	}
	return "", errors.New(bad)
}
