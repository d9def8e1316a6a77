package emr

import (
	"testing"
	"time"
)

func TestDecideAdmission(t *testing.T) {
	waiting := &Admission{Waiting: "Waiting for capacity: needs driver 250m/896Mi."}
	for _, tc := range []struct {
		name    string
		details string
		admit   *Admission
		want    Decision
	}{
		{"ask first", "", nil, Decision{Do: ActAdmit}},
		{"fits: submit", "", &Admission{OK: true}, Decision{Do: ActSubmit}},
		{"waits: say why", "", waiting, Decision{After: AdmissionRecheck, Details: waiting.Waiting}},
		{"waits, said already: nothing to write", waiting.Waiting, waiting, Decision{After: AdmissionRecheck}},
		{"waits for something else now", "Waiting for quota.", waiting, Decision{After: AdmissionRecheck, Details: waiting.Waiting}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			run := &JobRun{ID: "r", State: JobRunPending, StateDetails: tc.details}
			got := Decide(Snapshot{Run: run, Now: time.Now(), Registered: true, Slot: true, Admit: true, Admission: tc.admit})
			if got.Do != tc.want.Do || got.After != tc.want.After || got.Details != tc.want.Details || len(got.Steps) != 0 {
				t.Errorf("Decide() = %+v, want %+v", got, tc.want)
			}
			if tc.admit != nil && !tc.admit.OK && got.Idle() {
				t.Error("a waiting head is idle: it would never be looked at again")
			}
		})
	}
	// Without a slot a run is not even asked about.
	if d := Decide(Snapshot{Run: &JobRun{State: JobRunPending}, Registered: true, Admit: true}); !d.Idle() {
		t.Errorf("no slot: %+v, want idle", d)
	}
	// Once submitted, a run that waited says so; one that did not says nothing.
	for details, want := range map[string]string{"Waiting for capacity.": admittedDetails, "": ""} {
		run := &JobRun{State: JobRunPending, StateDetails: details}
		d := Decide(Snapshot{Run: run, Registered: true, Slot: true, Admit: true, Admission: &Admission{OK: true}, Submitted: true})
		if len(d.Steps) != 1 || d.Steps[0].To != JobRunSubmitted || d.Steps[0].Details != want {
			t.Errorf("submitted after %q: %+v, want SUBMITTED with %q", details, d.Steps, want)
		}
	}
}

// On a runtime that stages waiting runs, a run is staged before it waits:
// behind the head, or the head refused; never one that is admitted, and
// once per pass.
func TestDecideStaging(t *testing.T) {
	waiting := &Admission{Waiting: "Waiting for capacity."}
	run := func() *JobRun { return &JobRun{ID: "r", State: JobRunPending} }
	for _, tc := range []struct {
		name string
		snap Snapshot
		want Action
	}{
		{"behind the head: stage", Snapshot{Admit: true, Stage: true}, ActStage},
		{"behind the head, staged: wait", Snapshot{Admit: true, Stage: true, Staged: true}, ActNone},
		{"head: ask first", Snapshot{Slot: true, Admit: true, Stage: true}, ActAdmit},
		{"head admitted: submit, no staging", Snapshot{Slot: true, Admit: true, Stage: true, Admission: &Admission{OK: true}}, ActSubmit},
		{"head refused: stage", Snapshot{Slot: true, Admit: true, Stage: true, Admission: waiting}, ActStage},
		{"runtime that does not stage: wait", Snapshot{Admit: true}, ActNone},
	} {
		t.Run(tc.name, func(t *testing.T) {
			s := tc.snap
			s.Run, s.Now, s.Registered = run(), time.Now(), true
			if got := Decide(s); got.Do != tc.want {
				t.Errorf("Decide() = %+v, want %v", got, tc.want)
			}
		})
	}
	// Refused for good, a run of a staging runtime is stopped (its staged
	// objects removed) before it is FAILED.
	rejected := Snapshot{Run: run(), Now: time.Now(), Registered: true, Slot: true, Admit: true, Stage: true,
		Admission: &Admission{OK: true}, Rejected: &Rejection{Reason: FailureValidation, Message: "bad"}}
	if d := Decide(rejected); d.Do != ActStop {
		t.Errorf("rejected staged run: %+v; want it stopped first", d)
	}
	gone := true
	rejected.Stopped = &gone
	if d := Decide(rejected); len(d.Steps) != 1 || d.Steps[0].To != JobRunFailed || d.Steps[0].Details != "bad" {
		t.Errorf("rejected staged run, stopped: %+v; want FAILED", d)
	}
	// Staged and refused, the head says why and is looked at again.
	d := Decide(Snapshot{Run: run(), Now: time.Now(), Registered: true, Slot: true, Admit: true, Stage: true, Staged: true, Admission: waiting})
	if d.Do != ActNone || d.Details != waiting.Waiting || d.After != AdmissionRecheck {
		t.Errorf("staged, refused head: %+v", d)
	}
}

// job-start-timeout counts from the submission the runtime reports: a run
// that waited PENDING for capacity longer than the timeout is not failed
// as soon as it is submitted.
func TestStartTimeoutCountsFromSubmission(t *testing.T) {
	now := time.Now()
	run := &JobRun{State: JobRunSubmitted, CreatedAt: now.Add(-time.Hour)}
	submitted := now.Add(-time.Minute)
	d := Decide(Snapshot{Run: run, Now: now, Registered: true, Observed: &Observation{Phase: PhaseSubmitted, SubmittedAt: submitted}})
	if d.Do != ActNone || len(d.Steps) != 0 || d.After != DefaultJobStartTimeout-time.Minute+time.Millisecond {
		t.Errorf("submitted a minute ago, created an hour ago: %+v; want to wait 14 more minutes", d)
	}
	d = Decide(Snapshot{Run: run, Now: now, Registered: true, Observed: &Observation{Phase: PhaseSubmitted}})
	if d.Do != ActStop {
		t.Errorf("no submission time, created an hour ago: %+v; want it stopped (timed out)", d)
	}
}
