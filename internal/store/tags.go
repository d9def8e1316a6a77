package store

import (
	"encoding/json"
	"fmt"
)

// Both stores keep a resource's tags in a tags column (a JSON object)
// beside its document, never in the document, so that TagResource and state
// changes never overwrite each other. These helpers read and write it.

// EncodeTags renders tags for the tags column; no tags is "{}".
func EncodeTags(tags map[string]string) string {
	if len(tags) == 0 {
		return "{}"
	}
	b, _ := json.Marshal(tags) // a map of strings always encodes
	return string(b)
}

// DecodeTags reads the tags column; no tags is nil, as the API omits them.
func DecodeTags(s string) (map[string]string, error) {
	var tags map[string]string
	if err := json.Unmarshal([]byte(s), &tags); err != nil {
		return nil, fmt.Errorf("decode tags: %w", err)
	}
	if len(tags) == 0 {
		return nil, nil
	}
	return tags, nil
}

// TagCache decodes tags columns, keeping the maps of the last few distinct
// values: the records of one run (and the runs of one team) repeat them.
// The maps it returns are shared and must not be changed.
type TagCache map[string]map[string]string

const tagCacheSize = 4096

// Decode is DecodeTags through the cache.
func (c *TagCache) Decode(s string) (map[string]string, error) {
	if s == "{}" {
		return nil, nil
	}
	if m, ok := (*c)[s]; ok {
		return m, nil
	}
	m, err := DecodeTags(s)
	if err != nil {
		return nil, err
	}
	if *c == nil || len(*c) >= tagCacheSize {
		*c = make(TagCache)
	}
	(*c)[s] = m
	return m, nil
}
