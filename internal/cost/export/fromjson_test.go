package export

import (
	"reflect"
	"testing"
)

// FromJSON gives back the report ToJSON was given.
func TestFromJSONRoundTrip(t *testing.T) {
	rep := report(t)
	if len(rep.Rows) == 0 {
		t.Fatal("fixture report has no rows")
	}
	j := ToJSON(rep)
	back, err := FromJSON(&j)
	if err != nil {
		t.Fatalf("FromJSON() error = %v", err)
	}
	if !reflect.DeepEqual(ToJSON(back), j) {
		t.Errorf("FromJSON(ToJSON(r)) differs:\n got %+v\nwant %+v", ToJSON(back), j)
	}
	if !reflect.DeepEqual(back.Rows, rep.Rows) {
		t.Errorf("rows differ:\n got %+v\nwant %+v", back.Rows, rep.Rows)
	}
	j.Rows[0].Kind = "other"
	if _, err := FromJSON(&j); err == nil {
		t.Error("FromJSON(unknown kind) succeeded, want an error")
	}
}
