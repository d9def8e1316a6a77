package sqlite

import (
	"encoding/json"
	"fmt"

	"github.com/sparkplane/sparkplane/internal/emr"
)

// Tags live in a `tags` column (a JSON object) beside each resource's
// document, never in the document: the API's TagResource writes only the
// column and state changes only the document, so neither overwrites the
// other. Readers put the two together.

// encodeTags renders tags for the tags column.
func encodeTags(tags map[string]string) (string, error) {
	if len(tags) == 0 {
		return "{}", nil
	}
	b, err := json.Marshal(tags)
	if err != nil {
		return "", fmt.Errorf("encode tags: %w", err)
	}
	return string(b), nil
}

// decodeTags reads the tags column; no tags is nil, as the API omits them.
func decodeTags(s string) (map[string]string, error) {
	var tags map[string]string
	if err := json.Unmarshal([]byte(s), &tags); err != nil {
		return nil, fmt.Errorf("decode tags: %w", err)
	}
	if len(tags) == 0 {
		return nil, nil
	}
	return tags, nil
}

// vcDoc, runDoc: the JSON documents of resources, without their tags.
func vcDoc(vc *emr.VirtualCluster) ([]byte, error) {
	c := *vc
	c.Tags = nil
	return json.Marshal(&c)
}

func runDoc(run *emr.JobRun) ([]byte, error) {
	c := *run
	c.Tags = nil
	return json.Marshal(&c)
}
